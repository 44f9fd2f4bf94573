"""The workforce API answers every generated request within its OpenAPI contract."""

from portal_common.testing import contract

api_schema = contract.schema_fixture("workforce_service", "/api/workforce/openapi.json")
test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
test_hostile_input_never_breaks_an_operation = contract.hostile_input_test("api_schema", "workforce_service")
