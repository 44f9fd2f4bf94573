"""The five services, where their code lives and how each process of theirs is started."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    port: int
    consumes: bool = True

    @property
    def directory(self) -> Path:
        return ROOT / "services" / self.name

    def create_app(self):  # type: ignore[no-untyped-def]
        return importlib.import_module(f"{self.name}.app").create_app

    def demo_loader(self):  # type: ignore[no-untyped-def]
        return importlib.import_module(f"{self.name}.demo").load


SERVICES = (
    ServiceInfo("identity", 8101),
    ServiceInfo("members", 8102),
    ServiceInfo("workforce", 8103),
    ServiceInfo("scheduling", 8104),
    ServiceInfo("billing", 8105),
)
