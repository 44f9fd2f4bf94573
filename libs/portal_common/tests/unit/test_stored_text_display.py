"""Stored values the boundary would refuse today still print: on pages (Jinja's finalize), in PDFs (pdf_text), and
the repair rule makes them acceptable (docs/security.md VAL-03). Upload names are checked at the boundary."""

from __future__ import annotations

import io

from flask import Flask, render_template_string
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from portal_common.input_rules import displayable, repaired, stored_problem
from portal_common.pdf_text import pdf_text
from portal_common.web.input_guard import init_input_guard
from portal_common.web.printable import printable

STORED = ["a\ud800b", "x\x00y", "Dupont\u202eliaM", "\x1b[31mrouge", "\u2066x", "Cle\u0301ment", "Łódź"]


def _app() -> Flask:
    app = Flask(__name__, template_folder="../../portal_common/web/templates")
    app.jinja_env.finalize = printable
    return app


def test_a_page_printing_a_lone_surrogate_a_nul_or_a_bidi_override_renders_and_encodes():
    app = _app()
    with app.test_request_context():
        for value in STORED:
            shown = render_template_string(
                "<p>{{ value }}</p><p title='{{ value|upper }}'>{{ value ~ '!' }}</p>", value=value
            )
            shown.encode("utf-8")
            assert "\x00" not in shown and "\u202e" not in shown and "\x1b" not in shown


def test_printing_stays_escaped_and_markup_stays_markup():
    app = _app()
    with app.test_request_context():
        assert render_template_string("{{ v }}", v="<b>a\ud800</b>") == "&lt;b&gt;a&lt;/b&gt;"
        assert render_template_string("{{ v }}", v=Markup("<b>a\ud800</b>")) == "<b>a</b>"
    assert printable(42) == 42 and printable(None) is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec=None)))
def test_any_stored_text_is_displayable_and_its_repair_is_accepted(value):
    displayable(value).encode("utf-8")
    assert stored_problem(repaired(value)) is None
    assert repaired(repaired(value)) == repaired(value)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_any_stored_text_prints_in_a_pdf_with_core_fonts(value):
    for encoding in ("windows-1252", "latin-1"):
        document = FPDF()
        document.core_fonts_encoding = encoding
        document.add_page()
        document.set_font("helvetica", size=10)
        document.multi_cell(0, 5, pdf_text(value, encoding))
        assert document.output()[:5] == b"%PDF-"


def test_french_text_prints_as_typed_and_foreign_letters_keep_their_base_letter():
    assert pdf_text("Cotisation 1\u202f458,22 € — l’été") == "Cotisation 1 458,22 € — l’été"
    assert pdf_text("Łódź", "latin-1") == "Lódz" and pdf_text("Œuvre 12 €", "latin-1") == "OEuvre 12 EUR"


def test_an_upload_whose_file_name_holds_a_control_or_bidi_character_is_refused_naming_the_field():
    app = Flask(__name__, template_folder="../../portal_common/web/templates")
    init_input_guard(app)

    @app.post("/api/upload")
    def upload():
        return "stored"

    client = app.test_client()
    for name in ("releve\u202efdp.exe", "liste\x00.xlsx", "rapport\u2066.pdf"):
        answer = client.post("/api/upload", data={"file": (io.BytesIO(b"x"), name)}, content_type="multipart/form-data")
        assert answer.status_code == 400, name
        assert "Le champ « file »" in answer.get_json()["message"]
    fine = client.post(
        "/api/upload", data={"file": (io.BytesIO(b"x"), "liste.xlsx")}, content_type="multipart/form-data"
    )
    assert fine.status_code == 200
