"""The forgotten-password captcha: showing an image writes nothing; the form's POST spends the image's token, so a
right answer passes once, a replayed, expired, forged or wrong one is refused next to the field (CSRF-01)."""

import re

import pytest
from sqlalchemy import func, select

from identity import maintenance
from identity.models import Base, CaptchaSpent
from identity.recovery import captcha

pytestmark = pytest.mark.integration

REFUSED = "Les chiffres saisis ne correspondent pas à l'image : recopiez ceux de la nouvelle image."


@pytest.fixture(autouse=True)
def known_captcha(monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: "40719")


def row_counts(service):
    with service.portal.db.engine.connect() as conn:
        return {
            table.name: conn.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables
        }


def spent(service):
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(CaptchaSpent))


def show(pages, client):
    token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
    image = client.get("/connexion/captcha.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    return token


def submit(client, token, answer="40719"):
    return client.post(
        "/connexion/mot-de-passe-oublie", data={"identifier": "1000001", "captcha": answer, "csrf_token": token}
    )


def field_error(page):
    found = re.search(r'<p class="field-error" id="f-captcha-error">([^<]*)</p>', page.text)
    return found and found[1].replace("&#39;", "'")


def test_showing_the_captcha_writes_nothing(service, owner, pages):
    client = service.client()
    client.get("/connexion/mot-de-passe-oublie")
    before = row_counts(service)
    for _ in range(5):
        assert client.get("/connexion/captcha.png").status_code == 200
    assert row_counts(service) == before
    assert client.get_cookie(captcha.COOKIE).http_only


def test_a_right_answer_passes_once_and_its_token_replayed_is_refused(service, owner, pages):
    client = service.client()
    token = show(pages, client)
    assert submit(client, token).status_code == 200
    replayed = submit(client, token)
    assert replayed.status_code == 422 and field_error(replayed) == REFUSED
    assert spent(service) == 1


def test_a_wrong_answer_is_refused_next_to_the_field_and_spends_the_image(service, owner, pages):
    client = service.client()
    token = show(pages, client)
    wrong = submit(client, token, answer="00000")
    assert wrong.status_code == 422 and field_error(wrong) == REFUSED
    assert submit(client, token).status_code == 422  # one try per image, even with the right digits afterwards
    client.get("/connexion/captcha.png")  # the new image shown with the error
    assert submit(client, token).status_code == 200


def test_an_expired_token_is_refused_and_not_recorded(service, owner, pages, clock):
    client = service.client()
    token = show(pages, client)
    clock.advance(minutes=10)
    expired = submit(client, token)
    assert expired.status_code == 422 and field_error(expired) == REFUSED
    assert spent(service) == 0


def test_a_forged_or_foreign_token_is_refused_without_writing(service, owner, pages):
    victim, attacker = service.client(), service.client()
    show(pages, victim)
    token = show(pages, attacker)
    attacker.set_cookie(captcha.COOKIE, victim.get_cookie(captcha.COOKIE).value)  # bound to the victim's browser
    assert submit(attacker, token).status_code == 422
    attacker.set_cookie(captcha.COOKIE, "1.2.3.4")
    assert submit(attacker, token).status_code == 422
    assert spent(service) == 0


def test_spent_tokens_are_purged_once_expired(service, owner, pages, clock):
    client = service.client()
    assert submit(client, show(pages, client)).status_code == 200
    assert maintenance.purge_spent_captchas(service.portal) == 0
    clock.advance(minutes=10, seconds=1)
    assert maintenance.purge_spent_captchas(service.portal) == 1 and spent(service) == 0
