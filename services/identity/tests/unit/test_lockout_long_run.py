"""The lockout arithmetic stays defined however long an account is attacked (docs/security.md AUTH-20)."""

from datetime import UTC, datetime, timedelta

from identity.login.rules import LockoutPolicy, ThrottleState

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_a_thousand_spread_failures_keep_the_delay_at_fifteen_minutes_without_overflowing():
    policy, state, now = LockoutPolicy(), ThrottleState(), NOW
    for _ in range(1000):  # one every 16 minutes: never locked, the consecutive count only grows
        state, locked = policy.after_failure(state, now)
        assert not locked
        now += timedelta(minutes=16)
    assert state.consecutive_failures == 1000
    assert state.blocked_until - (now - timedelta(minutes=16)) == timedelta(minutes=15)
