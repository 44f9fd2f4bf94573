"""The forgotten-password check without sight: the browser's proof of work stands for the image. Showing the form
writes nothing; a proof passes once; a replayed, wrong, forged or another browser's challenge is refused next to
the field; the gateway's per-address limit of public pages applies to it as to the image."""

import html
import re

import pytest
from sqlalchemy import func, select

from identity.models import Base
from identity.recovery import proof_of_work

pytestmark = pytest.mark.integration

FAILED = "La vérification automatique a échoué ou a expiré"


def row_counts(service):
    with service.portal.db.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def form(pages, client):
    page = client.get("/connexion/mot-de-passe-oublie").text
    challenge = re.search(r'name="pow_challenge" value="([^"]+)" data-pow-bits="(\d+)"', page)
    return pages.csrf(page), challenge.group(1), int(challenge.group(2))


def send(client, csrf, challenge, counter, identifier="1000001"):
    return client.post(
        "/connexion/mot-de-passe-oublie",
        data={"csrf_token": csrf, "identifier": identifier, "pow_challenge": challenge, "pow_counter": counter},
    )


def test_a_solved_proof_of_work_passes_once_and_showing_the_form_writes_nothing(service, pages, owner):
    client = service.client()
    before = row_counts(service)
    csrf, challenge, bits = form(pages, client)
    assert row_counts(service) == before and bits == proof_of_work.BITS
    counter = proof_of_work.solve(challenge, bits)
    passed = send(client, csrf, challenge, counter)
    assert passed.status_code == 200 and "Mot de passe oublié" in html.unescape(passed.text)
    assert FAILED not in html.unescape(passed.text)
    replayed = send(client, csrf, challenge, counter)
    assert replayed.status_code == 422 and FAILED in html.unescape(replayed.text)


def test_a_wrong_forged_or_foreign_proof_is_refused_next_to_the_field(service, pages, owner):
    client = service.client()
    csrf, challenge, bits = form(pages, client)
    wrong = next(str(n) for n in range(10**6) if not proof_of_work.solves(challenge, str(n), bits))
    assert send(client, csrf, challenge, wrong).status_code == 422
    csrf, challenge, bits = form(pages, client)
    issued, nonce, _, signature = challenge.split(".")
    easy = f"{issued}.{nonce}.1.{signature}"  # a lower difficulty the server never signed
    refused = send(client, csrf, easy, proof_of_work.solve(easy, 1))
    assert refused.status_code == 422 and FAILED in html.unescape(refused.text)
    other = service.client()
    _, foreign, bits = form(pages, other)
    assert send(client, csrf, foreign, proof_of_work.solve(foreign, bits)).status_code == 422


def test_the_form_loads_the_script_and_explains_the_fallback_without_javascript(service, pages):
    page = html.unescape(service.client().get("/connexion/mot-de-passe-oublie").text)
    assert '<script src="/static/pow.js" defer></script>' in page
    assert 'role="status" aria-live="polite"' in page and "Sans JavaScript, recopiez les chiffres" in page


def test_the_proof_counts_leading_zero_bits_as_the_script_does():
    assert proof_of_work.leading_zero_bits(bytes([0, 0, 0x20]) + bytes(29)) == 18
    assert proof_of_work.leading_zero_bits(bytes([0x80]) + bytes(31)) == 0
    assert not proof_of_work.solves("x", "-1", 1) and not proof_of_work.solves("x", "9" * 14, 1)
