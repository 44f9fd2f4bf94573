"""Reading the security log, free of Flask and SQLAlchemy: French labels and the page's filters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

PAGE_SIZE = 50

KIND_LABELS: dict[str, str] = {
    "login": "Connexion par mot de passe",
    "code_request": "Demande de code de connexion",
    "code_login": "Connexion par code e-mail",
    "mfa_login": "Double authentification à la connexion",
    "lockout": "Verrouillage du compte",
    "reset_request": "Demande de nouveau mot de passe",
    "password_reset": "Nouveau mot de passe (lien)",
    "password_change": "Changement de mot de passe",
    "email_change_request": "Demande de changement d'adresse e-mail",
    "email_change": "Changement d'adresse e-mail",
    "step_up": "Confirmation d'identité",
    "mfa_enrolment": "Activation de la double authentification",
    "mfa_disabled": "Désactivation de la double authentification",
    "mfa_recovery_codes": "Nouveaux codes de secours",
    "mfa_recovery_code_used": "Code de secours utilisé",
    "logout": "Déconnexion",
    "session_end": "Fin de session",
    "sessions_ended_by_admin": "Sessions terminées par un administrateur",
    "account_activation": "Activation du compte",
    "company_codes": "Code adhérent et n° télédéclarant",
    "invitation": "Invitation",
    "roles_changed": "Changement de rôles",
    "member_link_added": "Accès à une entreprise ajouté",
    "delegation_added": "Délégation ajoutée",
    "delegation_revoked": "Délégation révoquée",
    "user_removed": "Utilisateur retiré",
    "member_link_added": "Accès à une entreprise ajouté",
    "token_created": "Création de jeton API",
    "token_revoked": "Révocation de jeton API",
    "token_use": "Utilisation de jeton API",
}
OUTCOME_LABELS = {"success": "Réussite", "failure": "Échec", "refused": "Refus"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    outcome: str | None = None
    start: date | None = None  # inclusive, the day in Paris
    end: date | None = None  # inclusive
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def query(self, page: int) -> dict[str, str]:
        """The query string of another page with the same filters."""
        values = {"type": self.kind or "", "resultat": self.outcome or "",
                  "du": self.start.isoformat() if self.start else "", "au": self.end.isoformat() if self.end else ""}
        return {**{k: v for k, v in values.items() if v}, "page": str(page)}


def _day(raw: str | None, label: str, errors: dict[str, str], name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        errors[name] = f"Saisissez la date {label} au format JJ/MM/AAAA."
        return None


def parse_filters(args: Mapping[str, str]) -> Filters:
    errors: dict[str, str] = {}
    kind = args.get("type") or None
    outcome = args.get("resultat") or None
    if kind is not None and kind not in KIND_LABELS:
        kind = None
    if outcome is not None and outcome not in OUTCOME_LABELS:
        outcome = None
    start = _day(args.get("du"), "de début", errors, "du")
    end = _day(args.get("au"), "de fin", errors, "au")
    if start and end and end < start:
        errors["au"] = "La date de fin doit suivre la date de début."
        end = None
    try:
        page = max(1, min(int(args.get("page") or 1), 10_000))
    except ValueError:
        page = 1
    return Filters(kind, outcome, start, end, page, errors)


def day_bounds(start: date | None, end: date | None, tz: timezone | None = None) -> tuple[datetime | None, datetime | None]:
    """UTC instants of the first day's start and the day after the last one (days are French civil days)."""
    from zoneinfo import ZoneInfo
    zone = tz or ZoneInfo("Europe/Paris")
    low = datetime.combine(start, time.min, zone).astimezone(timezone.utc) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(timezone.utc) if end else None
    return low, high
