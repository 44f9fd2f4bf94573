"""Routes other services call directly (never routed by the gateway): billing reads the IBAN at batch time."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, jsonify

from portal_common.access import SERVICE, require_principal
from portal_common.service import portal

from . import queries
from .rules import MandateStatus
from .use_cases import iban_cipher

internal = Blueprint("members_internal", __name__)
log = logging.getLogger(__name__)


@internal.get("/internal/sepa-mandates/<string:member_id>")
@SERVICE
def sepa_mandate(member_id: str):
    """The active mandate with the clear IBAN, for the debit batch (the only place it leaves encrypted storage)."""
    mandate = queries.current_mandate(member_id)
    if mandate is None or mandate.status != MandateStatus.ACTIVE:
        abort(404)
    # Security log (docs/security.md DP-30): who read which company's IBAN, never the value.
    log.info(
        "iban read",
        extra={"member_id": member_id, "caller": require_principal().user_id, "mandate_reference": mandate.reference},
    )
    return jsonify(
        member_id=member_id,
        mandate_reference=mandate.reference,
        iban=iban_cipher(portal()).decrypt(mandate.iban_encrypted, context=member_id),
        bic=mandate.bic,
        signed_on=mandate.signed_on.isoformat(),
        status=mandate.status,
    )
