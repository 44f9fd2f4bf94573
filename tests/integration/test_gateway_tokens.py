"""The real nginx gateway in front of the real identity service: API tokens through the session check, and the
per-address rate limit of the sign-in forms (docs/decisions/0008-api-tokens-checked-by-the-gateway.md,
docs/security.md AUTH-21)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway import render
from identity.api_tokens import queries as api_token_queries
from identity.api_tokens import use_cases as api_tokens
from identity.security_log.rules import Client
from portal_common import passport
from tests.integration.identity_gateway import company_administrator, identity_behind_gateway
from tests.integration.test_gateway_config import StubServer

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Stack:
    port: int
    identity: object
    upstream: StubServer

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        source: str = "127.0.0.1",
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return Answer(answer.status, answer.headers, answer.read())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def stack(portal_env) -> Iterator[Stack]:
    with identity_behind_gateway(portal_env, "gateway-tokens") as (port, identity, upstream):
        yield Stack(port, identity, upstream)


@pytest.fixture(scope="module")
def company(stack) -> str:
    return company_administrator(stack.identity.portal, MEMBER, "une phrase de passe assez longue")


def new_token(stack: Stack, company: str, scopes: list[str]) -> api_tokens.Created:
    return api_tokens.create(
        stack.identity.portal,
        member_id=MEMBER,
        name="Logiciel de paie",
        scopes=scopes,
        creator_id=company,
        client=Client(),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_payroll_software_reaches_the_api_with_its_token_and_the_service_gets_a_confined_passport(
    stack, company
) -> None:
    created = new_token(stack, company, ["employees:read"])
    answer = stack.request("GET", "/api/workforce/employees?page=1", headers=bearer(created.token))
    assert answer.status == 200
    echoed = answer.json()
    assert echoed["path"] == "/api/workforce/employees?page=1"
    sent = [value for name, value in echoed["headers"] if name.lower() == passport.HEADER.lower()]
    identity = passport.verify(sent[0], stack.identity.portal.settings.passport_keys)
    assert identity.member_id == MEMBER and identity.roles == {"read"} and identity.grants == {"api_token"}
    # The service gets the passport, never the token itself.
    assert not [value for name, value in echoed["headers"] if name.lower() == "authorization"]
    # The software may ask who it is, from identity itself behind the gateway.
    me = stack.request("GET", "/api/identity/me", headers=bearer(created.token))
    assert me.status == 200 and me.json()["member_id"] == MEMBER and me.json()["display_name"].startswith("Jeton API")


def test_a_payroll_software_token_sends_the_months_dsn_and_follows_its_status_through_the_gateway(
    stack, company
) -> None:
    created = new_token(stack, company, ["employees:write"])
    boundary = "dsn-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="mars.dsn"\r\n'
        "Content-Type: text/plain\r\n\r\nS10.G00.00.001,'Logiciel de paie'\r\n"
        f"--{boundary}--\r\n"
    )
    headers = {**bearer(created.token), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    for method, path, sent in (
        ("POST", "/api/workforce/dsn-imports", body),
        ("GET", "/api/workforce/dsn-imports/42", None),
        ("POST", "/api/workforce/dsn-imports/42/apply", ""),
    ):
        answer = stack.request(method, path, headers=headers if sent else bearer(created.token), body=sent)
        assert answer.status == 200, (path, answer.body)
        echoed = answer.json()
        assert (echoed["method"], echoed["path"]) == (method, path)
        [signed] = [value for name, value in echoed["headers"] if name.lower() == passport.HEADER.lower()]
        identity = passport.verify(signed, stack.identity.portal.settings.passport_keys)
        # The role the DSN import's routes ask of a member (EMPLOYEE_KEEPERS), on the token's own company.
        assert identity.member_id == MEMBER and identity.roles == {"declaration"}
    # A read-only token may not send one.
    reader = new_token(stack, company, ["employees:read"])
    refused = stack.request(
        "POST", "/api/workforce/dsn-imports", headers={**headers, **bearer(reader.token)}, body=body
    )
    assert refused.status == 403


def test_a_token_outside_its_scopes_gets_a_json_403(stack, company) -> None:
    created = new_token(stack, company, ["employees:read"])
    for method, path in (("POST", "/api/workforce/employees"), ("GET", "/api/billing/invoices")):
        answer = stack.request(
            method,
            path,
            headers={**bearer(created.token), "Content-Type": "application/json"},
            body="{}" if method == "POST" else None,
        )
        assert answer.status == 403, path
        assert answer.json()["code"] == 403 and answer.headers["Content-Type"].startswith("application/json")


def test_a_token_never_opens_a_page_and_its_client_gets_a_french_json_401_not_a_login_redirect(stack, company) -> None:
    created = new_token(stack, company, ["employees:read", "invoices:read"])
    for token in (created.token, "spsti_pat_" + "x" * 43, "pas-un-jeton"):
        for method, path in (("GET", "/salaries"), ("GET", "/"), ("POST", "/adherent")):
            answer = stack.request(method, path, headers=bearer(token))
            assert answer.status == 401, (token, path)
            assert "Location" not in answer.headers
            assert answer.headers["Content-Type"].startswith("application/json")
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
            body = answer.json()
            assert body["code"] == 401 and body["reason"] == "authentication_required"
            assert "jeton d'API" in body["message"] and b"Redirecting" not in answer.body
    # No page reached the service behind the gateway.
    assert not [path for _, path, _ in stack.upstream.received if not path.startswith("/api/")]


def test_a_browser_without_a_session_still_goes_to_the_login_page_with_a_french_body(stack) -> None:
    answer = stack.request("GET", "/salaries?lettre=B")
    assert answer.status == 302 and answer.headers["Location"] == "/connexion?next=/salaries%3Flettre%3DB"
    assert b"Redirecting" not in answer.body and b"Connexion requise" in answer.body


def test_a_revoked_or_unknown_token_gets_a_json_401(stack, company) -> None:
    created = new_token(stack, company, ["invoices:read"])
    assert stack.request("GET", "/api/billing/invoices", headers=bearer(created.token)).status == 200
    assert api_tokens.revoke(
        stack.identity.portal, member_id=MEMBER, token_id=created.row.id, actor_id=company, client=Client()
    )
    answer = stack.request("GET", "/api/billing/invoices", headers=bearer(created.token))
    assert answer.status == 401 and answer.json()["message"] == "Authentification requise."
    assert stack.request("GET", "/api/billing/invoices", headers=bearer("spsti_pat_" + "x" * 43)).status == 401


def test_the_token_use_is_dated_with_the_address_the_gateway_saw(stack, company) -> None:
    created = new_token(stack, company, ["invoices:read"])
    stack.request("GET", "/api/billing/invoices", headers=bearer(created.token), source="127.0.0.9")
    row = next(t for t in api_token_queries.for_member(stack.identity.portal, MEMBER) if t.id == created.row.id)
    assert row.last_used_at is not None and row.last_used_ip == "127.0.0.9"


@pytest.mark.parametrize(
    "path, octet",
    [
        ("/connexion", 2),
        ("/connexion/code", 3),
        ("/connexion/mot-de-passe-oublie", 4),
        ("/connexion/premier-compte", 5),
        ("/connexion/double-authentification", 6),
    ],
)
def test_sign_in_form_posts_are_rate_limited_per_address_with_a_french_page(stack, path, octet) -> None:
    source, other = f"127.0.0.{octet}", f"127.0.1.{octet}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    statuses = []  # an office's burst passes, then the ceiling holds (gateway.render.LOGIN_BURST, AUTH-21)
    while len(statuses) < 400 and 429 not in statuses:
        statuses.append(stack.request("POST", path, headers=form, body="a=b", source=source).status)
    assert 429 not in statuses[: render.LOGIN_BURST] and statuses[-1] == 429
    limited = stack.request("POST", path, headers=form, body="a=b", source=source)
    assert limited.status == 429 and limited.headers["Retry-After"] == "60"
    assert "Trop de tentatives" in limited.body.decode("utf-8") and 'lang="fr"' in limited.body.decode("utf-8")
    # Another address is not held back, and reading the form never is.
    assert stack.request("POST", path, headers=form, body="a=b", source=other).status != 429
    assert stack.request("GET", "/connexion", source=source).status == 200
