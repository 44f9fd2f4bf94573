"""Forgotten password: captcha, masked addresses, single-use 30-minute link, sessions end (AUTH-30..35)."""

import re

import pytest
from sqlalchemy import select

from identity.models import MemberDirectoryEntry, OneTimeLink
from identity.recovery import captcha
from identity.worker import subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.web.csrf import PRESESSION_COOKIE

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "le chat dort sur la commode bleue"


def update_member(service, member_id, version=2, contacts=None):
    consumer = Consumer(
        service="identity",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    contacts = contacts or [
        {"kind": "dirigeant", "name": "Paul Martin", "email": "paul.martin@martin-holding.fr"},
        {"kind": "responsable_rh", "name": "Anne Muller", "email": "rh@boulangerie.fr"},
        {"kind": "contact_convocation", "name": "X", "email": "conv@boulangerie.fr"},
    ]
    event = catalogue.example_envelope(
        "members.member.updated.v1",
        member_id=member_id,
        member_number="1000001",
        name="Boulangerie Martin",
        version=version,
        contacts=contacts,
    )
    return consumer, event


@pytest.fixture
def owner(owner, service, member_id):
    """The conftest owner, whose company now has a dirigeant and an RH contact."""
    consumer, event = update_member(service, member_id)
    consumer.process("identity.member-directory", event)
    return owner


@pytest.fixture(autouse=True)
def known_captcha(monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: "40719")


def start(pages, client, identifier, answer="40719"):
    token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
    image = client.get("/connexion/captcha.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    return client.post(
        "/connexion/mot-de-passe-oublie", data={"identifier": identifier, "captcha": answer, "csrf_token": token}
    )


def choose(client, page, kind="account"):
    fields = dict(re.findall(r'name="(csrf_token|identifier|issued|signature)" value="([^"]*)"', page.text))
    return client.post("/connexion/mot-de-passe-oublie/envoi", data={**fields, "kind": kind})


def link_from_mail(service, smtp, address):
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == address and "nouveau mot de passe" in m["Subject"])
    return re.search(r"(http\S+/connexion/nouveau-mot-de-passe/(\S+))", mail.get_content()).groups()


def reset(pages, client, path, password=NEW_PASSWORD, confirmation=None):
    return pages.post(client, path, {"new_password": password, "confirmation": confirmation or password})


def test_the_choice_shows_the_account_dirigeant_and_rh_addresses_masked(service, owner, pages):
    page = start(pages, service.client(), "1000001")
    assert page.status_code == 200
    assert "c***@boul***.fr" in page.text and "pau***@mart***.fr" in page.text and "r***@boul***.fr" in page.text
    assert "chef@boulangerie.fr" not in page.text and "conv@" not in page.text


def test_the_link_reaches_the_chosen_address_and_resets_the_password_once(service, owner, pages, smtp):
    survivor = service.client()
    pages.login(survivor, "1000001")
    client = service.client()
    sent = choose(client, start(pages, client, "1000001"), kind="manager")
    assert sent.status_code == 200 and "Si un compte correspond" in sent.text
    url, token = link_from_mail(service, smtp, "paul.martin@martin-holding.fr")
    path = url.removeprefix("http://127.0.0.1:8080")
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert form.headers["Cache-Control"] == "no-store"
    done = reset(pages, client, path)
    assert done.status_code == 303 and done.headers["Location"] == "/connexion"
    assert pages.check(client)[0] == 401  # no automatic sign-in
    assert pages.check(survivor)[0] == 401  # every other session ended
    assert pages.login(service.client(), "1000001", password=NEW_PASSWORD).status_code == 303
    again = client.get(path)
    assert again.status_code == 400 and "Demander un nouveau lien" in again.text
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr" and "modifié" in m["Subject"])
    assert NEW_PASSWORD not in mail.get_content()
    with service.portal.db.session_factory() as db:
        assert token not in " ".join(db.scalars(select(OneTimeLink.token_hash)))


def test_a_link_is_dead_after_thirty_minutes(service, owner, pages, smtp, clock):
    client = service.client()
    choose(client, start(pages, client, "chef@boulangerie.fr"))
    url, _ = link_from_mail(service, smtp, "chef@boulangerie.fr")
    path = url.removeprefix("http://127.0.0.1:8080")
    clock.advance(minutes=29, seconds=59)
    assert client.get(path).status_code == 200
    clock.advance(seconds=1)
    assert client.get(path).status_code == 400
    token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
    late = client.post(path, data={"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "csrf_token": token})
    assert late.status_code == 400 and "Lien expiré ou déjà utilisé" in late.text
    assert pages.login(service.client(), "1000001").status_code == 303


def test_the_link_points_to_the_configured_origin_whatever_the_host_header(service, owner, pages, smtp):
    client = service.client()
    page = start(pages, client, "1000001")
    fields = dict(re.findall(r'name="(csrf_token|identifier|issued|signature)" value="([^"]*)"', page.text))
    # The browser's cookie, replayed to a forged host name.
    client.set_cookie(PRESESSION_COOKIE, client.get_cookie(PRESESSION_COOKIE).value, domain="evil.example")
    sent = client.post(
        "/connexion/mot-de-passe-oublie/envoi",
        data={**fields, "kind": "account"},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert sent.status_code == 200
    url, _ = link_from_mail(service, smtp, "chef@boulangerie.fr")
    assert url.startswith("http://127.0.0.1:8080/connexion/nouveau-mot-de-passe/")


def test_a_reset_unlocks_a_locked_account(service, owner, pages, smtp):
    for _ in range(12):
        pages.login(service.client(), "1000001", password="mauvais mot de passe")
    assert pages.login(service.client(), "1000001").status_code == 429
    client = service.client()
    choose(client, start(pages, client, "1000001"))
    url, _ = link_from_mail(service, smtp, "chef@boulangerie.fr")
    assert reset(pages, client, url.removeprefix("http://127.0.0.1:8080")).status_code == 303
    assert pages.login(service.client(), "1000001", password=NEW_PASSWORD).status_code == 303


def test_a_weak_new_password_is_refused_and_the_link_still_works(service, owner, pages, smtp):
    client = service.client()
    choose(client, start(pages, client, "1000001"))
    url, _ = link_from_mail(service, smtp, "chef@boulangerie.fr")
    path = url.removeprefix("http://127.0.0.1:8080")
    weak = reset(pages, client, path, password="boulangerie-martin")
    assert weak.status_code == 422 and "n° adhérent" in weak.text
    assert reset(pages, client, path).status_code == 303


def test_unknown_accounts_get_the_same_pages_and_statuses(service, owner, pages, smtp):
    def journey(identifier):
        client = service.client()
        page = start(pages, client, identifier)
        return page, choose(client, page)

    for known, unknown in [("chef@boulangerie.fr", "inconnu@boulangerie.fr"), ("1000001", "1999999")]:
        known_page, known_sent = journey(known)
        unknown_page, unknown_sent = journey(unknown)
        assert known_page.status_code == unknown_page.status_code == 200
        assert known_sent.status_code == unknown_sent.status_code == 200
        assert known_sent.text == unknown_sent.text
        # Same page but for the hidden values and the masked options themselves (decoys for the unknown).
        shape = lambda html: re.sub(
            r"\s+", " ", re.sub(r'value="[^"]*"|<div class="field field--checkbox">.*?</div>', "", html, flags=re.S)
        )
        assert shape(known_page.text) == shape(unknown_page.text)
        assert 'type="radio"' in unknown_page.text
    service.deliver_mail()
    assert smtp.to("inconnu@boulangerie.fr") == []
    # The decoy addresses are stable: asking twice shows the same thing.
    first, second = journey("1999999")[0].text, journey("1999999")[0].text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)
    assert strip(first) == strip(second)


def test_a_wrong_captcha_or_malformed_identifier_gets_a_french_field_message(service, owner, pages, smtp):
    client = service.client()
    wrong = start(pages, client, "1000001", answer="00000")
    assert wrong.status_code == 422 and "ne correspondent pas" in wrong.text
    malformed = start(pages, client, "12345")
    assert malformed.status_code == 422 and "7 chiffres" in malformed.text
    service.deliver_mail()
    assert smtp.messages == []


def test_a_captcha_answer_serves_once_and_only_in_the_browser_that_saw_it(service, owner, pages):
    client = service.client()
    token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
    client.get("/connexion/captcha.png")
    data = {"identifier": "1000001", "captcha": "40719", "csrf_token": token}
    assert client.post("/connexion/mot-de-passe-oublie", data=data).status_code == 200
    assert client.post("/connexion/mot-de-passe-oublie", data=data).status_code == 422
    other = service.client()
    other_token = pages.csrf(other.get("/connexion/mot-de-passe-oublie").text)
    assert other.post("/connexion/mot-de-passe-oublie", data={**data, "csrf_token": other_token}).status_code == 422


def test_the_choice_step_cannot_be_reached_without_the_captcha(service, owner, pages, smtp):
    client = service.client()
    token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
    response = client.post(
        "/connexion/mot-de-passe-oublie/envoi",
        data={
            "identifier": "1000001",
            "issued": "2026-01-01T00:00:00+00:00",
            "signature": "0" * 64,
            "kind": "account",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    service.deliver_mail()
    assert smtp.messages == []


def test_member_updates_bring_the_reset_contacts_once_and_ignore_stale_versions(service, owner, member_id):
    consumer, event = update_member(
        service,
        member_id,
        version=3,
        contacts=[{"kind": "dirigeant", "name": "Nouveau", "email": "nouveau@boulangerie.fr"}],
    )
    catalogue.validate(event)
    assert consumer.process("identity.member-directory", event) is True
    assert consumer.process("identity.member-directory", event) is False
    _, stale = update_member(service, member_id, version=2)
    consumer.process("identity.member-directory", stale)
    with service.portal.db.session_factory() as db:
        entry = db.get(MemberDirectoryEntry, member_id)
    assert (entry.manager_email, entry.hr_email, entry.version) == ("nouveau@boulangerie.fr", None, 3)
