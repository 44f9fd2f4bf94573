"""First account with the company's codes, activation by e-mail, "Ajouter une entreprise"."""

import re

import pytest
from sqlalchemy import select

from identity.models import Invitation, MemberLink, SecurityEvent, User
from identity.web import PLAIN_NAME
from identity.worker import subscriptions
from portal_common.digests import keyed_digest
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

CODE = "TD7K42QX"
OTHER_CODE = "GC9M15ZA"
NEW_PASSWORD = "le cabinet ferme tard le vendredi"
PASSWORD = "une phrase de passe assez longue"
MEMBER_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
MEMBER_B = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
FIRM = {
    "last_name": "Durand",
    "first_name": "Élise",
    "job_title": "Expert-comptable",
    "email": "e.durand@cabinet-durand.fr",
    "email_confirmation": "e.durand@cabinet-durand.fr",
    "mobile": "06 12 34 56 78",
}


@pytest.fixture
def companies(service, pages):
    key = service.portal.settings.internal_key
    # Version 2: members' update bringing the digests, after the registration the owner fixture may have applied.
    pages.register_member(
        MEMBER_A,
        "1000001",
        "Boulangerie Martin",
        version=2,
        declarant_code_digest=keyed_digest(key, "declarant-code", CODE),
    )
    pages.register_member(
        MEMBER_B,
        "1000002",
        "Garage du Centre",
        version=2,
        declarant_code_digest=keyed_digest(key, "declarant-code", OTHER_CODE),
    )


def codes(pages, client, number="1000001", code=CODE, delegate=True, path="/connexion/premier-compte", headers=None):
    data = {"member_number": number, "declarant_code": code}
    if delegate:
        data["delegate"] = "1"
    return pages.post(client, path, data, headers=headers)


def details(client, page, **person):
    hidden = dict(re.findall(r'name="(csrf_token|member_id|issued|signature|delegate)" value="([^"]*)"', page.text))
    return client.post("/connexion/premier-compte/compte", data={**hidden, **(FIRM | person)})


def mailed_link(service, smtp, address, kind="activation"):
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == address and f"/connexion/{kind}/" in m.get_content())
    return re.search(rf"http\S+(/connexion/{kind}/\S+)", mail.get_content()).group(1), mail


def activate(pages, client, path, password=NEW_PASSWORD, confirmation=None):
    return pages.post(client, path, {"new_password": password, "confirmation": confirmation or password})


def test_an_accounting_firm_opens_its_account_with_the_codes_and_an_activation_link(service, pages, companies, smtp):
    client = service.client()
    page = codes(pages, client)
    assert page.status_code == 200 and "Boulangerie Martin" in page.text and "Créer le compte" in page.text
    sent = details(client, page)
    assert sent.status_code == 200 and "Vérifiez votre messagerie" in sent.text
    path, mail = mailed_link(service, smtp, FIRM["email"])
    assert "mot de passe" in mail.get_content() and CODE not in mail.get_content()
    assert pages.login(service.client(), FIRM["email"], password=NEW_PASSWORD).status_code == 401  # not yet
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    done = activate(pages, client, path)
    assert done.status_code == 303 and done.headers["Location"] == "/connexion"
    assert pages.check(client)[0] == 401  # no automatic sign-in
    signed = pages.login(service.client(), FIRM["email"], password=NEW_PASSWORD)
    # An accounting firm's user signs in, then must enrol a second factor before anything else.
    assert signed.status_code == 303 and signed.headers["Location"].startswith("/connexion/double-authentification")
    with service.portal.db.session_factory() as db:
        user = db.scalars(select(User).where(User.email == FIRM["email"])).one()
        assert (user.display_name, user.job_title, user.mobile) == ("Élise Durand", "Expert-comptable", "0612345678")
        link = db.get(MemberLink, (user.id, MEMBER_A))
        assert (link.kind, link.role_set) == ("delegate", frozenset({"billing", "declaration", "read"}))
    again = client.get(path)
    assert again.status_code == 400 and "Demander un nouveau lien" in again.text


def test_the_companys_own_first_user_becomes_its_administrator(service, pages, companies, smtp):
    client = service.client()
    details(
        client,
        codes(pages, client, delegate=False),
        email="paul@boulangerie.fr",
        email_confirmation="paul@boulangerie.fr",
    )
    path, _ = mailed_link(service, smtp, "paul@boulangerie.fr")
    assert activate(pages, client, path).status_code == 303
    owner = service.client()
    pages.login(owner, "paul@boulangerie.fr", password=NEW_PASSWORD)
    _, identity = pages.check(owner)
    assert identity.roles == frozenset({"admin"}) and identity.grants == frozenset()


def test_wrong_or_unknown_codes_get_the_same_french_answer(service, pages, companies):
    answers = [
        codes(pages, service.client(), number=number, code=code)
        for number, code in (("1000001", "WRONG123"), ("9999999", CODE), ("1000002", CODE))
    ]
    assert {a.status_code for a in answers} == {401}
    assert all("Code adhérent ou n° télédéclarant incorrect." in a.text for a in answers)
    assert codes(pages, service.client(), code="td7k4 2qx").status_code == 200  # as printed, in lower case
    malformed = codes(pages, service.client(), number="12ab", code="x")
    assert malformed.status_code == 422
    assert "Le code adhérent comporte 7 chiffres" in malformed.text and "n° télédéclarant comporte" in malformed.text


def test_a_company_without_a_published_code_cannot_be_claimed(service, pages):
    pages.register_member(MEMBER_A, "1000001", "Boulangerie Martin")
    assert codes(pages, service.client()).status_code == 401


def test_guessing_codes_is_throttled_per_member_number_like_a_login(service, pages, companies, clock):
    client = service.client()
    for _ in range(5):
        assert codes(pages, client, code="WRONG123").status_code == 401
    throttled = codes(pages, client)  # even the right code waits now
    assert throttled.status_code == 429 and "Trop de tentatives" in throttled.text
    assert throttled.headers["Retry-After"] == "1"  # the 5th failure's delay (docs/security.md AUTH-21)
    clock.advance(seconds=2)
    assert codes(pages, client).status_code == 200
    with service.portal.db.session_factory() as db:
        outcomes = db.scalars(select(SecurityEvent.outcome).where(SecurityEvent.kind == "company_codes")).all()
    assert outcomes.count("failure") == 5 and outcomes.count("refused") == 1 and outcomes.count("success") == 1


def test_an_existing_address_gets_the_same_page_and_an_invitation_instead_of_an_activation(
    service, pages, owner, companies, smtp
):
    client = service.client()
    unknown = details(client, codes(pages, client))
    client = service.client()
    known = details(
        client,
        codes(pages, client, number="1000002", code=OTHER_CODE),
        email="chef@boulangerie.fr",
        email_confirmation="chef@boulangerie.fr",
    )
    strip = lambda page: page.text.replace(FIRM["email"], "@").replace("chef@boulangerie.fr", "@")
    assert (known.status_code, strip(known)) == (unknown.status_code, strip(unknown))
    path, mail = mailed_link(service, smtp, "chef@boulangerie.fr", kind="invitation")
    assert "Garage du Centre" in mail.get_content()
    page = client.get(path)
    assert page.status_code == 200 and "Garage du Centre" in page.text
    assert pages.post(client, path, {}).headers["Location"] == "/changer-adherent"
    with service.portal.db.session_factory() as db:
        assert db.get(MemberLink, (owner.id, MEMBER_B)).kind == "delegate"
        assert db.get(User, owner.id).password_hash == owner.password_hash  # the account itself is untouched


def test_the_details_form_shows_each_mistake_next_to_its_field_and_keeps_the_step(service, pages, companies, smtp):
    client = service.client()
    page = codes(pages, client)
    wrong = details(client, page, email_confirmation="autre@cabinet.fr", mobile="123", job_title="")
    assert wrong.status_code == 422
    for message in (
        "Les deux adresses e-mail saisies sont différentes.",
        "Le n° mobile comporte 10 chiffres",
        "Indiquez votre fonction",
    ):
        assert message in wrong.text
    assert details(client, wrong).status_code == 200


def test_the_details_step_cannot_be_forged_for_another_company(service, pages, companies):
    client = service.client()
    page = codes(pages, client)
    forged = page.text.replace(MEMBER_A, MEMBER_B)
    answer = details(client, type("Page", (), {"text": forged})())
    assert answer.status_code == 303 and answer.headers["Location"] == "/connexion/premier-compte"
    with service.portal.db.session_factory() as db:
        assert db.scalars(select(Invitation)).all() == []


def test_an_activation_link_dies_after_72_hours(service, pages, companies, smtp, clock):
    client = service.client()
    details(client, codes(pages, client))
    path, _ = mailed_link(service, smtp, FIRM["email"])
    clock.advance(hours=72)
    assert client.get(path).status_code == 400
    token = pages.csrf(client.get("/connexion").text)
    late = client.post(path, data={"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "csrf_token": token})
    assert late.status_code == 400 and "Lien expiré" in late.text


def test_a_weak_password_is_refused_at_activation_and_the_link_still_works(service, pages, companies, smtp):
    client = service.client()
    details(client, codes(pages, client))
    path, _ = mailed_link(service, smtp, FIRM["email"])
    weak = activate(pages, client, path, password="boulangeriemartin1")
    assert weak.status_code == 422 and "reprend votre n° adhérent" in weak.text
    assert activate(pages, client, path).status_code == 303


def test_a_signed_in_user_adds_a_second_company_with_its_codes(service, pages, owner, companies, clock):
    client = service.client()
    pages.login(client, "1000001")
    asked = client.get("/compte/entreprises/ajouter", headers=pages.signed_in(client))
    assert asked.status_code == 303 and asked.headers["Location"].startswith("/compte/verification")
    assert (
        pages.post(
            client,
            "/compte/verification?next=/compte/entreprises/ajouter",
            {"password": PASSWORD},
            headers=pages.signed_in(client),
        ).status_code
        == 303
    )
    headers = pages.signed_in(client)
    wrong = codes(pages, client, number="1000002", code=CODE, path="/compte/entreprises/ajouter", headers=headers)
    assert wrong.status_code == 401 and "incorrect" in wrong.text
    added = codes(pages, client, number="1000002", code=OTHER_CODE, path="/compte/entreprises/ajouter", headers=headers)
    assert added.status_code == 303 and added.headers["Location"] == "/changer-adherent"
    listing = client.get("/changer-adherent", headers=headers).text
    assert "Garage du Centre" in listing and "Tiers déclarant" in listing
    before = client.get_cookie(PLAIN_NAME).value
    switched = pages.post(client, "/changer-adherent", {"member_id": MEMBER_B}, headers=headers)
    assert switched.status_code == 303
    _, identity = pages.check(client)
    assert (identity.member_id, identity.member_count) == (MEMBER_B, 2)
    assert identity.roles == frozenset({"billing", "declaration", "read"})
    # A privilege change: the session got a new id and the one used before the switch is dead.
    assert client.get_cookie(PLAIN_NAME).value != before
    replay = service.client()
    replay.set_cookie(PLAIN_NAME, before)
    assert replay.get("/internal/session").status_code == 401
    back = pages.post(client, "/changer-adherent", {"member_id": MEMBER_A}, headers=pages.signed_in(client))
    assert back.status_code == 303
    _, identity = pages.check(client)
    assert (identity.member_id, identity.roles, identity.grants) == (MEMBER_A, frozenset({"admin"}), frozenset())


def test_adding_a_company_needs_a_signed_in_user(service, pages, companies):
    client = service.client()
    assert client.get("/compte/entreprises/ajouter").headers["Location"].startswith("/connexion")
    token = pages.csrf(client.get("/connexion").text)
    refused = client.post(
        "/compte/entreprises/ajouter",
        data={"member_number": "1000002", "declarant_code": OTHER_CODE, "csrf_token": token},
    )
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/connexion")
    with service.portal.db.session_factory() as db:
        assert db.scalars(select(MemberLink)).all() == []


def test_a_member_update_without_the_digest_keeps_the_code_and_a_new_digest_replaces_it(service, pages, companies):
    event = catalogue.example_envelope(
        "members.member.updated.v1", member_id=MEMBER_A, member_number="1000001", name="Boulangerie Martin", version=3
    )
    event.data.pop("declarant_code_digest", None)
    consumer = Consumer(
        service="identity",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    assert consumer.process("identity.member-directory", event)
    assert codes(pages, service.client()).status_code == 200
    new_digest = keyed_digest(service.portal.settings.internal_key, "declarant-code", "NEWCODE99")
    pages.register_member(MEMBER_A, "1000001", "Boulangerie Martin", version=4, declarant_code_digest=new_digest)
    assert codes(pages, service.client()).status_code == 401
    assert codes(pages, service.client(), code="NEWCODE99").status_code == 200
