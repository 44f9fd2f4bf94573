"""« Imprimer l'échéancier »: the company's statement as a PDF (the same rows and balance as the page)."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF

from portal_common.formats import date_fr, money_fr
from portal_common.pdf_text import pdf_text

from .statement import StatementRow

COLUMNS = (
    ("N° de pièce", 28, "L"),
    ("Émission", 22, "L"),
    ("Exigibilité", 22, "L"),
    ("Type de pièce", 62, "L"),
    ("Période", 16, "L"),
    ("Débit", 26, "R"),
    ("Crédit", 26, "R"),
    ("Solde", 28, "R"),
)


def _text(value: str) -> str:
    """Core PDF fonts speak Windows-1252: French typography spaces become plain ones, any stored value prints."""
    return pdf_text(value)


def render_statement_pdf(company: str, member_number: str | None, rows: list[StatementRow], printed_on: date) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # €, œ and French quotes, as on the invoice PDF
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _text("Échéancier"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    who = f"{company} (adhérent n° {member_number})" if member_number else company
    pdf.cell(0, 6, _text(f"{who} — édité le {date_fr(printed_on)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0, 6, _text("Les factures en contentieux n'apparaissent pas dans l'échéancier."), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    pdf.set_font("helvetica", "B", 9)
    for label, width, _ in COLUMNS:
        pdf.cell(width, 7, _text(label), border=1, align="C")
    pdf.ln()
    pdf.set_font("helvetica", "", 9)
    for row in rows:
        entry = row.entry
        cells = (
            entry.number,
            date_fr(entry.issued_on),
            date_fr(entry.due_on),
            entry.kind_label,
            entry.period,
            money_fr(entry.debit) if entry.debit else "",
            money_fr(entry.credit) if entry.credit else "",
            money_fr(row.balance),
        )
        for (_, width, align), value in zip(COLUMNS, cells):
            pdf.cell(width, 6, _text(value)[:48], border=1, align=align)
        pdf.ln()
    if not rows:
        pdf.cell(0, 6, _text("Aucune échéance."), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font("helvetica", "B", 10)
        final = rows[-1].balance
        label = "Solde créditeur" if final < 0 else "Solde restant dû"
        pdf.cell(0, 8, _text(f"{label} : {money_fr(abs(final))}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
