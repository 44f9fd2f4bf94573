"""docs/security.md VAL-04: an imported file is bounded before it is parsed (its size, an XLSX's container and
declared sheet) and while it is streamed (every line counted, blank ones too; columns; cell length), each
refusal in French. Pure: the files are built in memory."""

import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from workforce.imports import rules as imports
from workforce.imports import workbook
from workforce.imports.rules import ImportRejected

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx(sheet_xml: str | None = None, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A real workbook (openpyxl's), its first sheet replaced by `sheet_xml`, with `extra` members added."""
    book = Workbook()
    book.active.append(["Nom", "Prénom"])
    book.active.append(["Dupont", "Marie"])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == SHEET and sheet_xml is not None:
                content = sheet_xml.encode()
            target.writestr(member.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return rebuilt.getvalue()


def sheet(dimension: str | None, rows: str) -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_HEAD}{declared}<sheetData>{rows}</sheetData></worksheet>"


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = f'<row r="1">{cell("A1", "Nom")}{cell("B1", "Prénom")}</row>'


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if openpyxl is asked to open the workbook: the refusal must come before."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.fixture
def rows_pulled(monkeypatch):
    """Counts the lines openpyxl hands over while streaming, to show the reading stopped at the bound."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    pulled = []
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for line in original(self, *args, **kwargs):
            pulled.append(1)
            yield line

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return pulled


def test_a_zip_bomb_is_refused_from_its_directory_without_being_unpacked(no_parsing):
    bomb = xlsx(extra={"xl/media/image1.png": b"\0" * (5 * 1024 * 1024)})  # 5 MB of zeros in a few KB
    assert len(bomb) < 30_000
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("paie.xlsx", bomb)
    assert refused.value.errors == {"file": workbook.BOMB}
    assert "anormal" in refused.value.errors["file"]


def test_a_sheet_unpacking_past_the_bound_is_refused_whatever_its_ratio(no_parsing, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 50_000)
    with pytest.raises(ImportRejected) as refused:
        imports.measure("paie.xlsx", xlsx(sheet(None, HEADER_ROW + "<!-- " + "x" * 60_000 + " -->")))
    assert refused.value.errors == {"file": workbook.BOMB}


def test_a_workbook_of_thousands_of_parts_is_refused_before_its_directory_is_listed(no_parsing):
    many = xlsx(extra={f"xl/media/{index}.bin": b"" for index in range(workbook.MAX_MEMBERS + 1)})
    with pytest.raises(ImportRejected) as refused:
        imports.measure("paie.xlsx", many)
    assert refused.value.errors == {"file": workbook.TOO_MANY_PARTS}


def test_a_million_blank_rows_declared_by_the_sheet_are_refused_before_parsing(no_parsing):
    declared = xlsx(sheet("A1:B1000000", HEADER_ROW + '<row r="1000000"/>'))
    assert len(declared) < 10_000
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("paie.xlsx", declared)
    assert refused.value.errors["file"].startswith("Le fichier dépasse 25\u202f000 lignes, lignes vides comprises")


def test_a_million_blank_rows_hidden_behind_a_false_dimension_stop_the_stream_at_the_bound(rows_pulled):
    for rows in ('<row r="1000000"/>', "".join(f'<row r="{n}"/>' for n in range(2, 30_000)) + '<row r="1000000"/>'):
        lying = xlsx(sheet("A1:B2", HEADER_ROW + rows))
        rows_pulled.clear()
        with pytest.raises(ImportRejected) as refused:
            imports.read_table("paie.xlsx", lying)
        assert "lignes vides comprises" in refused.value.errors["file"]
        assert len(rows_pulled) == imports.MAX_LINES + 1


def test_ten_thousand_columns_declared_by_the_sheet_are_refused_before_parsing(no_parsing):
    wide = xlsx(sheet("A1:NTP1", f'<row r="1">{cell("A1", "Nom")}{cell("NTP1", "X")}</row>'))
    assert workbook.column_number("NTP") == 10_000
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("paie.xlsx", wide)
    assert refused.value.errors == {"file": "Le fichier compte plus de 60 colonnes : gardez celles des salariés."}


def test_ten_thousand_filled_columns_behind_a_false_dimension_are_refused_at_the_first_line(rows_pulled):
    columns = "".join(cell(f"{openpyxl.utils.get_column_letter(n)}1", "x") for n in range(1, 10_001))
    lying = xlsx(sheet("A1:B1", f'<row r="1">{columns}</row>'))
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("paie.xlsx", lying)
    assert refused.value.errors == {"file": "Le fichier compte plus de 60 colonnes : gardez celles des salariés."}
    assert len(rows_pulled) == 1


def test_a_cell_longer_than_any_field_is_refused_with_its_line_and_column():
    long_cell = xlsx(sheet("A1:B2", HEADER_ROW + f'<row r="2">{cell("A2", "Dupont")}{cell("B2", "y" * 1001)}</row>'))
    with pytest.raises(ImportRejected) as refused:
        imports.read_table("paie.xlsx", long_cell)
    assert refused.value.errors == {
        "file": "La cellule de la ligne 2, colonne 2 dépasse 1\u202f000 caractères : raccourcissez-la ou supprimez "
        "la colonne."
    }


def test_a_csv_file_is_bounded_the_same_way_blank_lines_included():
    with pytest.raises(ImportRejected) as blank:
        imports.read_table("paie.csv", b"Nom;Prenom\n" + b"\n" * 1_000_000)
    assert "lignes vides comprises" in blank.value.errors["file"]
    with pytest.raises(ImportRejected) as wide:
        imports.read_table("paie.csv", b"Nom;Prenom" + b";x" * 10_000 + b"\nA;B\n")
    assert wide.value.errors == {"file": "Le fichier compte plus de 60 colonnes : gardez celles des salariés."}
    with pytest.raises(ImportRejected) as long_cell:
        imports.read_table("paie.csv", b"Nom;Prenom\nDupont;" + b"y" * 2000 + b"\n")
    assert long_cell.value.errors["file"].startswith("La cellule de la ligne 2, colonne 2 dépasse")
    # Trailing separators are padding, not columns; blank lines within the bounds are kept out of the rows.
    kind, table = imports.read_table("paie.csv", b"Nom;Prenom" + b";" * 100 + b"\n\nA;B;;;\n")
    assert (kind, table.header, table.rows, table.line_numbers) == ("csv", ["Nom", "Prenom"], [["A", "B"]], [3])


def test_an_upload_past_ten_megabytes_is_refused_before_anything_else():
    with pytest.raises(ImportRejected) as refused:
        imports.measure("paie.csv", b"x" * (imports.MAX_FILE_BYTES + 1))
    assert refused.value.errors == {"file": "Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers."}


def test_the_measure_of_a_workbook_is_what_the_parser_would_read():
    kind, size = imports.measure("paie.xlsx", xlsx())
    members = zipfile.ZipFile(io.BytesIO(xlsx())).getinfo(SHEET)
    assert (kind, size) == ("xlsx", members.file_size)
    assert imports.measure("paie.csv", b"Nom;Prenom\nA;B\n") == ("csv", 15)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.integers(min_value=2, max_value=2_000_000),
    columns=st.integers(min_value=1, max_value=16_384),
    honest=st.booleans(),
)
def test_any_declared_or_hidden_size_is_read_within_the_bounds_or_refused_in_french(rows, columns, honest):
    last = f"{openpyxl.utils.get_column_letter(columns)}{rows}"
    content = xlsx(sheet(f"A1:{last}" if honest else "A1:B2", f'{HEADER_ROW}<row r="{rows}">{cell(last, "x")}</row>'))
    try:
        kind, table = imports.read_table("paie.xlsx", content)
    except ImportRejected as refused:
        assert set(refused.errors) == {"file"} and re.search(r"[éè]", refused.errors["file"])
        assert rows > imports.MAX_LINES or columns > imports.MAX_COLUMNS
    else:
        assert rows <= imports.MAX_LINES and len(table.header) <= imports.MAX_COLUMNS
