"""Rules of a visit request made by the employer (docs/domain.md), free of Flask and SQLAlchemy."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from portal_common.errors import Conflict, FieldErrors
from portal_common.vocabulary import MonitoringCategory

from ..appointments.rules import CancelledBy, VisitType


class RequestStatus(StrEnum):
    """A request's status (the stored value)."""

    DEMANDEE = "demandee"
    PLANIFIEE = "planifiee"
    ANNULEE = "annulee"


class PreferredTime(StrEnum):
    INDIFFERENT = "indifferent"
    MATIN = "matin"
    APRES_MIDI = "apres_midi"


# What an employer may ask for: every visit an obligation can fall due for (obligations.rules.RULES), so each
# one shown as due has its request, plus reprise and à la demande. Never pré-reprise: only the worker, the
# treating doctor or the medical adviser may ask for it (R4624-29).
REQUESTABLE_TYPES = (
    VisitType.EMBAUCHE,
    VisitType.APTITUDE,
    VisitType.PERIODIQUE,
    VisitType.REPRISE,
    VisitType.DEMANDE,
    VisitType.MI_CARRIERE,
    VisitType.POST_EXPOSITION,
)
PREFERRED_TIMES: dict[str, str] = {
    PreferredTime.INDIFFERENT: "Indifférent",
    PreferredTime.MATIN: "Matin",
    PreferredTime.APRES_MIDI: "Après-midi",
}
REQUEST_STATUSES: dict[str, str] = {
    RequestStatus.DEMANDEE: "Demandée",
    RequestStatus.PLANIFIEE: "Planifiée",
    RequestStatus.ANNULEE: "Annulée",
}
OPEN_REQUEST_STATUSES = frozenset({RequestStatus.DEMANDEE})
# A post-exposure / départ visit is due after the worker leaves (R4624-28-1): its request outlives the exit.
OUTLIVES_EXIT = frozenset({VisitType.POST_EXPOSITION})
# Refused withdrawal or placement of a request already placed or closed.
REQUEST_NOT_OPEN = "Cette demande est déjà planifiée ou annulée."
CONSTRAINTS_MAX = 500
COMMENT_MAX = 1000

MEDICAL_WARNING = (
    "N'indiquez aucune information médicale (motif d'arrêt, pathologie, traitement, grossesse, "
    "handicap…) : le secret médical interdit de la transmettre par ce formulaire."
)
# Words that only a medical detail would use; the form refuses them (defence in depth beside the warning).
_MEDICAL_WORDS = (
    "diagnostic",
    "maladie",
    "pathologie",
    "medicament",
    "grossesse",
    "enceinte",
    "handicap",
    "rqth",
    "invalidite",
    "cancer",
    "depression",
    "burn-out",
    "burnout",
    "ordonnance",
    "symptome",
    "chirurgie",
    "hospitalis",
    "fracture",
    "allergie",
    "diabete",
)


class RequestRejected(FieldErrors):
    """A request the rules refuse: French messages per field."""


DUPLICATE_REQUEST = (
    "Une demande de visite de ce type est déjà en cours pour ce salarié : le service la planifiera. "
    "Retrouvez-la dans vos demandes."
)


class DuplicateRequest(RequestRejected, Conflict):
    """The same visit is already asked for this employee (a double click, two people): one request (409)."""

    reason = "visit_request_already_open"

    def __init__(self, existing_id: str | None):
        super().__init__({"visit_type": DUPLICATE_REQUEST}, existing_id=existing_id)


def check_not_requested_yet(open_request_id: str | None) -> None:
    if open_request_id is not None:
        raise DuplicateRequest(open_request_id)


CLOSE_REASON_MAX = 200


def check_close_reason(reason: str) -> str:
    """Staff close or refuse a request with a reason the employer reads."""
    reason = reason.strip()
    if not reason:
        raise RequestRejected({"reason": "Indiquez le motif : il sera affiché à l'employeur."})
    if len(reason) > CLOSE_REASON_MAX:
        raise RequestRejected({"reason": f"{CLOSE_REASON_MAX} caractères au plus."})
    return reason


@dataclass(frozen=True)
class RequestCommand:
    member_id: str
    employee_id: str
    visit_type: str
    return_date: date | None = None
    preferred_from: date | None = None
    preferred_to: date | None = None
    preferred_time: str = PreferredTime.INDIFFERENT
    constraints: str = ""
    comment: str = ""


@dataclass(frozen=True)
class EmployeeState:
    """What the rules need to know about the employee, read from the directory and open visits."""

    member_id: str
    category: str
    exited: bool
    embauche_planned: bool
    # Moved from a SIR post to a post out of SIR: the post-exposure visit is due though the category is not SIR.
    sir_exposure_ended: bool = False


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def mentions_medical_detail(text: str) -> bool:
    plain = _plain(text)
    return any(re.search(rf"\b{re.escape(word)}", plain) for word in _MEDICAL_WORDS)


def _free_text_errors(cmd: RequestCommand, errors: dict[str, str]) -> None:
    for name, value, limit in (
        ("constraints", cmd.constraints, CONSTRAINTS_MAX),
        ("comment", cmd.comment, COMMENT_MAX),
    ):
        if len(value) > limit:
            errors[name] = f"{limit} caractères au plus."
        elif mentions_medical_detail(value):
            errors[name] = "Retirez toute information médicale de ce champ : le secret médical l'interdit ici."


def _type_errors(cmd: RequestCommand, employee: EmployeeState, errors: dict[str, str]) -> None:
    if cmd.visit_type == VisitType.PRE_REPRISE:
        errors["visit_type"] = (
            "La visite de pré-reprise est demandée par le salarié, son médecin traitant ou le médecin-conseil, "
            "pas par l'employeur (R4624-29)."
        )
    elif cmd.visit_type not in REQUESTABLE_TYPES:
        errors["visit_type"] = "Ce type de visite ne peut pas être demandé par l'employeur."
    elif cmd.visit_type == VisitType.EMBAUCHE and employee.embauche_planned:
        errors["visit_type"] = "Une visite d'embauche est déjà demandée ou planifiée pour ce salarié."
    elif cmd.visit_type == VisitType.APTITUDE and employee.category != MonitoringCategory.SIR:
        errors["visit_type"] = (
            "L'examen médical d'aptitude concerne les postes en suivi individuel renforcé (R4624-24) : "
            "demandez la visite d'information et de prévention."
        )
    elif (
        cmd.visit_type == VisitType.POST_EXPOSITION
        and employee.category != MonitoringCategory.SIR
        and not employee.sir_exposure_ended
    ):
        errors["visit_type"] = "La visite de fin d'exposition concerne les salariés en suivi individuel renforcé."


def check_request(
    cmd: RequestCommand, employee: EmployeeState | None, *, today: date, reprise_days: int = 8
) -> tuple[RequestCommand, date | None]:
    """Normalise and validate; returns the command and the date the visit is due by (reprise only).

    `employee` is None when unknown here; another company's employee is refused with the same message.
    """
    cmd = replace(cmd, constraints=cmd.constraints.strip(), comment=cmd.comment.strip())
    errors: dict[str, str] = {}
    due_by = None
    if employee is None or employee.member_id != cmd.member_id:
        errors["employee_id"] = "Salarié introuvable dans votre entreprise."
    elif employee.exited:
        errors["employee_id"] = (
            "Ce salarié a quitté l'entreprise : le service organise lui-même la visite "
            "de fin d'exposition s'il y a lieu."
        )
    else:
        _type_errors(cmd, employee, errors)
    if cmd.visit_type == VisitType.REPRISE:
        if cmd.return_date is None:
            errors["return_date"] = "Indiquez la date de reprise du travail."
        else:
            due_by = cmd.return_date + timedelta(days=reprise_days)
            if due_by < today:
                errors["return_date"] = (
                    f"La visite de reprise devait avoir lieu dans les {reprise_days} jours "
                    "suivant la reprise : cette date est passée."
                )
    elif cmd.return_date is not None:
        errors["return_date"] = "La date de reprise ne concerne que la visite de reprise."
    if cmd.preferred_from is not None and cmd.preferred_from < today:
        errors["preferred_from"] = "La période souhaitée ne peut pas commencer dans le passé."
    if cmd.preferred_to is not None:
        if cmd.preferred_to < today:
            errors["preferred_to"] = "La période souhaitée ne peut pas se terminer dans le passé."
        elif cmd.preferred_from is not None and cmd.preferred_to < cmd.preferred_from:
            errors["preferred_to"] = "La fin de la période doit suivre son début."
    if cmd.preferred_time not in PREFERRED_TIMES:
        errors["preferred_time"] = "Choisissez matin, après-midi ou indifférent."
    _free_text_errors(cmd, errors)
    if errors:
        raise RequestRejected(errors)
    return cmd, due_by


def exit_reason(exit_date: date) -> str:
    """Why a leaver's request was closed, as staff and the employer read it."""
    return f"salarié sorti des effectifs le {exit_date:%d/%m/%Y}"


def closed_by_exit(visit_type: str) -> bool:
    """An open request of a leaver is closed at his exit, except the visit due because he leaves."""
    return visit_type not in OUTLIVES_EXIT


def after_cancellation(
    *, cancelled_by: str, visit_type: str, visit_day: date, exit_date: date | None
) -> tuple[str, str | None]:
    """(status, closing reason) of a placed request whose appointment is cancelled.

    The employer cancelling gives the visit up; staff cancelling (professional unavailable…) put the request
    back to be placed again, unless the employee has left meanwhile and the visit does not outlive the exit.
    """
    if cancelled_by == CancelledBy.EMPLOYER:
        return RequestStatus.ANNULEE, f"rendez-vous du {visit_day:%d/%m/%Y} annulé par l'employeur"
    if exit_date is not None and closed_by_exit(visit_type):
        return RequestStatus.ANNULEE, exit_reason(exit_date)
    return RequestStatus.DEMANDEE, None
