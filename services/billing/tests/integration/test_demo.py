"""The demo loader: customers and invoices through the real use cases, twice without effect."""

import pytest
from sqlalchemy import func, select

from billing import demo
from billing.models import BillingCustomer, Invoice
from portal_common.messaging import catalogue

pytestmark = pytest.mark.integration

MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
DATASET = {
    "members": [
        {
            "id": MEMBER,
            "member_number": "1000001",
            "name": "Boulangerie Martin",
            "siret": "73282932000074",
            "address_line1": "12 rue de la Gare",
            "postal_code": "68100",
            "city": "MULHOUSE",
            "billing_email": "compta@boulangerie-martin.fr",
        }
    ],
    "invoices": [
        {
            "id": "3d2b9c1e-5f4a-4b7c-8e9d-0a1b2c3d4e5f",
            "member_id": MEMBER,
            "kind": "cotisation",
            "issued_on": "2026-02-15",
            "due_on": "2026-03-17",
            "period": "2026",
            "lines": [{"label": "Cotisation annuelle 2026", "quantity": "12", "unit_price": "97.35"}],
            "vat_rate": "0.20",
            "amount_paid": "0.00",
        },
        {
            "id": "4e3c0d2f-6a5b-4c8d-9f0e-1b2c3d4e5f60",
            "member_id": MEMBER,
            "kind": "cotisation",
            "issued_on": "2025-02-14",
            "due_on": "2025-03-16",
            "period": "2025",
            "lines": [{"label": "Cotisation annuelle 2025", "quantity": "11", "unit_price": "110.47"}],
            "vat_rate": "0.20",
            "amount_paid": "1458.20",
        },
    ],
}


def test_loading_the_demo_twice_issues_each_invoice_once_with_its_year_and_events(service):
    demo.load(service.portal, DATASET)
    demo.load(service.portal, DATASET)
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(BillingCustomer)) == 1
        invoices = {i.id: i for i in session.scalars(select(Invoice))}
    assert len(invoices) == 2
    current = invoices["3d2b9c1e-5f4a-4b7c-8e9d-0a1b2c3d4e5f"]
    previous = invoices["4e3c0d2f-6a5b-4c8d-9f0e-1b2c3d4e5f60"]
    assert (current.number, str(current.amount_incl_tax), current.status) == ("F2026-000001", "1401.84", "a_payer")
    assert (previous.number, str(previous.amount_incl_tax), previous.status) == ("F2025-000001", "1458.20", "acquittee")
    events = service.events()
    assert len(events) == 2
    for event in events:
        catalogue.validate(event)
