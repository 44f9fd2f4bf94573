"""The Factur-X e-invoice: the invoice PDF as PDF/A-3 with its EN 16931 CII XML embedded (factur-x library).

The XML is built by factur-x's own generator from EN 16931 business terms (BT-…) and checked against the
profile's XSD; factur-x then embeds it in the PDF/A-3 (AFRelationship Data) and writes the Factur-X XMP.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from facturx import generate_from_binary
from facturx.generate_xml import generate_cii_xml

from portal_common.input_rules import displayable_all

from .pdf import LATE_PAYMENT, InvoiceDocument, Issuer, render_invoice_pdf
from .rules import ZERO, InvoiceKind

LEVEL = "en16931"
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"  # UNTDID 1001
CREDIT_TRANSFER = "30"  # UNTDID 4461
SIREN_SCHEME, SIRET_SCHEME = "0002", "0009"  # ISO 6523 ICD
UNIT = "C62"  # one (UN/ECE rec. 20)
_POSTAL = re.compile(r"^(?P<line>.+?),?\s+(?P<postcode>\d{5})\s+(?P<city>.+)$")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _split_address(address: str) -> dict[str, str]:
    """ "1 rue de la Prévention, 68100 MULHOUSE" → street, postcode and city (else the whole as street)."""
    found = _POSTAL.match(address.strip())
    if not found:
        return {"line": address.strip()}
    return {"line": found["line"].rstrip(","), "postcode": found["postcode"], "city": found["city"]}


def _billing_period(period: str) -> dict[str, date]:
    if period.isdigit() and len(period) == 4:
        year = int(period)
        return {"BT-73": date(year, 1, 1), "BT-74": date(year, 12, 31)}
    return {}


def facturx_data(document: InvoiceDocument, issuer: Issuer) -> dict:
    """EN 16931 business terms of an invoice or a credit note.

    A credit note is a document of type 381 whose amounts are positive (the type carries the sign); a line
    against the document's sign (the SEPA discount on an invoice) becomes a document-level allowance, as
    EN 16931 forbids negative net prices.
    """
    invoice, customer = document.invoice, document.customer
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    vat_percent = f"{invoice.vat_rate * 100:.2f}"
    category = "S" if invoice.vat_rate > 0 else "E"
    lines, allowances = [], []
    for rank, line in enumerate(invoice.lines, start=1):
        amount = sign * line.amount
        if amount >= 0:
            lines.append(
                {
                    "BT-126": str(rank),
                    "BT-153": line.label,
                    "BT-146": f"{sign * line.unit_price:.4f}",
                    "BT-129": f"{line.quantity:.4f}",
                    "BT-130": UNIT,
                    "BT-151": category,
                    "BT-152": vat_percent,
                    "BT-131": _money(amount),
                }
            )
        else:
            allowances.append(
                {
                    "amount": _money(-amount),
                    "reason": line.label,
                    "vat_category_code": category,
                    "vat_rate": vat_percent,
                }
            )
    line_total = sum((sign * line.amount for line in invoice.lines if sign * line.amount >= 0), ZERO)
    allowance_total = sum((-sign * line.amount for line in invoice.lines if sign * line.amount < 0), ZERO)
    excl_tax, vat, incl_tax = sign * invoice.amount_excl_tax, sign * invoice.vat_amount, sign * invoice.amount_incl_tax
    paid = sign * invoice.amount_paid
    seller, buyer_siren = _split_address(issuer.address), customer.siret[:9]
    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issued_on,
        "BT-3": CREDIT_NOTE_TYPE if sign < 0 else INVOICE_TYPE,
        "BT-5": "EUR",
        "BT-9": invoice.due_on,
        "BT-20": "Paiement à l'échéance (échéancier sur la facture), sans escompte pour paiement anticipé.",
        "BG-1": [
            {
                "BT-21": "PMT",
                "BT-22": "Indemnité forfaitaire pour frais de recouvrement en cas de retard "
                "de paiement : 40,00 € (article D441-5 du Code de commerce).",
            },
            {"BT-21": "PMD", "BT-22": LATE_PAYMENT},
            {
                "BT-21": "AAI",
                "BT-22": f"Adhérent n° {customer.member_number}. Catégorie de l'opération : prestation de services.",
            },
        ],
        # Seller (BG-4): the service, identified by SIRET, SIREN and VAT number.
        "BG-4": {
            "name": issuer.name,
            "identifiers": {SIRET_SCHEME: issuer.siret},
            "legal_identifier": issuer.siret[:9],
            "legal_identifier_schemeid": SIREN_SCHEME,
            "vat_identifier": issuer.vat_number.replace(" ", ""),
            "country_code": "FR",
            **{
                key: value
                for key, value in (
                    ("addr_l1", seller["line"]),
                    ("postcode", seller.get("postcode")),
                    ("city", seller.get("city")),
                )
                if value
            },
        },
        # Buyer (BG-7): the member company (its SIREN is a mandatory mention of the 2026 reform).
        "BG-7": {
            "name": customer.name,
            "identifiers": {SIRET_SCHEME: customer.siret},
            "legal_identifier": buyer_siren,
            "legal_identifier_schemeid": SIREN_SCHEME,
            "addr_l1": customer.address_line1,
            "postcode": customer.postal_code,
            "city": customer.city,
            "country_code": "FR",
            **({"addr_l2": customer.address_line2} if customer.address_line2 else {}),
        },
        # Deliver-to (BG-13): the services are rendered to the company at its address (a reform mention).
        "BG-13": {
            "name": customer.name,
            "addr_l1": customer.address_line1,
            "postcode": customer.postal_code,
            "city": customer.city,
            "country_code": "FR",
        },
        # Payment by transfer to the service's own account (never the member's account).
        "BT-81": CREDIT_TRANSFER,
        "BT-83": invoice.number,
        "BT-84": issuer.iban.replace(" ", ""),
        "BT-86": issuer.bic,
        "BT-106": _money(line_total),
        "BT-109": _money(excl_tax),
        "BT-110": _money(vat),
        "BT-112": _money(incl_tax),
        "BT-113": _money(paid),
        "BT-115": _money(incl_tax - paid),
        "BG-23": [{"BT-116": _money(excl_tax), "BT-117": _money(vat), "BT-118": category, "BT-119": vat_percent}],
        "BG-25": lines,
        **_billing_period(invoice.period),
    }
    if category == "E":
        data["BG-23"][0]["BT-120"] = "Exonération de TVA"
    if allowances:
        data["BG-20"], data["BT-107"] = allowances, _money(allowance_total)
    if document.corrected_number:
        data["BG-3"] = [{"BT-25": document.corrected_number}]
    return data


def facturx_xml(document: InvoiceDocument, issuer: Issuer) -> bytes:
    """The CII XML of the EN 16931 profile, checked against the profile's XSD by the library (the schematron
    check needs a Saxon server, which the service does not run)."""
    # XML 1.0 cannot hold control characters: one stored value must not make the invoice unprintable.
    data = displayable_all(facturx_data(document, issuer))
    return generate_cii_xml(data, level=LEVEL, check_xsd=True, check_schematron=False)


def render_facturx(document: InvoiceDocument, issuer: Issuer, font_dir: Path) -> bytes:
    """The Factur-X file: the invoice PDF built as PDF/A-3B with the CII XML embedded as factur-x.xml."""
    invoice = document.invoice
    pdf = render_invoice_pdf(document, issuer, pdfa_font_dir=font_dir)
    return generate_from_binary(
        pdf,
        facturx_xml(document, issuer),
        flavor="factur-x",
        level=LEVEL,
        check_xsd=False,
        lang="fr-FR",
        pdf_metadata={
            "author": issuer.name,
            "keywords": "Factur-X, facture",
            "title": f"{issuer.name} : {invoice.number}",
            "subject": f"Factur-X {invoice.number} du {invoice.issued_on:%d/%m/%Y}",
        },
    )
