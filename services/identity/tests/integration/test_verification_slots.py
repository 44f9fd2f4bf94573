"""docs/security.md AUTH-08: a capped number of password verifications (19 MiB each) run at once per worker;
the excess is answered 429 with a French page, the same for known and unknown accounts."""

from __future__ import annotations

import threading
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from identity.login import passwords
from identity.models import SecurityEvent


@pytest.fixture
def one_slot(monkeypatch):
    """This worker allows one verification at a time and does not wait for a free slot."""
    limiter = passwords.Limiter(slots=1, wait_seconds=0.0)
    monkeypatch.setattr(passwords, "limiter", limiter)
    return limiter


def test_the_app_sizes_the_verification_slots_from_its_settings(service):
    settings = service.portal.settings
    assert (settings.max_concurrent_hashes, settings.hash_wait_ms) == (2, 5000)
    assert (passwords.limiter.slots, passwords.limiter.wait_seconds) == (2, 5.0)


def test_a_login_while_every_verification_slot_is_taken_gets_429_in_french_then_works_once_one_is_free(
    service, owner, pages, one_slot
):
    client = service.client()
    with service.portal.db.session_factory() as db:
        before = db.scalar(select(func.count()).select_from(SecurityEvent))
    with one_slot.slot():
        busy = pages.login(client, "1000001")
    assert busy.status_code == 429
    assert "Trop de connexions en même temps" in busy.text and "Patientez quelques secondes" in busy.text
    assert busy.headers["Retry-After"] == "5"
    with service.portal.db.session_factory() as db:  # nothing half-written: no failure counted, nothing logged
        assert db.scalar(select(func.count()).select_from(SecurityEvent)) == before
    assert pages.login(client, "1000001").status_code == 303


def test_a_busy_answer_is_the_same_for_a_known_and_an_unknown_account(service, owner, pages, one_slot):
    with one_slot.slot():
        known = pages.login(service.client(), "chef@boulangerie.fr", "pas le bon mot de passe")
        unknown = pages.login(service.client(), "personne@inconnu.fr", "pas le bon mot de passe")
    assert known.status_code == unknown.status_code == 429
    assert known.text == unknown.text


def test_parallel_logins_never_run_more_verifications_at_once_than_the_slots_and_the_excess_gets_429(
    service, pages, monkeypatch
):
    monkeypatch.setattr(passwords, "limiter", passwords.Limiter(slots=2, wait_seconds=0.0))
    running, most, lock = [0], [0], threading.Lock()
    release = threading.Event()
    real_verify = PasswordHasher.verify

    def held(self, hash, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            release.wait(timeout=30)  # the first verifications stay busy until the others have been answered
            return real_verify(self, hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", held)
    statuses: dict[int, int] = {}

    def login(number: int) -> None:  # one unknown address each: no shared lockout row serialises them
        statuses[number] = pages.login(service.client(), f"inconnu{number}@exemple.fr", "un mauvais essai").status_code

    threads = [threading.Thread(target=login, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while sum(1 for s in statuses.values() if s == 429) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert most[0] == 2
    assert sorted(statuses.values()) == [401, 401] + [429] * 6
