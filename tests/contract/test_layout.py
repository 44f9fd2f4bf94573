"""The layout of docs/layout.md, checked on the five services' source: who may commit, what stays pure."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "members", "workforce", "scheduling", "billing")
SHARED = ROOT / "libs" / "portal_common" / "portal_common"

# Modules allowed at a service package's root (wiring), besides its operator commands.
ROOT_MODULES = {"__init__", "app", "config", "models", "events", "worker", "demo", "web"}
COMMANDS = {
    "identity": {"maintenance", "keys"},
    "members": {"keys"},
    "workforce": {"reclassify", "keys"},
    "billing": {"audit", "keys"},
}
# Standard names of modules that may do I/O; any other module of a capability is pure.
IO_NAMES = {"use_cases", "queries", "api", "pages", "schemas", "handlers", "internal", "clients"}
COMMITTERS = {"use_cases"}
# Third-party packages a pure module never imports.
IMPURE_PACKAGES = {
    "flask",
    "werkzeug",
    "sqlalchemy",
    "flask_smorest",
    "pika",
    "requests",
    "psycopg",
    "alembic",
    "webargs",
    "gunicorn",
}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = _module_name(path).split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _module_name(path: Path) -> str:
    if SHARED in path.parents or path.parent == SHARED:
        relative = path.relative_to(SHARED.parent)
    else:
        service_dir = next(p for p in path.parents if p.parent.name == "services")
        relative = path.relative_to(service_dir)
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts[-1:] = ["__init__"]
    return ".".join(parts)


@cache
def _impure_shared_modules() -> frozenset[str]:
    """portal_common modules that import an impure package, directly or through another shared module."""
    direct: dict[str, set[str]] = {}
    for path in SHARED.rglob("*.py"):
        name = _module_name(path).removesuffix(".__init__")
        direct[name] = _imports(path)
    impure = {name for name, imported in direct.items() if any(m.split(".")[0] in IMPURE_PACKAGES for m in imported)}
    changed = True
    while changed:
        changed = False
        for name, imported in direct.items():
            if name not in impure and any(
                m in impure or m.rsplit(".", 1)[0] in impure for m in imported if m.startswith("portal_common")
            ):
                impure.add(name)
                changed = True
    return frozenset(impure)


def _is_impure_import(module: str) -> bool:
    if module.split(".")[0] in IMPURE_PACKAGES:
        return True
    if module.startswith("portal_common"):
        impure = _impure_shared_modules()
        return module in impure or module.rsplit(".", 1)[0] in impure
    return False


def _service_modules(service: str) -> list[Path]:
    package = ROOT / "services" / service / service
    return sorted(p for p in package.rglob("*.py") if "templates" not in p.parts)


def _role(path: Path, service: str) -> str:
    """`root`, an I/O standard name, or `pure`."""
    package = ROOT / "services" / service / service
    relative = path.relative_to(package)
    if len(relative.parts) == 1:
        return "root"
    for part in relative.parts[1:]:
        stem = part.removesuffix(".py")
        if stem in IO_NAMES:
            return stem
    return "pure"


def _commits(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
        for node in ast.walk(tree)
    )


@pytest.mark.contract
@pytest.mark.parametrize("service", SERVICES)
def test_a_service_root_holds_only_its_wiring(service):
    package = ROOT / "services" / service / service
    stray = sorted(p.stem for p in package.glob("*.py") if p.stem not in ROOT_MODULES | COMMANDS.get(service, set()))
    assert not stray, f"{service}: business modules at the package root, move them into a capability: {stray}"


@pytest.mark.contract
@pytest.mark.parametrize("service", SERVICES)
def test_only_use_cases_commit(service):
    offenders = [
        str(p.relative_to(ROOT))
        for p in _service_modules(service)
        if _commits(p) and _role(p, service) not in COMMITTERS and p.name != "demo.py"
    ]
    assert not offenders, f"modules that commit outside a use case: {offenders}"


@pytest.mark.contract
@pytest.mark.parametrize("service", SERVICES)
def test_pure_modules_import_neither_flask_nor_sqlalchemy(service):
    offenders = {}
    for path in _service_modules(service):
        if _role(path, service) != "pure":
            continue
        bad = sorted(m for m in _imports(path) if _is_impure_import(m))
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert not offenders, f"pure modules with I/O imports: {offenders}"


@pytest.mark.contract
def test_the_layout_check_recognises_an_impure_shared_module():
    # The check itself: the unit of work is impure, the validators are not.
    assert _is_impure_import("portal_common.db") and _is_impure_import("portal_common.service.portal")
    assert not _is_impure_import("portal_common.validators") and not _is_impure_import("portal_common.roles")
