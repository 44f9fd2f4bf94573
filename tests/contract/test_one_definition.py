"""Each concept of docs/layout.md is defined once: these patterns would be a second definition in a service."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "members", "workforce", "scheduling", "billing")

ROLE_CODES = "admin|billing|declaration|convocation|read|secretariat|administration"
SECOND_DEFINITIONS = {
    "a local today()": re.compile(r"^\s*def _?today\("),
    "a time zone other than portal_common.clock.PARIS": re.compile(r"ZoneInfo\(\"Europe/Paris\"\)"),
    "an event type written as a string": re.compile(
        r"\"(identity|members|workforce|scheduling|billing)\.[a-z_]+\.[a-z_]+\.v\d+\""
    ),
    "role codes written as strings": re.compile(
        rf"member\(\s*\"({ROLE_CODES})\"|staff\(\s*\"({ROLE_CODES})\"|"
        rf"roles\s*=\s*\(\s*\"({ROLE_CODES})\""
    ),
    "a key ring parsed by hand": re.compile(r"def parse_encryption_keys|b64decode\(encoded\)"),
    "a FieldErrors turned into a 422 by hand": re.compile(r"abort\(422.*errors=\{\"json\": exc\.errors\}"),
    "a version counter bumped by hand": re.compile(r"\.version\s*\+=\s*1"),
    "an If-Match read by hand": re.compile(r"if_match\.as_set\(\)|if_match\.star_tag"),
}


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if line]


@pytest.mark.contract
@pytest.mark.parametrize("concept", sorted(SECOND_DEFINITIONS))
def test_no_service_defines_a_shared_concept_again(concept):
    pattern = SECOND_DEFINITIONS[concept]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for service in SERVICES
        for path in _tracked(f"services/{service}/{service}/*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"{concept}: {found}"


@pytest.mark.contract
def test_gunicorn_is_configured_in_one_file():
    flags = re.compile(
        r"\"--no-control-socket\"|\"--worker-class\"|\"-k\", \"gthread\"|--threads \d|\"--threads\", \"\d"
    )
    found = [
        str(path.relative_to(ROOT))
        for path in _tracked("Dockerfile", "docker-compose.yml", "deploy/*", "bench/*.py")
        if path.is_file() and flags.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not found, f"gunicorn flags outside portal_common/gunicorn_conf.py: {found}"


@pytest.mark.contract
def test_no_enumeration_is_declared_twice_with_the_same_values():
    """A value set that travels between services lives in portal_common.vocabulary, not in each consumer."""
    member = re.compile(r'^\s+[A-Z_]+\s*=\s*"([^"]*)"')
    declared: dict[frozenset[str], list[str]] = {}
    for path in _tracked("services/*.py", "libs/portal_common/portal_common/*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            found = re.match(r"class (\w+)\(StrEnum\):", line)
            if not found:
                continue
            values = set()
            for body in lines[number + 1 :]:
                if body and not body.startswith((" ", "\t")):
                    break
                if match := member.match(body):
                    values.add(match.group(1))
            declared.setdefault(frozenset(values), []).append(f"{path.relative_to(ROOT)}:{found.group(1)}")
    twice = {", ".join(sorted(values)): places for values, places in declared.items() if len(places) > 1}
    assert not twice, twice
