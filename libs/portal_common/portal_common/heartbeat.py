"""A heartbeat file for processes that serve no HTTP: the outbox relays and the event workers.

Kubernetes probes them with `python -m portal_common.heartbeat PATH --max-age 60` (liveness: the loop still turns)
and `… --ready` (readiness: connected to the broker and the database). A relay stuck on a hung connection stops
beating and is restarted; a broker outage only makes it unready, because its reconnect loop keeps beating.

The file is rewritten at most every `interval` seconds (an atomic rename), so the hot loop pays one clock read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

READY, STARTING = "ready", "not-ready"


class Heartbeat:
    def __init__(self, path: str | os.PathLike[str] | None, interval: float = 5.0) -> None:
        self.path = Path(path) if path else None
        self.interval = interval
        self._last: tuple[float, bool] | None = None

    @classmethod
    def from_environment(cls) -> Heartbeat:
        """`PORTAL_HEARTBEAT_FILE` names the file; unset (local runs, tests) means no heartbeat."""
        return cls(os.environ.get("PORTAL_HEARTBEAT_FILE") or None)

    def beat(self, ready: bool) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if self._last is not None and self._last[1] == ready and now - self._last[0] < self.interval:
            return
        self._last = (now, ready)
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(READY if ready else STARTING)
        os.replace(partial, self.path)


def check(path: Path, max_age: float, need_ready: bool, now: float | None = None) -> str | None:
    """None when the heartbeat is fresh (and ready if asked), else why not."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
        state = path.read_text().strip()
    except OSError:
        return f"no heartbeat at {path}"
    if age > max_age:
        return f"last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)"
    if need_ready and state != READY:
        return "alive but not connected to the broker and the database"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Probe a relay's or worker's heartbeat file")
    parser.add_argument("path", type=Path)
    parser.add_argument("--max-age", type=float, default=60.0)
    parser.add_argument("--ready", action="store_true", help="also require a connected process")
    args = parser.parse_args(argv)
    problem = check(args.path, args.max_age, args.ready)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
