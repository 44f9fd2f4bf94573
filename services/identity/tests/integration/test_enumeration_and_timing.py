"""No user enumeration, by answer and by time (docs/security.md AUTH-22, AUTH-30).

For each public entry point, 500 attempts naming an existing account and 500 naming nobody, interleaved in the
same run: every pair gets the same status, the same page (modulo hidden values and what was typed) and the same
cookies (names and attributes), and the medians of the two populations are within 5 % of each other. This is a
measured security property, not a speed assertion: only the two populations of one run are compared with each
other, as a ratio, so a slow or busy machine slows both alike.

To keep 2 x 500 attempts per entry point fast, every password hash of these tests uses one cheaper argon2 profile
and the answer floors of code and reset requests are 50 ms instead of 150 ms: the property measured is that both
paths do the same work (or wait for the same floor), which holds for any one profile or floor used on both sides,
and a longer production floor only widens the margin over the work it hides.

The clock is moved between attempts so that the per-account counters (lockout, links and codes per hour) never
make one population take a different path from the other.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from identity.accounts import queries as account_queries
from identity.codes import use_cases as code_requests
from identity.login import passwords
from identity.models import LoginCode, OneTimeLink, User
from identity.recovery import captcha
from identity.recovery import queries as reset_choices
from identity.recovery import use_cases as reset_requests
from portal_common.digests import keyed_digest

pytestmark = pytest.mark.integration

SAMPLES = 500
MAX_MEDIAN_GAP = 0.05  # of the faster population's median
TEST_FLOOR_S = 0.05
CODE = "GC9M15ZA"
OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


def without_values(html: str) -> str:
    """The page without what legitimately differs: hidden tokens and the identifier echoed back."""
    return re.sub(r'value="[^"]*"', "", html)


def interleaved(
    known: Callable[[int], tuple[float, object]],
    unknown: Callable[[int], tuple[float, object]],
    between: Callable[[], None],
) -> list[tuple[tuple[float, object], tuple[float, object]]]:
    """SAMPLES pairs, alternating which one goes first so a drift of the machine weighs on both alike."""
    pairs = []
    for index in range(SAMPLES):
        if index % 2:
            second = unknown(index)
            first = known(index)
        else:
            first = known(index)
            second = unknown(index)
        pairs.append((first, second))
        between()
    return pairs


def cookies(response) -> list[str]:
    """The cookies an answer sets, without their values (a CSRF token or a date legitimately differs)."""
    return sorted(re.sub(r"=[^;]*", "", header) for header in response.headers.getlist("Set-Cookie"))


def assert_same_median(pairs: list, what: str) -> None:
    assert len(pairs) == SAMPLES
    known = statistics.median(k[0] for k, _ in pairs)
    unknown = statistics.median(u[0] for _, u in pairs)
    gap = abs(known - unknown) / min(known, unknown)
    print(f"{what}: {SAMPLES} pairs, medians {known * 1000:.2f} / {unknown * 1000:.2f} ms, {gap:.1%} apart")
    assert gap < MAX_MEDIAN_GAP, (
        f"{what}: median {known * 1000:.1f} ms for existing accounts, "
        f"{unknown * 1000:.1f} ms for unknown ones ({gap:.1%} apart)"
    )


@pytest.fixture
def shorter_floors(monkeypatch):
    """Code and reset requests wait for a 50 ms floor in these tests (see the module's docstring)."""
    monkeypatch.setattr(code_requests, "ANSWER_FLOOR_S", TEST_FLOOR_S)
    monkeypatch.setattr(reset_requests, "ANSWER_FLOOR_S", TEST_FLOOR_S)
    monkeypatch.setattr(reset_choices, "ANSWER_FLOOR_S", TEST_FLOOR_S)


@pytest.fixture
def cheaper_argon2(service, owner, monkeypatch):
    """argon2id with smaller parameters for every hash of this test, the account's and the dummy one alike.

    1,000 verifications with the production profile (19 MiB, t=2, p=1) take minutes on a busy 2-core machine;
    the property measured is that both paths do the same work, which holds for any one profile used on both sides.
    16 MiB and t=2 keep the hash the larger part of the answer's time, as the production profile is, so that the
    5 % ratio weighs the same thing it weighs in production.
    """
    cheap = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    passwords._dummy_hash.cache_clear()
    with service.portal.uow() as tx:
        tx.session.get(User, owner.id).password_hash = cheap.hash("une phrase de passe assez longue")
        tx.commit()
    yield cheap
    passwords._dummy_hash.cache_clear()


def test_login_answers_and_takes_the_same_time_for_an_existing_and_an_unknown_account(
    service, owner, pages, clock, cheaper_argon2
):
    client = service.client()

    def attempt(identifier: str) -> tuple[float, object]:
        token = pages.csrf(client.get("/connexion").text)
        return timed(
            lambda: client.post(
                "/connexion",
                data={"identifier": identifier, "csrf_token": token, "password": "mauvais mot de passe", "next": "/"},
            )
        )

    # Past any delay (15 minutes at most) and out of the 15-minute window: every attempt is really evaluated.
    pairs = interleaved(lambda _: attempt("1000001"), lambda _: attempt("9999999"), lambda: clock.advance(minutes=16))
    for (_, known), (_, unknown) in pairs:
        assert known.status_code == unknown.status_code == 401
        assert without_values(known.text) == without_values(unknown.text)
        assert cookies(known) == cookies(unknown)
    assert_same_median(pairs, "login")


def test_a_code_request_answers_and_takes_the_same_time_for_an_existing_and_an_unknown_address(
    service, owner, pages, clock, shorter_floors
):
    client = service.client()

    def ask(email: str) -> tuple[float, object]:
        token = pages.csrf(client.get("/connexion/code").text)
        return timed(lambda: client.post("/connexion/code", data={"email": email, "csrf_token": token}))

    pairs = interleaved(
        lambda _: ask("chef@boulangerie.fr"), lambda _: ask("personne@nulle-part.fr"), lambda: clock.advance(minutes=61)
    )  # out of the 5-codes-an-hour limit
    for (_, known), (_, unknown) in pairs:
        assert (known.status_code, known.headers["Location"], known.text) == (
            unknown.status_code,
            unknown.headers["Location"],
            unknown.text,
        )
        assert known.status_code == 303 and cookies(known) == cookies(unknown)
    with service.portal.db.session_factory() as db:  # the known address really got its codes: both paths taken
        assert db.scalar(select(func.count()).select_from(LoginCode).where(LoginCode.user_id.is_not(None))) == SAMPLES
    assert_same_median(pairs, "code request")


def test_a_reset_request_answers_and_takes_the_same_time_for_an_existing_and_an_unknown_account(
    service, owner, pages, clock, monkeypatch, shorter_floors
):
    monkeypatch.setattr(captcha, "new_answer", lambda: "40719")
    client = service.client()
    shape = lambda html: re.sub(
        r"\s+", " ", re.sub(r'value="[^"]*"|<div class="field field--checkbox">.*?</div>', "", html, flags=re.S)
    )
    steps: dict[str, list] = {"known": [], "unknown": []}

    def journey(identifier: str, population: str) -> tuple[float, object]:
        token = pages.csrf(client.get("/connexion/mot-de-passe-oublie").text)
        client.get("/connexion/captcha.png")
        spent, page = timed(
            lambda: client.post(
                "/connexion/mot-de-passe-oublie",
                data={"identifier": identifier, "captcha": "40719", "csrf_token": token},
            )
        )
        fields = dict(re.findall(r'name="(csrf_token|identifier|issued|signature)" value="([^"]*)"', page.text))
        sent_spent, sent = timed(
            lambda: client.post("/connexion/mot-de-passe-oublie/envoi", data={**fields, "kind": "account"})
        )
        steps[population].append((sent_spent, sent))
        return spent, page

    pairs = interleaved(
        lambda _: journey("1000001", "known"),
        lambda _: journey("1999999", "unknown"),
        lambda: clock.advance(minutes=61),
    )  # out of the 3-links-an-hour limit
    for (_, known), (_, unknown) in pairs:
        assert known.status_code == unknown.status_code == 200
        assert shape(known.text) == shape(unknown.text)
        assert cookies(known) == cookies(unknown)
    assert_same_median(pairs, "reset request, address choice")
    sent_pairs = list(zip(steps["known"], steps["unknown"]))
    for (_, known), (_, unknown) in sent_pairs:
        assert (known.status_code, known.text) == (unknown.status_code, unknown.text) and known.status_code == 200
        assert cookies(known) == cookies(unknown)
    assert_same_median(sent_pairs, "reset request, sending the link")
    with service.portal.db.session_factory() as db:  # the known account really got its links: both paths taken
        assert db.scalar(select(func.count()).select_from(OneTimeLink)) == SAMPLES


@pytest.fixture
def claimable(service, pages, owner):
    """Garage du Centre (n° 1000002) publishes its n° télédéclarant; the owner's account already exists."""
    key = service.portal.settings.internal_key
    pages.register_member(
        OTHER_MEMBER, "1000002", "Garage du Centre", declarant_code_digest=keyed_digest(key, "declarant-code", CODE)
    )
    return owner


def test_the_company_codes_answer_and_take_the_same_time_for_an_existing_and_an_unknown_member_number(
    service, pages, claimable, clock
):
    client = service.client()

    def codes(number: str) -> tuple[float, object]:
        token = pages.csrf(client.get("/connexion/premier-compte").text)
        return timed(
            lambda: client.post(
                "/connexion/premier-compte",
                data={"member_number": number, "declarant_code": "WRONG123", "csrf_token": token},
            )
        )

    pairs = interleaved(
        lambda _: codes("1000002"), lambda _: codes("9999999"), lambda: clock.advance(minutes=16)
    )  # past the growing delay of the member-number counter
    for (_, known), (_, unknown) in pairs:
        assert known.status_code == unknown.status_code == 401
        assert without_values(known.text) == without_values(unknown.text)
        assert cookies(known) == cookies(unknown)
    assert_same_median(pairs, "first account, company codes")


def test_the_first_account_form_answers_and_takes_the_same_time_for_an_existing_and_an_unknown_address(
    service, pages, claimable, clock, cheaper_argon2
):
    client = service.client()

    def details(email: str) -> tuple[float, object]:
        token = pages.csrf(client.get("/connexion/premier-compte").text)
        page = client.post(
            "/connexion/premier-compte",
            data={"member_number": "1000002", "declarant_code": CODE, "delegate": "1", "csrf_token": token},
        )
        assert page.status_code == 200
        hidden = dict(re.findall(r'name="(csrf_token|member_id|issued|signature|delegate)" value="([^"]*)"', page.text))
        return timed(
            lambda: client.post(
                "/connexion/premier-compte/compte",
                data={
                    **hidden,
                    "last_name": "Durand",
                    "first_name": "Élise",
                    "job_title": "Expert-comptable",
                    "email": email,
                    "email_confirmation": email,
                    "mobile": "",
                },
            )
        )

    pairs = interleaved(
        lambda _: details("chef@boulangerie.fr"),
        lambda i: details(f"nouveau{i}@cabinet.fr"),
        lambda: clock.advance(minutes=61),
    )  # out of the links-an-hour limit of the account
    for index, ((_, known), (_, unknown)) in enumerate(pairs):
        assert known.status_code == unknown.status_code == 200
        assert known.text.replace("chef@boulangerie.fr", "@") == unknown.text.replace(f"nouveau{index}@cabinet.fr", "@")
        assert cookies(known) == cookies(unknown)
    assert account_queries.get_user(service.portal, claimable.id).is_active
    assert_same_median(pairs, "first account, details")
