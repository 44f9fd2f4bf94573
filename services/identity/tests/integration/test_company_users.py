"""The company's users page: invitations, roles, the last administrator, delegations."""

import html
import re

import pytest
from sqlalchemy import select

from identity.accounts import use_cases as accounts
from identity.models import MemberLink, SecurityEvent
from identity.sessions import use_cases as sessions
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "le fournil ouvre avant l'aube"
OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
PAGE = "/compte/utilisateurs"


@pytest.fixture
def people(service, pages, owner, member_id):
    """The owner (administrator), a clerk (billing), an accounting firm (delegate); a garage's administrator."""
    pages.register_member(OTHER_MEMBER, "1000002", "Garage du Centre")
    made = {"owner": owner}
    for name, email, member, roles, kind in (
        ("clerk", "compta@boulangerie.fr", member_id, ("billing",), "member"),
        ("firm", "e.durand@cabinet-durand.fr", member_id, ("declaration", "read"), "delegate"),
        ("garage", "chef@garage.fr", OTHER_MEMBER, ("admin",), "member"),
    ):
        made[name] = accounts.create_user(service.portal, email=email, display_name=name.title(), password=PASSWORD)
        accounts.link_member(service.portal, user_id=made[name].id, member_id=member, roles=roles, kind=kind)
    return made


@pytest.fixture
def admin(service, people, member_id):
    return service.headers(make_principal(user_id=people["owner"].id, member_id=member_id, roles=("admin",)))


def roles_of(service, user_id, member_id):
    with service.portal.db.session_factory() as db:
        link = db.get(MemberLink, (user_id, member_id))
        return None if link is None else link.role_set


def test_the_administrator_sees_users_roles_in_french_and_the_firms_delegation(service, people, admin):
    page = service.client().get(PAGE, headers=admin)
    assert page.status_code == 200 and "Utilisateurs de l'entreprise" in html.unescape(page.text)
    users, delegations = page.text.split('id="titre-delegations"')
    assert "compta@boulangerie.fr" in users and "e.durand@cabinet-durand.fr" not in users
    assert "e.durand@cabinet-durand.fr" in delegations and "Révoquer la délégation" in delegations
    assert "chef@garage.fr" not in page.text
    for label in ("Administrateur", "Facturation", "Déclaration", "Convocation", "Lecture"):
        assert label in page.text


def test_only_the_companys_administrator_reaches_the_page(service, people, member_id):
    client = service.client()
    clerk = make_principal(user_id=people["clerk"].id, member_id=member_id, roles=("billing",))
    assert client.get(PAGE, headers=service.headers(clerk)).status_code == 403
    staff = make_principal(staff_roles=("secretariat",))
    assert client.get(PAGE, headers=service.headers(staff)).status_code == 403


def test_an_invited_newcomer_activates_the_account_and_gets_the_roles_chosen(
    service, pages, people, admin, smtp, member_id
):
    client = service.client()
    sent = pages.post(
        client,
        f"{PAGE}/inviter",
        {
            "last_name": "Klein",
            "first_name": "Léa",
            "email": "lea.klein@boulangerie.fr",
            "roles": ["convocation", "read"],
        },
        headers=admin,
    )
    assert sent.status_code == 303
    assert "lea.klein@boulangerie.fr" in client.get(PAGE, headers=admin).text  # listed as pending
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == "lea.klein@boulangerie.fr")
    path = re.search(r"http\S+(/connexion/activation/\S+)", mail.get_content()).group(1)
    assert "Boulangerie Martin" in mail.get_content()
    newcomer = service.client()
    assert pages.post(newcomer, path, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}).status_code == 303
    assert pages.login(newcomer, "lea.klein@boulangerie.fr", password=NEW_PASSWORD).status_code == 303
    _, identity = pages.check(newcomer)
    assert (identity.member_id, identity.roles) == (member_id, frozenset({"convocation", "read"}))


def test_an_existing_user_invited_gets_the_company_added_by_following_the_link(
    service, pages, people, admin, smtp, member_id
):
    client = service.client()
    pages.post(
        client,
        f"{PAGE}/inviter",
        {"last_name": "Garage", "first_name": "Chef", "email": "chef@garage.fr", "roles": ["read"]},
        headers=admin,
    )
    assert roles_of(service, people["garage"].id, member_id) is None  # nothing before the link is followed
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == "chef@garage.fr")
    path = re.search(r"http\S+(/connexion/invitation/\S+)", mail.get_content()).group(1)
    assert pages.post(service.client(), path, {}).status_code == 303
    assert roles_of(service, people["garage"].id, member_id) == frozenset({"read"})


def test_an_invitation_form_error_is_shown_next_to_its_field(service, pages, people, admin):
    answer = pages.post(
        service.client(),
        f"{PAGE}/inviter",
        {"last_name": "", "first_name": "Léa", "email": "pas-une-adresse"},
        headers=admin,
    )
    assert answer.status_code == 422
    assert "Indiquez votre nom." in answer.text and "Saisissez une adresse e-mail valide" in answer.text
    assert "Cochez au moins un rôle." in answer.text
    again = pages.post(
        service.client(),
        f"{PAGE}/inviter",
        {"last_name": "C", "first_name": "C", "email": "compta@boulangerie.fr", "roles": ["read"]},
        headers=admin,
    )
    assert again.status_code == 422 and "déjà accès" in html.unescape(again.text)


def test_roles_change_and_the_others_are_told_when_someone_becomes_administrator(
    service, pages, people, admin, smtp, member_id
):
    clerk = people["clerk"].id
    answer = pages.post(
        service.client(),
        f"{PAGE}/{clerk}/roles",
        {"roles": ["admin", "billing", "bogus"]},
        headers=admin,
        form_path=PAGE,
    )
    assert answer.status_code == 303
    assert roles_of(service, clerk, member_id) == frozenset({"admin", "billing"})
    service.deliver_mail()
    smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr" and "Nouvel administrateur" in m["Subject"])
    smtp.wait_for(lambda m: m["To"] == "e.durand@cabinet-durand.fr" and "Nouvel administrateur" in m["Subject"])
    # The clerk hears of his own new roles, not of a « new administrator »; the garage hears nothing.
    told = smtp.wait_for(lambda m: m["To"] == "compta@boulangerie.fr")
    assert told["Subject"] == "Vos rôles pour Boulangerie Martin ont changé"
    assert "Administrateur, Facturation" in told.get_content()
    assert not [
        m
        for m in smtp.messages
        if m["To"] == "chef@garage.fr" or "Nouvel administrateur" in m["Subject"] and m["To"] == "compta@boulangerie.fr"
    ]
    with service.portal.db.session_factory() as db:
        logged = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "roles_changed")).one()
    assert (logged.user_id, logged.actor_id, logged.member_id) == (clerk, people["owner"].id, member_id)


def test_the_last_administrator_cannot_step_down_nor_be_removed(service, pages, people, admin, member_id):
    owner = people["owner"].id
    for path, data in ((f"{PAGE}/{owner}/roles", {"roles": ["read"]}), (f"{PAGE}/{owner}/retirer", {})):
        answer = pages.post(service.client(), path, data, headers=admin, form_path=PAGE)
        assert answer.status_code == 422
        assert "L'entreprise doit toujours garder au moins un administrateur" in html.unescape(answer.text)
        assert roles_of(service, owner, member_id) == frozenset({"admin"})


def test_a_firm_cannot_be_made_administrator(service, pages, people, admin, member_id):
    firm = people["firm"].id
    answer = pages.post(service.client(), f"{PAGE}/{firm}/roles", {"roles": ["admin"]}, headers=admin, form_path=PAGE)
    assert answer.status_code == 422 and "Un tiers déclarant ne peut pas être administrateur" in html.unescape(
        answer.text
    )
    assert roles_of(service, firm, member_id) == frozenset({"declaration", "read"})


def test_revoking_the_firms_delegation_takes_effect_at_its_next_request(service, pages, people, admin, member_id):
    with service.portal.uow() as tx:  # the firm's session, as after its login and second factor
        opened = sessions.start(tx.session, service.portal, people["firm"].id, member_id=member_id, user_agent="x")
        tx.commit()
    assert sessions.principal_for(service.portal, opened.token).member_id == member_id
    answer = pages.post(service.client(), f"{PAGE}/{people['firm'].id}/retirer", {}, headers=admin, form_path=PAGE)
    assert answer.status_code == 303
    assert roles_of(service, people["firm"].id, member_id) is None
    with service.portal.db.session_factory() as db:
        logged = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "delegation_revoked")).one()
    assert logged.outcome == "success"
    principal = sessions.principal_for(service.portal, opened.token)
    assert principal is not None and principal.member_id is None and principal.roles == frozenset()


def test_a_removed_user_loses_the_company_at_once(service, pages, people, admin, member_id):
    clerk_client = service.client()
    pages.login(clerk_client, "compta@boulangerie.fr")
    assert pages.check(clerk_client)[1].member_id == member_id
    assert (
        pages.post(
            service.client(), f"{PAGE}/{people['clerk'].id}/retirer", {}, headers=admin, form_path=PAGE
        ).status_code
        == 303
    )
    status, identity = pages.check(clerk_client)
    assert status == 204 and identity.member_id is None and identity.roles == frozenset()


def test_an_administrator_ends_the_sessions_of_one_of_the_companys_users(service, pages, people, admin):
    clerk_client = service.client()
    pages.login(clerk_client, "compta@boulangerie.fr")
    answer = pages.post(
        service.client(), f"{PAGE}/{people['clerk'].id}/sessions/fin", {}, headers=admin, form_path=PAGE
    )
    assert answer.status_code == 303
    assert pages.check(clerk_client)[0] == 401


def test_another_companys_user_is_out_of_reach_of_every_action(service, pages, people, admin, member_id):
    garage = people["garage"]
    garage_client = service.client()
    pages.login(garage_client, "chef@garage.fr")
    for action, data in (("roles", {"roles": ["read"]}), ("retirer", {}), ("sessions/fin", {})):
        answer = pages.post(service.client(), f"{PAGE}/{garage.id}/{action}", data, headers=admin, form_path=PAGE)
        assert answer.status_code == 404
    assert roles_of(service, garage.id, OTHER_MEMBER) == frozenset({"admin"})
    assert pages.check(garage_client)[0] == 204
    # And the garage's administrator cannot act on the bakery's clerk.
    garage_admin = service.headers(make_principal(user_id=garage.id, member_id=OTHER_MEMBER, roles=("admin",)))
    answer = pages.post(
        service.client(), f"{PAGE}/{people['clerk'].id}/retirer", {}, headers=garage_admin, form_path=PAGE
    )
    assert answer.status_code == 404 and roles_of(service, people["clerk"].id, member_id) == frozenset({"billing"})


def test_my_account_shows_my_roles_in_french_and_leads_the_administrator_to_the_users_page(
    service, people, admin, member_id
):
    page = html.unescape(service.client().get("/compte", headers=admin).text)
    assert "Administrateur" in page and f'href="{PAGE}"' in page
    clerk = make_principal(user_id=people["clerk"].id, member_id=member_id, roles=("billing",))
    page = html.unescape(service.client().get("/compte", headers=service.headers(clerk)).text)
    assert "Facturation" in page and f'href="{PAGE}"' not in page
