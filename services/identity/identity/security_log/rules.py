"""The security log's vocabulary, free of Flask and SQLAlchemy: what happened, its outcome, where the request came
from, the French labels and the page's filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from portal_common import clock

PAGE_SIZE = 50


class LogKind(StrEnum):
    """What an entry of the security log is about (the stored `kind`)."""

    LOGIN = "login"
    CODE_REQUEST = "code_request"
    CODE_LOGIN = "code_login"
    MFA_LOGIN = "mfa_login"
    LOCKOUT = "lockout"
    RESET_REQUEST = "reset_request"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGE = "password_change"
    EMAIL_CHANGE_REQUEST = "email_change_request"
    EMAIL_CHANGE = "email_change"
    STEP_UP = "step_up"
    MFA_ENROLMENT = "mfa_enrolment"
    MFA_DISABLED = "mfa_disabled"
    MFA_RECOVERY_CODES = "mfa_recovery_codes"
    MFA_RECOVERY_CODE_USED = "mfa_recovery_code_used"
    LOGOUT = "logout"
    SESSION_END = "session_end"
    SESSIONS_ENDED_BY_ADMIN = "sessions_ended_by_admin"
    ACCOUNT_ACTIVATION = "account_activation"
    COMPANY_CODES = "company_codes"
    INVITATION = "invitation"
    ROLES_CHANGED = "roles_changed"
    MEMBER_LINK_ADDED = "member_link_added"
    DELEGATION_ADDED = "delegation_added"
    DELEGATION_REVOKED = "delegation_revoked"
    USER_REMOVED = "user_removed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_USE = "token_use"


class LogOutcome(StrEnum):
    """How it ended (the stored `outcome`)."""

    SUCCESS = "success"
    FAILURE = "failure"
    REFUSED = "refused"


@dataclass(frozen=True)
class Client:
    """Where a request came from: the gateway sets X-Real-IP itself (clients cannot forge it)."""

    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, request: Any) -> Client:
        return cls(ip=request.headers.get("X-Real-IP") or request.remote_addr, user_agent=request.user_agent.string)


# In the order the page's filter lists them.
KIND_LABELS: dict[LogKind, str] = {
    LogKind.LOGIN: "Connexion par mot de passe",
    LogKind.CODE_REQUEST: "Demande de code de connexion",
    LogKind.CODE_LOGIN: "Connexion par code e-mail",
    LogKind.MFA_LOGIN: "Double authentification à la connexion",
    LogKind.LOCKOUT: "Verrouillage du compte",
    LogKind.RESET_REQUEST: "Demande de nouveau mot de passe",
    LogKind.PASSWORD_RESET: "Nouveau mot de passe (lien)",
    LogKind.PASSWORD_CHANGE: "Changement de mot de passe",
    LogKind.EMAIL_CHANGE_REQUEST: "Demande de changement d'adresse e-mail",
    LogKind.EMAIL_CHANGE: "Changement d'adresse e-mail",
    LogKind.STEP_UP: "Confirmation d'identité",
    LogKind.MFA_ENROLMENT: "Activation de la double authentification",
    LogKind.MFA_DISABLED: "Désactivation de la double authentification",
    LogKind.MFA_RECOVERY_CODES: "Nouveaux codes de secours",
    LogKind.MFA_RECOVERY_CODE_USED: "Code de secours utilisé",
    LogKind.LOGOUT: "Déconnexion",
    LogKind.SESSION_END: "Fin de session",
    LogKind.SESSIONS_ENDED_BY_ADMIN: "Sessions terminées par un administrateur",
    LogKind.ACCOUNT_ACTIVATION: "Activation du compte",
    LogKind.COMPANY_CODES: "Code adhérent et n° télédéclarant",
    LogKind.INVITATION: "Invitation",
    LogKind.ROLES_CHANGED: "Changement de rôles",
    LogKind.MEMBER_LINK_ADDED: "Accès à une entreprise ajouté",
    LogKind.DELEGATION_ADDED: "Délégation ajoutée",
    LogKind.DELEGATION_REVOKED: "Délégation révoquée",
    LogKind.USER_REMOVED: "Utilisateur retiré",
    LogKind.TOKEN_CREATED: "Création de jeton API",
    LogKind.TOKEN_REVOKED: "Révocation de jeton API",
    LogKind.TOKEN_USE: "Utilisation de jeton API",
}
OUTCOME_LABELS: dict[LogOutcome, str] = {
    LogOutcome.SUCCESS: "Réussite",
    LogOutcome.FAILURE: "Échec",
    LogOutcome.REFUSED: "Refus",
}


def kind_label(kind: str) -> str:
    """The French label of a stored kind; an unknown one (from an older version) as it is."""
    try:
        return KIND_LABELS[LogKind(kind)]
    except ValueError:
        return kind


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
        values = {
            "type": self.kind or "",
            "resultat": self.outcome or "",
            "du": self.start.isoformat() if self.start else "",
            "au": self.end.isoformat() if self.end else "",
        }
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


def day_bounds(
    start: date | None, end: date | None, tz: timezone | None = None
) -> tuple[datetime | None, datetime | None]:
    """UTC instants of the first day's start and the day after the last one (days are French civil days)."""
    zone = tz or clock.PARIS
    low = datetime.combine(start, time.min, zone).astimezone(UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC) if end else None
    return low, high
