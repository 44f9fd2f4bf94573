"""docs/security.md section 1 cases not proven elsewhere, through the identity app on PostgreSQL.

Sessions (SESS-01, 03, 04, 05, 08), cookies (SESS-02), CSRF-01/02, passwords as typed and up to 128 characters
(AUTH-02, 05), the blocklist through the pages (AUTH-04), weaker hashes upgraded (AUTH-07), account-keyed
throttling whatever the source address (AUTH-20), reset links (AUTH-31, 32, 35).
"""

from __future__ import annotations

import base64
import logging
import re
import string

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select, update

from identity.accounts import use_cases as accounts
from identity.app import create_app
from identity.login.passwords import common_passwords
from identity.models import Base, OneTimeLink, SecurityEvent, User
from identity.recovery import captcha
from identity.sessions import use_cases as sessions
from identity.web import HOST_NAME, PLAIN_NAME
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "le chat dort sur la commode bleue"
OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
PUBLIC_URL = "http://127.0.0.1:8080"


def recording(client, seen: list[str]):
    """Every Set-Cookie header the client receives, whatever helper made the request."""
    original = client.open

    def open_and_record(*args, **kwargs):
        response = original(*args, **kwargs)
        seen.extend(response.headers.getlist("Set-Cookie"))
        return response

    client.open = open_and_record
    return client


def attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    name = set_cookie.split("=", 1)[0]
    parts = [part.strip() for part in set_cookie.split(";")[1:]]
    return name, {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


def signed_in(service, pages, identifier="1000001", password=PASSWORD):
    client = service.client()
    assert pages.login(client, identifier, password=password).status_code == 303
    return client


# --- SESS-03: a session id known before the login is never the one after ----------------------------------------


def test_a_session_id_planted_before_login_is_replaced_and_stays_rejected(service, owner, pages):
    client = service.client()
    client.set_cookie(PLAIN_NAME, "attacker-chosen-value-" + "a" * 30)
    assert pages.check(client)[0] == 401
    assert pages.login(client, "1000001").status_code == 303
    issued = client.get_cookie(PLAIN_NAME).value
    assert issued != "attacker-chosen-value-" + "a" * 30 and pages.check(client)[0] == 204
    attacker = service.client()
    attacker.set_cookie(PLAIN_NAME, "attacker-chosen-value-" + "a" * 30)
    assert pages.check(attacker)[0] == 401


def test_the_session_id_of_a_login_waiting_for_its_second_factor_dies_when_the_login_completes(service, owner, pages):
    secret = pages.enrol_totp(owner.id)
    client = service.client()
    waiting = pages.login(client, "1000001")
    assert waiting.headers["Location"].startswith("/connexion/double-authentification")
    pre_login = client.get_cookie(PLAIN_NAME).value
    assert pages.check(client)[0] == 401  # nothing opens before the second factor
    done = pages.post(
        client,
        "/connexion/double-authentification",
        {"code": pages.totp(owner.id, secret)},
        form_path=waiting.headers["Location"],
    )
    assert done.status_code == 303 and pages.check(client)[0] == 204
    assert client.get_cookie(PLAIN_NAME).value != pre_login
    replay = service.client()
    replay.set_cookie(PLAIN_NAME, pre_login)
    assert pages.check(replay)[0] == 401


# --- SESS-02: cookie attributes ----------------------------------------------------------------------------------


def test_every_set_cookie_of_the_sign_in_journeys_is_httponly_samesite_lax_on_the_whole_site(
    service, owner, pages, smtp, member_id
):
    seen: list[str] = []
    client = recording(service.client(), seen)
    pages.login(client, "1000001", password="mauvais mot de passe")
    pages.login(client, "1000001")
    pages.step_up(client)
    headers = pages.signed_in(client)
    client.get("/compte/mot-de-passe", headers=headers)
    pages.post(client, "/changer-adherent", {"member_id": member_id}, headers=headers)
    headers = pages.signed_in(client)
    pages.post(client, "/deconnexion", {}, headers=headers, form_path="/compte")  # flash message, cookie cleared
    client.get("/connexion")
    coded = recording(service.client(), seen)
    pages.post(coded, "/connexion/code", {"email": "chef@boulangerie.fr"})
    service.deliver_mail()
    code = re.search(r"\b(\d{6})\b", smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr").get_content())[1]
    assert pages.post(coded, "/connexion/code/saisie", {"code": code}).status_code == 303
    names = {attributes(header)[0] for header in seen}
    assert {PLAIN_NAME, "portal_presession", "portal_flash"} <= names
    for header in seen:
        name, attrs = attributes(header)
        assert "httponly" in attrs, header
        assert attrs.get("samesite") == "Lax", header
        assert attrs.get("path") == "/", header
        assert "domain" not in attrs, header  # host-only: never shared with another sub-domain
        if name == PLAIN_NAME and "expires" not in attrs:
            assert "max-age" not in attrs, header  # the server decides the lifetime, not the browser


@pytest.fixture
def tls_app(portal_env, service):
    """The same service and database as `service`, configured as behind TLS (PORTAL_SECURE_COOKIES)."""
    app = create_app(environ=portal_env.environ("identity", service.database_url, PORTAL_SECURE_COOKIES="true"))
    app.config["TESTING"] = True
    yield app
    app.extensions["portal"].db.dispose()


def tls_journey(tls_app, pages) -> list[str]:
    seen: list[str] = []
    client = recording(tls_app.test_client(), seen)
    https = {"base_url": "https://127.0.0.1"}
    token = pages.csrf(client.get("/connexion", **https).text)
    login = client.post(
        "/connexion", data={"identifier": "1000001", "password": PASSWORD, "csrf_token": token, "next": "/"}, **https
    )
    assert login.status_code == 303, login.text
    session_cookie = client.get_cookie(HOST_NAME, domain="127.0.0.1")
    status = client.get("/internal/session", **https)
    assert status.status_code == 204 and session_cookie is not None
    return seen


def test_under_tls_the_session_cookie_is_host_prefixed_and_secure(tls_app, owner, pages):
    seen = tls_journey(tls_app, pages)
    session_cookies = [h for h in seen if attributes(h)[0] == HOST_NAME]
    assert session_cookies and not [h for h in seen if attributes(h)[0] == PLAIN_NAME]
    for header in session_cookies:
        _, attrs = attributes(header)
        assert {"secure", "httponly"} <= set(attrs) and attrs["samesite"] == "Lax" and attrs["path"] == "/"
        assert "domain" not in attrs


def test_under_tls_every_cookie_is_secure(tls_app, owner, pages):
    for header in tls_journey(tls_app, pages):
        assert "secure" in attributes(header)[1], header


def test_under_tls_every_cookie_is_host_prefixed(tls_app, owner, pages):
    for header in tls_journey(tls_app, pages):
        assert attributes(header)[0].startswith("__Host-"), header


# --- SESS-04: idle and absolute lifetimes, on the server ----------------------------------------------------------


def test_a_member_session_lives_on_while_used_and_dies_after_thirty_idle_minutes(service, owner, pages, clock):
    client = signed_in(service, pages)
    for _ in range(3):
        clock.advance(minutes=29, seconds=59)
        assert pages.check(client)[0] == 204
    clock.advance(minutes=30)
    assert pages.check(client)[0] == 401
    assert pages.check(client)[0] == 401  # dead, not asleep: the refused request did not revive it


def test_a_staff_session_dies_after_fifteen_idle_minutes(service, pages, clock):
    staff = accounts.create_user(
        service.portal,
        email="secretariat@spsti.fr",
        display_name="Sophie",
        password=PASSWORD,
        staff_roles=("secretariat",),
    )
    secret = pages.enrol_totp(staff.id)
    client = service.client()
    assert pages.login_with_totp(client, "secretariat@spsti.fr", secret, staff.id).status_code == 303
    clock.advance(minutes=14, seconds=59)
    assert pages.check(client)[0] == 204
    clock.advance(minutes=15)
    assert pages.check(client)[0] == 401


def test_a_session_used_all_day_ends_twelve_hours_after_the_login(service, owner, pages, clock):
    client = signed_in(service, pages)
    for _ in range(28):  # a request every 25 minutes: never idle
        clock.advance(minutes=25)
        assert pages.check(client)[0] == 204
    clock.advance(minutes=19, seconds=59)  # 11 h 59 min 59 s after the login
    assert pages.check(client)[0] == 204
    clock.advance(seconds=1)
    assert pages.check(client)[0] == 401


# --- SESS-05: a disabled account has no session left ------------------------------------------------------------


def test_disabling_an_account_makes_all_its_sessions_unusable_at_once(service, owner, pages):
    clients = [signed_in(service, pages) for _ in range(2)]
    with service.portal.uow() as tx:
        tx.session.execute(update(User).where(User.id == owner.id).values(is_active=False))
        tx.commit()
    assert [pages.check(c)[0] for c in clients] == [401, 401]
    assert pages.login(service.client(), "1000001").status_code == 401


# --- SESS-01 / SESS-08: opaque ids of 256 bits, kept hashed, never written out ----------------------------------


def test_ten_thousand_session_ids_are_distinct_256_bit_values_and_only_their_hash_is_kept(service, owner):
    alphabet = set(string.ascii_letters + string.digits + "-_")
    with service.portal.db.session_factory() as db:
        opened = [sessions.start(db, service.portal, owner.id, member_id=None, user_agent=None) for _ in range(10_000)]
        db.flush()
        stored = set(db.scalars(select(sessions.Session.token_hash)))
        db.rollback()
    tokens = [o.token for o in opened]
    assert len(set(tokens)) == 10_000
    assert all(len(t) == 43 and set(t) <= alphabet for t in tokens)
    assert all(len(base64.urlsafe_b64decode(t + "=")) == 32 for t in tokens[:100])
    assert not stored & set(tokens) and {sessions.hash_token(t) for t in tokens} <= stored


def test_the_session_token_is_never_written_to_the_logs_or_the_database(service, owner, pages, caplog):
    caplog.set_level(logging.DEBUG)
    client = signed_in(service, pages)
    token = client.get_cookie(PLAIN_NAME).value
    pages.step_up(client)
    pages.post(client, "/deconnexion", {}, headers=pages.signed_in(client), form_path="/compte")
    assert token not in caplog.text
    with service.portal.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dumped = " ".join(str(row) for row in conn.execute(select(table)))
            assert token not in dumped, table.name


# --- AUTH-02 / AUTH-05: passwords up to 128 characters, verified exactly as typed --------------------------------


@pytest.mark.parametrize(
    "typed", [PASSWORD.upper(), PASSWORD + " ", PASSWORD[:-1], " " + PASSWORD, PASSWORD.replace("e", "é", 1)]
)
def test_a_password_differing_in_case_spacing_or_one_character_is_refused(service, owner, pages, typed):
    assert pages.login(service.client(), "1000001", password=typed).status_code == 401
    assert pages.login(service.client(), "1000001").status_code == 303


def test_a_128_character_password_is_chosen_and_used_as_typed(service, owner, pages):
    long = ("les hirondelles du canal reviennent chaque printemps vers le vieux moulin " * 2)[:128]
    client = signed_in(service, pages)
    pages.step_up(client)
    changed = pages.post(
        client,
        "/compte/mot-de-passe",
        {"current_password": PASSWORD, "new_password": long, "confirmation": long},
        headers=pages.signed_in(client),
    )
    assert changed.status_code == 303, changed.text
    assert pages.login(service.client(), "1000001", password=long).status_code == 303
    assert pages.login(service.client(), "1000001", password=long[:127]).status_code == 401


# --- AUTH-04: the shipped blocklist and the context words, through the page --------------------------------------


def test_common_passwords_from_the_shipped_list_and_context_words_are_refused_on_the_page(service, owner, pages):
    common = common_passwords()
    assert len(common) >= 10_000
    long_enough = sorted(p for p in common if len(p) >= 15)  # the minimum for a password-only account
    samples = long_enough[:: max(1, len(long_enough) // 5)][:5]
    client = signed_in(service, pages)
    pages.step_up(client)
    headers = pages.signed_in(client)

    def refused(new: str) -> str:
        answer = pages.post(
            client,
            "/compte/mot-de-passe",
            {"current_password": PASSWORD, "new_password": new, "confirmation": new},
            headers=headers,
        )
        assert answer.status_code == 422, new
        return answer.text

    for password in samples:
        assert "trop courant" in refused(password)
    for password in ("boulangerie martin 1000001", "chef.boulangerie!!", "1000001-1000001-martin"):
        assert "reprend votre n° adhérent" in refused(password)
    assert pages.login(service.client(), "1000001").status_code == 303  # nothing was changed


def test_an_account_stores_no_password_expiry_no_hint_and_no_security_question():
    columns = {column.name for column in User.__table__.columns}
    assert "password_hash" in columns
    assert not {c for c in columns if re.search(r"question|hint|answer|expire|password_(?!hash)", c)}


# --- AUTH-07: weaker stored hashes are upgraded at the next login -----------------------------------------------


@pytest.mark.parametrize(
    "weaker", [PasswordHasher(type=Type.I), PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)]
)
def test_an_older_argon2_variant_or_cheaper_parameters_are_upgraded_at_login(service, owner, pages, weaker):
    old = weaker.hash(PASSWORD)
    with service.portal.uow() as tx:
        tx.session.get(User, owner.id).password_hash = old
        tx.commit()
    assert pages.login(service.client(), "1000001").status_code == 303
    with service.portal.db.session_factory() as db:
        stored = db.get(User, owner.id).password_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and stored != old
    assert pages.login(service.client(), "1000001").status_code == 303


# --- AUTH-20: counted per account, whatever the address the guesses come from -----------------------------------


def test_a_thousand_guesses_from_fifty_addresses_evaluate_at_most_a_hundred_and_the_owner_gets_back_in(
    service, owner, pages, clock, monkeypatch
):
    evaluated = []
    real_verify = PasswordHasher.verify

    def counting(self, hash, password):
        evaluated.append(1)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    client = service.client()
    statuses = []
    for attempt in range(1000):
        address = {"X-Real-IP": f"198.51.100.{attempt % 50 + 1}"}  # what the gateway passes on
        token = pages.csrf(client.get("/connexion", headers=address).text)
        statuses.append(
            client.post(
                "/connexion",
                headers=address,
                data={"identifier": "1000001", "password": f"essai numero {attempt}", "csrf_token": token},
            ).status_code
        )
        clock.advance(seconds=3.6)  # 1,000 guesses in one hour
    assert set(statuses) == {401, 429}
    assert 10 <= len(evaluated) <= 100
    with service.portal.db.session_factory() as db:
        addresses = set(db.scalars(select(SecurityEvent.ip).where(SecurityEvent.user_id == owner.id)))
    assert len(addresses) == 50
    clock.advance(minutes=15)
    assert pages.login(service.client(), "1000001").status_code == 303


# --- AUTH-31 / 32 / 35: reset links -----------------------------------------------------------------------------


@pytest.fixture
def reset_links(service, pages, smtp, monkeypatch):
    """Ask for a reset link through the pages (captcha included) and return its path from the e-mail."""
    monkeypatch.setattr(captcha, "new_answer", lambda: "40719")

    def ask(identifier: str = "1000001", mailed: bool = True) -> str | None:
        service.deliver_mail()  # whatever the test sent before (an MFA notice…) is not the link
        smtp.clear()
        client = service.client()
        token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
        client.get("/connexion/captcha.png")
        page = client.post(
            "/connexion/mot-de-passe-oublie", data={"identifier": identifier, "captcha": "40719", "csrf_token": token}
        )
        fields = dict(re.findall(r'name="(csrf_token|identifier|issued|signature)" value="([^"]*)"', page.text))
        assert (
            client.post("/connexion/mot-de-passe-oublie/envoi", data={**fields, "kind": "account"}).status_code == 200
        )
        if not mailed:
            assert service.deliver_mail() == 0
            return None
        assert service.deliver_mail() == 1
        mail = smtp.wait_for(lambda m: "nouveau mot de passe" in m["Subject"])
        return re.search(r"https?://\S+?(/connexion/nouveau-mot-de-passe/\S+)", mail.get_content())[1]

    return ask


def reset(service, pages, path, password=NEW_PASSWORD):
    client = service.client()
    return pages.post(client, path, {"new_password": password, "confirmation": password})


def test_using_one_reset_link_kills_every_other_outstanding_one(service, owner, pages, reset_links):
    first, second = reset_links(), reset_links()
    assert reset(service, pages, second).status_code == 303
    assert service.client().get(first).status_code == 400
    client = service.client()
    token = pages.csrf(client.get("/connexion").text)
    late = client.post(
        first,
        data={
            "new_password": "une autre phrase bien longue",
            "confirmation": "une autre phrase bien longue",
            "csrf_token": token,
        },
    )
    assert late.status_code == 400
    assert pages.login(service.client(), "1000001", password=NEW_PASSWORD).status_code == 303


def test_changing_the_password_kills_an_outstanding_reset_link(service, owner, pages, reset_links):
    path = reset_links()
    client = signed_in(service, pages)
    pages.step_up(client)
    assert (
        pages.post(
            client,
            "/compte/mot-de-passe",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
            headers=pages.signed_in(client),
        ).status_code
        == 303
    )
    assert service.client().get(path).status_code == 400
    with service.portal.db.session_factory() as db:
        assert db.scalars(select(OneTimeLink).where(OneTimeLink.used_at.is_(None))).all() == []


def test_asking_for_a_reset_changes_nothing_on_the_account(service, owner, pages, reset_links):
    client = signed_in(service, pages)
    with service.portal.db.session_factory() as db:
        before = db.get(User, owner.id).password_hash
    reset_links()
    reset_links()
    assert pages.check(client)[0] == 204
    assert pages.login(service.client(), "1000001").status_code == 303
    with service.portal.db.session_factory() as db:
        assert db.get(User, owner.id).password_hash == before


def test_reset_links_are_limited_to_three_an_hour_per_account(service, owner, pages, reset_links, clock):
    for _ in range(3):
        reset_links()
    reset_links(mailed=False)  # answered like the others, but no fourth e-mail
    with service.portal.db.session_factory() as db:
        outcomes = db.scalars(select(SecurityEvent.outcome).where(SecurityEvent.kind == "reset_request")).all()
    assert outcomes.count("success") == 3 and outcomes.count("refused") == 1
    clock.advance(hours=1, seconds=1)
    reset_links()


def test_a_reset_does_not_bypass_the_second_factor(service, owner, pages, reset_links):
    secret = pages.enrol_totp(owner.id)
    assert reset(service, pages, reset_links()).status_code == 303
    client = service.client()
    answer = pages.login(client, "1000001", password=NEW_PASSWORD)
    assert answer.headers["Location"].startswith("/connexion/double-authentification")
    assert pages.check(client)[0] == 401
    assert (
        pages.post(
            client,
            "/connexion/double-authentification",
            {"code": pages.totp(owner.id, secret)},
            form_path=answer.headers["Location"],
        ).status_code
        == 303
    )
    assert pages.check(client)[0] == 204


# --- CSRF-01: GET never changes anything ------------------------------------------------------------------------

# Ephemeral per-browser state a page must create to be shown: a fresh TOTP secret for the enrolment QR code.
# Nothing else may change (the captcha image's answer travels in a signed cookie, nothing stored).
SHOWN_STATE = {
    "/compte/double-authentification/activation": {"mfa_totp"},
    "/connexion/double-authentification/activation": {"mfa_totp"},
}


def snapshot(service) -> dict[str, list[tuple]]:
    with service.portal.db.engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def test_no_get_request_of_the_service_changes_the_database(service, owner, pages, member_id, clock):
    pages.register_member(OTHER_MEMBER, "1000002", "Garage du Centre")
    accounts.link_member(service.portal, user_id=owner.id, member_id=OTHER_MEMBER, roles=("read",))
    client = signed_in(service, pages)
    pages.post(client, "/changer-adherent", {"member_id": member_id}, headers=pages.signed_in(client))
    pages.step_up(client)
    headers = pages.signed_in(client)
    anonymous = service.client()
    anonymous.get("/connexion")  # a browser that has seen the login page (pre-session cookie)
    values = {
        "token": "A" * 43,
        "user_id": owner.id,
        "session_id": "00000000-0000-0000-0000-000000000000",
        "filename": "portal.css",
    }
    routes = [
        rule
        for rule in service.app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.rule.startswith("/internal/session")
    ]
    assert len(routes) >= 25
    for rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], rule.rule)
        for who, extra in ((client, headers), (anonymous, {})):
            before = snapshot(service)
            answer = who.get(path, headers=extra)
            assert answer.status_code < 500, (path, answer.status_code)
            after = snapshot(service)
            changed = {name for name in before if before[name] != after[name]}
            assert changed <= SHOWN_STATE.get(path, set()), (path, changed)


def test_state_changing_pages_refuse_get(service, owner, pages):
    client = signed_in(service, pages)
    headers = pages.signed_in(client)
    assert client.get("/deconnexion", headers=headers).status_code == 405
    assert pages.check(client)[0] == 204


# --- CSRF-02: tokens bound to the session, cross-site requests refused ------------------------------------------


def test_a_form_with_a_token_from_another_browser_or_a_cross_site_origin_is_refused(service, owner, pages):
    victim, attacker = service.client(), service.client()
    victim_token = pages.csrf(victim.get("/connexion").text)
    attacker_token = pages.csrf(attacker.get("/connexion").text)
    form = {"identifier": "1000001", "password": PASSWORD}
    assert victim.post("/connexion", data={**form, "csrf_token": attacker_token}).status_code == 403
    assert victim.post("/connexion", data={**form, "csrf_token": "0" * 64}).status_code == 403
    assert (
        victim.post(
            "/connexion", data={**form, "csrf_token": victim_token}, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )
    assert (
        victim.post(
            "/connexion", data={**form, "csrf_token": victim_token}, headers={"Sec-Fetch-Site": "cross-site"}
        ).status_code
        == 403
    )
    assert (
        victim.post("/connexion", data={**form, "csrf_token": victim_token}, headers={"Origin": "null"}).status_code
        == 403
    )
    assert pages.check(victim)[0] == 401
    assert (
        victim.post(
            "/connexion",
            data={**form, "csrf_token": victim_token},
            headers={"Origin": PUBLIC_URL, "Sec-Fetch-Site": "same-origin"},
        ).status_code
        == 303
    )


def test_a_signed_in_form_needs_the_token_of_its_own_session(service, owner, pages):
    client = signed_in(service, pages)
    headers = pages.signed_in(client)
    pre_login_token = pages.csrf(service.client().get("/connexion").text)
    other = signed_in(service, pages)
    other_token = pages.csrf(other.get("/compte", headers=pages.signed_in(other)).text)
    for token in (pre_login_token, other_token, ""):
        assert client.post("/deconnexion", data={"csrf_token": token}, headers=headers).status_code == 403
    assert pages.check(client)[0] == 204


def test_the_json_api_refuses_a_simple_cross_site_request(service, owner, member_id):
    clerk = accounts.create_user(
        service.portal, email="compta@boulangerie.fr", display_name="Compta", password=PASSWORD
    )
    accounts.link_member(service.portal, user_id=clerk.id, member_id=member_id, roles=("billing",))
    admin = service.headers(make_principal(user_id=owner.id, member_id=member_id, roles=("admin",)))
    client = service.client()
    plain = client.delete(
        f"/api/identity/users/{clerk.id}/sessions", data="x=1", headers={**admin, "Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    cross = client.delete(f"/api/identity/users/{clerk.id}/sessions", headers={**admin, "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
