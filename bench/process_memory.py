"""Memory of the local stack at idle: PSS per process and in total, as `make run` starts it.

    .venv/bin/python bench/process_memory.py

Starts the portal twice from the same prepared data (SQLite, the demo, mail catcher and card provider, as
`make run` does), each time in its own process group on its own ports: first as before (honcho, a shell per
program, each relay and worker its own process: `PORTAL_LOCAL_PROCESSES=separate`), then as `make run` does now
(`portal_stack.supervisor`, relays and consumers running inside the web processes, billing's consumers apart). After the start-up
events have drained and the stack has idled, it reads each process's proportional set size (PSS, from
/proc/<pid>/smaps_rollup: shared pages divided among the processes sharing them, so the total is what the stack
really costs) and prints them by process and in total. Target: at most 0.9 GB for the application processes.
Nothing is asserted; the figures vary with the Python build and the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))

from portal_stack.__main__ import honcho_command, prepare, procfile  # noqa: E402
from portal_stack.environment import stack_environment  # noqa: E402
from portal_stack.services import SERVICES  # noqa: E402
from portal_stack.supervisor import supervisor_command  # noqa: E402

GATEWAY_PORT, PORT_BASE = 18280, 18200
IDLE_SECONDS = 20


def descendants(root: int) -> list[int]:
    """The root and every process under it (honcho starts each program in its own process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # Field 4 of /proc/<pid>/stat, after the parenthesised command name.
                parent = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def label(pid: int) -> str:
    with contextlib.suppress(OSError):
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [word.decode(errors="replace") for word in argv if word]
        for marker in ("-m", "-c"):
            if marker in words and words.index(marker) + 1 < len(words):
                following = words[words.index(marker) + 1]
                if marker == "-m" or not following.startswith("python:"):
                    return " ".join(Path(words[0]).name.split()[:1] + [following] + words[words.index(marker) + 2 :])[
                        :70
                    ]
        return " ".join([Path(words[0]).name, *words[1:3]])[:70]
    return "?"


def environment(data: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and not k.endswith("_DATABASE_URL")}
    environ.update(
        PORTAL_DATA_DIR=str(data),
        PORTAL_GATEWAY_PORT=str(GATEWAY_PORT),
        PORTAL_PORT_BASE=str(PORT_BASE),
        PORTAL_SMTP_PORT=str(PORT_BASE + 25),
        PORTAL_CARD_PROVIDER_PORT=str(PORT_BASE + 90),
        PORTAL_BROKER_URL="amqp://guest:guest@127.0.0.1:5672/%2F",
    )
    return stack_environment(environ)


def measure(command: list[str], env: dict[str, str], log: Path) -> list[tuple[int, str, int]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300  # a loaded machine starts slowly
        ports = [service.port(env) for service in SERVICES]
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{env['PORTAL_PUBLIC_URL']}/healthz", timeout=1).ok and all(
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok for port in ports
                ):
                    break
            if process.poll() is not None:
                raise SystemExit("the stack stopped during start-up:\n" + log.read_text()[-3000:])
            time.sleep(0.5)
        else:
            raise SystemExit("the stack did not start:\n" + log.read_text()[-3000:])
        time.sleep(IDLE_SECONDS)  # start-up events drained, caches warm, nothing running
        return sorted(((pid, label(pid), pss_kib(pid)) for pid in descendants(process.pid)), key=lambda r: -r[2])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # honcho and the supervisor stop what they started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        time.sleep(1)


def report(title: str, rows: list[tuple[int, str, int]]) -> int:
    total = sum(kib for _, _, kib in rows)
    print(f"\n{title}: {len(rows)} processes, {total / 1024:.0f} MiB PSS in total")
    kinds = Counter(name.split()[0] for _, name, _ in rows)
    print("  by program: " + ", ".join(f"{name} ×{count}" for name, count in kinds.most_common()))
    for pid, name, kib in rows:
        print(f"  {kib / 1024:7.1f} MiB  {pid:>7}  {name}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["before", "after"], help="measure one process model only")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="portal-pss-") as tmp:
        data = Path(tmp)
        env = environment(data)
        prepare(env)
        totals = {}
        if args.only in (None, "before"):
            # The process model before: honcho, a shell per program, a process per relay and per worker.
            before = dict(env, PORTAL_LOCAL_PROCESSES="separate")
            procfile_path = procfile(before, data / "nginx" / "nginx.conf")
            rows = measure(honcho_command(before, procfile_path), before, data / "before.log")
            totals["before"] = report("before: honcho, a shell per program, relays and workers apart", rows)
        if args.only in (None, "after"):
            rows = measure(supervisor_command(env), env, data / "after.log")
            totals["after"] = report("after: the supervisor, relays and consumers inside the web processes", rows)
        if len(totals) == 2:
            print(
                f"\nPSS in total: {totals['before'] / 1024:.0f} MiB before, {totals['after'] / 1024:.0f} MiB after "
                f"({totals['after'] / totals['before']:.2f}×); target ≤ 900 MiB"
            )


if __name__ == "__main__":
    main()
