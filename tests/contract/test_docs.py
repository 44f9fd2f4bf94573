"""The repository explains itself: its documentation lives in docs/, every reference to it resolves, and every
requirement id the code cites is defined in docs/security.md."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SECURITY = DOCS / "security.md"

# Written in pieces so that this file does not match what it looks for.
_SHARED = "shared"
OUTSIDE_REFERENCES = ("../" + _SHARED, _SHARED + "/design", _SHARED + "/seeds")
# The design documents the project started from, which live outside the repository: cited by their file
# name they point nowhere (docs/ holds their successors).
DESIGN_DOCUMENT = re.compile(r"\b(SECURITY|DOMAIN|ARCHITECTURE|STYLE|ENVIRONMENT)\.md\b")
# Issues of the tracker the work was planned in ("issue <n> item <m>"): not part of the repository either.
TRACKER_ISSUE = re.compile(r"\b[Ii]ssues? \d+\b")

# `docs/<path>.md` not preceded by a path character (so `../docs/x.md` and `foo/docs/x.md` are not taken).
DOC_CITATION = re.compile(r"(?<![\w./-])docs/([\w./-]+?\.md)\b")
# A requirement id, optionally followed by more numbers of the same family: "AUTH-31, 32, 35",
# "AUTH-30..35", "AUTH-20/22", "CSRF-01/02", "SESS-01, 03, 04".
ID_RUN = re.compile(r"\b([A-Z]{2,5})-(\d{2})\b((?:\s*(?:,|/|\.\.|…)\s*\d{2}\b)*)")
FOLLOWER = re.compile(r"(,|/|\.\.|…)\s*(\d{2})")
# A mention of the security requirements: the document's path, or the word SECURITY in capitals.
SECURITY_MENTION = re.compile(r"docs/security\.md|\bSECURITY\b")
# How far below a mention its ids may still be listed (a docstring's first paragraphs).
MENTION_WINDOW_LINES = 5
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


@cache
def tracked_text_files() -> tuple[tuple[str, str], ...]:
    """(path, text) of every file in the git index that exists and reads as UTF-8 text."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    found = []
    for name in sorted(set(listed.decode().split("\0")) - {""}):
        path = ROOT / name
        if not path.is_file():
            continue  # staged for deletion or moved in the work tree
        raw = path.read_bytes()
        if b"\0" in raw:
            continue
        try:
            found.append((name, raw.decode("utf-8")))
        except UnicodeDecodeError:
            continue
    return tuple(found)


def doc_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def cited_ids(text: str) -> set[str]:
    """Every requirement id of `text`, runs like "AUTH-30..35" or "SESS-01, 03" expanded."""
    ids: set[str] = set()
    for match in ID_RUN.finditer(text):
        family, number, tail = match.group(1), int(match.group(2)), match.group(3)
        ids.add(f"{family}-{number:02d}")
        previous = number
        for separator, following in FOLLOWER.findall(tail):
            value = int(following)
            if separator in ("..", "…") and value > previous:
                ids.update(f"{family}-{n:02d}" for n in range(previous + 1, value + 1))
            else:
                ids.add(f"{family}-{value:02d}")
            previous = value
    return ids


@cache
def defined_ids() -> frozenset[str]:
    """Ids given as a heading or in bold in docs/security.md."""
    text = SECURITY.read_text(encoding="utf-8")
    bold = re.findall(r"\*\*([A-Z]{2,5}-\d{2})\*\*", text)
    headings = [
        found
        for line in text.splitlines()
        if line.startswith("#")
        for found in re.findall(r"\b([A-Z]{2,5}-\d{2})\b", line)
    ]
    return frozenset(bold + headings)


def outside_code_fences(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        lines.append("" if fenced else line)
    return lines


def anchors_of(path: Path) -> set[str]:
    """The anchors a Markdown renderer gives the headings of `path` (GitHub's rules, duplicates numbered)."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in outside_code_fences(path.read_text(encoding="utf-8")):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


@pytest.mark.contract
def test_no_tracked_file_points_to_the_design_folders_outside_the_repository() -> None:
    offenders = sorted(
        {f"{name}: {needle}" for name, text in tracked_text_files() for needle in OUTSIDE_REFERENCES if needle in text}
    )
    assert offenders == []


@pytest.mark.contract
def test_no_tracked_file_cites_a_design_document_the_repository_does_not_hold() -> None:
    offenders = sorted(
        {
            f"{name}: {found}.md"
            for name, text in tracked_text_files()
            for found in DESIGN_DOCUMENT.findall(text)
            if not any(Path(other).name == f"{found}.md" for other, _ in tracked_text_files())
        }
    )
    assert offenders == []


@pytest.mark.contract
def test_no_tracked_file_cites_an_issue_of_the_former_tracker() -> None:
    offenders = sorted(
        {
            f"{name}:{number + 1}"
            for name, text in tracked_text_files()
            for number, line in enumerate(text.splitlines())
            if TRACKER_ISSUE.search(line)
        }
    )
    assert offenders == []


@pytest.mark.contract
def test_no_documentation_page_points_outside_the_repository_even_before_it_is_committed() -> None:
    offenders = sorted(
        {
            f"{path.relative_to(ROOT)}: {needle}"
            for path in doc_files()
            for needle in OUTSIDE_REFERENCES
            if needle in path.read_text(encoding="utf-8")
        }
    )
    assert offenders == []


@pytest.mark.contract
def test_every_docs_page_cited_in_the_repository_exists() -> None:
    texts = list(tracked_text_files()) + [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in doc_files()
    ]
    missing = sorted(
        {
            f"{name}: docs/{cited}"
            for name, text in texts
            for cited in DOC_CITATION.findall(text)
            if not (DOCS / cited).is_file()
        }
    )
    assert missing == []


@pytest.mark.contract
def test_the_security_document_defines_its_requirements_by_id() -> None:
    assert len(defined_ids()) >= 60
    assert {"AUTH-01", "AUTH-08", "SESS-07", "AZ-06", "MSG-03", "DP-02", "VAL-01"} <= defined_ids()


@pytest.mark.contract
def test_every_requirement_id_cited_next_to_the_security_document_is_defined_there() -> None:
    missing: set[str] = set()
    for name, text in tracked_text_files():
        if name == "docs/security.md":
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if SECURITY_MENTION.search(line):
                window = "\n".join(lines[number : number + 1 + MENTION_WINDOW_LINES])
                missing.update(
                    f"{name}:{number + 1}: {found}" for found in cited_ids(window) if found not in defined_ids()
                )
    assert sorted(missing) == []


@pytest.mark.contract
def test_every_id_of_a_security_requirement_family_cited_anywhere_is_defined() -> None:
    families = {identifier.split("-")[0] for identifier in defined_ids()}
    missing = sorted(
        {
            f"{name}: {found}"
            for name, text in tracked_text_files()
            for found in cited_ids(text)
            if found.split("-")[0] in families and found not in defined_ids()
        }
    )
    assert missing == []


@pytest.mark.contract
def test_the_id_reader_expands_runs_the_way_the_code_writes_them() -> None:
    assert cited_ids("(AUTH-30..35)") == {f"AUTH-{n}" for n in range(30, 36)}
    assert cited_ids("reset links (AUTH-31, 32, 35)") == {"AUTH-31", "AUTH-32", "AUTH-35"}
    assert cited_ids("CSRF-01/02 and MSG-03, 2026") == {"CSRF-01", "CSRF-02", "MSG-03"}
    assert cited_ids("F-MSG-5, BT-2") == set()


@pytest.mark.contract
@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_relative_link_of_a_documentation_page_resolves_inside_the_repository(page: Path) -> None:
    broken = []
    for line in outside_code_fences(page.read_text(encoding="utf-8")):
        for target in MARKDOWN_LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            if ROOT not in resolved.parents and resolved != ROOT:
                broken.append(f"{target}: outside the repository")
            elif not resolved.exists():
                broken.append(f"{target}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors_of(resolved):
                broken.append(f"{target}: no such heading")
    assert broken == []
