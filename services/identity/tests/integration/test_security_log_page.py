"""Item 11: the security log page — a company administrator sees his company's entries, staff see all."""

import html
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity.accounts import use_cases as accounts
from identity.models import SecurityEvent
from portal_common.clock import PARIS
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
PAGE = "/compte/journal-securite"


def add_event(
    service, when, kind="login", outcome="success", user_id=None, member_id=None, ip="198.51.100.4", detail=None
):
    with service.portal.uow() as tx:
        tx.session.add(
            SecurityEvent(
                id=str(uuid.uuid4()),
                occurred_at=when,
                kind=kind,
                outcome=outcome,
                user_id=user_id,
                actor_id=user_id,
                member_id=member_id,
                ip=ip,
                detail=detail,
            )
        )
        tx.commit()


@pytest.fixture
def stranger(service, pages):
    pages.register_member(OTHER_MEMBER, "1000002", "Garage du Centre")
    user = accounts.create_user(
        service.portal, email="garage@centre.fr", display_name="Luc Garage", password="une autre phrase de passe longue"
    )
    accounts.link_member(service.portal, user_id=user.id, member_id=OTHER_MEMBER, roles=("admin",))
    return user


def test_a_failed_login_and_a_lockout_appear_with_who_when_where_and_outcome(service, pages, owner, member_id):
    client = service.client()
    pages.login(client, "1000001", password="mauvais mot de passe")
    admin = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    page = service.client().get(PAGE, headers=service.headers(admin))
    text = html.unescape(page.text)
    assert page.status_code == 200 and "Connexion par mot de passe" in text and "Échec" in text
    assert "Paul Martin (chef@boulangerie.fr)" in text
    assert "mauvais mot de passe" not in text


def test_an_administrator_sees_only_his_companys_entries(service, pages, owner, stranger, member_id, clock):
    add_event(service, clock.now, user_id=owner.id, ip="198.51.100.1")
    add_event(service, clock.now, user_id=stranger.id, ip="198.51.100.2")
    add_event(service, clock.now, kind="token_use", member_id=OTHER_MEMBER, ip="198.51.100.3", detail="Jeton « X »")
    add_event(service, clock.now, kind="token_use", member_id=member_id, ip="198.51.100.5", detail="Jeton « Paie »")
    admin = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    text = html.unescape(service.client().get(PAGE, headers=service.headers(admin)).text)
    assert "198.51.100.1" in text and "198.51.100.5" in text and "Jeton « Paie »" in text
    assert "198.51.100.2" not in text and "198.51.100.3" not in text and "Luc Garage" not in text
    staff = make_principal(staff_roles=("secretariat",))
    everything = service.client().get(PAGE, headers=service.headers(staff)).text
    assert all(ip in everything for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.5"))


def test_users_who_are_not_administrators_are_refused(service, owner, member_id):
    for roles in (("read",), ("billing", "declaration")):
        principal = make_principal(member_id=member_id, roles=roles)
        assert service.client().get(PAGE, headers=service.headers(principal)).status_code == 403
    assert service.client().get(PAGE).status_code == 302  # no session: to the login page


def test_filters_and_pages(service, owner, member_id, clock):
    for minute in range(60):
        add_event(
            service,
            clock.now - timedelta(minutes=minute),
            outcome="failure" if minute % 2 else "success",
            user_id=owner.id,
            ip=f"198.51.100.{minute}",
        )
    add_event(service, clock.now - timedelta(days=40), kind="lockout", user_id=owner.id, ip="192.0.2.99")
    headers = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    client = service.client()
    first = html.unescape(client.get(PAGE, headers=service.headers(headers)).text)
    assert "Événements (61)" in first and "Page 1 sur 2" in first and "198.51.100.0<" in first
    assert "page=2" in first and "192.0.2.99" not in first
    second = html.unescape(client.get(f"{PAGE}?page=2", headers=service.headers(headers)).text)
    assert "192.0.2.99" in second and "Page 2 sur 2" in second
    failures = html.unescape(client.get(f"{PAGE}?resultat=failure", headers=service.headers(headers)).text)
    assert "Événements (30)" in failures
    locks = html.unescape(client.get(f"{PAGE}?type=lockout", headers=service.headers(headers)).text)
    assert "Événements (1)" in locks and "Verrouillage du compte" in locks
    day = (clock.now - timedelta(days=40)).astimezone(PARIS).date().isoformat()  # the page's days are Paris days
    dated = html.unescape(client.get(f"{PAGE}?du={day}&au={day}", headers=service.headers(headers)).text)
    assert "Événements (1)" in dated
    bad = client.get(f"{PAGE}?du=31-02-2026", headers=service.headers(headers))
    assert bad.status_code == 422 and "JJ/MM/AAAA" in html.unescape(bad.text) and 'aria-invalid="true"' in bad.text


def test_a_logout_is_recorded_with_the_session_end(service, pages, owner):
    client = service.client()
    pages.login(client, "1000001")
    response = pages.post(client, "/deconnexion", {}, headers=pages.signed_in(client), form_path="/compte")
    assert response.status_code == 303 and pages.check(client)[0] == 401
    with service.portal.db.session_factory() as db:
        logged = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "logout")).one()
    assert (logged.user_id, logged.outcome) == (owner.id, "success")
