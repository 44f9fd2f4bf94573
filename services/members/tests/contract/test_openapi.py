"""The members API answers every generated request within its OpenAPI contract."""

from datetime import date

from members.registration import use_cases as services
from members.registration.rules import Registration
from portal_common.testing import contract


def seed(service):
    services.register_member(
        service.portal,
        Registration(
            name="Entreprise du contrat",
            siret="73282932000074",
            naf_code="47.76Z",
            address_line1="1 rue A",
            address_line2=None,
            postal_code="75001",
            city="Paris",
            email=None,
            phone=None,
            billing_email=None,
            adhesion_date=date(2020, 1, 1),
        ),
        member_id=contract.CONTRACT_MEMBER_ID,
    )


api_schema = contract.schema_fixture("members_service", "/api/members/openapi.json", seed=seed)
test_every_operation_honours_the_openapi_contract = contract.openapi_test("api_schema")
test_hostile_input_never_breaks_an_operation = contract.hostile_input_test("api_schema", "members_service")
