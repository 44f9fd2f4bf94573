"""Login limits that fit real offices (docs/security.md AUTH-20, AUTH-21): counted per account whatever the address,
and sooner per (account, address); many people behind one office address are never held back by each other; a
refusal is a French 429 with `Retry-After`."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from identity.accounts import use_cases as accounts
from identity.login import passwords
from identity.login import use_cases as credentials
from identity.login.rules import ACCOUNT_POLICY, PAIR_POLICY
from identity.models import LoginThrottle, User

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
WRONG = "mauvais mot de passe"
OFFICE = "203.0.113.50"  # the accounting firm's one public address (documentation range, RFC 5737)


def elsewhere(index: int) -> str:
    return f"198.51.100.{index + 1}"


@pytest.fixture
def cheaper_argon2(service, owner, monkeypatch):
    """Dozens of sign-ins: one cheap argon2 profile for every hash of the test, the owner's included."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    passwords._dummy_hash.cache_clear()
    with service.portal.uow() as tx:
        tx.session.get(User, owner.id).password_hash = cheap.hash(PASSWORD)
        tx.commit()
    yield
    passwords._dummy_hash.cache_clear()


def test_the_policies_stop_one_address_before_the_account_and_before_it_could_lock_the_account():
    assert PAIR_POLICY.delay_from < ACCOUNT_POLICY.delay_from
    assert PAIR_POLICY.lock_after < ACCOUNT_POLICY.lock_after
    assert PAIR_POLICY.attempts_per_minute < ACCOUNT_POLICY.attempts_per_minute
    assert PAIR_POLICY.window == ACCOUNT_POLICY.window  # so one address alone never reaches the account's lock


def test_forty_people_of_one_office_address_sign_in_within_a_minute_and_none_is_refused(
    service, pages, clock, cheaper_argon2
):
    for index in range(40):
        accounts.create_user(
            service.portal,
            email=f"collaborateur{index}@cabinet-durand.fr",
            display_name=f"N° {index}",
            password=PASSWORD,
        )
    answers = []
    for index in range(40):
        client = service.client()
        if index % 4 == 0:  # some mistype their password first
            answers.append(pages.login(client, f"collaborateur{index}@cabinet-durand.fr", WRONG, address=OFFICE))
        answers.append(pages.login(client, f"collaborateur{index}@cabinet-durand.fr", address=OFFICE))
        clock.advance(seconds=1.2)
    assert [a.status_code for a in answers].count(303) == 40
    assert {a.status_code for a in answers} == {303, 401}


def test_one_address_guessing_at_one_account_waits_sooner_and_the_owner_still_signs_in_from_the_office(
    service, owner, pages, clock
):
    client = service.client()
    assert [pages.login(client, "1000001", WRONG, address=elsewhere(0)).status_code for _ in range(3)] == [401] * 3
    refused = pages.login(client, "1000001", address=elsewhere(0))  # the right password is not even checked
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    # The account's own counter (3 failures) is below its delay: from the office, the owner signs in.
    assert pages.login(service.client(), "1000001", address=OFFICE).status_code == 303


def test_six_failures_from_one_address_lock_that_address_out_of_the_account_but_not_the_owner(
    service, owner, pages, clock, smtp
):
    client = service.client()
    for attempt in range(6):
        if attempt:
            clock.advance(seconds=70)  # past each delay of the address
        assert pages.login(client, "1000001", WRONG, address=elsewhere(0)).status_code == 401
    locked = pages.login(client, "1000001", address=elsewhere(0))
    assert locked.status_code == 429 and locked.headers["Retry-After"] == str(15 * 60)
    # Not the account's lock: no e-mail, and its owner signs in from another address once the account's own
    # short delay (2 s after its 6th consecutive failure) is over.
    assert service.deliver_mail() == 0
    clock.advance(seconds=2)
    assert pages.login(service.client(), "1000001", address=OFFICE).status_code == 303
    clock.advance(minutes=15)
    assert pages.login(client, "1000001", address=elsewhere(0)).status_code == 303


def test_one_account_hammered_from_many_addresses_is_limited_by_its_own_counter(service, owner, pages, clock):
    client = service.client()
    statuses = [pages.login(client, "1000001", WRONG, address=elsewhere(i)).status_code for i in range(7)]
    assert statuses == [401] * 5 + [429] * 2  # one try each: only the account's counter stops them
    assert pages.login(service.client(), "1000001", address=OFFICE).status_code == 429


def test_more_than_ten_sign_ins_a_minute_from_one_address_and_thirty_from_all_are_refused(
    service, owner, pages, clock, cheaper_argon2
):
    client = service.client()
    from_one = [pages.login(client, "1000001", address=OFFICE).status_code for _ in range(11)]
    assert from_one == [303] * 10 + [429]
    from_many = [pages.login(client, "1000001", address=elsewhere(i // 10)).status_code for i in range(21)]
    assert from_many == [303] * 20 + [429]  # 30 in the minute for the account
    clock.advance(seconds=30)
    late = pages.login(client, "1000001", address=elsewhere(9))
    assert late.status_code == 429 and late.headers["Retry-After"] == "30"
    clock.advance(seconds=30)
    assert pages.login(client, "1000001", address=OFFICE).status_code == 303


def test_the_refusal_is_a_french_page_with_retry_after_the_same_for_an_unknown_identifier(service, owner, pages, clock):
    def fourth(identifier):
        client = service.client()
        for _ in range(3):
            pages.login(client, identifier, WRONG, address=elsewhere(0))
        return pages.login(client, identifier, WRONG, address=elsewhere(0))

    known, unknown = fourth("1000001"), fourth("9999999")
    for refused in (known, unknown):
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["Content-Type"].startswith("text/html")
        assert 'lang="fr"' in refused.text and "Trop de tentatives de connexion" in refused.text


def test_a_password_reset_clears_the_counters_of_every_address(service, owner, pages, clock):
    client = service.client()
    for attempt in range(6):
        if attempt:
            clock.advance(seconds=70)
        pages.login(client, "1000001", WRONG, address=elsewhere(0))
    assert pages.login(client, "1000001", address=elsewhere(0)).status_code == 429
    with service.portal.uow() as tx:
        credentials.clear(tx.session, owner.id)
        tx.commit()
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
    assert pages.login(client, "1000001", address=elsewhere(0)).status_code == 303


def test_the_second_factor_refused_by_the_limits_says_when_to_try_again(service, owner, pages, clock):
    pages.enrol_totp(owner.id)
    client = service.client()
    assert (
        pages.login(client, "1000001", address=OFFICE)
        .headers["Location"]
        .startswith("/connexion/double-authentification")
    )
    office = {"X-Real-IP": OFFICE}
    wrong = [
        pages.post(client, "/connexion/double-authentification", {"code": "000000"}, headers=office).status_code
        for _ in range(4)
    ]
    assert wrong == [401] * 3 + [429]
    refused = pages.post(client, "/connexion/double-authentification", {"code": "000000"}, headers=office)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Trop de tentatives" in refused.text
