"""Card payment pages: the company starts a payment, follows its attempt; the provider posts its notification.

The portal never redirects a form post to the provider (the pages' CSP allows forms to post to the portal
only): the attempt page links to the provider's page, and the provider's signed server-to-server
notification is the only thing that settles an invoice.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request
from sqlalchemy import select

from portal_common.access import PUBLIC, member, member_or_staff, require_principal
from portal_common.service import portal
from portal_common.web.csrf import signed_elsewhere

from . import card_payments, views
from .card_payments import NOTIFY_PATH, STATUS_LABELS, CardPaymentRefused
from .models import CardPayment
from .payment_provider import NotificationRejected, read_notification

card_pages = Blueprint("billing_card_pages", __name__, template_folder="templates")
log = logging.getLogger(__name__)

# Paying needs the billing role (an administrator holds every role); readers only follow an attempt.
PAYERS = member("billing")


@card_pages.post("/factures/<string:invoice_id>/payer-par-carte")
@PAYERS
def start(invoice_id: str):
    principal = require_principal()
    try:
        attempt = card_payments.start_card_payment(portal(), invoice_id, member_id=principal.member_id,
                                                   by=principal.user_id)
    except LookupError:
        abort(404)
    except CardPaymentRefused as exc:
        flash(str(exc), "error")
        return redirect("/factures")
    return redirect(f"/factures/{invoice_id}/paiement-carte/{attempt.reference}", 303)


def card_attempt(invoice_id: str, reference: str) -> CardPayment | None:
    return portal().db.session.scalars(select(CardPayment).where(
        CardPayment.invoice_id == invoice_id, CardPayment.reference == reference)).first()


@card_pages.get("/factures/<string:invoice_id>/paiement-carte/<string:reference>")
@member_or_staff(member_roles=("billing", "read"))
def attempt_page(invoice_id: str, reference: str):
    """Where the company goes to pay, and where the provider sends it back: what the portal knows, nothing
    the browser says."""
    invoice = views.visible_invoice(require_principal(), invoice_id)
    attempt = card_attempt(invoice_id, reference) if invoice is not None else None
    if attempt is None:
        abort(404)
    link = card_payments.provider_url(portal(), attempt) if attempt.status == card_payments.PENDING else None
    return render_template("billing/card_payment.html", invoice=invoice, attempt=attempt, link=link,
                           status_label=STATUS_LABELS[attempt.status], page_title="Paiement par carte")


@card_pages.post(NOTIFY_PATH)
@signed_elsewhere
@PUBLIC
def notification():
    """The provider's server-to-server notification: signature checked, then applied once; anything else is
    refused, logged (reason only, never the form) and changes nothing."""
    settings = portal().settings
    try:
        notice = read_notification(request.form.to_dict(), key=settings.card_signing_key,
                                   merchant_id=settings.card_merchant_id)
        attempt = card_payments.apply_notification(portal(), notice)
    except NotificationRejected as exc:
        log.warning("card payment notification refused", extra={"reason": exc.reason})
        status = {"unknown reference": 404, "replayed notification": 409, "transaction already used": 409,
                  "card payment not configured": 503}.get(exc.reason, 400)
        return {"status": "refused", "reason": exc.reason}, status
    log.info("card payment notification applied", extra={"reference": attempt.reference, "status": attempt.status})
    return {"status": "accepted"}, 200


@card_pages.app_context_processor
def card_payment_flag() -> dict[str, bool]:
    """Lets "Mes factures" offer the card payment button only when a provider is configured."""
    return {"card_payment_enabled": card_payments.card_enabled(portal())}
