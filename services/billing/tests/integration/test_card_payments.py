"""Card payment: the company goes to the provider's page, the provider's signed notification alone settles the
invoice; bad signatures, unknown references and replays are refused and logged without effect."""

import html
import logging
import re
from datetime import date
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from billing.invoices.rules import IssueCommand, LineInput
from billing.invoices.use_cases.issue import issue_invoice
from billing.models import CardPayment, Invoice, Payment
from billing.payments.provider import sign
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"


def issue(service, member_id):
    """1 401,84 € TTC: 12 employees at 97,35 € HT, 20 % VAT."""
    return issue_invoice(
        service.portal,
        IssueCommand(
            member_id=member_id,
            kind="cotisation",
            issued_on=date(2026, 2, 15),
            due_on=date(2026, 3, 17),
            period="2026",
            lines=(LineInput("Cotisation annuelle 2026", Decimal("12"), Decimal("97.35")),),
        ),
    )


def csrf_of(page_text):
    return page_text.split('name="csrf_token" value="')[1].split('"')[0]


def start_payment(service, principal, invoice_id):
    """What the company's browser does: "Payer par carte" on Mes factures, then the attempt page."""
    client, headers = service.client(), service.headers(principal)
    listing = client.get("/factures?annee=2026", headers=headers).text
    assert f'action="/factures/{invoice_id}/payer-par-carte"' in listing
    started = client.post(
        f"/factures/{invoice_id}/payer-par-carte", data={"csrf_token": csrf_of(listing)}, headers=headers
    )
    assert started.status_code == 303
    attempt_path = started.headers["Location"]
    page = client.get(attempt_path, headers=headers)
    assert page.status_code == 200
    link = html.unescape(re.search(r'href="([^"]+)">Continuer vers le paiement sécurisé', page.text)[1])
    return attempt_path, page.text, link


def hidden_fields(page_text):
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page_text))


def stored(service, model, **where):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(model).filter_by(**where)))


def invoice_row(service, invoice_id):
    return stored(service, Invoice, id=invoice_id)[0]


def test_a_company_pays_on_the_provider_page_and_only_the_signed_notification_settles_the_invoice(
    service, customers, card_provider, billing_http
):
    member_a, _ = customers
    invoice = issue(service, member_a)
    payer = make_principal(member_id=member_a, roles=("billing",))
    attempt_path, attempt_page, link = start_payment(service, payer, invoice.id)
    assert "En attente de confirmation" in attempt_page and f"1{NNBSP}401,84{NBSP}€" in attempt_page
    assert link.startswith(card_provider.url + "/payer?")
    # Coming back from the provider proves nothing: until the notification, the invoice is still to pay.
    assert service.client().get(attempt_path, headers=service.headers(payer)).status_code == 200
    assert invoice_row(service, invoice.id).status == "a_payer"

    provider_page = requests.get(link, timeout=10)
    assert provider_page.status_code == 200
    assert f"1{NNBSP}401,84{NBSP}€" in provider_page.text and ">Payer<" in provider_page.text
    paid = requests.post(
        f"{card_provider.url}/payer/decision",
        data={**hidden_fields(provider_page.text), "decision": "paid"},
        allow_redirects=False,
        timeout=10,
    )
    assert paid.status_code == 303
    assert paid.headers["Location"].endswith(attempt_path)
    assert card_provider.app.notifications[-1]["http_status"] == 200

    settled = invoice_row(service, invoice.id)
    assert (settled.status, settled.amount_paid) == ("acquittee", Decimal("1401.84"))
    [payment] = stored(service, Payment, invoice_id=invoice.id)
    assert (payment.method, payment.amount, payment.applied_amount) == ("carte", Decimal("1401.84"), Decimal("1401.84"))
    event = [e for e in service.events() if e.type == "billing.invoice.paid.v1"][-1]
    assert (event.data["method"], event.data["status"], event.data["amount_due"]) == ("carte", "acquittee", "0.00")
    back = service.client().get(attempt_path, headers=service.headers(payer)).text
    assert "Paiement reçu" in back and "Continuer vers le paiement sécurisé" not in back
    listing = service.client().get("/factures?annee=2026", headers=service.headers(payer)).text
    assert "payer-par-carte" not in listing  # nothing left to pay


def test_a_refused_card_payment_leaves_the_invoice_to_pay(service, customers, card_provider, billing_http):
    member_a, _ = customers
    invoice = issue(service, member_a)
    payer = make_principal(member_id=member_a, roles=("admin",))
    attempt_path, _, link = start_payment(service, payer, invoice.id)
    provider_page = requests.get(link, timeout=10)
    refused = requests.post(
        f"{card_provider.url}/payer/decision",
        data={**hidden_fields(provider_page.text), "decision": "refused"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 303
    assert invoice_row(service, invoice.id).status == "a_payer"
    assert stored(service, Payment, invoice_id=invoice.id) == []
    assert "Paiement refusé" in service.client().get(attempt_path, headers=service.headers(payer)).text


def test_a_card_overpayment_is_kept_as_the_companys_credit(service, customers, card_provider, billing_http):
    member_a, _ = customers
    invoice = issue(service, member_a)
    payer = make_principal(member_id=member_a, roles=("billing",))
    _, _, link = start_payment(service, payer, invoice.id)
    provider_page = requests.get(link, timeout=10)
    card_provider.app.amount_override = "150000"  # the provider reports 1 500,00 € taken
    try:
        requests.post(
            f"{card_provider.url}/payer/decision",
            data={**hidden_fields(provider_page.text), "decision": "paid"},
            allow_redirects=False,
            timeout=10,
        )
    finally:
        card_provider.app.amount_override = None
    [payment] = stored(service, Payment, invoice_id=invoice.id)
    assert (payment.amount, payment.applied_amount) == (Decimal("1500.00"), Decimal("1401.84"))
    listing = service.client().get("/factures?annee=2026", headers=service.headers(payer)).text
    assert f"Crédit en votre faveur : 98,16{NBSP}€" in listing
    assert f"Solde créditeur : 98,16{NBSP}€" in listing


CARD_SIGNING_KEY = "test-card-signing-key-" + "z" * 32  # as tests/conftest.py configures the app


def notification(reference, **overrides):
    fields = {
        "merchant_id": "spsti-demo",
        "reference": reference,
        "transaction_id": "T0001",
        "status": "paid",
        "amount": "140184",
        "currency": "EUR",
        "paid_at": "2026-03-10T09:00:00+00:00",
    }
    fields.update(overrides)
    fields["signature"] = sign(fields, CARD_SIGNING_KEY)
    return fields


def test_a_bad_signature_an_unknown_reference_or_a_replay_is_refused_logged_and_changes_nothing(
    service, customers, caplog
):
    member_a, _ = customers
    assert service.portal.settings.card_signing_key == CARD_SIGNING_KEY
    invoice = issue(service, member_a)
    client = service.client()
    payer = make_principal(member_id=member_a, roles=("billing",))
    listing = client.get("/factures?annee=2026", headers=service.headers(payer)).text
    client.post(
        f"/factures/{invoice.id}/payer-par-carte", data={"csrf_token": csrf_of(listing)}, headers=service.headers(payer)
    )
    [attempt] = stored(service, CardPayment, invoice_id=invoice.id)

    post = lambda form: client.post("/paiement-carte/notification", data=form)  # no session at all
    caplog.set_level(logging.WARNING, logger="billing.card_pages")
    forged = dict(notification(attempt.reference), amount="1")  # changed after signing
    assert post(forged).status_code == 400
    assert (
        post(
            notification(attempt.reference) | {"signature": sign(notification(attempt.reference), "other-key")}
        ).status_code
        == 400
    )
    assert post(notification("CB" + "0" * 20)).status_code == 404
    assert post(dict(notification(attempt.reference), extra="x")).status_code == 400
    assert post(notification(attempt.reference, merchant_id="someone-else")).status_code == 400
    assert (invoice_row(service, invoice.id).status, stored(service, Payment)) == ("a_payer", [])

    assert post(notification(attempt.reference)).status_code == 200
    assert post(notification(attempt.reference)).status_code == 409  # the same notification replayed
    assert post(notification(attempt.reference, transaction_id="T0002")).status_code == 409
    assert len(stored(service, Payment)) == 1 and invoice_row(service, invoice.id).amount_paid == Decimal("1401.84")
    reasons = [record.reason for record in caplog.records if record.getMessage() == "card payment notification refused"]
    assert reasons == [
        "bad signature",
        "bad signature",
        "unknown reference",
        "missing or unexpected fields",
        "another merchant",
        "replayed notification",
        "replayed notification",
    ]


def test_a_company_can_neither_start_nor_follow_a_card_payment_of_another_company(service, customers):
    member_a, member_b = customers
    invoice = issue(service, member_a)
    client = service.client()
    payer_a = make_principal(member_id=member_a, roles=("billing",))
    listing = client.get("/factures?annee=2026", headers=service.headers(payer_a)).text
    started = client.post(
        f"/factures/{invoice.id}/payer-par-carte",
        data={"csrf_token": csrf_of(listing)},
        headers=service.headers(payer_a),
    )
    payer_b = make_principal(member_id=member_b, roles=("billing",))
    listing_b = client.get("/factures", headers=service.headers(payer_b)).text
    assert (
        client.post(
            f"/factures/{invoice.id}/payer-par-carte",
            data={"csrf_token": csrf_of(listing_b)},
            headers=service.headers(payer_b),
        ).status_code
        == 404
    )
    assert client.get(started.headers["Location"], headers=service.headers(payer_b)).status_code == 404
    reader = make_principal(member_id=member_a, roles=("read",))
    assert (
        client.post(
            f"/factures/{invoice.id}/payer-par-carte",
            data={"csrf_token": csrf_of(listing)},
            headers=service.headers(reader),
        ).status_code
        == 403
    )
    # Without its CSRF token, the company's own user cannot start one either.
    assert client.post(f"/factures/{invoice.id}/payer-par-carte", headers=service.headers(payer_a)).status_code == 403
    assert len(stored(service, CardPayment)) == 1
