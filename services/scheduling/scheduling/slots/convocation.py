"""The convocation sent to the company: an e-mail to its convocation contact and a PDF (fpdf2).

Administrative content only: who, when, where, which visit, until when it can be cancelled. A cancelled visit's
convocation is printed again with a banner saying so (see `documents.queries.served_content`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fpdf import FPDF

from portal_common.formats import date_fr, time_fr
from portal_common.mail_message import Mail
from portal_common.pdf_text import pdf_text

from ..appointments.rules import VISIT_TYPES


@dataclass(frozen=True)
class Convocation:
    appointment_id: str
    company_name: str
    employee_name: str
    birth_date: date | None
    starts_at: datetime
    duration_minutes: int
    visit_type: str
    place_name: str
    place_address: str
    professional: str
    cancellation_limit: date
    portal_url: str
    # Where the convocation is addressed: the company's "adresse de convocation", else its main address.
    company_address: tuple[str, ...] = ()
    # The convocation contact's name when the mail goes to that contact.
    contact_name: str | None = None
    # A moved visit: the time of the convocation this one replaces, and staff's reason for the move.
    replaces_starts_at: datetime | None = None
    change_reason: str | None = None


@dataclass(frozen=True)
class Cancelled:
    """The visit's cancellation as the convocation prints it: when, and the reason as the company reads it."""

    # None only for a visit stored already cancelled (the demo data), never after a cancellation.
    at: datetime | None
    reason: str = ""


def _replaces(c: Convocation) -> str:
    if c.replaces_starts_at is None:
        return ""
    why = f" Motif : {c.change_reason}" if c.change_reason else ""
    return (
        f"Cette convocation remplace celle du {date_fr(c.replaces_starts_at)} à {time_fr(c.replaces_starts_at)}, "
        f"qui ne vaut plus.{why}"
    )


def mail(convocation: Convocation, to: str, version: int) -> Mail:
    c = convocation
    greeting = f"Bonjour {c.contact_name}," if c.contact_name else "Bonjour,"
    changed = f"{_replaces(c)}\n\n" if c.replaces_starts_at else ""
    body = (
        f"{greeting}\n\n"
        f"{changed}"
        f"{c.employee_name} (né(e) le {date_fr(c.birth_date)}), salarié(e) de {c.company_name}, est convoqué(e) "
        f"le {date_fr(c.starts_at)} à {time_fr(c.starts_at)} pour : {VISIT_TYPES[c.visit_type]}.\n\n"
        f"Lieu : {c.place_name}, {c.place_address}\n"
        f"Professionnel de santé : {c.professional}\n"
        f"Durée prévue : {c.duration_minutes} minutes\n\n"
        f"Merci de remettre cette convocation au salarié. Une annulation peut être demandée dans votre espace "
        f"adhérent jusqu'au {date_fr(c.cancellation_limit)} inclus ; passé ce délai, une absence non excusée "
        f"peut être facturée.\n\n"
        f"Vos rendez-vous : {c.portal_url.rstrip('/')}/rendez-vous\n"
    )
    subject = f"Convocation du {date_fr(c.starts_at)} — {c.employee_name}"
    if c.replaces_starts_at is not None:
        subject = f"Votre convocation est modifiée : {date_fr(c.starts_at)} — {c.employee_name}"
    return Mail(to=to, subject=subject, body=body, key=f"convocation:{c.appointment_id}:{version}")


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1: typographic signs outside it are replaced, accents stay.
    return pdf_text(text, "latin-1")


def _cancelled_banner(doc: FPDF, cancelled: Cancelled) -> None:
    # Above everything else, in red: a printed copy must not pass for a summons still in force.
    doc.set_text_color(180, 0, 0)
    doc.set_font("Helvetica", "B", 20)
    doc.cell(0, 12, _latin1("CONVOCATION ANNULÉE"), new_x="LMARGIN", new_y="NEXT", align="C", border=1)
    doc.set_font("Helvetica", "B", 11)
    lines = [f"Rendez-vous annulé le {date_fr(cancelled.at)}." if cancelled.at else "Rendez-vous annulé."]
    if cancelled.reason:
        lines.append(f"Motif : {cancelled.reason}")
    lines.append("Cette convocation ne vaut plus : le salarié n'a pas à se présenter à cette visite.")
    for line in lines:
        doc.multi_cell(0, 7, _latin1(line), new_x="LMARGIN", new_y="NEXT", align="C")
    doc.set_text_color(0, 0, 0)
    doc.ln(4)


def _closing_lines(c: Convocation, cancelled: Cancelled | None) -> list[str]:
    """What the company may still do: nothing once the visit is cancelled (no cancellation to offer, no fee)."""
    if cancelled is not None:
        return []
    return [
        "",
        f"Annulation possible dans l'espace adhérent jusqu'au {date_fr(c.cancellation_limit)} inclus.",
        "Une absence non excusée peut être facturée.",
    ]


def pdf(convocation: Convocation, cancelled: Cancelled | None = None) -> bytes:
    c = convocation
    doc = FPDF(format="A4")
    title = "Convocation annulée" if cancelled else "Convocation"
    doc.set_title(_latin1(f"{title} {c.employee_name}"))
    doc.add_page()
    if cancelled is not None:
        _cancelled_banner(doc, cancelled)
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 12, _latin1("Convocation à une visite de santé au travail"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 11)
    for line in (c.company_name, *c.company_address):
        doc.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT", align="R")
    doc.ln(4)
    lines = [
        f"Entreprise : {c.company_name}",
        f"Salarié(e) : {c.employee_name}, né(e) le {date_fr(c.birth_date)}",
        f"Visite : {VISIT_TYPES[c.visit_type]}",
        f"Date : {date_fr(c.starts_at)} à {time_fr(c.starts_at)} ({c.duration_minutes} minutes)",
        f"Lieu : {c.place_name}, {c.place_address}",
        f"Professionnel de santé : {c.professional}",
        *_closing_lines(c, cancelled),
    ]
    if c.replaces_starts_at is not None:
        lines = ["Convocation modifiée.", _replaces(c), "", *lines]
    for line in lines:
        doc.multi_cell(0, 7, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
