"""The demo data: known declarant codes for the first-account flow, a centre and a health team, idempotent."""

import pytest

from members import demo
from members.models import HealthTeam, Member
from members.registration import use_cases as services
from portal_common.digests import keyed_digest

pytestmark = pytest.mark.integration

DATASET = {
    "members": [
        dict(
            id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01",
            member_number="1000003",
            name="Transports Keller SAS",
            siret="55208131766522",
            naf_code="49.41A",
            address_line1="ZI Nord",
            postal_code="68200",
            city="Mulhouse",
            adhesion_date="2019-01-01",
        )
    ]
}


def test_demo_companies_get_a_known_declarant_code_a_centre_and_a_team_once(service):
    demo.load(service.portal, DATASET)
    demo.load(service.portal, DATASET)
    with service.portal.db.session_factory() as db:
        [member] = db.query(Member).all()
        assert services.declarant_code(service.portal, member) == "DEMO1000003"
        assert db.get(HealthTeam, member.id).doctor == "Dr Anne Weber"
    registered, updated = service.events()
    assert registered.data["declarant_code_digest"] == keyed_digest(
        service.portal.settings.internal_key, "declarant-code", "DEMO1000003"
    )
    assert updated.data["health_centre"]["name"] == "Centre de santé au travail de Mulhouse"
