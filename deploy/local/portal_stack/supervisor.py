"""`python -m portal_stack.supervisor`: starts every process of the local stack and keeps them running.

Each program is started directly (no shell, no wrapper process per program): the supervisor is the only extra
process. A program that exits is started again after a back-off (0.5 s doubling to 10 s, reset once it has run
for 30 s), so a crashed worker or relay comes back as Kubernetes would bring it back — what the chaos benchmark
relies on. SIGTERM or Ctrl-C stops them all (SIGTERM, then SIGKILL after 10 s). Output lines are prefixed with
the program's name, as honcho did.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .services import ROOT

BACKOFF_START, BACKOFF_CAP, HEALTHY_AFTER = 0.5, 10.0, 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Program:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    # Secrets read from a file when the process starts, so they appear in no command line nor Procfile.
    env_files: dict[str, Path] = field(default_factory=dict)
    instances: int = 1


def supervisor_command(_env: Mapping[str, str]) -> list[str]:
    return [sys.executable, "-m", "portal_stack.supervisor"]


class Running:
    """One instance of a program and its restarts."""

    def __init__(self, program: Program, index: int, base_env: Mapping[str, str], out: IO[str]):
        self.program, self.base_env, self.out = program, base_env, out
        self.name = program.name if program.instances == 1 else f"{program.name}.{index + 1}"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.backoff = BACKOFF_START
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        env = dict(self.base_env)
        env.update(self.program.env)
        for name, path in self.program.env_files.items():
            env[name] = Path(path).read_text().strip()
        self.process = subprocess.Popen(
            self.program.argv,
            env=env,
            cwd=ROOT,  # as honcho's `-d`: the repository, whatever directory the stack was started from
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.started_at = time.monotonic()
        threading.Thread(target=self._copy_output, args=(self.process,), daemon=True).start()

    def _copy_output(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            self.out.write(f"{self.name:<18} | {raw.decode(errors='replace')}")
            self.out.flush()

    def check(self, now: float) -> None:
        """Notice an exit and schedule the restart; start it when its time has come."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restart_at = None
                self.restarts += 1
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started_at > HEALTHY_AFTER:
            self.backoff = BACKOFF_START
        self.out.write(
            f"{'supervisor':<18} | {self.name} exited with code {self.process.returncode}, "
            f"restarting in {self.backoff:.1f} s\n"
        )
        self.restart_at = now + self.backoff
        self.backoff = min(BACKOFF_CAP, self.backoff * 2)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Supervisor:
    def __init__(self, programs: Sequence[Program], env: Mapping[str, str], out: IO[str] = sys.stdout):
        self.running = [Running(p, i, env, out) for p in programs for i in range(p.instances)]
        self.stopping = threading.Event()

    def run(self) -> None:
        for running in self.running:
            running.start()
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for running in self.running:
                running.check(now)
        self.stop()

    def stop(self) -> None:
        for running in self.running:
            running.restart_at = None
            running.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for running in self.running:
            running.wait_or_kill(deadline)


def main() -> None:
    from .__main__ import programs, render_gateway

    env = dict(os.environ)
    supervisor = Supervisor(programs(env, render_gateway(env)), env)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: supervisor.stopping.set())
    supervisor.run()


if __name__ == "__main__":
    main()
