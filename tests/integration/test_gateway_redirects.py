"""The testers' open-redirect findings through the real nginx gateway (docs/security.md VAL-03): a `next` holding a
line break or a tab, or any trick a browser would follow to another site, never leaves the portal, after login as
after re-authentication, and never costs the user a 500 or a session."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest

from tests.integration.identity_gateway import company_administrator, identity_behind_gateway
from tests.integration.test_gateway_sessions import PASSWORD, SESSION, Answer, Browser, Stack

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OFF_SITE = ["//evil.example/phish", "/%09/evil.example/phish", "/\\evil.example/phish", "https://evil.example/"]


@pytest.fixture(scope="module")
def stack(portal_env) -> Iterator[Stack]:
    sources = iter(f"127.0.{third}.{fourth}" for third in range(40, 45) for fourth in range(1, 250))
    with identity_behind_gateway(portal_env, "gateway-redirects") as (port, identity, upstream):
        yield Stack(port, identity, upstream, sources)


@pytest.fixture(scope="module")
def owner(stack) -> str:
    return company_administrator(stack.identity.portal, MEMBER, PASSWORD)


def _form(**fields: str) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())


def _login(browser: Browser, next_path: str) -> Answer:
    token = browser.csrf("/connexion")
    return browser.request(
        "POST", "/connexion", body=_form(identifier="1000001", password=PASSWORD, csrf_token=token, next=next_path)
    )


def _step_up(browser: Browser, next_path: str) -> Answer:
    token = browser.csrf("/compte/verification")
    return browser.request(
        "POST", "/compte/verification", body=_form(password=PASSWORD, csrf_token=token, next=next_path)
    )


def _on_site(answer: Answer) -> None:
    assert answer.status == 303, (answer.status, answer.text[:300])
    location = answer.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and not urlsplit(location).netloc, location
    assert "\\" not in location and "\t" not in location


def test_a_line_break_in_next_at_re_authentication_is_a_french_400_and_the_session_lives_on(stack, owner) -> None:
    browser = stack.browser()
    assert _login(browser, "/").status == 303
    before = browser.cookies[SESSION]
    answer = _step_up(browser, "/compte\r\nX")
    assert answer.status == 400 and "Le champ « next »" in answer.text
    assert browser.cookies[SESSION] == before and browser.request("GET", "/compte").status == 200
    asked = browser.request("GET", "/compte/verification?next=/compte%0D%0AX")
    assert asked.status == 400 and "Saisie refusée" in asked.text


def test_a_tab_in_next_at_login_is_a_french_400_and_opens_no_session(stack, owner) -> None:
    browser = stack.browser()
    answer = _login(browser, "/\t/evil.example/phish")
    assert answer.status == 400 and "Le champ « next »" in answer.text
    assert SESSION not in browser.cookies


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_and_re_authentication_through_the_gateway_stay_on_the_portal(stack, owner, target) -> None:
    browser = stack.browser()
    signed = _login(browser, target)
    _on_site(signed)
    assert signed.headers["Location"] in {"/", "/changer-adherent"}
    again = _step_up(browser, target)
    _on_site(again)
    assert again.headers["Location"] == "/"


def test_a_page_asked_for_before_login_is_where_login_leads(stack, owner) -> None:
    browser = stack.browser()
    sent_back = browser.request("GET", "/compte/mot-de-passe")
    assert sent_back.status == 302 and sent_back.headers["Location"].startswith("/connexion?next=")
    signed = _login(browser, "/compte/mot-de-passe")
    assert signed.status == 303 and signed.headers["Location"] == "/compte/mot-de-passe"
