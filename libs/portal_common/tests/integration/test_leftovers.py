"""A killed run's vhosts and databases are swept by the next run; a live run's, or a vhost in use, are kept."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import quote

import psycopg
import pytest

from portal_common.messaging import broker
from portal_common.testing import leftovers
from portal_common.testing.environment import add_vhost

pytestmark = pytest.mark.integration


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def vhosts() -> set[str]:
    return set(leftovers._rabbitmqctl("list_vhosts", "name"))


def databases(admin: str) -> set[str]:
    with psycopg.connect(admin, autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


@pytest.fixture
def runs(portal_env):
    """A dead run (registered by a process that has ended), a live one (this process), an unregistered one."""
    dead, live, unregistered = "dead0001", "11ae0002", "0dd00003"
    leftovers.RUNS.mkdir(parents=True, exist_ok=True)
    (leftovers.RUNS / dead).write_text(str(dead_pid()))
    leftovers.register(live)
    made = {run: f"portal-test-{run}-left" for run in (dead, live, unregistered)}
    for vhost in made.values():
        add_vhost(vhost)
    with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
        for run in (dead, live):
            conn.execute(f'DROP DATABASE IF EXISTS "portal_{run}_left"')
            conn.execute(f'CREATE DATABASE "portal_{run}_left"')
    yield dead, live, unregistered, made
    leftovers.unregister(live)
    for vhost in made.values():
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
    with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
        for run in (dead, live):
            conn.execute(f'DROP DATABASE IF EXISTS "portal_{run}_left"')


def test_a_dead_runs_vhost_and_database_are_swept_and_a_live_or_connected_ones_kept(runs, portal_env):
    dead, live, unregistered, made = runs
    # The unregistered run's vhost has a client connected: someone is using it, whatever the registry says.
    in_use = broker.connect(f"amqp://guest:guest@127.0.0.1:5672/{quote(made[unregistered], safe='')}")
    try:
        swept = leftovers.sweep(portal_env.pg_admin_dsn, own_run=portal_env.run_id)
    finally:
        in_use.close()
    assert made[dead] in swept and f"portal_{dead}_left" in swept
    left = vhosts()
    assert made[dead] not in left
    assert made[live] in left and made[unregistered] in left
    names = databases(portal_env.pg_admin_dsn)
    assert f"portal_{dead}_left" not in names and f"portal_{live}_left" in names
    assert not (leftovers.RUNS / dead).exists()  # the dead run's registration went with it


def test_this_runs_own_vhost_and_databases_are_never_swept(portal_env):
    own = portal_env.broker_url().rsplit("/", 1)[1]
    leftovers.sweep(portal_env.pg_admin_dsn, own_run=portal_env.run_id)
    assert own.replace("%2F", "/") in vhosts() or own in vhosts()


def test_a_run_that_starts_while_a_sweep_is_looking_keeps_its_vhost_and_database(portal_env, monkeypatch):
    """The sweep's first look at the broker is where a run may start meanwhile: registered, then its vhost and
    database made. Judged on a look at the runs taken before, they were deleted under it."""
    newcomer = "5ea70004"
    vhost, database = f"portal-test-{newcomer}-left", f"portal_{newcomer}_left"
    real = leftovers._rabbitmqctl
    started: list[str] = []

    def a_run_starts_first(*args: str) -> list[str]:
        if not started:
            started.append(newcomer)
            leftovers.register(newcomer)
            subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=60)
            with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
                conn.execute(f'CREATE DATABASE "{database}"')
        return real(*args)

    monkeypatch.setattr(leftovers, "_rabbitmqctl", a_run_starts_first)
    try:
        swept = leftovers.sweep(portal_env.pg_admin_dsn, own_run=portal_env.run_id)
        assert started and vhost not in swept and database not in swept
        assert vhost in vhosts() and database in databases(portal_env.pg_admin_dsn)
    finally:
        leftovers.unregister(newcomer)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
        with psycopg.connect(portal_env.pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
