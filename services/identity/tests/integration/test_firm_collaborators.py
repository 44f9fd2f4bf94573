"""An accounting firm invites its own collaborators and chooses which clients and roles each one has."""

import html
import re

import pytest
from sqlalchemy import select

from identity.accounts import use_cases as accounts
from identity.accounts.queries import get_user
from identity.directory.queries import entry_of
from identity.models import FirmUser, MemberLink, User
from identity.portfolio.queries import clients_of
from identity.security_log.rules import Client
from identity.sessions import use_cases as sessions
from identity.team import use_cases as team
from portal_common.http import service_headers
from portal_common.testing import make_principal
from portal_common.testing.environment import signer_of

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "les bilans tombent en avril"
GARAGE = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
KELLER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a03"
PAGE = "/portefeuille/collaborateurs"


@pytest.fixture
def firm(service, pages, owner, member_id):
    """Cabinet Fiducia holds a delegation on three clients; the bakery's owner administers the bakery."""
    pages.register_member(GARAGE, "1000002", "Garage du Centre")
    pages.register_member(KELLER, "1000003", "Transports Keller")
    user = accounts.create_user(
        service.portal, email="cabinet@fiducia.fr", display_name="Cabinet Fiducia", password=PASSWORD
    )
    for member in (member_id, GARAGE, KELLER):
        accounts.link_member(
            service.portal, user_id=user.id, member_id=member, roles=("billing", "declaration"), kind="delegate"
        )
    return user


def as_firm(service, firm, member_id):
    return service.headers(make_principal(user_id=firm.id, member_id=member_id, roles=("billing", "declaration")))


def invite(service, pages, headers, grants, email="lea@fiducia.fr"):
    data = {"last_name": "Klein", "first_name": "Léa", "email": email, "clients": list(grants)}
    for member, roles in grants.items():
        data[f"roles-{member}"] = roles
    return pages.post(service.client(), PAGE, data, headers=headers)


def accept(service, pages, smtp, email="lea@fiducia.fr"):
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == email)
    path = re.search(r"http\S+(/connexion/activation/\S+)", mail.get_content()).group(1)
    answer = pages.post(service.client(), path, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert answer.status_code == 303
    return mail


def client_names(service, user_id):
    """The user's clients as his portfolio and company switcher list them (the request's session, then closed)."""
    try:
        return [client.name for client in clients_of(service.portal, user_id)]
    finally:
        service.portal.db.session.remove()


def user_by_email(service, email):
    with service.portal.db.session_factory() as db:
        return db.scalar(select(User.id).where(User.email == email))


def test_a_firm_invites_a_collaborator_who_reaches_only_the_clients_and_roles_chosen(
    service, pages, firm, member_id, smtp
):
    headers = as_firm(service, firm, member_id)
    page = service.client().get(PAGE, headers=headers)
    assert page.status_code == 200
    for name in ("Boulangerie Martin", "Garage du Centre", "Transports Keller"):
        assert name in page.text
    smtp.clear()
    sent = invite(service, pages, headers, {member_id: ["declaration"], GARAGE: ["billing", "declaration"]})
    assert sent.status_code == 303
    mail = accept(service, pages, smtp)
    text = mail.get_content()
    assert "Cabinet Fiducia" in mail["Subject"] and "Boulangerie Martin" in text and "Transports Keller" not in text
    lea = user_by_email(service, "lea@fiducia.fr")
    names = client_names(service, lea)
    assert names == ["Boulangerie Martin", "Garage du Centre"]  # her portfolio and company switcher
    with service.portal.db.session_factory() as db:
        assert db.get(MemberLink, (lea, member_id)).role_set == {"declaration"}
        assert db.get(FirmUser, lea).role == "collaborator"
    listed = html.unescape(service.client().get(PAGE, headers=headers).text)
    row = re.search(r"<tr id=\"collaborateur-.*?</tr>", listed, re.S)
    assert row, listed[listed.find("<main") :][:3000]
    assert "lea@fiducia.fr" in row.group(0) and "Garage du Centre (Facturation, Déclaration)" in row.group(0)


def test_taking_a_client_back_takes_effect_at_the_collaborators_next_request(service, pages, firm, member_id, smtp):
    headers = as_firm(service, firm, member_id)
    invite(service, pages, headers, {member_id: ["declaration"], GARAGE: ["declaration"]})
    accept(service, pages, smtp)
    lea = user_by_email(service, "lea@fiducia.fr")
    opened = sessions.open_session(service.portal, get_user(service.portal, lea), member_id=GARAGE, user_agent="t")
    assert sessions.principal_for(service.portal, opened.token).member_id == GARAGE
    smtp.clear()
    saved = pages.post(
        service.client(),
        f"{PAGE}/{lea}",
        {"clients": [member_id], f"roles-{member_id}": ["declaration", "billing"]},
        headers=headers,
    )
    assert saved.status_code == 303
    after = sessions.principal_for(service.portal, opened.token)
    assert after.member_id is None and after.roles == frozenset()  # the garage is no longer reachable
    assert client_names(service, lea) == ["Boulangerie Martin"]
    service.deliver_mail()
    told = smtp.wait_for(lambda m: m["To"] == "lea@fiducia.fr")
    assert "ont changé" in told["Subject"] and "Garage du Centre" not in told.get_content()


def test_a_collaborator_is_never_given_more_than_the_firm_holds(service, pages, firm, member_id):
    headers = as_firm(service, firm, member_id)
    refused = invite(service, pages, headers, {member_id: []})
    assert refused.status_code == 422 and "Cochez au moins un rôle" in html.unescape(refused.text)
    refused = invite(service, pages, headers, {member_id: ["admin"]})
    assert refused.status_code == 422 and "Le cabinet n'a pas ce rôle" in html.unescape(refused.text)
    refused = invite(service, pages, headers, {member_id: ["convocation"]})
    assert refused.status_code == 422 and "Le cabinet n'a pas ce rôle" in html.unescape(refused.text)
    refused = invite(service, pages, headers, {})
    assert refused.status_code == 422 and "Cochez au moins un client" in html.unescape(refused.text)
    outsider = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a09"
    assert invite(service, pages, headers, {outsider: ["declaration"]}).status_code == 422


def test_removing_a_collaborator_ends_his_access_to_every_client(service, pages, firm, member_id, smtp):
    headers = as_firm(service, firm, member_id)
    invite(service, pages, headers, {member_id: ["declaration"], KELLER: ["billing"]})
    accept(service, pages, smtp)
    lea = user_by_email(service, "lea@fiducia.fr")
    opened = sessions.open_session(service.portal, get_user(service.portal, lea), member_id=KELLER, user_agent="t")
    assert pages.post(service.client(), f"{PAGE}/{lea}/retirer", {}, headers=headers, form_path=PAGE).status_code == 303
    assert sessions.principal_for(service.portal, opened.token).member_id is None
    assert client_names(service, lea) == []
    with service.portal.db.session_factory() as db:
        assert db.get(FirmUser, lea) is None


def test_a_company_revoking_the_firm_revokes_its_collaborators_on_that_company(
    service, pages, firm, owner, member_id, smtp
):
    headers = as_firm(service, firm, member_id)
    invite(service, pages, headers, {member_id: ["declaration"], GARAGE: ["declaration"]})
    accept(service, pages, smtp)
    lea = user_by_email(service, "lea@fiducia.fr")
    bakery_admin = service.headers(make_principal(user_id=owner.id, member_id=member_id, roles=("admin",)))
    revoked = pages.post(
        service.client(),
        f"/compte/utilisateurs/{firm.id}/retirer",
        {},
        headers=bakery_admin,
        form_path="/compte/utilisateurs",
    )
    assert revoked.status_code == 303
    assert client_names(service, lea) == ["Garage du Centre"]


def test_only_a_firms_administrator_reaches_the_collaborators_page(service, owner, member_id, firm, pages, smtp):
    as_owner = service.headers(make_principal(user_id=owner.id, member_id=member_id, roles=("admin",)))
    assert service.client().get(PAGE, headers=as_owner).status_code == 404
    headers = as_firm(service, firm, member_id)
    invite(service, pages, headers, {member_id: ["declaration"]})
    accept(service, pages, smtp)
    lea = user_by_email(service, "lea@fiducia.fr")
    as_lea = service.headers(make_principal(user_id=lea, member_id=member_id, roles=("declaration",)))
    assert service.client().get(PAGE, headers=as_lea).status_code == 404
    assert service.client().get(f"{PAGE}/{lea}", headers=as_lea).status_code == 404


def test_the_company_administrators_are_told_when_a_firm_attaches_itself_with_the_codes(
    service, pages, owner, member_id, smtp
):
    smtp.clear()
    newcomer = accounts.create_user(
        service.portal, email="contact@cabinet-neuf.fr", display_name="Cabinet Neuf", password=PASSWORD
    )
    entry = entry_of(service.portal, member_id)
    assert team.add_company(service.portal, newcomer.id, entry, delegate=True, client=Client())
    service.deliver_mail()
    told = smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr")
    assert "Cabinet Neuf" in told.get_content() and "Un cabinet comptable" in told["Subject"]
    with service.portal.db.session_factory() as db:
        assert db.get(FirmUser, newcomer.id).role == "admin"  # the firm is made with its first delegation


def test_a_user_who_declines_access_news_is_not_mailed_but_security_mails_still_go(
    service, pages, firm, owner, member_id, smtp
):
    clerk = accounts.create_user(service.portal, email="compta@boulangerie.fr", display_name="Clerc", password=PASSWORD)
    accounts.link_member(service.portal, user_id=clerk.id, member_id=member_id, roles=("billing",))
    as_clerk = service.headers(make_principal(user_id=clerk.id, member_id=member_id, roles=("billing",)))
    page = service.client().get("/compte/preferences-courriel", headers=as_clerk)
    assert page.status_code == 200 and "Toujours envoyés" in html.unescape(page.text)
    saved = pages.post(
        service.client(), "/compte/preferences-courriel", {"topics": ["change_requests", "bogus"]}, headers=as_clerk
    )
    assert saved.status_code == 303
    page = html.unescape(service.client().get("/compte/preferences-courriel", headers=as_clerk).text)
    assert 'id="topic-change_requests" name="topics" type="checkbox" value="change_requests" checked' in page
    assert 'value="access" checked' not in page
    smtp.clear()
    bakery_admin = service.headers(make_principal(user_id=owner.id, member_id=member_id, roles=("admin",)))
    changed = pages.post(
        service.client(),
        f"/compte/utilisateurs/{clerk.id}/roles",
        {"roles": ["billing", "read"]},
        headers=bakery_admin,
        form_path="/compte/utilisateurs",
    )
    assert changed.status_code == 303
    newcomer = accounts.create_user(service.portal, email="c@neuf.fr", display_name="Cabinet Neuf", password=PASSWORD)
    team.add_company(service.portal, newcomer.id, entry_of(service.portal, member_id), delegate=True, client=Client())
    service.deliver_mail()
    smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr" and "Cabinet Neuf" in m.get_content())
    assert not [m for m in smtp.messages if m["To"] == "compta@boulangerie.fr"]  # declined, and not an admin


def test_identity_answers_which_users_accept_an_optional_mail(service, owner, firm):
    accounts_ids = [owner.id, firm.id, "inconnu"]
    with service.portal.uow() as tx:
        tx.session.get(User, firm.id).mail_opt_outs = "change_requests"
        tx.commit()
    answer = service.client().post(
        "/internal/mail-recipients",
        json={"topic": "change_requests", "user_ids": accounts_ids},
        headers=service_headers(signer_of("members")),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json == {"recipients": {owner.id: "chef@boulangerie.fr"}}
    assert (
        service.client().post("/internal/mail-recipients", json={"topic": "campaign", "user_ids": []}).status_code
        == 401
    )
    refused = service.client().post(
        "/internal/mail-recipients", json={"topic": "x", "user_ids": []}, headers=service_headers(signer_of("members"))
    )
    assert refused.status_code == 422
