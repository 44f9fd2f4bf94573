"""Documents the employer may receive after a visit, free of Flask and SQLAlchemy."""

from __future__ import annotations

from enum import StrEnum

from ..appointments.rules import AppointmentRejected, AppointmentStatus, VisitType


class DocumentKind(StrEnum):
    ATTESTATION_SUIVI = "attestation_suivi"
    AVIS_APTITUDE = "avis_aptitude"
    AVIS_INAPTITUDE = "avis_inaptitude"
    CONVOCATION = "convocation"


# Documents the employer may receive (R4624-14, -25), never the medical file; none after a pré-reprise.
DOCUMENT_KINDS: dict[str, str] = {
    DocumentKind.ATTESTATION_SUIVI: "Attestation de suivi individuel de l'état de santé",
    DocumentKind.AVIS_APTITUDE: "Avis d'aptitude",
    DocumentKind.AVIS_INAPTITUDE: "Avis d'inaptitude",
    DocumentKind.CONVOCATION: "Convocation",
}
PUBLISHABLE_KINDS = (DocumentKind.ATTESTATION_SUIVI, DocumentKind.AVIS_APTITUDE, DocumentKind.AVIS_INAPTITUDE)
# Visits an avis d'aptitude may follow.
APTITUDE_VISITS = frozenset({VisitType.APTITUDE, VisitType.PERIODIQUE})
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
TITLE_MAX = 200


def document_path(document_id: str) -> str:
    """Where the employer downloads the PDF (the page of the documents capability)."""
    return f"/rendez-vous/documents/{document_id}"


def served_as_cancelled(kind: str, appointment_status: str | None) -> bool:
    """A convocation whose visit is cancelled (by the employer or by staff) is served under a cancellation banner.

    Only the visit's status decides: a move keeps the visit open and its earlier convocations merely replaced (the
    new one says they no longer hold), so they are served as issued; once the visit is cancelled, all are."""
    return kind == DocumentKind.CONVOCATION and appointment_status == AppointmentStatus.ANNULEE


def document_title(kind: str, employee_name: str, visit_day_fr: str) -> str:
    return f"{DOCUMENT_KINDS[kind]} — {employee_name} — {visit_day_fr}"[:TITLE_MAX]


def check_document(*, kind: str, visit_type: str, status: str, content: bytes) -> None:
    errors: dict[str, str] = {}
    if kind not in PUBLISHABLE_KINDS:
        errors["kind"] = "Type de document inconnu."
    elif visit_type == VisitType.PRE_REPRISE:
        errors["kind"] = "Aucun document n'est remis à l'employeur après une visite de pré-reprise."
    elif kind == DocumentKind.AVIS_APTITUDE and visit_type not in APTITUDE_VISITS:
        errors["kind"] = "L'avis d'aptitude concerne l'examen d'aptitude ou le suivi renforcé."
    if status != AppointmentStatus.REALISEE:
        errors["appointment_id"] = "Le document se publie après une visite réalisée."
    if not content.startswith(b"%PDF-"):
        errors["file"] = "Le document doit être un fichier PDF."
    elif len(content) > MAX_DOCUMENT_BYTES:
        errors["file"] = "Le fichier dépasse 5 Mo."
    if errors:
        raise AppointmentRejected(errors)
