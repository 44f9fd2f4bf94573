"""The Factur-X XML (EN 16931 CII): built by the factur-x library and valid against its XSD."""

from datetime import UTC, date, datetime
from decimal import Decimal as D
from types import SimpleNamespace

from facturx import xml_check_xsd
from lxml import etree

from billing.invoices.einvoice import facturx_data, facturx_xml
from billing.invoices.pdf import InvoiceDocument, Issuer

ISSUER = Issuer(
    "Service de prévention et de santé au travail",
    "1 rue de la Prévention, 68100 MULHOUSE",
    "77501200000003",
    "FR41775012000",
    "FR76 3000 6000 0112 3456 7890 189",
    "AGRIFRPPXXX",
    "FR00ZZZ123456",
)
CUSTOMER = SimpleNamespace(
    name="Boulangerie Martin",
    member_number="1000001",
    siret="73282932000074",
    address_line1="12 rue de la Gare",
    address_line2="Bâtiment B",
    postal_code="68100",
    city="MULHOUSE",
    mandate_status=None,
)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def line(label, quantity, unit_price, amount):
    return SimpleNamespace(label=label, quantity=D(quantity), unit_price=D(unit_price), amount=D(amount))


def document(kind="cotisation", lines=None, totals=("1150.68", "230.14", "1380.82"), paid="0.00", corrected=None):
    excl, vat, incl = (D(value) for value in totals)
    invoice = SimpleNamespace(
        kind=kind,
        number="F2026-000002",
        period="2026",
        issued_on=date(2026, 2, 15),
        due_on=date(2026, 3, 17),
        lines=lines
        or [
            line("Cotisation 2026 : salariés en suivi individuel simple (SI)", "12", "97.35", "1168.20"),
            line("Remise prélèvement SEPA (1,5 %)", "1", "-17.52", "-17.52"),
        ],
        vat_rate=D("0.2000"),
        amount_excl_tax=excl,
        vat_amount=vat,
        amount_incl_tax=incl,
        amount_paid=D(paid),
        status="a_payer",
        created_at=datetime(2026, 2, 15, tzinfo=UTC),
    )
    return InvoiceDocument(invoice, CUSTOMER, [(date(2026, 3, 17), incl)], corrected_number=corrected)


def text(xml, path):
    return etree.fromstring(xml).xpath(path, namespaces=NS)[0].text


def test_an_invoice_becomes_en16931_xml_with_the_discount_as_an_allowance_and_both_sirens():
    xml = facturx_xml(document(), ISSUER)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    settlement = "//ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert (
        text(xml, settlement + "ram:LineTotalAmount"),
        text(xml, settlement + "ram:AllowanceTotalAmount"),
        text(xml, settlement + "ram:TaxBasisTotalAmount"),
        text(xml, settlement + "ram:TaxTotalAmount"),
        text(xml, settlement + "ram:GrandTotalAmount"),
        text(xml, settlement + "ram:DuePayableAmount"),
    ) == ("1168.20", "17.52", "1150.68", "230.14", "1380.82", "1380.82")
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "775012000"
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "732829320"
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR41775012000"
    assert (
        text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
        == "FR7630006000011234567890189"
    )
    notes = [n.text for n in etree.fromstring(xml).xpath("//ram:IncludedNote/ram:Content", namespaces=NS)]
    assert any("40,00 €" in note for note in notes) and any("L441-10" in note for note in notes)


def test_a_credit_note_is_a_381_document_with_positive_amounts_referring_to_the_invoice_it_corrects():
    note = document(
        kind="avoir",
        lines=[line("Annulation de la facture d'office F2026-000001", "1", "-694.80", "-694.80")],
        totals=("-694.80", "-138.96", "-833.76"),
        paid="-833.76",
        corrected="F2026-000001",
    )
    xml = facturx_xml(note, ISSUER)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert (
        text(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:NetPriceProductTradePrice/ram:ChargeAmount")
        == "694.8000"
    )
    assert text(xml, "//ram:GrandTotalAmount") == "833.76" and text(xml, "//ram:DuePayableAmount") == "0.00"
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "F2026-000001"


def test_the_business_terms_carry_the_billing_period_of_an_annual_fee():
    data = facturx_data(document(), ISSUER)
    assert (data["BT-73"], data["BT-74"]) == (date(2026, 1, 1), date(2026, 12, 31))
    assert data["BG-4"]["postcode"] == "68100" and data["BG-4"]["city"] == "MULHOUSE"
