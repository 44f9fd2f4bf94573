"""The five services, where their code lives and how each process of theirs is started."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    offset: int
    consumes: bool = True

    def port(self, env: Mapping[str, str]) -> int:
        """Ports follow PORTAL_PORT_BASE (default 8100), so two stacks can run side by side."""
        return int(env.get("PORTAL_PORT_BASE", "8100")) + self.offset

    @property
    def directory(self) -> Path:
        return ROOT / "services" / self.name

    def create_app(self):  # type: ignore[no-untyped-def]
        return importlib.import_module(f"{self.name}.app").create_app

    def demo_loader(self):  # type: ignore[no-untyped-def]
        return importlib.import_module(f"{self.name}.demo").load


SERVICES = (
    ServiceInfo("identity", 1),
    ServiceInfo("members", 2),
    ServiceInfo("workforce", 3),
    ServiceInfo("scheduling", 4),
    ServiceInfo("billing", 5),
)
