"""The employee list as files for French Excel: CSV (UTF-8 with BOM, `;`, dd/mm/yyyy) and XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal_common.french_csv import to_french_csv
from portal_common.input_rules import displayable

from ..employees.pcs import pcs_label
from ..employees.rules import CategoryPolicy, classify
from ..employees.rules.categories import is_minor
from ..employees.rules.labels import CONTRACT_LABELS, EXIT_REASON_LABELS

COLUMNS = (
    "Nom d'usage",
    "Nom de naissance",
    "Prénoms",
    "Sexe",
    "Date de naissance",
    "Code commune de naissance",
    "Pays de naissance",
    "N° de sécurité sociale (masqué)",
    "Date d'embauche",
    "Poste de travail",
    "Code PCS-ESE",
    "Libellé PCS-ESE",
    "Contrat",
    "Catégorie de suivi",
    "Salarié multi-employeurs",
    "Date de sortie",
    "Motif de sortie",
)


def row_of(employee: dict) -> list:
    """One line of the export, from `employees.queries.employee_as_dict` (masked NIR only); dates stay dates."""
    return [
        employee["last_name"],
        employee["birth_name"],
        employee["first_names"],
        employee["sex"],
        employee["birth_date"],
        employee["birth_commune"] or "",
        employee["birth_country"] or "",
        employee["nir_masked"],
        employee["hire_date"],
        employee["post"],
        employee["pcs_code"] or "",
        pcs_label(employee["pcs_code"]) or "",
        CONTRACT_LABELS.get(employee["contract"], employee["contract"]),
        employee["category_label"],
        "Oui" if employee["multi_employer"] else "Non",
        employee["exit_date"],
        EXIT_REASON_LABELS.get(employee["exit_reason"] or "", ""),
    ]


# What `lines_of` reads of each employee, in this order (`employees.queries.list_columns`).
EXPORT_FIELDS = (
    "last_name",
    "birth_name",
    "first_names",
    "sex",
    "birth_date",
    "birth_commune",
    "birth_country",
    "nir_masked",
    "hire_date",
    "post",
    "pcs_code",
    "contract",
    "multi_employer",
    "exit_date",
    "exit_reason",
    "determinants",
    "adapted_undisclosed",
)


def lines_of(rows: Iterable[Sequence], today: date, policy: CategoryPolicy) -> Iterator[list]:
    """The export's lines (as `row_of`) from plain rows of EXPORT_FIELDS. The category depends on the determinants,
    the undisclosed adaptation and whether the person is a minor today only, so it is classified once per such kind
    rather than once per employee; labels are looked up once each."""
    labels: dict[tuple[str, bool, bool], str] = {}
    pcs: dict[str | None, str] = {}
    for row in rows:
        (last, birth_name, first, sex, born, commune, country, nir, hired, post, pcs_code, contract, multi, left,
         reason, determinants, undisclosed) = row  # fmt: skip
        kind = (determinants, undisclosed, is_minor(born, today))
        label = labels.get(kind)
        if label is None:
            codes = tuple(code for code in determinants.split(",") if code)
            label = classify(codes, birth_date=born, on=today, adapted_undisclosed=undisclosed, policy=policy).label
            labels[kind] = label
        pcs_text = pcs.get(pcs_code)
        if pcs_text is None:
            pcs_text = pcs[pcs_code] = pcs_label(pcs_code) or ""
        yield [
            last,
            birth_name,
            first,
            sex,
            born,
            commune or "",
            country or "",
            nir,
            hired,
            post,
            pcs_code or "",
            pcs_text,
            CONTRACT_LABELS.get(contract, contract),
            label,
            "Oui" if multi else "Non",
            left,
            EXIT_REASON_LABELS.get(reason or "", ""),
        ]


def to_csv(rows: Iterable[list]) -> bytes:
    return to_french_csv(COLUMNS, rows)


def to_xlsx(rows: Iterable[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Salariés")
    sheet.append(COLUMNS)
    # One formatted cell per date column, used again on every line: a write-only sheet writes each line out as it is
    # appended, so only the value changes. Every other value goes in plain and openpyxl makes its cell itself; an
    # empty value (a quarter of a line: no birth name, no exit…) is no cell at all, blank in Excel as an empty text
    # is, and writing cells is most of what an export of 10,000 lines costs.
    date_cells: dict[int, WriteOnlyCell] = {}
    for row in rows:
        line = list(row)
        for index, value in enumerate(line):
            if isinstance(value, str):
                if not value:
                    line[index] = None
                elif value[0] == "=" or displayable(value) is not value:
                    line[index] = _xlsx_text(value) or None
            elif isinstance(value, date):
                cell = date_cells.get(index)
                if cell is None:
                    cell = date_cells[index] = WriteOnlyCell(sheet)
                    cell.number_format = "DD/MM/YYYY"
                cell.value = value
                line[index] = cell
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_text(value):
    if isinstance(value, str):
        # openpyxl refuses control characters (one stored value would fail the whole export).
        value = displayable(value)
    # openpyxl stores a string starting with "=" as a formula: keep it text.
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value if value is not None else ""
