"""The invoice as a PDF with the legal mentions (Code de commerce L441-9, L441-10, D441-5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF

from portal_common.formats import date_fr, money_fr, number_fr
from portal_common.pdf_text import pdf_text

from ..customers.rules import MandateStatus
from .rules import KIND_LABELS, STATUS_LABELS, InvoiceKind

TITLES = {InvoiceKind.CREDIT_NOTE: "AVOIR", InvoiceKind.ESTIMATE: "FACTURE D'OFFICE"}
LATE_PAYMENT = (
    "Paiement à l'échéance, sans escompte pour paiement anticipé. En cas de retard de paiement, des pénalités "
    "sont dues au taux d'intérêt de la Banque centrale européenne majoré de 10 points (article L441-10 du Code "
    "de commerce), ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40,00 € (article D441-5)."
)


@dataclass(frozen=True)
class Issuer:
    name: str
    address: str
    siret: str
    vat_number: str
    iban: str
    bic: str
    creditor_identifier: str

    @classmethod
    def from_settings(cls, settings: Any) -> Issuer:
        return cls(
            settings.issuer_name,
            settings.issuer_address,
            settings.issuer_siret,
            settings.issuer_vat_number,
            settings.issuer_iban,
            settings.issuer_bic,
            settings.creditor_identifier,
        )


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on one invoice, read from the invoice, its customer and the invoice it corrects."""

    invoice: Any
    customer: Any
    schedule: list[tuple[date, Decimal]]
    corrected_number: str | None = None
    # The member's credit set off against the invoice (« Compensation avoir »), part of amount_paid.
    compensated: Decimal = Decimal("0.00")


def _text(value: str) -> str:
    """Core PDF fonts speak Windows-1252: French typography spaces become plain ones, any stored value prints."""
    return pdf_text(value).replace("’", "'")


# The PDF/A-3 (Factur-X) version embeds these TrueType fonts: PDF/A forbids the unembedded core fonts.
PDFA_FONTS = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class _Page(FPDF):
    family = "helvetica"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.cell(0, 5, _text(f"Page {self.page_no()}/{{nb}}"), align="C")


def _new_page(title: str, author: str, pdfa_font_dir: Path | None) -> _Page:
    """A4 document; with a font folder, a PDF/A-3B one (embedded fonts, sRGB output intent, XMP)."""
    if pdfa_font_dir is None:
        pdf = _Page(format="A4")
        pdf.core_fonts_encoding = "windows-1252"
    else:
        pdf = _Page(format="A4", enforce_compliance="PDFA_3B")
        for style, name in PDFA_FONTS.items():
            pdf.add_font("dejavu", style, str(pdfa_font_dir / name))
        pdf.family = "dejavu"
        pdf.set_lang("fr-FR")
    pdf.set_title(_text(title))
    pdf.set_author(_text(author))
    return pdf


def payment_means(document: InvoiceDocument, issuer: Issuer) -> list[str]:
    customer = document.customer
    means = []
    if getattr(customer, "mandate_status", None) == MandateStatus.ACTIVE:
        means.append(
            f"Prélèvement SEPA (mandat {customer.mandate_reference}, créancier {issuer.creditor_identifier}) "
            "aux échéances, après pré-notification."
        )
    means.append(f"Virement : IBAN {issuer.iban}, BIC {issuer.bic}, en rappelant le n° {document.invoice.number}.")
    means.append(f"Chèque à l'ordre de {issuer.name}, ou carte bancaire depuis l'espace adhérent.")
    return means


def render_invoice_pdf(document: InvoiceDocument, issuer: Issuer, *, pdfa_font_dir: Path | None = None) -> bytes:
    """The invoice PDF; with `pdfa_font_dir`, built as PDF/A-3B, ready to carry its Factur-X XML."""
    invoice, customer = document.invoice, document.customer
    pdf = _new_page(f"{KIND_LABELS[invoice.kind]} {invoice.number}", issuer.name, pdfa_font_dir)
    pdf.set_creation_date(invoice.created_at)  # same invoice, same bytes
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font(pdf.family, style=style, size=size)
        pdf.multi_cell(width, height, _text(text), new_x="LMARGIN", new_y="NEXT")

    line(issuer.name, size=12, style="B")
    line(issuer.address)
    line(f"SIRET {issuer.siret} - TVA intracommunautaire {issuer.vat_number}")
    pdf.ln(4)
    title = TITLES.get(invoice.kind, "FACTURE")
    line(f"{title} N° {invoice.number}", size=15, style="B", height=8)
    line(f"Type : {KIND_LABELS[invoice.kind]} - Période : {invoice.period}")
    credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    if credit_note:  # never payable: no due date, no schedule, no payment means, no penalties
        line(f"Date d'émission : {date_fr(invoice.issued_on)}")
    else:
        line(f"Date d'émission : {date_fr(invoice.issued_on)} - Date d'échéance : {date_fr(invoice.due_on)}")
    if document.corrected_number:
        line(f"Avoir se rapportant à la facture n° {document.corrected_number}")
    if invoice.kind == InvoiceKind.ESTIMATE:
        line(
            "Facture établie d'office, faute de déclaration des effectifs à la clôture de la campagne : "
            "elle sera annulée par avoir dès réception de votre déclaration, même tardive (portail adhérent, "
            f"« Déclarer vos effectifs » {invoice.period}), et remplacée par la cotisation déclarée.",
            size=9,
        )
    line("Catégorie de l'opération : prestation de services")
    pdf.ln(3)
    line("Adhérent", style="B")
    line(f"{customer.name} - n° adhérent {customer.member_number}")
    line(f"SIREN {customer.siret[:9]} - SIRET {customer.siret}")
    address = ", ".join(part for part in (customer.address_line1, customer.address_line2) if part)
    line(f"{address}, {customer.postal_code} {customer.city}")
    pdf.ln(4)
    _table(
        pdf,
        ("Désignation", "Quantité", "Prix unitaire HT", "Montant HT"),
        (95, 25, 35, 35),
        [
            (line.label, number_fr(line.quantity), money_fr(line.unit_price), money_fr(line.amount))
            for line in invoice.lines
        ],
    )
    pdf.ln(2)
    vat_percent = number_fr(invoice.vat_rate * 100)
    if credit_note:
        _credit_note_totals(pdf, document, vat_percent, line)
        return bytes(pdf.output())
    totals = [
        ("Total HT", invoice.amount_excl_tax),
        (f"TVA {vat_percent} %", invoice.vat_amount),
        ("Total TTC", invoice.amount_incl_tax),
    ]
    if document.compensated > 0:
        totals.append(("Compensation avoir", -document.compensated))
    totals += [
        ("Déjà réglé", invoice.amount_paid - document.compensated),
        ("Reste à payer", invoice.amount_due),
    ]
    for label, amount in totals:
        pdf.set_font(pdf.family, style="B" if label in ("Total TTC", "Reste à payer") else "", size=10)
        pdf.cell(155, 6, _text(label), align="R")
        pdf.cell(35, 6, _text(money_fr(amount)), align="R", new_x="LMARGIN", new_y="NEXT")
    line(f"Statut : {STATUS_LABELS[invoice.status]}", size=9)
    pdf.ln(3)
    line("Échéancier", style="B")
    _table(
        pdf,
        ("Échéance", "Montant TTC"),
        (95, 35),
        [(date_fr(due_on), money_fr(amount)) for due_on, amount in document.schedule],
    )
    pdf.ln(3)
    line("Moyens de paiement", style="B")
    for mean in payment_means(document, issuer):
        line(f"- {mean}", size=9)
    pdf.ln(2)
    line(LATE_PAYMENT, size=8, height=4)
    return bytes(pdf.output())


def _credit_note_totals(pdf: _Page, document: InvoiceDocument, vat_percent: str, line: Any) -> None:
    """What a credit note says: the amount credited, what it settled on the invoice it corrects, and the rest
    kept as the company's credit (set off against its next invoices or refunded)."""
    invoice = document.invoice
    credited, set_off = -invoice.amount_incl_tax, -invoice.amount_paid
    rows = [
        ("Total HT crédité", -invoice.amount_excl_tax),
        (f"TVA {vat_percent} % créditée", -invoice.vat_amount),
        ("Montant crédité TTC", credited),
    ]
    if document.corrected_number:
        rows.append((f"Imputé sur la facture n° {document.corrected_number}", set_off))
    rows.append(("Crédit en votre faveur", credited - set_off))
    for label, amount in rows:
        pdf.set_font(pdf.family, style="B" if label == "Montant crédité TTC" else "", size=10)
        pdf.cell(155, 6, _text(label), align="R")
        pdf.cell(35, 6, _text(money_fr(amount)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    line(
        "Ce crédit est imputé sur vos prochaines factures ou remboursé sur demande ; il figure dans votre "
        "échéancier. Cet avoir n'appelle aucun règlement.",
        size=9,
    )


def _table(pdf: _Page, headers: tuple[str, ...], widths: tuple[int, ...], rows: Iterable[tuple[str, ...]]) -> None:
    pdf.set_font(pdf.family, style="B", size=9)
    for rank, (header, width) in enumerate(zip(headers, widths)):
        pdf.cell(width, 6, _text(header), border=1, align="L" if rank == 0 else "R")
    pdf.ln()
    pdf.set_font(pdf.family, size=9)
    for row in rows:
        # The label wraps in full (a late hire's line names the employee and the date): never cut.
        label = _text(row[0])
        wrapped = pdf.multi_cell(widths[0], 5, label, dry_run=True, output="LINES")
        height = 5 * max(1, len(wrapped))
        if pdf.will_page_break(height):
            pdf.add_page()
        x, y = pdf.get_x(), pdf.get_y()
        pdf.multi_cell(widths[0], 5 if len(wrapped) > 1 else height, label, border=1, align="L")
        pdf.set_xy(x + widths[0], y)
        for value, width in zip(row[1:], widths[1:]):
            pdf.cell(width, height, _text(value), border=1, align="R")
        pdf.ln(height)
