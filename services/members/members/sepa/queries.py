"""Read side of the SEPA mandate (the IBAN masked)."""

from __future__ import annotations

from sqlalchemy import select

from portal_common.service import portal

from ..models import SepaMandate
from .rules import MandateStatus


def current_mandate(member_id: str) -> SepaMandate | None:
    """The active mandate, else the one waiting for validation."""
    mandates = (
        portal()
        .db.session.scalars(
            select(SepaMandate).where(
                SepaMandate.member_id == member_id,
                SepaMandate.status.in_((MandateStatus.ACTIVE, MandateStatus.PENDING)),
            )
        )
        .all()
    )
    return next((m for m in mandates if m.status == MandateStatus.ACTIVE), None) or next(iter(mandates), None)


def mandate_as_dict(mandate: SepaMandate) -> dict:
    return {
        "reference": mandate.reference,
        "creditor_id": portal().settings.sepa_creditor_id,
        "iban_masked": mandate.iban_masked,
        "bic": mandate.bic,
        "holder": mandate.holder,
        "email": mandate.email,
        "status": mandate.status,
        "signed_on": mandate.signed_on,
        "revoked_on": mandate.revoked_on,
    }
