"""The employee list as files for French Excel: CSV (UTF-8 with BOM, `;`, dd/mm/yyyy) and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal_common.input_rules import displayable

from ..employees.pcs import pcs_label
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
# A cell starting with one of these is a formula for a spreadsheet: CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Salariés")
    sheet.append(COLUMNS)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            else:
                cells.append(WriteOnlyCell(sheet, value=_xlsx_text(value)))
        sheet.append(cells)
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
