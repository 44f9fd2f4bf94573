"""The scheduling API answers every generated request within its OpenAPI contract."""

from datetime import UTC, datetime, timedelta

from portal_common.testing import contract
from scheduling import demo

MEMBER = contract.CONTRACT_MEMBER_ID
EMPLOYEE = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"


def seed(service):
    """One company, one employee and one upcoming visit, so reads answer 200 and get validated."""
    demo.load(
        service.portal,
        {
            "members": [
                dict(
                    id=MEMBER,
                    member_number="1000001",
                    name="Entreprise du contrat",
                    address_line1="1 rue A",
                    postal_code="68100",
                    city="Mulhouse",
                )
            ],
            "employees": [
                dict(
                    id=EMPLOYEE,
                    member_id=MEMBER,
                    last_name="DUPONT",
                    birth_name="DUPONT",
                    first_names="Marie",
                    birth_date="1985-08-14",
                    monitoring_category="SI",
                )
            ],
            "appointments": [
                dict(
                    id="1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    member_id=MEMBER,
                    employee_id=EMPLOYEE,
                    starts_at=(datetime.now(UTC) + timedelta(days=7)).isoformat(),
                    duration_minutes=30,
                    visit_type="periodique",
                    place="Centre de Mulhouse, 5 avenue Kennedy",
                    professional_kind="infirmier",
                    status="convoquee",
                )
            ],
        },
    )


api_schema = contract.schema_fixture("scheduling_service", "/api/scheduling/openapi.json", seed=seed)
test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
test_hostile_input_never_breaks_an_operation = contract.hostile_input_test("api_schema", "scheduling_service")
