"""Showing a stored NIR in clear: only to staff, one employee at a time, with a reason, within a daily cap.

Employers and accounting firms never get a stored NIR back (they see its mask and may type a whole new one);
staff may need the number (a CPAM call, a civil-status check), so each reveal is justified and counted.
"""

from __future__ import annotations

from portal_common.errors import FieldErrors
from portal_common.validators import nir_in

REASON_MIN, REASON_MAX = 10, 500
REASON_REQUIRED = "Indiquez le motif de la consultation (10 caractères au moins)."
REASON_TOO_LONG = f"Le motif ne peut dépasser {REASON_MAX} caractères."
REASON_WITH_NIR = "Le motif ne doit pas contenir de numéro de sécurité sociale."
NO_STORED_NIR = "Aucun numéro de sécurité sociale n'est enregistré pour ce salarié."


class RevealRefused(FieldErrors):
    """A reveal the rules refuse (no reason, cap reached, nothing stored): French messages per field."""


class RevealCapReached(RevealRefused):
    """The staff user's daily cap is reached (a 429 rather than a 422: nothing to correct in the form)."""


def cap_reached(cap: int) -> str:
    return (
        f"Vous avez déjà consulté {cap} numéros de sécurité sociale aujourd'hui, le maximum autorisé : "
        "réessayez demain ou demandez à un administrateur."
    )


def check_reason(reason: str) -> str:
    """The reason as it is kept (spaces trimmed); RevealRefused when missing, too long, or holding a NIR."""
    text = " ".join(reason.split())
    if len(text) < REASON_MIN:
        raise RevealRefused({"reason": REASON_REQUIRED})
    if len(text) > REASON_MAX:
        raise RevealRefused({"reason": REASON_TOO_LONG})
    if nir_in(text):  # the audit trail must not become a copy of the numbers it protects
        raise RevealRefused({"reason": REASON_WITH_NIR})
    return text


def check_cap(done_today: int, cap: int) -> None:
    """Refuses once the staff user has seen `cap` NIRs in clear today (French calendar day)."""
    if done_today >= cap:
        raise RevealCapReached({"reason": cap_reached(cap)})
