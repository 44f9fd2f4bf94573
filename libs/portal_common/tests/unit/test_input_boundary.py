"""The input boundary: hostile text refused before any handler runs, in French, naming the field."""

from __future__ import annotations

import json

import pytest
from flask import Flask, jsonify, request
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_common.input_rules import (
    BIDI,
    CONTROL,
    LINE_BREAK,
    SURROGATE,
    InputRefused,
    check_text,
    event_problem,
    json_depth_exceeds,
    load_json,
    text_problem,
)
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


def _first_refused(text, *, multiline):
    """The rule as the module states it, one character at a time: the first refused character says why."""
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return SURROGATE
        if char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            return BIDI
        if char in "\t\n\r":
            if not multiline:
                return LINE_BREAK
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            return CONTROL
    return None


# Text drawn mostly from the characters the rule is about, so that every branch is reached.
_EDGE_TEXT = st.text(
    alphabet=st.sampled_from("aé\t\n\r\x00\x07\x0b\x1f\x7f\x85\x9f\xa0\u202a\u202e\u2066\u2069\u2070\ud800\udfff")
    | st.characters(),
    max_size=12,
)


@settings(max_examples=1000, deadline=None)
@given(_EDGE_TEXT, st.booleans())
def test_the_refusal_of_any_text_names_its_first_refused_character(text, multiline):
    assert text_problem(text, multiline=multiline, max_length=None) == _first_refused(text, multiline=multiline)


@settings(max_examples=500, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | _EDGE_TEXT,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_EDGE_TEXT, inner, max_size=3),
        max_leaves=12,
    )
)
def test_an_event_payload_is_refused_exactly_when_one_of_its_texts_or_keys_is(data):
    texts = list(_texts(data))
    refused = [text for text in texts if text_problem(text, multiline=True, max_length=None)]
    problem = event_problem(data)
    assert (problem is None) == (not refused)
    if refused:
        assert problem.split(": ", 1)[1] in {SURROGATE, BIDI, CONTROL}


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)


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
