"""Passwordless sign-in with a 6-digit code by e-mail (issue item 2)."""

import re

import pytest
from sqlalchemy import select

from identity.models import LoginCode

pytestmark = pytest.mark.integration


def ask(pages, client, email="chef@boulangerie.fr"):
    return pages.post(client, "/connexion/code", {"email": email})


def enter(pages, client, code):
    return pages.post(client, "/connexion/code/saisie", {"code": code})


def received_code(service, smtp, email="chef@boulangerie.fr"):
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == email)
    return re.search(r"\b(\d{6})\b", mail.get_content()).group(1)


def test_a_code_received_by_email_signs_in_once(service, owner, pages, smtp, member_id):
    client = service.client()
    response = ask(pages, client)
    assert response.status_code == 303 and response.headers["Location"] == "/connexion/code/saisie"
    code = received_code(service, smtp)
    signed = enter(pages, client, code)
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    status, identity = pages.check(client)
    assert status == 204 and identity.member_id == member_id
    again = service.client()
    ask(pages, again, email="autre@exemple.fr")  # a fresh browser cannot reuse it either
    assert enter(pages, client, code).status_code == 400
    with service.portal.db.session_factory() as db:
        stored = db.scalars(select(LoginCode.code_hash)).all()
    assert code not in " ".join(stored)


def test_a_code_is_bound_to_the_browser_that_asked_for_it(service, owner, pages, smtp):
    ask(pages, service.client())
    code = received_code(service, smtp)
    thief = service.client()
    assert enter(pages, thief, code).status_code == 400
    assert pages.check(thief)[0] == 401


def test_a_code_dies_after_ten_minutes(service, owner, pages, smtp, clock):
    client = service.client()
    ask(pages, client)
    code = received_code(service, smtp)
    clock.advance(minutes=10)
    response = enter(pages, client, code)
    assert response.status_code == 400 and "Demander un nouveau code" in response.text


def test_five_wrong_codes_burn_the_code(service, owner, pages, smtp):
    client = service.client()
    ask(pages, client)
    code = received_code(service, smtp)
    wrong = "000000" if code != "000000" else "111111"
    assert [enter(pages, client, wrong).status_code for _ in range(5)] == [401] * 4 + [400]
    assert enter(pages, client, code).status_code == 400


def test_known_and_unknown_addresses_get_the_same_answer(service, owner, pages, smtp):
    known, unknown = service.client(), service.client()
    first, second = ask(pages, known), ask(pages, unknown, email="personne@nulle-part.fr")
    assert (first.status_code, first.headers["Location"]) == (second.status_code, second.headers["Location"])
    page_known = known.get("/connexion/code/saisie").text
    page_unknown = unknown.get("/connexion/code/saisie").text
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)
    assert strip(page_known) == strip(page_unknown)
    assert enter(pages, unknown, "123456").status_code == 401
    service.deliver_mail()
    assert smtp.to("personne@nulle-part.fr") == []


def test_a_malformed_email_or_code_gets_a_french_field_message(service, owner, pages):
    client = service.client()
    response = ask(pages, client, email="pas-une-adresse")
    assert response.status_code == 422 and "Saisissez une adresse e-mail valide" in response.text
    response = enter(pages, client, "12ab")
    assert response.status_code == 422 and "Le code comporte 6 chiffres." in response.text


def test_codes_are_limited_to_five_an_hour_per_account(service, owner, pages, smtp):
    client = service.client()
    for _ in range(7):
        assert ask(pages, client).status_code == 303
    service.deliver_mail()
    assert len(smtp.to("chef@boulangerie.fr")) == 5
