"""The local stack's supervisor: programs started without a shell, restarted when they die, all stopped at once."""

from __future__ import annotations

import io
import sys
import threading
import time

import pytest

from portal_stack import supervisor as sup
from portal_stack.supervisor import Program, Supervisor

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_a_program_that_dies_is_started_again_and_a_long_one_is_stopped_with_the_rest(monkeypatch, tmp_path):
    monkeypatch.setattr(sup, "BACKOFF_START", 0.1)
    secret = tmp_path / "key"
    secret.write_text("s3cret-value\n")
    out = io.StringIO()
    crashing = Program("crashing", [sys.executable, "-c", "print('up'); raise SystemExit(3)"])
    steady = Program(
        "steady",
        [
            sys.executable,
            "-c",
            "import os, time; print('key', len(os.environ['OWN_KEY']), flush=True); time.sleep(60)",
        ],
        env_files={"OWN_KEY": secret},
        instances=2,
    )
    supervisor = Supervisor([crashing, steady], {"PATH": "/usr/bin:/bin"}, out=out)
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        crash = supervisor.running[0]
        assert wait_for(lambda: crash.restarts >= 2), out.getvalue()
        assert [r.name for r in supervisor.running] == ["crashing", "steady.1", "steady.2"]
        assert wait_for(lambda: out.getvalue().count("key 12") == 2), out.getvalue()
        for running in supervisor.running[1:]:
            # The secret reached the process through its environment, never its command line.
            assert "s3cret" not in " ".join(running.program.argv)
    finally:
        started = time.monotonic()
        supervisor.stopping.set()
        thread.join(timeout=20)
    assert time.monotonic() - started < 5, "SIGTERM stops a sleeping program at once"
    assert all(r.process.poll() is not None for r in supervisor.running)
    assert "crashing           | up" in out.getvalue()
    assert "crashing exited with code 3, restarting in" in out.getvalue()


def test_the_local_stack_programs_give_each_private_key_to_its_own_service_only(tmp_path):
    from portal_stack.__main__ import programs
    from portal_stack.environment import signing_key_path, stack_environment

    env = stack_environment({"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_BILLING_WORKERS": "3"})
    found = {p.name: p for p in programs(env, tmp_path / "nginx" / "nginx.conf")}
    assert found["billing-worker"].instances == 3
    for name, program in found.items():
        service = name.split("-")[0]
        assert not any("PASSPORT_SIGNING_KEY" in key for key in program.env), name
        if name.endswith(("-web", "-worker")):
            assert program.env_files == {f"{service.upper()}_PASSPORT_SIGNING_KEY": signing_key_path(env, service)}
        else:
            assert program.env_files == {}, name
        assert program.argv[0] not in {"sh", "/bin/sh", "env"}, "started directly, no shell"


# --- the lean local stack as `make run` starts it (SQLite) -----------------------------------------------------------


def stack_processes(data_dir: str) -> dict[int, str]:
    """pid → command line of the processes started for this stack (found by their PORTAL_DATA_DIR)."""
    from pathlib import Path

    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"PORTAL_DATA_DIR={data_dir}".encode() in environ:
            found[int(entry.name)] = argv
    return found


@pytest.fixture(scope="module")
def lean_stack(portal_env):
    from tests.integration.portal_personas import running_portal

    with running_portal(portal_env, "lean", "sqlite") as stack:
        yield stack


def test_the_lean_stack_relays_and_consumes_inside_the_web_processes_and_brings_a_killed_worker_back(lean_stack):
    import os
    import signal

    data_dir = lean_stack.env["PORTAL_DATA_DIR"]
    # The demo's events leave members' outbox through the relay thread of members' web process…
    assert wait_for(
        lambda: lean_stack.rows("members", "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0,
        timeout=60,
    )
    # …and reach workforce's consumer thread, inside workforce's web process.
    assert wait_for(
        lambda: lean_stack.rows("workforce", "SELECT count(*) FROM inbox WHERE event_type LIKE 'members.%'")[0][0] > 0,
        timeout=60,
    )
    processes = stack_processes(data_dir)
    assert not [cmd for cmd in processes.values() if "portal_common.messaging.relay" in cmd]
    assert not [cmd for cmd in processes.values() if "-m workforce.worker" in cmd or "-m members.worker" in cmd]
    [worker] = [pid for pid, cmd in processes.items() if "-m billing.worker" in cmd]  # billing's consumers apart
    os.kill(worker, signal.SIGKILL)
    assert wait_for(
        lambda: [p for p, cmd in stack_processes(data_dir).items() if "-m billing.worker" in cmd and p != worker],
        timeout=30,
    ), "the supervisor starts the killed worker again"
