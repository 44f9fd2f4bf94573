"""The Factur-X download: a PDF/A-3 carrying its EN 16931 XML, served only to the invoiced company and staff."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from pypdf import PdfReader

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration


def issue(service, member_id):
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="cotisation",
            issued_on=date(2026, 2, 15),
            due_on=date(2026, 3, 17),
            period="2026",
            lines=(
                LineInput(
                    "Cotisation 2026 : salariés en suivi individuel simple (SI)", Decimal("12"), Decimal("97.35")
                ),
            ),
        ),
    )


def test_the_factur_x_file_is_a_pdf_a_3_with_embedded_fonts_and_its_valid_en16931_xml(service, customers):
    member_a, _ = customers
    invoice = issue(service, member_a)
    reader = make_principal(member_id=member_a, roles=("billing",))
    response = service.client().get(f"/factures/{invoice.id}/facturx", headers=service.headers(reader))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="F2026-000001-facturx.pdf"'
    body = response.data
    name, xml = get_facturx_xml_from_pdf(body, check_xsd=False)
    assert name == "factur-x.xml"
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert b"<ram:GrandTotalAmount>1401.84</ram:GrandTotalAmount>" in xml
    assert b'<ram:ID schemeID="0002">732829320</ram:ID>' in xml  # the customer's SIREN
    pdf = PdfReader(BytesIO(body))
    root = pdf.trailer["/Root"]
    # PDF/A-3B: an sRGB output intent, the XMP identification, the XML as an associated file (Data).
    [intent] = root["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp and b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert b"EN 16931" in xmp and b"factur-x.xml" in xmp
    [associated] = root["/AF"]
    assert associated.get_object()["/AFRelationship"] == "/Data"
    # Every font is embedded (no core font: PDF/A forbids them).
    fonts = [font.get_object() for page in pdf.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts and all(
        "/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object() for f in fonts
    )
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "FACTURE N° F2026-000001" in text and "1 401,84 €" in text.replace("\u202f", " ").replace("\u00a0", " ")


def test_another_companys_factur_x_answers_404_and_needs_a_billing_reader(service, customers):
    member_a, member_b = customers
    foreign = issue(service, member_b)
    client = service.client()
    reader_a = service.headers(make_principal(member_id=member_a, roles=("read",)))
    assert client.get(f"/factures/{foreign.id}/facturx", headers=reader_a).status_code == 404
    declarant = service.headers(make_principal(member_id=member_b, roles=("declaration",)))
    assert client.get(f"/factures/{foreign.id}/facturx", headers=declarant).status_code == 403
    assert client.get(f"/factures/{foreign.id}/facturx").status_code == 302  # to the login page
