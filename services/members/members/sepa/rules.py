"""Rules of the SEPA direct-debit mandate: IBAN with its national key, BIC, RUM; no Flask, no SQLAlchemy."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidBBANChecksum, SchwiftyException

from portal_common.errors import FieldErrors

from ..record.fields import check_email, clean


class MandateStatus(StrEnum):
    PENDING = "pending"  # signed, waiting for staff validation
    ACTIVE = "active"
    REJECTED = "rejected"
    REVOKED = "revoked"


# As printed on the mandate PDF.
STATUS_LABELS = {
    MandateStatus.ACTIVE: "actif",
    MandateStatus.PENDING: "en attente de validation",
    MandateStatus.REVOKED: "révoqué",
    MandateStatus.REJECTED: "refusé",
}


class MandateRejected(FieldErrors):
    """A mandate the rules refuse, with French messages per field (never quoting the IBAN)."""


def check_mandate(data: dict[str, Any]) -> dict[str, Any]:
    """IBAN (checksum and, for France, the RIB key), BIC (derived when absent), holder, e-mail, consent."""
    errors: dict[str, str] = {}
    for name in sorted(set(data) - {"iban", "bic", "holder", "email", "consent"}):
        errors[name] = "Champ inconnu."
    iban: IBAN | None = None
    try:
        iban = IBAN(clean(data.get("iban")) or "", validate_bban=True)
    except InvalidBBANChecksum:
        errors["iban"] = "La clé RIB de cet IBAN est incorrecte : vérifiez les chiffres saisis."
    except (SchwiftyException, ValueError):
        errors["iban"] = "L'IBAN n'est pas valide (exemple : FR76 3000 6000 0112 3456 7890 189)."
    if iban is not None and not iban.in_sepa_zone:
        errors["iban"] = "Le compte doit être tenu dans un pays de la zone SEPA."
    bic = (clean(data.get("bic")) or "").replace(" ", "").upper() or None
    if bic:
        try:
            BIC(bic)
        except (SchwiftyException, ValueError):
            errors["bic"] = "Le BIC n'est pas valide (8 ou 11 caractères, exemple : AGRIFRPP)."
    elif iban is not None and "iban" not in errors:
        derived = iban.bic
        bic = str(derived) if derived is not None else None
    holder = clean(data.get("holder"))
    if not holder or len(holder) > 140:
        errors["holder"] = "Le titulaire du compte est obligatoire (140 caractères au plus)."
    email = check_email(data.get("email"), "email", errors)
    if not email and "email" not in errors:
        errors["email"] = "L'e-mail de pré-notification est obligatoire."
    if data.get("consent") not in (True, "on", "true", "1"):
        errors["consent"] = "Cochez la case pour autoriser le prélèvement."
    if errors:
        raise MandateRejected(errors)
    assert iban is not None
    return {"iban": iban.compact, "bic": bic, "holder": holder, "email": email}


def mandate_reference(member_number: str, signed_on: date, sequence: int) -> str:
    """The RUM: unique per mandate, at most 35 characters (e.g. ADH1000001-20260301-01)."""
    return f"ADH{member_number}-{signed_on:%Y%m%d}-{sequence:02d}"


def masked_iban(country: str, last4: str) -> str:
    """Shown instead of the IBAN: only the country and the last four characters."""
    return f"{country}•• •••• •••• •••• •••• {last4}"
