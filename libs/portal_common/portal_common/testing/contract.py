"""OpenAPI contract tests with schemathesis, shared by every service's `tests/contract/`.

Usage in a service::

    api_schema = contract.schema_fixture("members_service", "/api/members/openapi.json")
    test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis import checks

from .environment import make_principal

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]

# Staff with every role: every operation is reachable, so the generated data meets the real code paths.
CONTRACT_PRINCIPAL = make_principal(staff_roles=("secretariat", "billing", "administration"),
                                    member_id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01", roles=("admin",))


CONTRACT_MEMBER_ID = CONTRACT_PRINCIPAL.member_id


def schema_fixture(service_fixture: str, openapi_path: str,
                   seed: Callable[[Any], None] | None = None) -> Callable[..., Any]:
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
    @hypothesis.settings(max_examples=max_examples, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def test_every_operation_honours_the_openapi_contract(case: Any, request: pytest.FixtureRequest) -> None:
        case.call_and_validate(headers=request.node.portal_headers, checks=CHECKS)

    test: Callable[..., Any] = test_every_operation_honours_the_openapi_contract
    return test
