"""The home pages' frames: where a login lands, members' own part, the parts included for each role, the contact
and help pages. The gateway includes the parts in the frame (tests/integration/test_home_pages.py)."""

from html import unescape

import pytest

from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

API = "/api/members"


def test_the_front_door_sends_a_company_user_to_accueil_and_staff_to_theirs(service, companies, people):
    client = service.client()
    assert client.get("/", headers=service.headers(people["admin"])).headers["Location"] == "/accueil"
    assert client.get("/", headers=service.headers(people["staff"])).headers["Location"] == "/gestion/accueil"
    firm_without_company = make_principal(roles=())
    assert client.get("/", headers=service.headers(firm_without_company)).headers["Location"] == "/changer-adherent"


def test_accueil_lists_the_company_s_pending_and_refused_requests_with_the_reason_and_never_another_s(
    service, companies, people
):
    company_a, company_b = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    [refused] = client.patch(f"{API}/members/{company_a}", json={"activity": "Boulangerie"}, headers=admin).json
    client.patch(f"{API}/members/{company_a}", json={"phone": "03 89 00 00 01"}, headers=admin)
    rejected = client.post(
        f"{API}/change-requests/{refused['id']}/reject", json={"reason": "Activité non justifiée"}, headers=staff
    )
    assert rejected.status_code == 200

    page = client.get("/accueil/fragments/members", headers=service.headers(people["reader"]))
    assert page.status_code == 200
    text = unescape(page.text)
    assert "1 demande de modification en attente de validation" in text and 'href="/adherent#en-attente"' in text
    assert "Demande de modification refusée" in text and "« Activité non justifiée »" in text
    assert 'href="/adherent#refusees"' in text

    other = unescape(client.get("/accueil/fragments/members", headers=service.headers(people["admin_b"])).text)
    assert "Rien à faire pour l'instant." in other and "Activité non justifiée" not in other


def test_accueil_leaves_an_include_only_for_the_parts_the_user_s_roles_open(service, companies, people):
    client = service.client()
    reader = unescape(client.get("/accueil", headers=service.headers(people["reader"])).text)
    for service_name in ("members", "workforce", "scheduling", "billing"):
        assert f'<!--# include virtual="/accueil/fragments/{service_name}" stub="{service_name}_indisponible" -->' in (
            reader
        )
    assert "Les rendez-vous sont momentanément indisponibles." in reader  # the stub the gateway shows if needed
    billing_only = make_principal(member_id=companies[0], roles=("billing",))
    text = client.get("/accueil", headers=service.headers(billing_only)).text
    assert "/accueil/fragments/billing" in text and "/accueil/fragments/members" in text
    assert "/accueil/fragments/workforce" not in text and "/accueil/fragments/scheduling" not in text


def test_staff_accueil_counts_the_changes_to_validate_and_is_refused_to_a_company_user(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    client.patch(f"{API}/members/{company_a}", json={"activity": "Boulangerie"}, headers=admin)
    part = client.get("/gestion/accueil/fragments/members", headers=staff).text
    assert '<span class="queue-count">1</span><a href="/gestion/adherents/demandes">Modifications à valider</a>' in part
    page = client.get("/gestion/accueil", headers=staff).text
    assert "/gestion/accueil/fragments/members" in page and "/gestion/accueil/fragments/scheduling" in page
    assert "/gestion/accueil/fragments/billing" in page
    for path in ("/gestion/accueil", "/gestion/accueil/fragments/members"):
        assert client.get(path, headers=admin).status_code == 403
    for path in ("/accueil", "/accueil/fragments/members"):
        assert client.get(path, headers=staff).status_code == 403


def test_the_frame_of_accueil_names_the_company_from_the_passport_without_reading_the_record(service, people):
    text = unescape(service.client().get("/accueil", headers=service.headers(people["reader"])).text)
    assert "Bienvenue sur l'espace adhérent de Entreprise test (n° 1000001)" in text
    assert "Rien à faire pour l'instant." not in text  # members' own card is a part, included by the gateway


def test_the_contact_page_shows_the_health_team_and_the_service_mailboxes(service, companies, people, monkeypatch):
    monkeypatch.setattr(service.portal.settings, "service_mailboxes", (("Rendez-vous", "rdv@spsti.fr"),))
    client = service.client()
    page = client.get("/contact", headers=service.headers(people["reader"])).text
    assert "Votre équipe santé" in page and "Médecin du travail" in page
    assert '<a href="mailto:rdv@spsti.fr">rdv@spsti.fr</a>' in page
    staff_page = client.get("/contact", headers=service.headers(people["staff"])).text
    assert "Votre équipe santé" not in staff_page and "rdv@spsti.fr" in staff_page


def test_the_help_page_is_open_without_a_session_and_answers_the_usual_questions(service):
    page = service.client().get("/aide")
    assert page.status_code == 200
    text = unescape(page.text)
    for question in (
        "Première connexion",
        "J'ai perdu mes codes",
        "Qui déclare les effectifs ?",
        "Qu'est-ce qu'une facture d'office ?",
        "3 jours ouvrés",
    ):
        assert question in text
