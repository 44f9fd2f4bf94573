"""Issuing and reading invoices through the API, on PostgreSQL."""

import pytest

from portal_common.messaging import catalogue
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

BILLING_STAFF = make_principal(staff_roles=("billing",))


def cotisation(member_id, **overrides):
    body = {
        "member_id": member_id,
        "kind": "cotisation",
        "issued_on": "2026-02-15",
        "due_on": "2026-03-17",
        "period": "2026",
        "vat_rate": "0.20",
        "lines": [{"label": "Cotisation annuelle 2026 (12 salariés)", "quantity": "12", "unit_price": "97.35"}],
    }
    body.update(overrides)
    return body


def issue(service, body, principal=BILLING_STAFF):
    return service.client().post("/api/billing/invoices", json=body, headers=service.headers(principal))


def test_billing_staff_issue_an_invoice_with_exact_totals_and_one_event_matching_the_catalogue(service, customers):
    member_a, _ = customers
    response = issue(service, cotisation(member_a))
    assert response.status_code == 201
    body = response.json
    assert body["number"] == "F2026-000001"
    assert (body["amount_excl_tax"], body["vat_amount"], body["amount_incl_tax"], body["amount_due"]) == (
        "1168.20",
        "233.64",
        "1401.84",
        "1401.84",
    )
    assert body["vat_rate"] == "0.2000" and body["status"] == "a_payer" and body["status_label"] == "À payer"
    assert body["lines"] == [
        {
            "label": "Cotisation annuelle 2026 (12 salariés)",
            "quantity": "12.00",
            "unit_price": "97.35",
            "amount": "1168.20",
        }
    ]
    [event] = service.events()
    catalogue.validate(event)
    assert event.type == "billing.invoice.issued.v1"
    assert (event.subject, event.member_id) == (body["id"], member_a)
    assert event.data == {
        "invoice_id": body["id"],
        "member_id": member_a,
        "number": "F2026-000001",
        "kind": "cotisation",
        "issued_on": "2026-02-15",
        "due_on": "2026-03-17",
        "amount_incl_tax": "1401.84",
        "status": "a_payer",
        "version": 1,
        "declaration_id": None,
        "download_path": f"/factures/{body['id']}/pdf",
    }


def test_a_credit_note_is_not_issued_detached_from_the_invoice_it_corrects(service, customers):
    member_a, _ = customers
    response = issue(
        service,
        cotisation(
            member_a,
            kind="avoir",
            amount_paid="-833.76",
            lines=[{"label": "Annulation de la facture d'office", "quantity": "1", "unit_price": "-694.80"}],
        ),
    )
    assert response.status_code == 422
    assert "credit-notes" in response.json["errors"]["json"]["kind"]
    assert service.events() == []


def test_an_invalid_body_gets_422_with_field_errors_and_writes_nothing(service, customers):
    member_a, _ = customers
    body = cotisation(
        member_a,
        kind="remise",
        unexpected="x",
        issued_on="15/02/2026",
        lines=[{"label": "", "quantity": "-1", "unit_price": "abc"}],
    )
    response = issue(service, body)
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) == {"kind", "unexpected", "issued_on", "lines"}
    assert set(errors["lines"]["0"]) == {"label", "quantity", "unit_price"}
    assert service.events() == []
    staff_list = service.client().get("/api/billing/invoices", headers=service.headers(BILLING_STAFF))
    assert staff_list.json == []


def test_business_rules_answer_422_in_french_and_consume_no_number(service, customers):
    member_a, _ = customers
    unknown = issue(service, cotisation("00000000-0000-4000-8000-000000000000"))
    assert unknown.status_code == 422
    assert unknown.json["errors"]["json"] == {"member_id": "Cet adhérent est inconnu du service facturation."}
    negative_invoice = issue(
        service, cotisation(member_a, lines=[{"label": "Remise", "quantity": "1", "unit_price": "-10.00"}])
    )
    assert negative_invoice.json["errors"]["json"] == {
        "lines": "Une facture porte un montant positif (un montant négatif est un avoir)."
    }
    assert service.events() == []
    assert issue(service, cotisation(member_a)).json["number"] == "F2026-000001"


def test_only_billing_or_administration_staff_may_issue_invoices(service, customers):
    member_a, _ = customers
    secretary = make_principal(staff_roles=("secretariat",))
    member_admin = make_principal(member_id=member_a, roles=("admin",))
    assert issue(service, cotisation(member_a), secretary).status_code == 403
    assert issue(service, cotisation(member_a), member_admin).status_code == 403
    assert service.client().post("/api/billing/invoices", json=cotisation(member_a)).status_code == 401
    assert service.events() == []
    admin_staff = make_principal(staff_roles=("administration",))
    assert issue(service, cotisation(member_a), admin_staff).status_code == 201


def test_a_member_never_sees_another_companys_invoices(service, customers):
    member_a, member_b = customers
    own = issue(service, cotisation(member_a)).json
    other = issue(service, cotisation(member_b)).json
    reader = make_principal(member_id=member_a, roles=("read",))
    client, headers = service.client(), service.headers(reader)
    assert client.get(f"/api/billing/invoices/{own['id']}", headers=headers).json["number"] == own["number"]
    assert client.get(f"/api/billing/invoices/{other['id']}", headers=headers).status_code == 404
    # Asking for another company's list is not a way round: members only ever get their own.
    listed = client.get(f"/api/billing/invoices?member_id={member_b}", headers=headers).json
    assert [invoice["id"] for invoice in listed] == [own["id"]]
    assert client.get("/api/billing/invoices/does-not-exist", headers=headers).status_code == 404


def test_reading_invoices_needs_the_billing_or_read_role_or_admin(service, customers):
    member_a, _ = customers
    issue(service, cotisation(member_a))
    client = service.client()

    def status_for(*roles):
        principal = make_principal(member_id=member_a, roles=roles)
        return client.get("/api/billing/invoices", headers=service.headers(principal)).status_code

    assert (status_for("billing"), status_for("read"), status_for("admin")) == (200, 200, 200)
    assert status_for("declaration", "convocation") == 403
    assert client.get("/api/billing/invoices").status_code == 401


def test_staff_list_any_members_invoices_filtered_by_year_and_status(service, customers):
    member_a, member_b = customers
    issue(service, cotisation(member_a, issued_on="2025-02-15", due_on="2025-03-17", period="2025"))
    paid = issue(service, cotisation(member_a, amount_paid="1401.84")).json
    # A second annual fee of 2026 would be refused: a no-show invoice of the same company instead.
    unpaid = issue(service, cotisation(member_a, kind="absence")).json
    issue(service, cotisation(member_b))
    client, headers = service.client(), service.headers(BILLING_STAFF)
    everything = client.get("/api/billing/invoices", headers=headers)
    assert everything.headers["X-Total-Count"] == "4"
    second = client.get("/api/billing/invoices?page=2&page_size=3", headers=headers)
    assert len(second.json) == 1 and second.headers["X-Total-Count"] == "4"
    of_a_2026 = client.get(f"/api/billing/invoices?member_id={member_a}&year=2026", headers=headers).json
    assert [i["number"] for i in of_a_2026] == [unpaid["number"], paid["number"]]
    settled = client.get(f"/api/billing/invoices?member_id={member_a}&status=acquittee", headers=headers).json
    assert [i["id"] for i in settled] == [paid["id"]]
    assert client.get("/api/billing/invoices?year=20x6", headers=headers).status_code == 422
    numbers_2025 = client.get("/api/billing/invoices?year=2025", headers=headers).json
    assert [i["number"] for i in numbers_2025] == ["F2025-000001"]
