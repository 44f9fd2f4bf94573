"""The requester is e-mailed when staff validate or refuse his change request (with the reason), unless he
declined that news in identity's « Préférences de courriel »; identity is the real service over HTTP."""

import pytest

from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

API = "/api/members"


@pytest.fixture
def requester(identity, companies):
    from identity.accounts import use_cases as accounts

    company_a, _ = companies
    user = accounts.create_user(
        identity.portal, email="paul@boulangerie.fr", display_name="Paul Martin", password="une phrase assez longue"
    )
    accounts.link_member(identity.portal, user_id=user.id, member_id=company_a, roles=("admin",))
    return make_principal(user_id=user.id, member_id=company_a, roles=("admin",), display_name="Paul Martin")


def ask(service, requester, company, **fields):
    headers = service.headers(requester)
    headers["If-Match"] = service.client().get(f"{API}/members/{company}", headers=headers).headers["ETag"]
    [request] = service.client().patch(f"{API}/members/{company}", json=fields, headers=headers).json
    return request["id"]


def test_a_refused_request_mails_its_reason_and_a_validated_one_says_so(service, companies, people, requester, smtp):
    company_a, _ = companies
    staff = service.headers(people["staff"])
    refused = ask(service, requester, company_a, activity="Boulangerie")
    answer = service.client().post(
        f"{API}/change-requests/{refused}/reject", json={"reason": "Activité non justifiée"}, headers=staff
    )
    assert answer.status_code == 200
    validated = ask(service, requester, company_a, phone="03 89 00 11 22")
    assert (
        service.client().post(f"{API}/change-requests/{validated}/approve", json={}, headers=staff).status_code == 200
    )
    service.deliver_mail()
    no = smtp.wait_for(lambda m: m["To"] == "paul@boulangerie.fr" and "refusée" in m["Subject"])
    assert "Boulangerie Martin" in no["Subject"] and "Motif : Activité non justifiée" in no.get_content()
    yes = smtp.wait_for(lambda m: m["To"] == "paul@boulangerie.fr" and "validée" in m["Subject"])
    assert "Modification — Fiche adhérent" in yes.get_content()


def test_a_requester_who_declined_that_news_is_not_mailed(service, companies, people, requester, identity, smtp):
    from identity.preferences import use_cases as preferences

    company_a, _ = companies
    preferences.save(identity.portal, requester.user_id, ["access", "campaign"])
    request = ask(service, requester, company_a, activity="Boulangerie")
    staff = service.headers(people["staff"])
    assert (
        service.client()
        .post(f"{API}/change-requests/{request}/reject", json={"reason": "Non"}, headers=staff)
        .status_code
        == 200
    )
    assert service.deliver_mail() == 0
    assert not [m for m in smtp.messages if m["To"] == "paul@boulangerie.fr"]
