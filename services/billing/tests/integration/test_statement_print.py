"""« Imprimer l'échéancier »: the statement as a PDF, the same rows and balance as the page, for the company only."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.models import Invoice
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration


def issue(service, member_id, *, kind="cotisation", unit_price="97.35", issued_on=date(2026, 2, 15)):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind=kind,
            issued_on=issued_on,
            due_on=date(2026, 3, 17),
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal(unit_price)),),
        ),
    )


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


def test_the_printed_statement_has_the_rows_and_balance_of_the_page_and_no_other_companys_invoice(service, customers):
    member_a, member_b = customers
    invoice = issue(service, member_a)  # two instalments of 700,92 €
    issue(service, member_a, kind="avoir", unit_price="-10.00", issued_on=date(2026, 3, 1))  # −144,00 €
    contentious = issue(service, member_a, kind="absence", unit_price="50.00")  # 720,00 €, in litigation
    foreign = issue(service, member_b)
    with service.portal.db.session_factory() as session:
        session.execute(update(Invoice).where(Invoice.id == contentious.id).values(status="contentieux"))
        session.commit()
    reader = make_principal(member_id=member_a, member_name="Boulangerie Martin", roles=("read",))
    page = service.client().get("/factures/echeancier", headers=service.headers(reader)).text
    assert 'href="/factures/echeancier.pdf"' in page
    printed = service.client().get("/factures/echeancier.pdf", headers=service.headers(reader))
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    text = pdf_text(printed.data)
    assert "Échéancier" in text and "Boulangerie Martin (adhérent n° 1000001)" in text
    assert invoice.number in text and "(échéance 2/2)" in text and "17/05/2026" in text
    assert "Solde restant dû : 1 977,84 €" in text
    assert contentious.number in text and foreign.number not in text
    declarant = make_principal(member_id=member_a, roles=("declaration",))
    assert service.client().get("/factures/echeancier.pdf", headers=service.headers(declarant)).status_code == 403
    assert service.client().get("/factures/echeancier.pdf").status_code == 302
