"""The whole portal started in the background, for browser tests and benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

import requests

from .__main__ import prepare
from .services import SERVICES
from .supervisor import supervisor_command


class BackgroundStack:
    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.url = env["PORTAL_PUBLIC_URL"]
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 60.0) -> BackgroundStack:
        prepare(self.env)
        self._log = self.log_path.open("wb")
        # Own process group: stopping it stops the supervisor and every process it started, nothing else.
        self.process = subprocess.Popen(
            supervisor_command(self.env),
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ports = [service.port(self.env) for service in SERVICES]
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the portal stopped during start-up, see {self.log_path}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok and all(
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok for port in ports
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the portal did not start within {timeout} s, see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        finally:
            self.process = None
            if self._log:
                self._log.close()
