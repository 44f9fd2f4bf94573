"""The billing API answers every generated request within its OpenAPI contract."""

from billing import demo
from portal_common.testing import contract

MEMBER = contract.CONTRACT_MEMBER_ID


def seed(service):
    """One customer and one invoice, so reads answer 200 and get validated."""
    demo.load(
        service.portal,
        {
            "members": [
                dict(
                    id=MEMBER,
                    member_number="1000001",
                    name="Entreprise du contrat",
                    siret="73282932000074",
                    address_line1="1 rue A",
                    postal_code="68100",
                    city="Mulhouse",
                    billing_email="compta@example.fr",
                )
            ],
            "invoices": [
                dict(
                    id="2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                    member_id=MEMBER,
                    kind="cotisation",
                    issued_on="2026-02-16",
                    due_on="2026-03-31",
                    period="2026",
                    vat_rate="0.20",
                    amount_paid="0.00",
                    lines=[dict(label="Cotisation annuelle 2026", quantity="12", unit_price="118.00")],
                )
            ],
        },
    )


api_schema = contract.schema_fixture("billing_service", "/api/billing/openapi.json", seed=seed)
test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
test_hostile_input_never_breaks_an_operation = contract.hostile_input_test("api_schema", "billing_service")
