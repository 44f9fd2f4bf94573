"""Failed-login counters are purged once every window, lock and delay is over; a live one is never touched."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from identity import maintenance
from identity.login import rules as lockout
from identity.models import LoginThrottle
from portal_common import clock as portal_clock

pytestmark = pytest.mark.integration

WRONG = "mauvais mot de passe"
PAST_EVERY_WINDOW = timedelta(minutes=15, hours=1, seconds=1)


def counters(service):
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(LoginThrottle))


def test_counters_older_than_every_window_go_and_recent_ones_stay(service, pages, clock):
    client = service.client()
    assert pages.login(client, "personne@nulle-part.fr", password=WRONG).status_code == 401
    clock.now += PAST_EVERY_WINDOW
    assert pages.login(client, "quelquun@ailleurs.fr", password=WRONG).status_code == 401
    assert counters(service) == 4  # each identifier's counter and its counter from this address
    assert maintenance.purge_throttle(service.portal) == 2
    with service.portal.db.session_factory() as session:
        assert sorted(session.scalars(select(LoginThrottle.key))) == sorted(
            [
                lockout.throttle_key(None, "quelquun@ailleurs.fr"),
                lockout.pair_key(None, "quelquun@ailleurs.fr", "127.0.0.1"),
            ]
        )


def test_a_counter_just_inside_the_margin_stays(service, pages, clock):
    assert pages.login(service.client(), "personne@nulle-part.fr", password=WRONG).status_code == 401
    clock.now += PAST_EVERY_WINDOW - timedelta(seconds=2)
    assert maintenance.purge_throttle(service.portal) == 0 and counters(service) == 2


def test_a_live_lockout_still_holds_after_the_purge(service, owner, pages, clock):
    client = service.client()
    for attempt in range(10):  # from ten addresses: the account's lock, not one address's
        if attempt:
            clock.advance(seconds=70)
        assert pages.login(client, "1000001", password=WRONG, address=f"198.51.100.{attempt + 1}").status_code == 401
    clock.advance(minutes=14)
    assert maintenance.purge_throttle(service.portal) == 0
    assert pages.login(client, "1000001").status_code == 429
    clock.advance(minutes=1)
    assert pages.login(client, "1000001").status_code == 303


def test_a_growing_delay_still_holds_after_the_purge(service, owner, pages, clock):
    client = service.client()
    for attempt in range(5):
        assert pages.login(client, "1000001", password=WRONG, address=f"198.51.100.{attempt + 1}").status_code == 401
    assert maintenance.purge_throttle(service.portal) == 0
    assert pages.login(client, "1000001").status_code == 429


def test_the_maintenance_command_purges_expired_counters(service, portal_env):
    now = portal_clock.utcnow()
    with service.portal.db.session_factory() as session:
        session.add_all(
            [
                LoginThrottle(
                    key="a" * 64,
                    consecutive_failures=3,
                    window_failures=3,
                    window_started_at=now - timedelta(hours=3),
                    updated_at=now - timedelta(hours=3),
                ),
                LoginThrottle(
                    key="b" * 64, consecutive_failures=1, window_failures=1, window_started_at=now, updated_at=now
                ),
            ]
        )
        session.commit()
    env = {**os.environ, **portal_env.environ("identity", service.database_url)}
    done = subprocess.run(
        [sys.executable, "-m", "identity.maintenance", "purge-throttle"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 compteur(s)" in done.stdout
    with service.portal.db.session_factory() as session:
        assert session.scalars(select(LoginThrottle.key)).all() == ["b" * 64]


def test_the_worker_housekeeping_thread_purges_expired_counters_on_its_own(service):
    now = portal_clock.utcnow()
    with service.portal.db.session_factory() as session:
        session.add(
            LoginThrottle(
                key="c" * 64,
                consecutive_failures=2,
                window_failures=2,
                window_started_at=now - timedelta(days=1),
                updated_at=now - timedelta(days=1),
            )
        )
        session.commit()
    periodic = maintenance.start_housekeeping(service.portal, every=0.05)
    try:
        deadline = time.monotonic() + 10
        while counters(service) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        periodic.stop()
    assert counters(service) == 0
