"""The SEPA mandate: signed by the company, validated by staff, IBAN encrypted and never in an event."""

import pytest
from sqlalchemy import text

from portal_common.http import service_headers
from portal_common.messaging import catalogue
from portal_common.testing.environment import signer_of

pytestmark = pytest.mark.integration

API = "/api/members"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
MANDATE = {"iban": IBAN, "holder": "Boulangerie Martin", "email": "compta@example.fr", "consent": True}


def sign_and_approve(service, company, people):
    client = service.client()
    signed = client.post(
        f"{API}/members/{company}/sepa-mandate", json=MANDATE, headers=service.headers(people["admin"])
    )
    assert signed.status_code == 201, signed.json
    [request] = client.get(f"{API}/change-requests", headers=service.headers(people["staff"])).json
    assert (
        client.post(
            f"{API}/change-requests/{request['id']}/approve", json={}, headers=service.headers(people["staff"])
        ).status_code
        == 200
    )
    return signed.json


def test_a_signed_mandate_is_active_after_staff_validation_and_billing_reads_the_iban_internally(
    service, companies, people
):
    company_a, _ = companies
    mandate = sign_and_approve(service, company_a, people)
    assert mandate["reference"] == "ADH1000001-" + mandate["signed_on"].replace("-", "") + "-01"
    assert mandate["iban_masked"].endswith("0189") and mandate["bic"] == "AGRIFRPPXXX"
    [event] = [e for e in service.events() if e.type == "members.sepa_mandate.signed.v1"]
    catalogue.validate(event)
    assert (event.data["mandate_reference"], event.data["creditor_id"]) == (mandate["reference"], "FR12ZZZ123456")
    assert event.data["replaced_reference"] is None

    client = service.client()
    headers = service_headers(signer_of("billing"))
    answer = client.get(f"/internal/sepa-mandates/{company_a}", headers=headers)
    assert answer.status_code == 200
    assert answer.json["iban"] == "FR7630006000011234567890189" and answer.json["status"] == "active"
    assert client.get(f"/internal/sepa-mandates/{company_a}").status_code == 401
    assert (
        client.get(f"/internal/sepa-mandates/{company_a}", headers=service.headers(people["staff"])).status_code == 403
    )


def test_the_iban_is_encrypted_at_rest_and_absent_from_events_requests_and_pages(service, companies, people):
    company_a, _ = companies
    sign_and_approve(service, company_a, people)
    with service.portal.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT iban_encrypted FROM sepa_mandate")).scalar_one()
        trail = conn.execute(text("SELECT CAST(after AS TEXT) FROM change_request WHERE kind = 'mandate'")).scalar_one()
    assert "30006" not in stored and stored.startswith("d1:")
    assert "30006" not in trail
    assert all("30006" not in str(e.data) for e in service.events())
    page = service.client().get("/adherent/prelevement", headers=service.headers(people["admin"])).text
    assert "30006" not in page and "ADH1000001-" in page and "FR12ZZZ123456" in page


def test_a_bad_iban_gets_a_french_message_and_nothing_is_saved(service, companies, people, token):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    response = client.post(
        f"{API}/members/{company_a}/sepa-mandate", headers=admin, json=dict(MANDATE, iban="FR0630006000011234567890188")
    )
    assert response.status_code == 422 and "clé RIB" in response.json["errors"]["json"]["iban"]
    csrf = token(client, "/adherent/prelevement", admin)
    page = client.post(
        "/adherent/prelevement",
        headers=admin,
        data={"csrf_token": csrf, "iban": "FR7630006000011234567890188", "holder": "B", "email": "a@b.fr"},
    )
    assert page.status_code == 422 and "L&#39;IBAN n&#39;est pas valide" in page.text
    assert "FR7630006000011234567890188" not in page.text and "Cochez la case" in page.text
    assert client.get(f"{API}/members/{company_a}/sepa-mandate", headers=admin).status_code == 404
    assert client.get(f"{API}/change-requests", headers=service.headers(people["staff"])).json == []


def test_revoking_the_mandate_publishes_its_revocation_with_a_higher_version(service, companies, people, token):
    company_a, _ = companies
    sign_and_approve(service, company_a, people)
    client = service.client()
    admin = service.headers(people["admin"])
    csrf = token(client, "/adherent/prelevement", admin)
    assert client.post("/adherent/prelevement/revoquer", headers=admin, data={"csrf_token": csrf}).status_code == 302
    [signed] = [e for e in service.events() if e.type == "members.sepa_mandate.signed.v1"]
    [revoked] = [e for e in service.events() if e.type == "members.sepa_mandate.revoked.v1"]
    catalogue.validate(revoked)
    assert revoked.data["mandate_reference"] == signed.data["mandate_reference"]
    assert revoked.data["version"] > signed.data["version"]
    headers = service_headers(signer_of("billing"))
    assert client.get(f"/internal/sepa-mandates/{company_a}", headers=headers).status_code == 404


def test_staff_and_read_only_users_cannot_sign_and_step_up_is_required_by_default(service, companies, people):
    company_a, _ = companies
    client = service.client()
    url = f"{API}/members/{company_a}/sepa-mandate"
    assert client.post(url, json=MANDATE, headers=service.headers(people["staff"])).status_code == 403
    assert client.post(url, json=MANDATE, headers=service.headers(people["reader"])).status_code == 403
    from portal_common.testing import make_principal

    assert service.portal.settings.sepa_step_up  # the default
    not_stepped_up = make_principal(member_id=company_a, roles=("admin",))
    assert client.post(url, json=MANDATE, headers=service.headers(not_stepped_up)).status_code == 403
    stepped_up = make_principal(member_id=company_a, roles=("billing",), grants=("step_up",))
    assert client.post(url, json=MANDATE, headers=service.headers(stepped_up)).status_code == 201


def test_the_staff_member_who_requested_an_iban_change_can_never_approve_it_and_another_one_can(
    service, companies, people
):
    """A staff member acting for the company (switched into it) signs: a second person must validate."""
    company_a, _ = companies
    from portal_common.testing import make_principal

    both = make_principal(member_id=company_a, roles=("admin",), staff_roles=("secretariat",), grants=("step_up",))
    client = service.client()
    assert (
        client.post(f"{API}/members/{company_a}/sepa-mandate", json=MANDATE, headers=service.headers(both)).status_code
        == 201
    )
    [request] = client.get(f"{API}/change-requests", headers=service.headers(people["staff"])).json
    refused = client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=service.headers(both))
    assert refused.status_code == 403
    assert (
        client.get(f"{API}/members/{company_a}/sepa-mandate", headers=service.headers(both)).json["status"] == "pending"
    )
    assert [e.type for e in service.events() if e.type.startswith("members.sepa_mandate")] == []
    assert (
        client.post(
            f"{API}/change-requests/{request['id']}/approve", json={}, headers=service.headers(people["staff2"])
        ).status_code
        == 200
    )
    assert (
        client.get(f"{API}/members/{company_a}/sepa-mandate", headers=service.headers(both)).json["status"] == "active"
    )


def test_a_new_mandate_replaces_the_active_one_and_names_it_in_its_event(service, companies, people):
    company_a, _ = companies
    first = sign_and_approve(service, company_a, people)
    second = sign_and_approve(service, company_a, people)
    events = [e for e in service.events() if e.type == "members.sepa_mandate.signed.v1"]
    assert [e.data["mandate_reference"] for e in events] == [first["reference"], second["reference"]]
    assert events[1].data["replaced_reference"] == first["reference"]
    assert events[1].data["version"] > events[0].data["version"]


def test_the_mandate_page_asks_to_confirm_one_s_identity_before_the_iban_is_typed(service, companies, people, token):
    from portal_common.testing import make_principal

    company_a, _ = companies
    client = service.client()
    not_stepped_up = service.headers(make_principal(member_id=company_a, roles=("admin",)))
    page = client.get("/adherent/prelevement", headers=not_stepped_up)
    assert page.status_code == 200
    assert 'href="/compte?reauthentification=/adherent/prelevement"' in page.text
    assert "Confirmer mon identité" in page.text and 'name="iban"' not in page.text
    # A form posted anyway (an old tab) is sent to the confirmation, nothing signed.
    csrf = token(client, "/adherent/contacts", not_stepped_up)
    sent = client.post(
        "/adherent/prelevement", headers=not_stepped_up, data=dict(MANDATE, consent="on", csrf_token=csrf)
    )
    assert sent.status_code == 302 and sent.headers["Location"] == "/compte?reauthentification=/adherent/prelevement"
    assert client.get(f"{API}/change-requests", headers=service.headers(people["staff"])).json == []

    stepped_up = client.get("/adherent/prelevement", headers=service.headers(people["admin"])).text
    assert 'name="iban"' in stepped_up and "Confirmer mon identité" not in stepped_up
