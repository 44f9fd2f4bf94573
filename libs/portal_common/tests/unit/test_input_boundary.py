"""The input boundary: hostile text refused before any handler runs, in French, naming the field."""

from __future__ import annotations

import json

import pytest
from flask import Flask, jsonify, request
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_common.input_rules import InputRefused, check_text, event_problem, json_depth_exceeds, load_json
from portal_common.messaging import catalogue
from portal_common.web.input_guard import accepts, init_input_guard


@pytest.fixture()
def app():
    app = Flask(__name__, template_folder="../../portal_common/web/templates")
    app.jinja_loader = None
    init_input_guard(app)
    seen = {}

    @app.route("/api/echo", methods=["POST", "GET"])
    def echo():
        seen["json"] = request.get_json(silent=True)
        seen["data"] = request.get_data(cache=True)
        return jsonify(ok=True, args=request.args.to_dict())

    @app.route("/api/notes", methods=["POST"])
    @accepts(multiline=("notes",))
    def notes():
        return jsonify(request.get_json())

    app.seen = seen
    return app


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"name": "a\\ud800b"}', "name"),
        ('{"name": "Garage\\u0000"}', "name"),
        ('{"name": "Dupont\\u202eliaM"}', "name"),
        ('{"name": "ligne\\nsuivante"}', "name"),
        ('{"contacts": [{"name": "x\\u0007"}]}', "contacts.name"),
    ],
)
def test_hostile_strings_in_a_json_body_are_refused_naming_the_field(app, body, field):
    response = app.test_client().post("/api/echo", data=body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json["errors"]["json"]) == [field]
    assert f"Le champ « {field} »" in response.json["message"]
    assert "json" not in app.seen


def test_json_nested_thousands_of_levels_deep_or_with_huge_numbers_is_refused_without_a_crash(app):
    client = app.test_client()
    for body in ["[" * 5000 + "]" * 5000, '{"n": ' + "9" * 5000 + "}", '{"n": 1e400}', '{"n": NaN}']:
        response = client.post("/api/echo", data=body, content_type="application/json")
        assert response.status_code == 400, body[:20]
        assert "imbrication" in response.json["message"]


def test_text_in_another_unicode_form_reaches_the_handler_in_nfc(app):
    decomposed = "Cle\u0301ment"
    response = app.test_client().post("/api/echo?q=" + decomposed, json={"name": decomposed})
    assert response.status_code == 200
    assert app.seen["json"] == {"name": "Clément"} and json.loads(app.seen["data"]) == {"name": "Clément"}
    assert response.json["args"] == {"q": "Clément"}


def test_a_field_declared_multi_line_beside_its_route_keeps_its_line_breaks(app):
    response = app.test_client().post("/api/notes", json={"notes": "un\ndeux", "name": "x"})
    assert response.status_code == 200 and response.json["notes"] == "un\ndeux"


def test_query_parameters_and_read_headers_are_checked_too(app):
    client = app.test_client()
    assert client.get("/api/echo?q=a%00b").status_code == 400
    assert client.get("/api/echo?q=a%E2%80%AEb").json["errors"]["query"] == {
        "q": ["Le champ « q » contient un caractère d'inversion du sens d'écriture non autorisé."]
    }
    assert client.get("/api/echo", headers={"User-Agent": "x\x07"}).status_code == 400


def test_a_consumed_event_holding_a_lone_surrogate_is_refused_by_the_catalogue():
    from portal_common.messaging.envelope import Envelope

    data = catalogue.example("workforce.employee.hired.v1")
    key = next(k for k, v in data.items() if isinstance(v, str) and k not in {"employee_id", "member_id"})
    data[key] = "a\ud800b"
    envelope = Envelope.new("workforce.employee.hired.v1", producer="workforce", subject="s", member_id="m", data=data)
    problem = event_problem(data)
    assert problem is not None and key in problem
    with pytest.raises(catalogue.CatalogueError):
        catalogue.validate(envelope)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_either_refused_with_a_french_message_or_returned_in_nfc(text):
    try:
        cleaned = check_text("nom", text)
    except InputRefused as refused:
        assert refused.sentence.startswith("Le champ « nom »")
        return
    cleaned.encode("utf-8")  # never a lone surrogate
    assert "\x00" not in cleaned and "\n" not in cleaned


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=20,
    )
)
def test_ordinary_json_loads_as_the_standard_parser_does(value):
    raw = json.dumps(value)
    if json_depth_exceeds(raw):
        return
    try:
        assert load_json(raw) == json.loads(raw)
    except ValueError:
        assert any(abs(n) > 2**63 - 1 for n in _integers(value))


def _integers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _integers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _integers(item)
