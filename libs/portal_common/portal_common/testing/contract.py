"""OpenAPI contract tests with schemathesis, shared by every service's `tests/contract/`.

Usage in a service::

    api_schema = contract.schema_fixture("members_service", "/api/members/openapi.json")
    test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import checks

from .environment import make_principal

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    # The headers an answer declares (a paged list's X-Total-Count, an ETag) are sent as declared.
    checks.response_headers_conformance,
]

# Staff with every role: every operation is reachable, so the generated data meets the real code paths.
CONTRACT_PRINCIPAL = make_principal(
    staff_roles=("secretariat", "billing", "administration"),
    member_id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01",
    roles=("admin",),
)


CONTRACT_MEMBER_ID = CONTRACT_PRINCIPAL.member_id


def schema_fixture(
    service_fixture: str, openapi_path: str, seed: Callable[[Any], None] | None = None
) -> Callable[..., Any]:
    """`seed(service)` stores data of CONTRACT_MEMBER_ID first, so reads answer 200 and get validated."""

    @pytest.fixture
    def api_schema(request: pytest.FixtureRequest) -> Iterator[Any]:
        service = request.getfixturevalue(service_fixture)
        if seed is not None:
            seed(service)
        request.node.portal_headers = service.headers(CONTRACT_PRINCIPAL)
        yield schemathesis.openapi.from_wsgi(openapi_path, service.app)
        service.truncate()  # generated writes must not leak into the next tests

    return api_schema


def openapi_test(schema_fixture_name: str, max_examples: int = 15) -> Callable[..., Any]:
    schema = schemathesis.pytest.from_fixture(schema_fixture_name)

    @pytest.mark.contract
    @schema.parametrize()
    @hypothesis.settings(
        max_examples=max_examples, deadline=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
    )
    def test_every_operation_honours_the_openapi_contract(case: Any, request: pytest.FixtureRequest) -> None:
        case.call_and_validate(headers=request.node.portal_headers, checks=CHECKS)

    test: Callable[..., Any] = test_every_operation_honours_the_openapi_contract
    return test


# What hostile users typed or sent: lone surrogates, NUL and other controls, bidi overrides, line breaks in one-line
# fields, decomposed accents, markup, over-long text, numbers past every type, JSON nested thousands of levels deep.
HOSTILE_TEXT = [
    "a\ud800b",
    "x\x00y",
    "Dupont\u202eliaM",
    "ligne\nsuivante",
    "\x1b[31mrouge",
    "Cle\u0301ment",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "'; DROP TABLE t; --",
    "\ufeffBOM",
    "A" * 20_000,
    "%00",
    "\u2066x",
]
HOSTILE_JSON = ["9" * 5000, "1e400", "-" + "9" * 40, "NaN", "[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000]
# marshmallow's and werkzeug's English defaults: a refusal must never read like this.
ENGLISH = (
    "Missing data for required field",
    "Not a valid",
    "Unknown field",
    "Invalid input",
    "Field may not be null",
    "Longer than maximum",
    "Shorter than minimum",
    "Must be one of",
    "Must be greater",
    "Must be less",
    "The browser (or proxy)",
)


def _with_hostile(body: Any, choice: int, hostile: str) -> str:
    """The JSON text of `body` with one value (or the whole body) replaced by a hostile one."""
    if isinstance(body, dict) and body:
        keys = sorted(body)
        key = keys[choice % len(keys)]
        placeholder = "__hostile__"
        text = json.dumps({**body, key: placeholder}, ensure_ascii=True, default=str)
        return text.replace(json.dumps(placeholder), hostile)
    return hostile


def _query_string(query: dict[str, Any]) -> str:
    """The query as bytes: a lone surrogate is sent as its (invalid) UTF-8 bytes, as a hostile client would."""
    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            encoded = [quote(str(part).encode("utf-8", "surrogatepass"), safe="") for part in (key, item)]
            pairs.append("=".join(encoded))
    return "&".join(pairs)


def hostile_input_test(schema_fixture_name: str, service_fixture: str, max_examples: int = 8) -> Callable[..., Any]:
    """Every operation fed hostile strings, numbers and nesting: never a 5xx, never an English refusal,
    never an error logged. The body is sent as raw JSON, since a lone surrogate cannot be encoded otherwise."""
    schema = schemathesis.pytest.from_fixture(schema_fixture_name)

    @pytest.mark.contract
    @schema.parametrize()
    @schema.given(data=st.data())
    # Generated cases only: the schema's own examples cannot be combined with `given` (and are not hostile).
    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    def test_hostile_input_never_breaks_an_operation(
        case: Any, data: Any, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
    ) -> None:
        service = request.getfixturevalue(service_fixture)
        headers = dict(request.node.portal_headers)
        text = data.draw(st.sampled_from(HOSTILE_TEXT))
        hostile = data.draw(st.sampled_from([json.dumps(text)] + HOSTILE_JSON))
        choice = data.draw(st.integers(min_value=0, max_value=50))
        query = dict(case.query or {})
        if query and data.draw(st.booleans()):
            query[sorted(query)[choice % len(query)]] = text
        body = None
        if case.method.upper() in {"POST", "PUT", "PATCH"}:
            body = _with_hostile(case.body if isinstance(case.body, dict) else None, choice, hostile)
            headers["Content-Type"] = "application/json"
        if case.headers and case.headers.get("If-Match"):
            headers["If-Match"] = case.headers["If-Match"]
        caplog.set_level(logging.ERROR)
        response = service.app.test_client().open(
            case.formatted_path,
            method=case.method,
            query_string=_query_string(query),
            data=body.encode("utf-8", "surrogatepass") if body else None,
            headers=headers,
        )
        assert response.status_code < 500, (case.method, case.formatted_path, response.get_data(as_text=True)[:300])
        shown = response.get_data(as_text=True)
        assert not any(phrase in shown for phrase in ENGLISH), shown[:300]
        errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert not errors, [record.getMessage() for record in errors]

    test: Callable[..., Any] = test_hostile_input_never_breaks_an_operation
    return test
