"""The e-mail confirming a cancelled visit to the company (administrative content only, as the convocation)."""

from __future__ import annotations

from datetime import datetime

from portal_common.formats import date_fr, time_fr
from portal_common.mail_message import Mail

from .rules import VISIT_TYPES, CancelledBy


def cancellation_mail(
    *,
    appointment_id: str,
    version: int,
    to: str,
    contact_name: str | None,
    employee_name: str,
    starts_at: datetime,
    visit_type: str,
    cancelled_by: CancelledBy,
    reason: str,
    portal_url: str,
) -> Mail:
    greeting = f"Bonjour {contact_name}," if contact_name else "Bonjour,"
    who = "à votre demande" if cancelled_by == CancelledBy.EMPLOYER else "par le service de santé au travail"
    body = (
        f"{greeting}\n\n"
        f"La visite de {employee_name} prévue le {date_fr(starts_at)} à {time_fr(starts_at)} "
        f"({VISIT_TYPES[visit_type]}) est annulée {who}. La convocation correspondante n'est plus valable.\n\n"
        + (f"Motif : {reason}\n\n" if reason else "")
        + f"Si une visite reste nécessaire, vous pouvez la demander dans votre espace adhérent : "
        f"{portal_url.rstrip('/')}/rendez-vous\n"
    )
    subject = f"Annulation de la visite du {date_fr(starts_at)} — {employee_name}"
    return Mail(to=to, subject=subject, body=body, key=f"cancellation:{appointment_id}:{version}")
