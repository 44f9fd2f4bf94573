"""Item 8: TOTP second factor, mandatory enrolment for staff and accounting firms, recovery codes, step-up."""

import html
import re

import pyotp
import pytest
from sqlalchemy import select

from identity.accounts import queries as account_queries
from identity.accounts import use_cases as accounts
from identity.mfa import queries as mfa_queries
from identity.mfa import use_cases as second_factor
from identity.models import RecoveryCode, SecurityEvent, TotpFactor
from identity.security_log.rules import Client
from identity.web import PLAIN_NAME

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
FIRM_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


@pytest.fixture
def staff(service):
    return accounts.create_user(
        service.portal,
        email="secretariat@spsti.fr",
        display_name="Sophie Secrétariat",
        password=PASSWORD,
        staff_roles=("secretariat",),
    )


@pytest.fixture
def firm(service, pages, member_id):
    pages.register_member(FIRM_MEMBER, "1000002", "Garage du Centre")
    user = accounts.create_user(
        service.portal, email="cabinet@fiducia.fr", display_name="Cabinet Fiducia", password=PASSWORD
    )
    accounts.link_member(
        service.portal, user_id=user.id, member_id=FIRM_MEMBER, roles=("declaration",), kind="delegate"
    )
    return user


def cookie(client):
    return client.get_cookie(PLAIN_NAME).value


def manual_key(page_html):
    return re.search(r'id="cle-manuelle">([A-Z2-7 ]+)<', page_html).group(1).replace(" ", "")


def test_staff_must_enrol_at_their_next_login_and_nothing_opens_before(service, pages, staff, smtp):
    client = service.client()
    response = pages.login(client, "secretariat@spsti.fr")
    assert (
        response.status_code == 303 and response.headers["Location"] == "/connexion/double-authentification/activation"
    )
    pending = cookie(client)
    assert pages.check(client)[0] == 401  # the gateway opens nothing yet
    page = client.get("/connexion/double-authentification/activation")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<svg" in page.text and "obligatoire" in html.unescape(page.text)
    secret = manual_key(page.text)
    assert manual_key(client.get("/connexion/double-authentification/activation").text) == secret  # reload: same key
    wrong = pages.post(client, "/connexion/double-authentification/activation", {"code": "000000"})
    assert wrong.status_code == 422 and "Code incorrect" in html.unescape(wrong.text)
    with service.portal.db.session_factory() as db:
        assert mfa_queries.confirmed_factor(db, staff.id) is None
        assert secret not in (db.get(TotpFactor, staff.id).pending_secret or "")  # sealed, never in clear
    done = pages.post(client, "/connexion/double-authentification/activation", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.text)
    assert len(set(codes)) == 10
    assert cookie(client) != pending  # a new session id once the second factor is there
    status, identity = pages.check(client)
    assert status == 204 and identity.staff_roles == {"secretariat"}
    with service.portal.db.session_factory() as db:
        stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == staff.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    service.deliver_mail()
    assert smtp.wait_for(lambda m: m["To"] == "secretariat@spsti.fr")["Subject"].startswith("Double authentification")


def test_an_accounting_firm_user_must_enrol_too_but_a_member_user_need_not(service, pages, firm, owner):
    response = pages.login(service.client(), "cabinet@fiducia.fr")
    assert response.headers["Location"] == "/connexion/double-authentification/activation"
    member_login = pages.login(service.client(), "1000001")
    assert not member_login.headers["Location"].startswith("/connexion/double-authentification")


def test_enrolment_can_be_left_to_the_setting_for_the_demo(service, pages, staff, monkeypatch):
    monkeypatch.setattr(service.portal.settings, "mfa_mandatory", False)
    client = service.client()
    assert pages.login(client, "secretariat@spsti.fr").status_code == 303
    assert pages.check(client)[0] == 204


def test_an_enrolled_user_gives_a_code_after_the_password_and_gets_a_new_session_id(service, pages, owner, clock):
    secret = pages.enrol_totp(owner.id)
    client = service.client()
    response = pages.login(client, "1000001", next_path="/factures")
    assert response.headers["Location"] == "/connexion/double-authentification?next=/factures"
    pending = cookie(client)
    assert pages.check(client)[0] == 401
    wrong = pages.post(client, "/connexion/double-authentification", {"code": "123456", "next": "/factures"})
    assert wrong.status_code == 401 and "Code incorrect" in html.unescape(wrong.text)
    malformed = pages.post(client, "/connexion/double-authentification", {"code": "abc", "next": "/factures"})
    assert malformed.status_code == 422
    code = pages.totp(owner.id, secret)
    done = pages.post(client, "/connexion/double-authentification", {"code": code, "next": "/factures"})
    assert done.status_code == 303 and done.headers["Location"] == "/factures"
    assert cookie(client) != pending and pages.check(client)[0] == 204
    # The same code never works twice.
    again = service.client()
    pages.login(again, "1000001")
    assert pages.post(again, "/connexion/double-authentification", {"code": code}).status_code == 401


def test_a_recovery_code_replaces_the_app_once(service, pages, owner):
    user = account_queries.get_user(service.portal, owner.id)
    enrolment = second_factor.begin_enrolment(service.portal, user)
    codes = second_factor.confirm_enrolment(service.portal, user, pyotp.TOTP(enrolment.secret).now(), Client())
    client = service.client()
    pages.login(client, "1000001")
    done = pages.post(client, "/connexion/double-authentification", {"code": codes[0].upper()})
    assert done.status_code == 303 and pages.check(client)[0] == 204
    replay = service.client()
    pages.login(replay, "1000001")
    assert pages.post(replay, "/connexion/double-authentification", {"code": codes[0]}).status_code == 401
    with service.portal.db.session_factory() as db:
        assert mfa_queries.recovery_codes_left(db, owner.id) == 9
        kinds = set(db.scalars(select(SecurityEvent.kind).where(SecurityEvent.user_id == owner.id)))
    assert {"mfa_recovery_code_used", "mfa_login", "mfa_enrolment"} <= kinds


def test_wrong_codes_count_towards_the_account_lockout(service, pages, owner, clock):
    secret = pages.enrol_totp(owner.id)
    client = service.client()
    pages.login(client, "1000001")
    statuses = [  # from six addresses: the account's limits, not the sooner ones of one address
        pages.post(
            client, "/connexion/double-authentification", {"code": "000000"}, headers={"X-Real-IP": f"198.51.100.{i}"}
        ).status_code
        for i in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429  # the growing delay from the 5th failure
    blocked = pages.post(client, "/connexion/double-authentification", {"code": pages.totp(owner.id, secret)})
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text


def test_a_waiting_login_expires_after_ten_minutes(service, pages, owner, clock):
    pages.enrol_totp(owner.id)
    client = service.client()
    pages.login(client, "1000001")
    clock.advance(minutes=10)
    response = client.get("/connexion/double-authentification")
    assert response.status_code == 303 and response.headers["Location"] == "/connexion"


def test_a_step_up_is_a_grant_for_five_minutes_on_a_new_session_id(service, pages, owner, clock):
    client = service.client()
    pages.login(client, "1000001")
    assert "step_up" not in pages.check(client)[1].grants
    before = cookie(client)
    wrong = pages.post(
        client, "/compte/verification", {"password": "pas le bon", "next": "/compte"}, headers=pages.signed_in(client)
    )
    assert wrong.status_code == 401 and "Mot de passe incorrect" in wrong.text
    pages.step_up(client)
    assert cookie(client) != before
    replay = service.client()
    replay.set_cookie(PLAIN_NAME, before)
    assert pages.check(replay)[0] == 401
    identity = pages.check(client)[1]
    assert "step_up" in identity.grants and identity.member_id == pages.check(client)[1].member_id
    clock.advance(minutes=5)
    assert "step_up" not in pages.check(client)[1].grants


def test_an_enrolled_user_steps_up_with_a_code_not_the_password(service, pages, owner, clock):
    secret = pages.enrol_totp(owner.id)
    client = service.client()
    pages.login_with_totp(client, "1000001", secret, owner.id)
    page = client.get("/compte/verification", headers=pages.signed_in(client))
    assert 'name="code"' in page.text and 'name="password"' not in page.text
    clock.advance(seconds=30)
    pages.step_up(client, code=pages.totp(owner.id, secret))
    assert "step_up" in pages.check(client)[1].grants


def test_sensitive_pages_ask_for_a_step_up_first(service, pages, owner):
    client = service.client()
    pages.login(client, "1000001")
    headers = pages.signed_in(client)
    for path in ("/compte/mot-de-passe", "/compte/double-authentification/activation"):
        response = client.get(path, headers=headers)
        assert response.status_code == 303 and response.headers["Location"] == f"/compte/verification?next={path}"
    # Members' SEPA mandate sends the user through /compte?reauthentification=…
    response = client.get("/compte?reauthentification=/adherent/prelevement", headers=headers)
    assert response.headers["Location"] == "/compte/verification?next=/adherent/prelevement"
    evil = client.get("/compte?reauthentification=https://evil.example", headers=headers)
    assert evil.headers["Location"] == "/compte/verification?next=/"


def test_an_activation_sent_again_with_the_code_that_confirmed_it_is_told_the_factor_is_on(service, pages, owner):
    """A double click on « Activer » whose first answer (the recovery codes) the browser dropped: the code was just
    used, so the second is told in French the factor is on and where to get new codes; no new QR code."""
    client = service.client()
    pages.login(client, "1000001")
    pages.step_up(client)
    path = "/compte/double-authentification/activation"
    secret = manual_key(client.get(path, headers=pages.signed_in(client)).text)
    code = pyotp.TOTP(secret).now()
    done = pages.post(client, path, {"code": code}, headers=pages.signed_in(client))
    assert done.status_code == 200
    again = pages.post(client, path, {"code": code}, headers=pages.signed_in(client))
    assert again.status_code == 303 and again.headers["Location"] == "/compte/double-authentification"
    shown = html.unescape(client.get("/compte/double-authentification", headers=pages.signed_in(client)).text)
    assert "déjà activée avec ce code" in shown and "Codes de secours restants : 10" in shown
    wrong = "000000" if code != "000000" else "111111"
    refused = pages.post(client, path, {"code": wrong}, headers=pages.signed_in(client))
    assert refused.status_code == 422  # any other code is an enrolment of a new app, checked as such
    with service.portal.db.session_factory() as db:
        outcomes = db.scalars(select(SecurityEvent.outcome).where(SecurityEvent.kind == "mfa_enrolment")).all()
        assert sorted(outcomes) == ["failure", "success"] and mfa_queries.has_factor(db, owner.id)


def test_a_member_enrols_from_the_account_page_and_may_disable_it_but_staff_may_not(
    service, pages, owner, staff, monkeypatch
):
    client = service.client()
    pages.login(client, "1000001")
    pages.step_up(client)
    page = client.get("/compte/double-authentification/activation", headers=pages.signed_in(client))
    secret = manual_key(page.text)
    done = pages.post(
        client,
        "/compte/double-authentification/activation",
        {"code": pyotp.TOTP(secret).now()},
        headers=pages.signed_in(client),
    )
    assert done.status_code == 200 and len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", done.text)) == 10
    status = client.get("/compte/double-authentification", headers=pages.signed_in(client))
    assert "Codes de secours restants : 10" in status.text
    off = pages.post(
        client,
        "/compte/double-authentification/desactivation",
        {},
        headers=pages.signed_in(client),
        form_path="/compte/double-authentification",
    )
    assert off.status_code == 303
    with service.portal.db.session_factory() as db:
        assert not mfa_queries.has_factor(db, owner.id) and mfa_queries.recovery_codes_left(db, owner.id) == 0
    # Staff keep theirs.
    monkeypatch.setattr(service.portal.settings, "mfa_mandatory", True)
    assert second_factor.disable(service.portal, account_queries.get_user(service.portal, staff.id), Client()) is False
