"""An XLSX file is a zip: its container is checked before any XML is parsed (docs/security.md VAL-04).

The central directory says what each member unpacks to; `zipfile` never unpacks more than that (it stops at
the declared size and checks the CRC), so refusing on the declared sizes bounds what the parser may read: a
zip bomb, a sheet declaring a million rows or ten thousand columns, a workbook of thousands of members are
refused here in French, from a few kilobytes read, without opening the sheet with openpyxl.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass

from portal_common.errors import FieldErrors

MAX_MEMBERS = 500  # a real workbook has a few dozen parts
MAX_MEMBER_BYTES = 40 * 1024 * 1024  # one part unpacked
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # all parts unpacked
MAX_RATIO = 100  # unpacked / packed; a sheet of text compresses 5 to 20 times, a bomb a thousand times
RATIO_FROM_BYTES = 1024 * 1024  # a small part may compress well without harm
SMALL_PART_BYTES = 1024 * 1024  # workbook.xml and its relationships, read as text to find the first sheet
DIMENSION_WINDOW = 64 * 1024  # the <dimension> element comes before the rows
EOCD = b"PK\x05\x06"
# <dimension ref="A1:L20001"/>, possibly with a namespace prefix.
DIMENSION_RE = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?\""
)
FIRST_SHEET_RE = re.compile(r"<(?:\w+:)?sheet\b[^>]*?\b\w+:id=\"([^\"]+)\"", re.S)
RELATIONSHIP_RE = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>", re.S)
ATTRIBUTE_RE = re.compile(r"(\w+)=\"([^\"]*)\"")

UNREADABLE = "Le classeur Excel est illisible : enregistrez-le à nouveau au format .xlsx."
BOMB = (
    "Le classeur Excel se décompresse en un volume anormal (fichier endommagé ou piégé) : enregistrez-le à "
    "nouveau au format .xlsx, ou exportez la liste au format .csv."
)
TOO_MANY_PARTS = "Le classeur Excel contient trop d'éléments pour une liste de salariés : exportez-la au format .csv."


class WorkbookRefused(FieldErrors):
    """A workbook refused before parsing: one French message on the `file` field."""

    def __init__(self, message: str):
        super().__init__({"file": message})


@dataclass(frozen=True)
class WorkbookShape:
    """What the container says of the first sheet: its declared size (None when absent) and the bytes to
    parse (the sheet and the shared texts, unpacked)."""

    rows: int | None
    columns: int | None
    data_bytes: int


def column_number(letters: str) -> int:
    """'A' → 1, 'AZ' → 52, 'XFD' → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _declared_members(raw: bytes) -> int | None:
    """The member count of the end-of-central-directory record, read before zipfile lists every member."""
    at = raw.rfind(EOCD, max(0, len(raw) - 65_557))
    if at < 0 or at + 22 > len(raw):
        return None
    count = struct.unpack("<H", raw[at + 10 : at + 12])[0]
    return None if count == 0xFFFF else count  # zip64: zipfile reads the real count, checked below


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise WorkbookRefused(TOO_MANY_PARTS)
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if (
            member.file_size > MAX_MEMBER_BYTES
            or total > MAX_UNPACKED_BYTES
            or (member.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO)
        ):
            raise WorkbookRefused(BOMB)


def _small_text(archive: zipfile.ZipFile, name: str) -> str | None:
    try:
        member = archive.getinfo(name)
    except KeyError:
        return None
    if member.file_size > SMALL_PART_BYTES:
        raise WorkbookRefused(TOO_MANY_PARTS)
    return archive.read(member).decode("utf-8", "replace")


def first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The path of the workbook's first sheet (the one imported), from xl/workbook.xml and its relationships."""
    workbook = _small_text(archive, "xl/workbook.xml")
    relationships = _small_text(archive, "xl/_rels/workbook.xml.rels")
    found = FIRST_SHEET_RE.search(workbook or "")
    if found is None or relationships is None:
        return None
    for match in RELATIONSHIP_RE.finditer(relationships):
        attributes = dict(ATTRIBUTE_RE.findall(match[1]))
        if attributes.get("Id") == found[1] and attributes.get("Target"):
            target = attributes["Target"]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _sheet_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The first sheet; when the workbook does not say which it is, the biggest one (the bound that holds)."""
    path = first_sheet(archive)
    if path is not None:
        try:
            return archive.getinfo(path)
        except KeyError:
            pass
    sheets = [m for m in archive.infolist() if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
    return max(sheets, key=lambda m: m.file_size, default=None)


def _dimension(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int | None, int | None]:
    with archive.open(member) as stream:
        head = stream.read(DIMENSION_WINDOW)
    found = DIMENSION_RE.search(head)
    if found is None:
        return None, None
    last_column, last_row = (found[3], found[4]) if found[3] else (found[1], found[2])
    return int(last_row), column_number(last_column.decode())


def inspect(raw: bytes) -> WorkbookShape:
    """The first sheet's declared shape and size, from the zip's directory; WorkbookRefused otherwise."""
    declared = _declared_members(raw)
    if declared is not None and declared > MAX_MEMBERS:
        raise WorkbookRefused(TOO_MANY_PARTS)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise WorkbookRefused(UNREADABLE) from None
    with archive:
        _check_sizes(archive.infolist())
        sheet = _sheet_member(archive)
        if sheet is None:
            raise WorkbookRefused(UNREADABLE)
        try:
            rows, columns = _dimension(archive, sheet)
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError):
            raise WorkbookRefused(UNREADABLE) from None
        shared = next((m for m in archive.infolist() if m.filename == "xl/sharedStrings.xml"), None)
        return WorkbookShape(rows, columns, sheet.file_size + (shared.file_size if shared else 0))
