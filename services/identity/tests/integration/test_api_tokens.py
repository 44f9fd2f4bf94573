"""Item 10: API tokens for payroll software, created by a company administrator, checked like sessions."""

import html
import re

import pytest
from sqlalchemy import select

from identity.models import ApiToken, SecurityEvent
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
PAGE = "/compte/jetons-api"


def admin_client(service, pages, identifier="1000001"):
    client = service.client()
    assert pages.login(client, identifier).status_code == 303
    pages.step_up(client)  # creating a token is a sensitive change
    return client


def create(pages, client, name="Logiciel de paie", scopes=("employees:read",)):
    response = pages.post(client, PAGE, {"name": name, "scopes": list(scopes)}, headers=pages.signed_in(client))
    assert response.status_code == 200, response.text
    return re.search(r'id="jeton">(spsti_pat_[A-Za-z0-9_-]{43})<', response.text).group(1), response


def gateway_check(service, token, path, method="GET", cookie_client=None):
    client = cookie_client or service.client()
    return client.get(
        "/internal/session",
        headers={
            "Authorization": f"Bearer {token}",
            "X-Original-URI": path,
            "X-Original-Method": method,
            "X-Real-IP": "203.0.113.7",
        },
    )


def passport_of(service, response):
    from portal_common import passport

    return passport.verify(response.headers.get(passport.HEADER), service.portal.settings.passport_keys)


def test_an_administrator_creates_a_token_shown_once_and_stored_hashed(service, pages, owner, smtp):
    client = admin_client(service, pages)
    token, response = create(pages, client)
    assert response.headers["Cache-Control"] == "no-store" and "plus jamais affiché" in html.unescape(response.text)
    with service.portal.db.session_factory() as db:
        row = db.scalars(select(ApiToken)).one()
    assert token not in (row.token_hash, row.hint) and len(row.token_hash) == 64 and token[10:16] == row.hint
    listing = client.get(PAGE, headers=pages.signed_in(client))
    assert "Logiciel de paie" in listing.text and token not in listing.text and "Jamais" in listing.text
    service.deliver_mail()
    assert "jeton" in smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr")["Subject"].lower()


def test_the_form_errors_are_shown_next_to_their_fields(service, pages, owner):
    client = admin_client(service, pages)
    response = pages.post(client, PAGE, {"name": ""}, headers=pages.signed_in(client))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "Donnez un nom au jeton" in text and "Choisissez au moins une autorisation." in text
    with service.portal.db.session_factory() as db:
        assert db.scalar(select(ApiToken)) is None


def test_creating_a_token_needs_a_fresh_step_up(service, pages, owner):
    client = service.client()
    pages.login(client, "1000001")
    response = pages.post(client, PAGE, {"name": "Paie", "scopes": ["employees:read"]}, headers=pages.signed_in(client))
    assert response.status_code == 303 and response.headers["Location"] == f"/compte/verification?next={PAGE}"


def test_only_a_company_administrator_reaches_the_tokens_page(service, pages, owner, member_id):
    reader = make_principal(member_id=member_id, roles=("read",))
    assert service.client().get(PAGE, headers=service.headers(reader)).status_code == 403
    staff = make_principal(staff_roles=("administration",))
    assert service.client().get(PAGE, headers=service.headers(staff)).status_code == 403


def test_a_bearer_token_gets_a_passport_confined_to_its_company_and_scopes(service, pages, owner, member_id, clock):
    token, _ = create(pages, admin_client(service, pages), scopes=("employees:read", "invoices:read"))
    answer = gateway_check(service, token, "/api/workforce/employees?page=1")
    assert answer.status_code == 204
    identity = passport_of(service, answer)
    assert identity.member_id == member_id and identity.roles == {"read"} and identity.staff_roles == frozenset()
    assert identity.grants == {"api_token"} and identity.user_id.startswith("token:")
    assert gateway_check(service, token, "/api/billing/invoices/1").status_code == 204
    assert gateway_check(service, token, "/api/workforce/employees", method="POST").status_code == 403
    assert gateway_check(service, token, "/api/scheduling/appointments").status_code == 403
    assert gateway_check(service, token, "/api/workforce/employees/../../scheduling/x").status_code == 401
    # Never a page, even one of its company.
    assert gateway_check(service, token, "/salaries").status_code == 401
    assert gateway_check(service, token, "/compte/jetons-api").status_code == 401
    assert gateway_check(service, "spsti_pat_" + "A" * 43, "/api/workforce/employees").status_code == 401
    with service.portal.db.session_factory() as db:
        row = db.scalars(select(ApiToken)).one()
        assert row.last_used_at == clock.now and row.last_used_ip == "203.0.113.7"
        uses = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "token_use")).all()
    assert {(e.outcome, e.member_id) for e in uses} >= {("success", member_id), ("refused", member_id)}
    assert all(token not in (e.detail or "") for e in uses)


def test_a_bearer_token_wins_over_a_session_cookie_sent_alongside(service, pages, owner):
    client = admin_client(service, pages)
    token, _ = create(pages, client, scopes=("invoices:read",))
    answer = gateway_check(service, token, "/api/workforce/employees", cookie_client=client)
    assert answer.status_code == 403  # not the administrator's session rights
    assert client.get("/internal/session", headers={"Authorization": "Bearer pas-un-jeton"}).status_code == 401


def test_a_revoked_token_stops_at_once_and_only_its_company_may_revoke_it(service, pages, owner, member_id):
    client = admin_client(service, pages)
    token, _ = create(pages, client)
    with service.portal.db.session_factory() as db:
        token_id = db.scalar(select(ApiToken.id))
    pages.register_member(OTHER_MEMBER, "1000002", "Garage du Centre")
    other = make_principal(member_id=OTHER_MEMBER, roles=("admin",))
    foreign = service.client()
    csrf = pages.csrf(foreign.get(PAGE, headers=service.headers(other)).text)
    refused = foreign.post(f"{PAGE}/{token_id}/revocation", data={"csrf_token": csrf}, headers=service.headers(other))
    assert refused.status_code == 404
    assert gateway_check(service, token, "/api/workforce/employees").status_code == 204
    assert token_id not in foreign.get(PAGE, headers=service.headers(other)).text
    revoked = pages.post(client, f"{PAGE}/{token_id}/revocation", {}, headers=pages.signed_in(client), form_path=PAGE)
    assert revoked.status_code == 303
    assert gateway_check(service, token, "/api/workforce/employees").status_code == 401
    assert "Révoqué le" in html.unescape(client.get(PAGE, headers=pages.signed_in(client)).text)


def test_an_expired_token_is_refused(service, pages, owner, clock):
    token, _ = create(pages, admin_client(service, pages))
    clock.advance(days=366)
    assert gateway_check(service, token, "/api/workforce/employees").status_code == 401
