"""Payment pages: « Mon échéancier » (page and PDF), staff recording a transfer or a cheque, and card payment.

Card payment: the company starts a payment and follows its attempt; the provider posts its notification. The
portal never redirects a form post to the provider (the pages' CSP allows forms to post to the portal only):
the attempt page links to the provider's page, and the provider's signed server-to-server notification is the
only thing that settles an invoice.
"""

from __future__ import annotations

import logging
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request

from portal_common.access import PUBLIC, member, member_or_staff, require_principal, staff
from portal_common.clock import today
from portal_common.formats import money_fr
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE, INVOICE_PAYERS, INVOICE_READERS
from portal_common.service import portal
from portal_common.web.csrf import signed_elsewhere

from ..invoices.queries import visible_invoice as readable_invoice
from ..ledger.queries import account_of
from ..web import french_decimal, staff_invoice_page, visible_invoice
from . import queries
from .card import NOTIFY_PATH, CardPaymentRefused, card_enabled, provider_url
from .provider import NotificationRejected, read_notification
from .rules import CARD_STATUS_LABELS, CardPaymentStatus, PaymentInput, PaymentRejected
from .statement import statement
from .statement_pdf import render_statement_pdf
from .use_cases import apply_notification, record_payment, start_card_payment

payment_pages = Blueprint("billing_payment_pages", __name__)
log = logging.getLogger(__name__)


@payment_pages.get("/factures/echeancier")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def statement_page():
    principal = require_principal()
    if principal.member_id is None:
        return redirect("/changer-adherent")
    rows = statement(queries.statement_entries(principal.member_id))
    return render_template(
        "billing/statement.html", rows=rows, account=account_of(principal.member_id), page_title="Mon échéancier"
    )


@payment_pages.get("/factures/echeancier.pdf")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def statement_pdf():
    principal = require_principal()
    if principal.member_id is None:
        return redirect("/changer-adherent")
    rows = statement(queries.statement_entries(principal.member_id))
    body = render_statement_pdf(principal.member_name or "", principal.member_number, rows, today())
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="echeancier.pdf"', "Cache-Control": "no-store"},
    )


@payment_pages.post("/gestion/factures/<string:invoice_id>/reglements")
@staff(*BILLING_STAFF)
def staff_record_payment(invoice_id: str):
    invoice = visible_invoice(invoice_id)
    values = {
        name: request.form.get(name, "").strip()[:100] for name in ("method", "amount", "received_on", "reference")
    }
    errors: dict[str, str] = {}
    amount = french_decimal(values["amount"])
    if amount is None:
        errors["amount"] = "Saisissez un montant (exemple : 700,92)."
    try:
        received_on = date.fromisoformat(values["received_on"])
    except ValueError:
        received_on = None
        errors["received_on"] = "Saisissez la date de réception (JJ/MM/AAAA)."
    if not errors:
        try:
            payment = record_payment(
                portal(),
                invoice.id,
                PaymentInput(values["method"], amount, received_on, values["reference"]),
                by=require_principal().user_id,
            )
        except PaymentRejected as exc:
            errors = exc.errors
        else:
            flash(f"Règlement de {money_fr(payment.amount)} enregistré sur la facture {invoice.number}.", "success")
            return redirect(f"/gestion/factures/{invoice.id}")
    flash("Le règlement n'a pas été enregistré : corrigez les champs signalés.", "error")
    return staff_invoice_page(invoice, values, errors, 422)


# --- card payment ------------------------------------------------------------------------------------
@payment_pages.post("/factures/<string:invoice_id>/payer-par-carte")
@member(*INVOICE_PAYERS)  # paying needs the billing role; readers only follow an attempt
def start(invoice_id: str):
    principal = require_principal()
    try:
        attempt = start_card_payment(portal(), invoice_id, member_id=principal.member_id, by=principal.user_id)
    except LookupError:
        abort(404)
    except CardPaymentRefused as exc:
        flash(str(exc), "error")
        return redirect("/factures")
    return redirect(f"/factures/{invoice_id}/paiement-carte/{attempt.reference}", 303)


@payment_pages.get("/factures/<string:invoice_id>/paiement-carte/<string:reference>")
@member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
def attempt_page(invoice_id: str, reference: str):
    """Where the company goes to pay, and where the provider sends it back: what the portal knows, nothing
    the browser says."""
    invoice = readable_invoice(require_principal(), invoice_id)
    attempt = queries.card_attempt(invoice_id, reference) if invoice is not None else None
    if attempt is None:
        abort(404)
    link = provider_url(portal().settings, attempt) if attempt.status == CardPaymentStatus.PENDING else None
    return render_template(
        "billing/card_payment.html",
        invoice=invoice,
        attempt=attempt,
        link=link,
        status_label=CARD_STATUS_LABELS[attempt.status],
        page_title="Paiement par carte",
    )


@payment_pages.post(NOTIFY_PATH)
@signed_elsewhere
@PUBLIC
def notification():
    """The provider's server-to-server notification: signature checked, then applied once; anything else is
    refused, logged (reason only, never the form) and changes nothing."""
    settings = portal().settings
    try:
        notice = read_notification(
            request.form.to_dict(), key=settings.card_signing_key, merchant_id=settings.card_merchant_id
        )
        attempt = apply_notification(portal(), notice)
    except NotificationRejected as exc:
        log.warning("card payment notification refused", extra={"reason": exc.reason})
        status = {
            "unknown reference": 404,
            "replayed notification": 409,
            "transaction already used": 409,
            "card payment not configured": 503,
        }.get(exc.reason, 400)
        return {"status": "refused", "reason": exc.reason}, status
    log.info("card payment notification applied", extra={"reference": attempt.reference, "status": attempt.status})
    return {"status": "accepted"}, 200


@payment_pages.app_context_processor
def card_payment_flag() -> dict[str, bool]:
    """Lets "Mes factures" offer the card payment button only when a provider is configured."""
    return {"card_payment_enabled": card_enabled(portal())}
