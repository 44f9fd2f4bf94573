"""Changes of a company's situation (cessation, liquidation…), free of Flask and SQLAlchemy."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal_common.errors import FieldErrors

from ..record.fields import clean, parse_date

SITUATION_KINDS = {
    "cessation_activite": "Cessation d'activité",
    "plus_de_salarie": "Plus de salarié",
    "cession_fonds": "Cession de fonds",
    "liquidation_judiciaire": "Liquidation judiciaire",
    "redressement_judiciaire": "Redressement judiciaire",
}
# A declaration may be late, but not about a distant past or future.
MAX_DISTANCE = timedelta(days=366)


class SituationRejected(FieldErrors):
    """A situation change the rules refuse, with French messages per field."""


def check_situation(data: dict[str, Any], today: date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    for name in sorted(set(data) - {"kind", "effective_date", "comment"}):
        errors[name] = "Champ inconnu."
    kind = clean(data.get("kind"))
    if kind not in SITUATION_KINDS:
        errors["kind"] = "Choisissez le changement de situation."
    effective = parse_date(data.get("effective_date"), "effective_date", errors)
    if effective is None and "effective_date" not in errors:
        errors["effective_date"] = "La date d'effet est obligatoire (jj/mm/aaaa)."
    elif effective is not None and abs(effective - today) > MAX_DISTANCE:
        errors["effective_date"] = "La date d'effet doit se situer dans l'année qui précède ou qui suit."
    comment = clean(data.get("comment"))
    if comment and len(comment) > 500:
        errors["comment"] = "Le commentaire ne doit pas dépasser 500 caractères."
    if errors:
        raise SituationRejected(errors)
    assert effective is not None  # no error: the date was given
    return {"kind": kind, "effective_date": effective.isoformat(), "comment": comment}
