"""Sign-in limits that fit real offices, through the real nginx gateway and the real identity service
(docs/security.md AUTH-20, AUTH-21): the gateway's ceiling per address lets a whole office sign in at 9 a.m.;
guessing at one account is stopped by identity, sooner from one address than from many, with a French 429 and
`Retry-After`."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher

from identity.accounts import use_cases as accounts
from identity.login import passwords
from tests.integration.identity_gateway import company_administrator, identity_behind_gateway

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
PASSWORD = "une phrase de passe assez longue"
WRONG = "mauvais mot de passe"


@dataclass
class Browser:
    """One person's browser at one client address: keeps the cookies identity sets."""

    port: int
    source: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.text = answer.read().decode("utf-8")  # type: ignore[attr-defined]
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def sign_in(self, identifier: str, password: str = PASSWORD) -> http.client.HTTPResponse:
        page = self.request("GET", "/connexion")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[attr-defined]
        form = {"identifier": identifier, "password": password, "csrf_token": token, "next": "/"}
        return self.request("POST", "/connexion", form)


@pytest.fixture(scope="module")
def stack(portal_env) -> Iterator[tuple[int, object]]:
    # Dozens of sign-ins: one cheap argon2 profile for every hash of the module (the app runs in this process).
    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    passwords._dummy_hash.cache_clear()
    try:
        with identity_behind_gateway(portal_env, "gateway-login-limits") as (port, identity, _upstream):
            company_administrator(identity.portal, MEMBER, PASSWORD)
            yield port, identity
    finally:
        passwords._hasher = real
        passwords._dummy_hash.cache_clear()


def test_forty_people_behind_one_office_address_sign_in_at_nine_and_none_is_refused(stack) -> None:
    port, identity = stack
    for index in range(40):
        accounts.create_user(
            identity.portal,
            email=f"collaborateur{index}@cabinet-durand.fr",
            display_name=f"N° {index}",
            password=PASSWORD,
        )
    answers = []
    for index in range(40):  # one after the other, as fast as the test runs: well within one minute
        browser = Browser(port, "127.0.0.50")
        if index % 4 == 0:  # some mistype their password first
            answers.append(browser.sign_in(f"collaborateur{index}@cabinet-durand.fr", WRONG).status)
        answers.append(browser.sign_in(f"collaborateur{index}@cabinet-durand.fr").status)
    assert answers.count(303) == 40 and set(answers) == {303, 401}


def test_one_address_guessing_at_one_account_gets_a_french_429_with_retry_after_and_the_owner_still_signs_in(
    stack,
) -> None:
    port, _ = stack
    guesser = Browser(port, "127.0.0.61")
    assert [guesser.sign_in("1000001", WRONG).status for _ in range(3)] == [401] * 3
    refused = guesser.sign_in("1000001")
    assert refused.status == 429 and refused.headers["Retry-After"].isdigit()
    assert 'lang="fr"' in refused.text and "Trop de tentatives de connexion" in refused.text  # type: ignore[attr-defined]
    # identity saw the guesser's address through the gateway: the owner, elsewhere, is not held back.
    assert Browser(port, "127.0.0.62").sign_in("1000001").status == 303


def test_one_account_hammered_from_many_addresses_is_limited_by_its_own_counter(stack) -> None:
    port, _ = stack
    statuses = [
        Browser(port, f"127.0.1.{index + 1}").sign_in("chef@boulangerie.fr", WRONG).status for index in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2
    refused = Browser(port, "127.0.1.99").sign_in("chef@boulangerie.fr")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
