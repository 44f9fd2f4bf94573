"""The limits per account and per (account, address), without any database (docs/security.md AUTH-20, AUTH-21)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from identity.login.rules import (
    ACCOUNT_POLICY,
    PAIR_POLICY,
    ThrottleState,
    pair_key,
    throttle_key,
    wait_seconds,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_ten_attempts_in_a_minute_pass_for_one_address_and_the_eleventh_waits_for_the_minute_to_end():
    state = ThrottleState()
    for second in range(10):
        assert PAIR_POLICY.may_try(state, NOW + timedelta(seconds=second))
        state = PAIR_POLICY.after_success(state, NOW + timedelta(seconds=second))
    assert PAIR_POLICY.retry_at(state, NOW + timedelta(seconds=10)) == NOW + timedelta(minutes=1)
    assert PAIR_POLICY.may_try(state, NOW + timedelta(minutes=1))


def test_a_success_forgets_the_failures_but_not_the_attempts_of_the_minute():
    state, _ = ACCOUNT_POLICY.after_failure(ThrottleState(), NOW)
    state = ACCOUNT_POLICY.after_success(state, NOW)
    assert (state.consecutive_failures, state.window_failures, state.blocked_until) == (0, 0, None)
    assert state.minute_attempts == 2


def test_one_address_waits_from_its_third_failure_and_is_locked_at_its_sixth():
    state = ThrottleState()
    for attempt in range(6):
        state, locked = PAIR_POLICY.after_failure(state, NOW + timedelta(minutes=attempt))
    assert locked and state.blocked_until == NOW + timedelta(minutes=5 + 15)
    third, _ = PAIR_POLICY.after_failure(
        PAIR_POLICY.after_failure(PAIR_POLICY.after_failure(ThrottleState(), NOW)[0], NOW)[0], NOW
    )
    assert third.blocked_until == NOW + timedelta(seconds=1)


def test_the_address_and_account_counters_are_distinct_per_address_and_never_the_account_one():
    account = throttle_key("u-1")
    assert pair_key("u-1", "", "203.0.113.50") != pair_key("u-1", "", "203.0.113.51")
    assert account not in {pair_key("u-1", "", "203.0.113.50"), pair_key("u-1", "", None)}
    # An unknown identifier gets counters of its own, like an account.
    assert pair_key(None, "9999999", "203.0.113.50") != pair_key(None, "9999998", "203.0.113.50")


def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one():
    assert wait_seconds(NOW + timedelta(milliseconds=1), NOW) == 1
    assert wait_seconds(NOW + timedelta(seconds=59, milliseconds=10), NOW) == 60
    assert wait_seconds(NOW - timedelta(seconds=5), NOW) == 1


@given(st.lists(st.integers(min_value=0, max_value=20 * 60), min_size=1, max_size=200))
def test_guesses_from_one_address_never_lock_the_account_for_its_owner(gaps):
    """Whatever the pace, the (account, address) counter stops one source before the account's lock."""
    account, pair, now = ThrottleState(), ThrottleState(), NOW
    for gap in gaps:
        now += timedelta(seconds=gap)
        if not (ACCOUNT_POLICY.may_try(account, now) and PAIR_POLICY.may_try(pair, now)):
            continue  # refused without checking: nothing is counted
        account, account_locked = ACCOUNT_POLICY.after_failure(account, now)
        pair, _ = PAIR_POLICY.after_failure(pair, now)
        assert not account_locked


@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=120), st.booleans()), min_size=1, max_size=100),
    st.sampled_from([ACCOUNT_POLICY, PAIR_POLICY]),
)
def test_a_refusal_always_names_a_moment_in_the_future_and_never_more_than_fifteen_minutes_ahead(steps, policy):
    state, now = ThrottleState(), NOW
    for gap, right in steps:
        now += timedelta(seconds=gap)
        retry_at = policy.retry_at(state, now)
        if retry_at is not None:
            assert now < retry_at <= now + timedelta(minutes=15)
            continue
        state = policy.after_success(state, now) if right else policy.after_failure(state, now)[0]
