"""Every `next` of identity goes through portal_common.redirects.safe_path (docs/security.md VAL-03): login,
second factor, re-authentication and members' `/compte?reauthentification=`; the testers' two findings first."""

from urllib.parse import urlsplit

import pytest

from identity.web import PLAIN_NAME

pytestmark = pytest.mark.integration

# What a browser would turn into another site, each written so that it passes the input boundary (no raw control
# character: those are refused at the boundary, see the first tests) and must be caught by safe_path itself.
OFF_SITE = [
    "//evil.example/phish",
    "/%09/evil.example/phish",
    "/%2F/evil.example/phish",
    "/\\evil.example/phish",
    "https://evil.example/phish",
    "/%5Cevil.example",
    "/connexion?next=//evil.example",
]


def _stays_home(response) -> None:
    assert response.status_code == 303, response.text[:300]
    location = response.headers["Location"]
    assert location == "/" or location == "/changer-adherent", location
    assert not urlsplit(location).netloc


def test_a_line_break_in_next_at_re_authentication_is_refused_before_the_session_is_replaced(service, pages, owner):
    client = service.client()
    pages.login(client, "1000001")
    before = client.get_cookie(PLAIN_NAME).value
    headers = pages.signed_in(client)
    answer = pages.post(
        client,
        "/compte/verification",
        {"password": "une phrase de passe assez longue", "next": "/compte\r\nX"},
        headers=headers,
    )
    assert answer.status_code == 400 and "Le champ « next »" in answer.text
    assert client.get_cookie(PLAIN_NAME).value == before and pages.check(client)[0] == 204
    asked = client.get("/compte/verification?next=/compte%0D%0AX", headers=headers)
    assert asked.status_code == 400 and "Saisie refusée" in asked.text


def test_a_tab_in_next_at_login_is_refused_and_opens_no_session(service, pages, owner):
    client = service.client()
    answer = pages.login(client, "1000001", next_path="/\t/evil.example/phish")
    assert answer.status_code == 400 and "Le champ « next »" in answer.text
    assert pages.check(client)[0] == 401


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_the_browser_to_another_site(service, pages, owner, target):
    _stays_home(pages.login(service.client(), "1000001", next_path=target))


@pytest.mark.parametrize("target", OFF_SITE)
def test_re_authentication_never_sends_the_browser_to_another_site(service, pages, owner, target):
    client = service.client()
    pages.login(client, "1000001")
    answer = pages.post(
        client,
        "/compte/verification",
        {"password": "une phrase de passe assez longue", "next": target},
        headers=pages.signed_in(client),
    )
    _stays_home(answer)


def test_the_second_factor_never_sends_the_browser_to_another_site(service, pages, owner):
    secret = pages.enrol_totp(owner.id)
    client = service.client()
    first = pages.login(client, "1000001", next_path="/salaries")
    assert first.headers["Location"] == "/connexion/double-authentification?next=/salaries"
    answer = pages.post(
        client,
        "/connexion/double-authentification",
        {"code": pages.totp(owner.id, secret), "next": "//evil.example/phish"},
        form_path=first.headers["Location"],
    )
    _stays_home(answer)


def test_a_local_page_asked_for_is_where_login_and_re_authentication_lead(service, pages, owner):
    client = service.client()
    assert pages.login(client, "1000001", next_path="/salaries?page=2").headers["Location"] == "/salaries?page=2"
    answer = pages.post(
        client,
        "/compte/verification",
        {"password": "une phrase de passe assez longue", "next": "/adherent/prelevement"},
        headers=pages.signed_in(client),
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/adherent/prelevement"


def test_another_service_asking_for_a_step_up_cannot_pass_an_off_site_return(service, pages, owner):
    client = service.client()
    pages.login(client, "1000001")
    answer = client.get("/compte?reauthentification=//evil.example/phish", headers=pages.signed_in(client))
    assert answer.status_code == 303 and answer.headers["Location"] == "/compte/verification?next=/"
