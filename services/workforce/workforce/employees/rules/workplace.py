"""The employee's workplace: the SIRET of the establishment where he or she actually works, as the DSN declares
it (S21.G00.40.019, « identifiant du lieu de travail »). 14 digits checked like every SIRET of the portal, or
nothing (not known yet: an employee typed by hand, or a DSN that declares another kind of identifier)."""

from __future__ import annotations

from portal_common.validators import compact, is_valid_siret

from .records import HireRejected

WORKPLACE_FIELD = "workplace_siret"
WORKPLACE_LENGTH = (
    "Le lieu de travail est le SIRET de l'établissement où travaille le salarié : 14 chiffres, "
    "par exemple 732 829 320 00074."
)
WORKPLACE_KEY = "Ce SIRET n'existe pas (sa clé de contrôle est fausse) : vérifiez le lieu de travail."


def check_workplace(value: str | None) -> str | None:
    """The workplace's SIRET without spaces, dots or dashes, or None when empty; HireRejected (on
    `workplace_siret`, in French) when it is not a valid SIRET."""
    siret = compact(value or "")
    if not siret:
        return None
    if len(siret) != 14 or not siret.isdigit():
        raise HireRejected({WORKPLACE_FIELD: WORKPLACE_LENGTH})
    if not is_valid_siret(siret):
        raise HireRejected({WORKPLACE_FIELD: WORKPLACE_KEY})
    return siret
