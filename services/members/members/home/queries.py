"""Members' part of the home pages: a company's change requests and SEPA mandate, staff's validation queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal_common.clock import utcnow
from portal_common.formats import date_fr
from portal_common.service import portal

from ..models import ChangeRequest, SepaMandate
from ..record.rules import ChangeStatus
from ..sepa.rules import MandateStatus

# A refusal stays « à faire » as long as the record page shows it.
REFUSALS_SHOWN_FOR = timedelta(days=31)
QUEUE = "/gestion/adherents/demandes"


def company_todos(member_id: str) -> list[dict[str, str]]:
    """What the company has to look at on its record: requests waiting or refused, its SEPA mandate."""
    session = portal().db.session
    since = utcnow() - REFUSALS_SHOWN_FOR
    requests = session.scalars(
        select(ChangeRequest)
        .where(
            ChangeRequest.member_id == member_id,
            (ChangeRequest.status == ChangeStatus.PENDING)
            | ((ChangeRequest.status == ChangeStatus.REJECTED) & (ChangeRequest.decided_at >= since)),
        )
        .order_by(ChangeRequest.requested_at.desc())
        .limit(20)
    ).all()
    todos = []
    pending = [r for r in requests if r.status == ChangeStatus.PENDING]
    if pending:
        todos.append(
            {
                "label": f"{len(pending)} demande{'s' if len(pending) > 1 else ''} de modification en attente "
                "de validation par le service",
                "href": "/adherent#en-attente",
                "detail": f"envoyée{'s' if len(pending) > 1 else ''} depuis le "
                f"{date_fr(min(r.requested_at for r in pending).date())}",
                "tone": "info",
                "badge": "En attente",
            }
        )
    for refused in (r for r in requests if r.status == ChangeStatus.REJECTED):
        todos.append(
            {
                "label": "Demande de modification refusée",
                "href": "/adherent#refusees",
                "detail": f"le {date_fr(refused.decided_at.date())}"
                + (f" : « {refused.reason} »" if refused.reason else ""),
                "tone": "danger",
                "badge": "Refusée",
            }
        )
    mandate = session.scalars(
        select(SepaMandate).where(SepaMandate.member_id == member_id).order_by(SepaMandate.created_at.desc()).limit(1)
    ).first()
    if mandate is not None and mandate.status == MandateStatus.PENDING:
        todos.append(
            {
                "label": "Mandat SEPA en attente de validation par le service",
                "href": "/adherent/prelevement",
                "detail": f"signé le {date_fr(mandate.signed_on)}",
                "tone": "info",
                "badge": "En attente",
            }
        )
    elif mandate is not None and mandate.status == MandateStatus.REJECTED:
        todos.append(
            {
                "label": "Mandat SEPA refusé : signez un nouveau mandat",
                "href": "/adherent/prelevement",
                "tone": "danger",
                "badge": "À signer",
            }
        )
    return todos


def staff_queues() -> list[dict[str, object]]:
    """Staff's queue of this service: the change requests waiting for a decision."""
    changes = portal().db.session.scalar(
        select(func.count()).select_from(ChangeRequest).where(ChangeRequest.status == ChangeStatus.PENDING)
    )
    return [{"count": changes or 0, "label": "Modifications à valider", "href": QUEUE}]
