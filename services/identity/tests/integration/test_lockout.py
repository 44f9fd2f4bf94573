"""Lockout per account, whatever the address: growing delay, temporary lock, an e-mail, no enumeration
(docs/security.md AUTH-20/22). The attempts come from many addresses, so that the sooner limits of one address
(test_login_limits.py) do not stand in for the account's."""

import re

import pytest
from sqlalchemy import select

from identity.login import passwords
from identity.login import use_cases as credentials
from identity.models import SecurityEvent

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def evaluations(monkeypatch):
    """Counts the password verifications actually run (the costly, guessable part)."""
    calls = []
    real = passwords.verify_password

    def counting(password_hash, password):
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(credentials, "verify_password", counting)
    return calls


def address(index):
    """A different client address for each attempt (documentation range, RFC 5737)."""
    return f"198.51.{index // 250}.{index % 250 + 1}"


def statuses(pages, client, identifier, count, clock=None, step=0.0):
    found = []
    for index in range(count):
        found.append(
            pages.login(client, identifier, password="mauvais mot de passe", address=address(index)).status_code
        )
        if clock is not None:
            clock.advance(seconds=step)
    return found


def test_four_failures_then_the_right_password_still_signs_in(service, owner, pages, clock):
    client = service.client()
    assert statuses(pages, client, "1000001", 4) == [401] * 4
    assert pages.login(client, "1000001", address=address(4)).status_code == 303


def test_from_the_fifth_consecutive_failure_the_account_waits_longer_each_time(service, owner, pages, clock):
    client = service.client()
    assert statuses(pages, client, "1000001", 5) == [401] * 5
    # Even the right password is not checked during the delay, from any address.
    assert pages.login(client, "1000001", address=address(5)).status_code == 429
    clock.advance(seconds=1)
    assert pages.login(client, "1000001", password="encore faux", address=address(6)).status_code == 401
    clock.advance(seconds=1)
    assert pages.login(client, "1000001", address=address(7)).status_code == 429  # the 6th failure doubled it
    clock.advance(seconds=1)
    assert pages.login(client, "1000001", address=address(8)).status_code == 303


def test_ten_failures_in_fifteen_minutes_lock_the_account_and_tell_the_user(service, owner, pages, clock, smtp):
    client = service.client()
    for attempt in range(10):
        if attempt:
            clock.advance(seconds=70)  # past each delay (at most 16 s here), 10.5 minutes in all
        wrong = pages.login(client, "chef@boulangerie.fr", password="mauvais mot de passe", address=address(attempt))
        assert wrong.status_code == 401
    response = pages.login(client, "1000001", address=address(10))
    assert response.status_code == 429 and "Mot de passe oublié" in response.text
    assert response.headers["Retry-After"] == str(15 * 60)
    clock.advance(minutes=14, seconds=59)
    assert pages.login(client, "1000001", address=address(11)).status_code == 429
    assert service.deliver_mail() == 1
    mail = smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr")
    assert "verrouillé" in mail["Subject"]
    assert "http://127.0.0.1:8080/connexion/mot-de-passe-oublie" in mail.get_content()
    clock.advance(seconds=1)
    assert pages.login(client, "1000001", address=address(12)).status_code == 303


def test_a_thousand_wrong_passwords_in_an_hour_from_many_addresses_evaluate_at_most_a_hundred(
    service, owner, pages, clock, evaluations
):
    client = service.client()
    results = statuses(pages, client, "1000001", 1000, clock=clock, step=3.6)
    assert set(results) == {401, 429}
    assert 10 <= len(evaluations) <= 100


def test_an_unknown_account_is_throttled_exactly_like_a_known_one(service, owner, pages, clock):
    def attempts(identifier):
        client, found = service.client(), []
        for index in range(7):
            found.append(pages.login(client, identifier, password="mauvais mot de passe", address=address(index)))
            clock.advance(seconds=0.2)
        return found

    known, unknown = attempts("1000001"), attempts("9999999")
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429] * 2

    def page(response):  # modulo the CSRF token and the identifier echoed back
        return re.sub(r'value="[^"]*"', "", response.text)

    assert page(known[0]) == page(unknown[0]) and page(known[-1]) == page(unknown[-1])


def test_every_refused_attempt_is_logged_without_any_secret(service, owner, pages, clock):
    client = service.client()
    statuses(pages, client, "1000001", 6)
    statuses(pages, client, "8888888", 1)
    with service.portal.db.session_factory() as db:
        rows = db.scalars(select(SecurityEvent).order_by(SecurityEvent.occurred_at)).all()
    outcomes = [(r.kind, r.outcome, r.user_id) for r in rows]
    assert outcomes.count(("login", "failure", owner.id)) == 5
    assert ("login", "refused", owner.id) in outcomes
    assert ("login", "failure", None) in outcomes
    assert all(r.ip for r in rows)
    dumped = " ".join(str(vars(r)) for r in rows)
    assert "mauvais" not in dumped and "8888888" not in dumped


def test_a_weaker_stored_hash_is_upgraded_at_login(service, owner, pages):
    from argon2 import PasswordHasher

    from identity.models import User

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with service.portal.uow() as tx:
        tx.session.get(User, owner.id).password_hash = weak
        tx.commit()
    assert pages.login(service.client(), "1000001").status_code == 303
    with service.portal.db.session_factory() as db:
        stored = db.get(User, owner.id).password_hash
    assert stored != weak and "m=19456,t=2,p=1" in stored
