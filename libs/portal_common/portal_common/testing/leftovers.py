"""What earlier test runs left on the shared broker and database server, swept before a run starts.

A run that is killed (a timeout, Ctrl-C, a CI job cancelled) never reaches its teardown: its vhosts keep their
quorum queues and its databases stay. On a machine whose RabbitMQ serves every run, hundreds of abandoned quorum
queues slow the broker until AMQP handshakes time out for everyone. Each run registers itself (its process id, in
a directory beside the system's temporary files); a run's leftovers are swept by the next run once no live process
owns them and nothing is connected to them.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

RUNS = Path(tempfile.gettempdir()) / "portal-test-runs"
VHOST = re.compile(r"^portal-test-([0-9a-f]{8})-")
DATABASE = re.compile(r"^portal_([0-9a-f]{8})_")
SWEEP_BUDGET_S = 180.0  # deleting a vhost of quorum queues takes seconds: the rest waits for the next run


def register(run_id: str) -> None:
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / run_id).write_text(str(os.getpid()))


def unregister(run_id: str) -> None:
    (RUNS / run_id).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_runs() -> set[str]:
    """The runs whose process still lives; the registration of a dead one is removed."""
    if not RUNS.is_dir():
        return set()
    live = set()
    for entry in RUNS.iterdir():
        try:
            pid = int(entry.read_text() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and _alive(pid):
            live.add(entry.name)
        else:
            entry.unlink(missing_ok=True)
    return live


def _rabbitmqctl(*args: str) -> list[str]:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)
    return [line.strip() for line in done.stdout.splitlines()[1:] if line.strip()] if done.returncode == 0 else []


def abandoned_vhosts(own_run: str) -> list[str]:
    """Test vhosts of runs that no longer live and that nothing is connected to.

    Listed first, judged after: a run registers before it creates its vhost, so the registration of any vhost
    listed here is already written when the live runs are read. Judged on an older look at the runs, a vhost made
    meanwhile by a run just started was deleted under it (rabbitmqctl takes seconds, minutes under load)."""
    listed = _rabbitmqctl("list_vhosts", "name")
    live = live_runs() | {own_run}
    busy = set(_rabbitmqctl("list_connections", "vhost"))
    found = []
    for vhost in listed:
        match = VHOST.match(vhost)
        if match and match.group(1) not in live and vhost not in busy:
            found.append(vhost)
    return found


def sweep(pg_admin_dsn: str, own_run: str) -> list[str]:
    """Delete abandoned test vhosts and databases (within a time budget); returns what was deleted."""
    deleted: list[str] = []
    deadline = time.monotonic() + SWEEP_BUDGET_S
    try:
        vhosts = abandoned_vhosts(own_run)
    except (OSError, subprocess.TimeoutExpired):
        vhosts = []  # no rabbitmqctl here, or a broker too slow to answer: the run goes on
    for vhost in vhosts:
        if time.monotonic() > deadline:
            break
        try:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            break
        deleted.append(vhost)
    try:
        with psycopg.connect(pg_admin_dsn, autocommit=True, connect_timeout=5) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
            live = live_runs() | {own_run}  # read after the listing, as for the vhosts
            for name in names:
                match = DATABASE.match(name)
                if not match or match.group(1) in live:
                    continue
                try:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # without FORCE: one in use stays
                except psycopg.Error:
                    continue
                deleted.append(name)
    except psycopg.OperationalError:
        pass  # no local PostgreSQL: the Docker fallback starts a fresh one
    return deleted
