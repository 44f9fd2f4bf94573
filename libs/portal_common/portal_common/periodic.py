"""A task a worker runs every few minutes beside its consumer (housekeeping, settlements): in a daemon thread, a
failure logged and retried at the next round (the database may be down for a while), never stopping the worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `task` every `every` seconds in a daemon thread until stopped."""

    def __init__(self, task: Callable[[], object], every: float, name: str = "periodic"):
        self.task, self.every = task, every
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.task()
            except Exception:  # logged, retried next round: a periodic task must not kill event consumption
                log.exception("periodic task failed", extra={"task": self.thread.name})
            self.stop_event.wait(self.every)

    def start(self) -> Periodic:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
