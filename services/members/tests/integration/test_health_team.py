"""Staff assign each company its centre and health team; the member sees it; scheduling learns the centre."""

import pytest

from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

API = "/api/members"
CENTRE = {
    "name": "Centre de Mulhouse",
    "line1": "5 avenue Kennedy",
    "line2": "",
    "postal_code": "68100",
    "city": "Mulhouse",
    "phone": "03 89 45 00 00",
    "email": "mulhouse@spsti.fr",
}
TEAM = {
    "doctor": "Dr Anne Weber",
    "secretary": "Julie Roth",
    "secretary_phone": "03 89 45 00 01",
    "secretary_email": "j.roth@spsti.fr",
    "preventer": "Marc Klein",
    "preventer_email": "m.klein@spsti.fr",
    "nurse": "Luc Meyer",
}


def create_centre(client, staff, token, values=CENTRE):
    csrf = token(client, "/gestion/adherents/centres", staff)
    return client.post("/gestion/adherents/centres", headers=staff, data=dict(values, csrf_token=csrf))


def test_staff_assign_a_centre_and_a_team_the_member_sees_it_and_the_centre_is_published(
    service, companies, people, token, monkeypatch
):
    company_a, _ = companies
    monkeypatch.setattr(service.portal.settings, "service_mailboxes", (("Rendez-vous", "rdv@spsti.fr"),))
    client = service.client()
    staff = service.headers(people["staff"])
    bad = create_centre(client, staff, token, dict(CENTRE, postal_code="681"))
    assert bad.status_code == 422 and "5 chiffres" in bad.text
    assert create_centre(client, staff, token).status_code == 302
    [centre] = client.get(f"{API}/centres", headers=staff).json
    csrf = token(client, f"/gestion/adherents/{company_a}/equipe", staff)
    saved = client.post(
        f"/gestion/adherents/{company_a}/equipe",
        headers=staff,
        data=dict(TEAM, centre_id=centre["id"], csrf_token=csrf, version=0),  # 0: no team yet
    )
    assert saved.status_code == 302

    admin = service.headers(people["reader"])
    page = client.get("/adherent", headers=admin).text
    for shown in (
        "Centre de Mulhouse",
        "5 avenue Kennedy, 68100 MULHOUSE",
        "03 89 45 00 00",
        "Dr Anne Weber",
        "Julie Roth",
        "03 89 45 00 01",
        "Marc Klein",
        "Luc Meyer",
        "rdv@spsti.fr",
    ):
        assert shown in page
    team = client.get(f"{API}/members/{company_a}/health-team", headers=admin).json
    assert team["centre"]["name"] == "Centre de Mulhouse" and team["secretary_phone"] == "+33389450001"
    [event] = [e for e in service.events() if e.type == "members.member.updated.v1"]
    catalogue.validate(event)
    assert event.data["health_centre"] == {
        "name": "Centre de Mulhouse",
        "address": "5 avenue Kennedy, 68100 MULHOUSE",
        "phone": "03 89 45 00 00",
    }
    trail = client.get(f"{API}/members/{company_a}/change-requests", headers=service.headers(people["admin"])).json
    assert trail[0]["kind"] == "team" and trail[0]["after"]["centre"] == "Centre de Mulhouse"


def test_changing_a_centre_republishes_the_companies_it_follows_and_names_only_change_nothing(
    service, companies, people, token
):
    company_a, company_b = companies
    client = service.client()
    staff = service.headers(people["staff"])
    create_centre(client, staff, token)
    [centre] = client.get(f"{API}/centres", headers=staff).json
    csrf = token(client, f"/gestion/adherents/{company_a}/equipe", staff)
    client.post(
        f"/gestion/adherents/{company_a}/equipe",
        headers=staff,
        data={"centre_id": centre["id"], "csrf_token": csrf, "version": 0},
    )
    client.post(f"/gestion/adherents/{company_b}/equipe", headers=staff, data=dict(TEAM, csrf_token=csrf, version=0))
    before = len(service.events())
    assert len([e for e in service.events() if e.type == "members.member.updated.v1"]) == 1  # B: no centre
    assert (
        client.post(
            f"/gestion/adherents/centres/{centre['id']}",
            headers=staff,
            data=dict(CENTRE, phone="03 89 45 99 99", csrf_token=csrf, version=1),  # as created
        ).status_code
        == 302
    )
    [update] = service.events()[before:]
    assert update.data["member_id"] == company_a and update.data["health_centre"]["phone"] == "03 89 45 99 99"


def test_companies_cannot_see_another_team_nor_assign_teams_or_centres(service, companies, people, token):
    company_a, company_b = companies
    client = service.client()
    staff = service.headers(people["staff"])
    create_centre(client, staff, token)
    [centre] = client.get(f"{API}/centres", headers=staff).json
    other = service.headers(people["admin_b"])
    assert client.get(f"{API}/members/{company_a}/health-team", headers=other).status_code == 404
    assert client.get(f"{API}/centres", headers=other).status_code == 403
    csrf = token(client, "/adherent", other)
    for path in (
        f"/gestion/adherents/{company_a}/equipe",
        "/gestion/adherents/centres",
        f"/gestion/adherents/centres/{centre['id']}",
    ):
        assert client.get(path, headers=other).status_code == 403
        assert client.post(path, headers=other, data=dict(CENTRE, csrf_token=csrf)).status_code == 403
    billing_staff = service.headers(make_principal(staff_roles=("billing",)))
    assert (
        client.post(
            f"/gestion/adherents/{company_a}/equipe",
            headers=billing_staff,
            data=dict(TEAM, csrf_token=token(client, "/gestion/adherents", billing_staff)),
        ).status_code
        == 403
    )
    assert (
        client.get(f"{API}/members/{company_a}/health-team", headers=service.headers(people["admin"])).json["doctor"]
        is None
    )
    assert (
        client.get("/gestion/adherents/centres/00000000-0000-0000-0000-000000000000", headers=staff).status_code == 404
    )
