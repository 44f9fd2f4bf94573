"""Login, the gateway's session check, company switching and logout, on PostgreSQL."""

import re

import pytest

from identity.accounts import use_cases as accounts
from identity.web import PLAIN_NAME
from identity.worker import subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
MEMBER_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
MEMBER_B = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


@pytest.fixture
def owner(service, pages):
    pages.register_member(MEMBER_A, "1000001", "Boulangerie Martin")
    pages.register_member(MEMBER_B, "1000002", "Garage du Centre")
    user = accounts.create_user(
        service.portal,
        email="Chef@Boulangerie.fr",
        display_name="Paul Martin",
        password=PASSWORD,
        login_member_number="1000001",
    )
    accounts.link_member(service.portal, user_id=user.id, member_id=MEMBER_A, roles=("admin",))
    return user


def test_login_by_member_number_opens_a_session_the_gateway_check_accepts(service, owner, pages):
    client = service.client()
    response = pages.login(client, "1000001", next_path="/salaries")
    assert response.status_code == 303 and response.headers["Location"] == "/salaries"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{PLAIN_NAME}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    status, identity = pages.check(client)
    assert status == 204
    assert (identity.member_id, identity.member_name, identity.roles) == (
        MEMBER_A,
        "Boulangerie Martin",
        frozenset({"admin"}),
    )


def test_login_by_email_is_case_insensitive(service, owner, pages):
    client = service.client()
    assert pages.login(client, "chef@boulangerie.FR").status_code == 303
    assert pages.check(client)[0] == 204


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(service, owner, pages):
    wrong = pages.login(service.client(), "1000001", password="mauvais mot de passe")
    unknown = pages.login(service.client(), "9999999", password="mauvais mot de passe")
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in wrong.text
    assert re.sub(r'value="[^"]*"', "", wrong.text) == re.sub(r'value="[^"]*"', "", unknown.text)


def test_a_login_form_without_csrf_token_is_refused(service, owner):
    response = service.client().post("/connexion", data={"identifier": "1000001", "password": PASSWORD})
    assert response.status_code == 403


def test_without_a_session_the_check_answers_401_and_never_an_error(service):
    client = service.client()
    assert client.get("/internal/session").status_code == 401
    client.set_cookie(PLAIN_NAME, "forged-token")
    assert client.get("/internal/session").status_code == 401
    assert client.post("/internal/session").status_code == 401


def test_logout_ends_the_session_at_once(service, owner, pages):
    client = service.client()
    pages.login(client, "1000001")
    status, identity = pages.check(client)
    headers = service.headers(identity)
    token = pages.csrf(client.get("/compte", headers=headers).text)
    assert client.post("/deconnexion", data={"csrf_token": token}, headers=headers).status_code == 303
    assert client.get("/internal/session").status_code == 401


def test_the_session_id_changes_at_login_and_the_old_one_dies(service, owner, pages):
    client = service.client()
    first = pages.login(client, "1000001").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    second = pages.login(client, "1000001").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert first != second and len(second) >= 43
    other = service.client()
    other.set_cookie(PLAIN_NAME, first)
    assert other.get("/internal/session").status_code == 401


def test_switching_to_a_linked_company_changes_the_identity_and_rotates_the_session(service, owner, pages):
    accounts.link_member(service.portal, user_id=owner.id, member_id=MEMBER_B, roles=("read",), kind="delegate")
    secret = pages.enrol_totp(owner.id)  # an accounting firm's user must have a second factor
    client = service.client()
    assert pages.login_with_totp(client, "chef@boulangerie.fr", secret, owner.id).status_code == 303
    status, identity = pages.check(client)
    assert identity.member_id is None and identity.member_count == 2
    headers = service.headers(identity)
    page = client.get("/changer-adherent", headers=headers)
    assert "Garage du Centre" in page.text and "Tiers déclarant" in page.text
    response = client.post(
        "/changer-adherent", data={"member_id": MEMBER_B, "csrf_token": pages.csrf(page.text)}, headers=headers
    )
    assert response.status_code == 303
    status, identity = pages.check(client)
    assert (identity.member_id, identity.roles, identity.grants) == (
        MEMBER_B,
        frozenset({"read"}),
        frozenset({"delegate"}),
    )


def test_staff_switch_to_any_registered_company_with_their_staff_roles_only(service, owner, pages):
    staff = accounts.create_user(
        service.portal,
        email="secretariat@spsti.fr",
        display_name="Sophie Secrétariat",
        password=PASSWORD,
        staff_roles=("secretariat",),
    )
    secret = pages.enrol_totp(staff.id)  # staff must have a second factor
    client = service.client()
    assert pages.login_with_totp(client, "secretariat@spsti.fr", secret, staff.id).status_code == 303
    headers = service.headers(pages.check(client)[1])
    listing = client.get("/changer-adherent?q=Garage", headers=headers)
    assert "Garage du Centre" in listing.text and "Boulangerie Martin" not in listing.text
    switched = client.post(
        "/changer-adherent", data={"member_id": MEMBER_B, "csrf_token": pages.csrf(listing.text)}, headers=headers
    )
    assert switched.status_code == 303
    identity = pages.check(client)[1]
    assert (identity.member_id, identity.roles, identity.staff_roles) == (
        MEMBER_B,
        frozenset(),
        frozenset({"secretariat"}),
    )
    unknown = pages.post(
        client,
        "/changer-adherent",
        {"member_id": "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a99"},
        headers=service.headers(identity),
    )
    assert unknown.status_code == 403 and pages.check(client)[1].member_id == MEMBER_B


def test_switching_to_a_company_without_a_link_is_refused(service, owner, pages):
    client = service.client()
    pages.login(client, "1000001")
    identity = pages.check(client)[1]
    headers = service.headers(identity)
    token = pages.csrf(client.get("/changer-adherent", headers=headers).text)
    response = client.post("/changer-adherent", data={"member_id": MEMBER_B, "csrf_token": token}, headers=headers)
    assert response.status_code == 403
    assert pages.check(client)[1].member_id == MEMBER_A


def test_the_login_redirect_keeps_only_local_return_paths(service):
    client = service.client()
    local = client.get("/internal/login-redirect", headers={"X-Original-URI": "/salaries?lettre=B"})
    assert local.status_code == 302 and local.headers["Location"] == "/connexion?next=/salaries%3Flettre%3DB"
    foreign = client.get("/internal/login-redirect", headers={"X-Original-URI": "//evil.example"})
    assert foreign.headers["Location"] == "/connexion"


def test_the_member_directory_handler_applies_an_event_once_and_ignores_stale_versions(service):
    from identity.models import MemberDirectoryEntry
    from portal_common.messaging.envelope import Envelope

    newer = catalogue.example_envelope("members.member.registered.v1", name="Nouveau nom", version=2)
    older = catalogue.example_envelope("members.member.registered.v1", name="Ancien nom", version=1)
    consumer = Consumer(
        service="identity",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    assert consumer.process("identity.member-directory", newer) is True
    assert consumer.process("identity.member-directory", Envelope.from_dict(newer.to_dict())) is False
    assert consumer.process("identity.member-directory", older) is True
    with service.portal.db.session_factory() as db:
        entries = db.query(MemberDirectoryEntry).all()
    assert [(e.name, e.version) for e in entries] == [("Nouveau nom", 2)]


def test_the_login_redirect_answers_an_api_client_with_a_french_json_401_instead_of_redirecting(service):
    client = service.client()
    answer = client.get("/internal/login-redirect", headers={"X-Original-URI": "/salaries", "X-Portal-Bearer": "1"})
    assert answer.status_code == 401 and "Location" not in answer.headers
    assert answer.is_json and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json["reason"] == "authentication_required" and "jeton d'API" in answer.json["message"]
    assert b"Redirecting" not in answer.data


def test_a_page_asked_for_with_a_bearer_token_and_no_session_gets_json_and_a_browser_the_login_page(service):
    client = service.client()
    api_client = client.get("/compte", headers={"Authorization": "Bearer spsti_pat_" + "x" * 43})
    assert api_client.status_code == 401 and api_client.is_json and "Location" not in api_client.headers
    assert "jeton d'API" in api_client.json["message"]
    browser = client.get("/compte")
    assert browser.status_code == 302 and browser.headers["Location"] == "/connexion?next=/compte"
    assert b"Redirecting" not in browser.data and b"Connexion requise" in browser.data
