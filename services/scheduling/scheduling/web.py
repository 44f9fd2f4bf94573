"""Page and API helpers shared by the scheduling capabilities: who may act, whose data a call reads, the desk."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template

from portal_common.access import member_or_staff, require_principal, staff
from portal_common.clock import today, utcnow
from portal_common.roles import OFFICE_STAFF, VISIT_ORGANISERS
from portal_common.service import portal

from .appointments.queries import (
    STATUS_BADGES,
    left_employees,
    recent_cancellations,
    recorded_visits,
    upcoming_after_exit,
    upcoming_convocations,
    visits_to_record,
)
from .appointments.rules import (
    OUTCOME_STATUSES,
    PROFESSIONAL_KINDS,
    STATUSES,
    VISIT_TYPES,
    CancellationRefused,
    NotFound,
    cancellation_reason_label,
)
from .business_calendar.rules import VISIT_REFUSED, closed_day_reason, local_day
from .documents.queries import realised_without_document
from .documents.rules import DOCUMENT_KINDS, PUBLISHABLE_KINDS
from .obligations.queries import list_obligations, obligation_as_dict, planned_visits
from .obligations.rules import URGENCY_BADGES
from .slots.queries import list_slots
from .slots.rules import MOVE_REASON_MAX
from .visit_requests.queries import list_requests
from .visit_requests.rules import PREFERRED_TIMES

# Employer users who organise visits, or staff acting for the current company.
REQUESTERS = member_or_staff(member_roles=VISIT_ORGANISERS, staff_roles=OFFICE_STAFF)
# Staff who schedule.
SCHEDULERS = staff(*OFFICE_STAFF)
# Staff's backlog: overdue and due within this many days.
BACKLOG_HORIZON_DAYS = 90
# Visits whose outcome was noted this many days back stay listed, to be opened and corrected.
RECORDED_SHOWN_DAYS = 30


def scope(principal, asked_member_id):
    """The company a call reads: staff may name one (or none: all), a member user only ever its own."""
    return asked_member_id if principal.is_staff else principal.member_id


def member_id_or_chooser():
    """The principal, and a redirect to the company chooser for staff who have not picked a company yet."""
    principal = require_principal()
    if not principal.member_id:
        return principal, redirect("/changer-adherent")
    return principal, None


# The desk holds one form per row (placing, attendance, document) besides the slot form. A refused form
# re-renders the desk with 422, its messages next to its fields and what was typed kept, as the request form
# does; `failed_form` names which form: "slot", "o-<obligation>", "r-<request>", "close-<request>",
# "presence-<appointment>" or "document-<appointment>".


def desk(
    *,
    failed_form: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    summary: str = "",
    status: int = 200,
):
    """Staff's desk: the backlog across members, requests, slots, attendance and documents to publish."""
    now, day = utcnow(), today()
    backlog_rows = list_obligations(member_id=None, due_before=day + timedelta(days=BACKLOG_HORIZON_DAYS), limit=200)
    planned = planned_visits(o.employee_id for o, _ in backlog_rows)
    backlog = [
        obligation_as_dict(o, e, today=day, planned=planned) | {"exit_date": e.exit_date} for o, e in backlog_rows
    ]
    backlog = [b for b in backlog if not b["planned"]]
    requests = list_requests(member_id=None, open_only=True)
    to_record, to_document = visits_to_record(now=now), realised_without_document()
    after_exit = upcoming_after_exit(now=now)
    slots = list_slots(now=now)
    # Slots kept from before their day was closed (a regional calendar set since): listed, never offered.
    calendar = portal().settings.holiday_calendar
    closed_days = {
        slot.id: reason
        for slot, _ in slots
        if (reason := closed_day_reason(local_day(slot.starts_at), calendar, VISIT_REFUSED))
    }
    errors = errors or {}
    if failed_form is not None:
        shown = (
            {"slot"}
            | {f"o-{b['id']}" for b in backlog}
            | {f"r-{r.id}" for r, _ in requests}
            | {f"close-{r.id}" for r, _ in requests}
            | {f"move-{slot.id}" for slot, _ in slots}
            | {f"presence-{a.id}" for a, _ in to_record}
            | {f"document-{a.id}" for a, _ in to_document}
        )
        if failed_form in shown:
            flash(summary, "error")
        else:
            # The row has left the lists since the page was shown (placed, recomputed…): no field to stand by.
            flash(" ".join(errors.values()), "error")
            failed_form, errors = None, {}
    return render_template(
        "scheduling/desk.html",
        backlog=backlog,
        requests=requests,
        slots=slots,
        closed_days=closed_days,
        to_record=to_record,
        to_document=to_document,
        after_exit=after_exit,
        left=left_employees(after_exit),
        recorded=recorded_visits(now=now, days=RECORDED_SHOWN_DAYS),
        convocations=upcoming_convocations(now=now),
        cancellations=recent_cancellations(now=now, days=RECORDED_SHOWN_DAYS),
        cancellation_label=cancellation_reason_label,
        statuses=STATUSES,
        badges=STATUS_BADGES,
        failed_form=failed_form,
        errors=errors,
        values=values or {},
        visit_types=VISIT_TYPES,
        professional_kinds=PROFESSIONAL_KINDS,
        outcome_statuses={code: STATUSES[code] for code in sorted(OUTCOME_STATUSES)},
        document_kinds={code: DOCUMENT_KINDS[code] for code in PUBLISHABLE_KINDS},
        urgency_badges=URGENCY_BADGES,
        preferred_times=PREFERRED_TIMES,
        move_reason_max=MOVE_REASON_MAX,
        page_title="Gestion des rendez-vous",
    ), status


def refused(failed_form: str, errors: dict[str, str], values: dict[str, str], summary: str, status: int = 422):
    """A desk form the rules refused: the desk again, 422 (409 for a row changed meanwhile), the messages by the
    form's fields."""
    return desk(failed_form=failed_form, errors=errors, values=values, summary=summary, status=status)


def onto_fields(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """Messages about the row itself (its visit, its employee) are shown by the form's first field."""
    mapped = {name: errors[name] for name in fields if name in errors}
    others = [message for name, message in errors.items() if name not in fields]
    if others:
        mapped[fields[0]] = " ".join(filter(None, [mapped.get(fields[0]), *others]))
    return mapped


def employer_action(action, error_field: str, done: str):
    """Run a cancellation or a withdrawal for the current company and report it on 'Mes rendez-vous'."""
    principal, chooser = member_id_or_chooser()
    if chooser:
        return chooser
    try:
        # Staff acting for a company go through the employer's rules here (the limit applies).
        action(principal.member_id)
    except NotFound:
        abort(404)
    except CancellationRefused as exc:
        flash(exc.errors[error_field], "error")
    else:
        flash(done, "success")
    return redirect("/rendez-vous")
