"""A head office sees its establishments (same SIREN), an accounting firm its clients, in one list with a switch
button each; the client list comes from the real identity service over HTTP."""

from datetime import date

import pytest

from members.registration import use_cases as services
from members.registration.rules import Registration
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

HEAD_OFFICE = "11111111-1111-4111-8111-111111111111"
BRANCH = "22222222-2222-4222-8222-222222222222"


def register(service, member_id, name, siret, number):
    services.register_member(
        service.portal,
        Registration(
            name=name,
            siret=siret,
            naf_code=None,
            address_line1="1 rue du Port",
            address_line2=None,
            postal_code="68100",
            city="Mulhouse",
            email=None,
            phone=None,
            billing_email=None,
            adhesion_date=date(2020, 1, 1),
        ),
        member_id=member_id,
        member_number=number,
    )


def user_with_links(identity, email, links):
    from identity.accounts import use_cases as accounts

    user = accounts.create_user(
        identity.portal, email=email, display_name="Utilisateur test", password="une phrase de passe assez longue"
    )
    for member_id, roles, kind in links:
        accounts.link_member(identity.portal, user_id=user.id, member_id=member_id, roles=roles, kind=kind)
    return user.id


def test_a_head_office_lists_its_establishments_and_switches_to_those_it_is_linked_to(
    service, companies, people, identity
):
    # Same SIREN 732829320: the head office and a branch (SIRETs valid by Luhn).
    register(service, HEAD_OFFICE, "Martin SA — siège", "73282932000017", "1000010")
    register(service, BRANCH, "Martin SA — Colmar", "73282932000025", "1000011")
    user_id = user_with_links(
        identity, "dirigeant@martin.fr", [(HEAD_OFFICE, ("admin",), "member"), (BRANCH, ("admin",), "member")]
    )
    principal = make_principal(user_id=user_id, member_id=HEAD_OFFICE, roles=("admin",))
    client = service.client()
    listed = client.get("/api/members/establishments", headers=service.headers(principal)).json
    rows = listed["items"]
    assert listed["complete"] is True
    assert [(r["member_number"], r["relations"], r["can_switch"]) for r in rows] == [
        ("1000010", ["current", "member"], False),
        ("1000001", ["same_siren"], False),  # Boulangerie Martin shares the SIREN but the user has no access
        ("1000011", ["same_siren", "member"], True),
    ]
    page = client.get("/adherent/etablissements", headers=service.headers(principal)).text
    assert 'action="/changer-adherent"' in page and f'value="{BRANCH}"' in page
    assert f'value="{companies[0]}"' not in page and "Accès à demander" in page


def test_an_accounting_firm_lists_its_clients_and_never_other_companies(service, companies, identity):
    company_a, company_b = companies
    user_id = user_with_links(
        identity,
        "cabinet@fiducia.fr",
        [(company_a, ("declaration",), "delegate"), (company_b, ("declaration",), "delegate")],
    )
    principal = make_principal(user_id=user_id, member_id=company_a, roles=("declaration",))
    client = service.client()
    rows = client.get("/api/members/establishments", headers=service.headers(principal)).json["items"]
    assert [(r["name"], r["relations"], r["can_switch"]) for r in rows] == [
        ("Boulangerie Martin", ["current", "delegate"], False),
        ("Garage du Centre", ["delegate"], True),
    ]
    page = client.get("/adherent/etablissements", headers=service.headers(principal)).text
    assert "Entreprise cliente (tiers déclarant)" in page and "Garage du Centre" in page

    # A user of company B alone sees B only, whatever A's links are.
    alone = user_with_links(identity, "garage@centre.fr", [(company_b, ("admin",), "member")])
    rows = client.get(
        "/api/members/establishments",
        headers=service.headers(make_principal(user_id=alone, member_id=company_b, roles=("admin",))),
    ).json["items"]
    assert [r["name"] for r in rows] == ["Garage du Centre"]


def test_when_identity_does_not_answer_the_page_still_lists_the_establishments_and_says_so(
    service, companies, people, monkeypatch
):
    monkeypatch.setitem(service.portal.settings.service_urls, "identity", "http://127.0.0.1:9")
    client = service.client()
    page = client.get("/adherent/etablissements", headers=service.headers(people["admin"]))
    assert page.status_code == 200 and "momentanément indisponible" in page.text
    listed = client.get("/api/members/establishments", headers=service.headers(people["admin"])).json
    assert listed["complete"] is False and [r["name"] for r in listed["items"]] == ["Boulangerie Martin"]
    assert client.get("/adherent/etablissements", headers=service.headers(people["staff"])).status_code == 403
