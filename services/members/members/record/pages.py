"""Pages of the company record (the record, its edit form, its history) and staff's validation queue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import member, require_principal, staff
from portal_common.clock import utcnow
from portal_common.errors import FieldErrors
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, MemberRole
from portal_common.service import portal
from portal_common.validators import siren_of, vat_number_for
from portal_common.web.conflicts import STALE_FORM, changed_fields, form_version

from ..addressbook import queries as addressbook_queries
from ..establishments import queries as establishment_queries
from ..health_team import queries as team_queries
from ..models import Member
from ..sepa import queries as sepa_queries
from ..web import FORM_ERRORS, actor, current_member, is_manager, staff_member, with_lines
from . import queries
from .fields import phone_fr
from .rules import (
    MEMBER_FIELDS,
    RECORD_FIELDS,
    STAFF_ONLY_FIELDS,
    STAFF_ONLY_MESSAGE,
    ChangeStatus,
    DecisionRefused,
    NotFound,
    RecordConflict,
    RecordRejected,
    StaleVersion,
)
from .use_cases import changes

pages = Blueprint("members_pages", __name__)

# Rejections stay on the record page for a month, so the member reads the reason.
REJECTIONS_SHOWN_FOR = timedelta(days=31)
QUEUE = "/gestion/adherents/demandes"


def render_record(record: Member, *, staff_view: bool):
    principal = require_principal()
    requests = queries.requests_of(record.id)
    since = utcnow() - REJECTIONS_SHOWN_FOR
    return render_template(
        "members/record.html",
        member=record,
        labels=queries.labels(),
        staff_view=staff_view,
        addresses=addressbook_queries.addresses_of(record.id),
        contacts=addressbook_queries.contacts_of(record.id),
        pending=with_lines([r for r in requests if r.status == ChangeStatus.PENDING]),
        rejected=with_lines([r for r in requests if r.status == ChangeStatus.REJECTED and r.decided_at >= since]),
        history=with_lines(requests) if staff_view else None,
        mandate=sepa_queries.current_mandate(record.id),
        team=team_queries.health_team(record.id),
        establishments=establishment_queries.same_siren(record) if staff_view else None,
        can_edit=staff_view or principal.has_member_role(MemberRole.ADMIN),
        can_manage_codes=is_manager(),
        page_title=record.name if staff_view else "Mon entreprise",
    )


@pages.get("/adherent")
@member(*EVERY_MEMBER_ROLE)
def member_record():
    return render_record(current_member(), staff_view=False)


def record_form_values(record: Member, fields: tuple[str, ...]) -> dict[str, str]:
    """The form as first shown: phones French style, the VAT number proposed from the SIREN."""
    values = {}
    for name in fields:
        value = getattr(record, name)
        values[name] = phone_fr(value) if name in {"phone", "mobile", "fax"} else (value or "")
    values["adhesion_date"] = record.adhesion_date.isoformat()
    if not record.vat_number:
        values["vat_number"] = vat_number_for(siren_of(record.siret))
    return values


def edit_record(record: Member, *, fields: tuple[str, ...], back: str, staff_view: bool):
    errors: dict[str, str] = {}
    values = record_form_values(record, fields)
    version, differences = record.version, []
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in fields}
        proposed: dict[str, Any] = dict(values)
        if "adhesion_date" in proposed:
            try:
                proposed["adhesion_date"] = date.fromisoformat(values["adhesion_date"])
            except ValueError:
                proposed["adhesion_date"] = None
        try:
            # The member's form has no staff-only field: one posted is a crafted form, refused whole.
            refused = {name: STAFF_ONLY_MESSAGE for name in STAFF_ONLY_FIELDS if name in request.form}
            if refused and not staff_view:
                raise RecordRejected(refused)
            # Staff's save applies at once: its hidden version must be the one saved. A member's form sent
            # without one (an older page) still makes a request staff validate against the record as it is then.
            expected = form_version(request.form) if staff_view or "version" in request.form else None
            created = changes.change_record(portal(), record.id, proposed, actor(), expected_version=expected)
        except StaleVersion:
            # What the other person saved beside what this user typed (kept in the form), with the new version.
            portal().db.session.refresh(record)
            labels = {name: queries.FIELD_LABELS.get(name, name) for name in fields}
            differences = changed_fields(record_form_values(record, fields), values, labels)
            version, errors = record.version, {"version": STALE_FORM}
            flash(STALE_FORM, "error")
        except FieldErrors as exc:
            errors = exc.errors
            flash(FORM_ERRORS, "error")
        else:
            if not created:
                flash("Aucune modification n'a été faite.", "info")
            for change in created:
                applied = change.status == ChangeStatus.APPLIED
                flash(
                    "Modification enregistrée."
                    if applied
                    else "Votre demande de modification a été transmise au service : elle sera appliquée après "
                    "validation.",
                    "success" if applied else "info",
                )
            return redirect(back)
    return render_template(
        "members/edit.html",
        member=record,
        values=values,
        errors=errors,
        fields=fields,
        labels=queries.labels(),
        staff_only=() if staff_view else STAFF_ONLY_FIELDS,
        back=back,
        staff_view=staff_view,
        version=version,
        differences=differences,
        page_title="Modifier la fiche adhérent",
    ), (409 if "version" in errors else 422) if errors else 200


@pages.route("/adherent/modifier", methods=["GET", "POST"])
@member(MemberRole.ADMIN)
def member_edit():
    return edit_record(current_member(), fields=MEMBER_FIELDS, back="/adherent", staff_view=False)


@pages.get("/adherent/historique")
@member(MemberRole.ADMIN)
def member_history():
    record = current_member()
    return render_template(
        "members/history.html",
        member=record,
        rows=with_lines(queries.requests_of(record.id)),
        labels=queries.labels(),
        page_title="Historique des modifications",
    )


@pages.get("/gestion/adherents/<string:member_id>")
@staff(*EVERY_STAFF_ROLE)
def staff_record(member_id: str):
    return render_record(staff_member(member_id), staff_view=True)


@pages.route("/gestion/adherents/<string:member_id>/modifier", methods=["GET", "POST"])
@staff(*EVERY_STAFF_ROLE)
def staff_edit(member_id: str):
    return edit_record(
        staff_member(member_id), fields=RECORD_FIELDS, back=f"/gestion/adherents/{member_id}", staff_view=True
    )


@pages.get(QUEUE)
@staff(*EVERY_STAFF_ROLE)
def queue():
    """Staff's validation queue: approve a change request, or reject it with a reason the member sees."""
    rows = [(r, m, queries.request_lines(r)) for r, m in queries.pending_requests()]
    return render_template(
        "members/queue.html",
        rows=rows,
        labels=queries.labels(),
        user_id=require_principal().user_id,
        page_title="Demandes à valider",
    )


@pages.post(f"{QUEUE}/<string:request_id>")
@staff(*EVERY_STAFF_ROLE)
def decide(request_id: str):
    decision = request.form.get("decision")
    if decision not in {"approve", "reject"}:
        abort(400)
    try:
        decided = changes.decide(
            portal(), request_id, actor(), approve=decision == "approve", reason=request.form.get("reason")
        )
    except NotFound:
        abort(404)
    except DecisionRefused as exc:
        flash(exc.message, "error")
        return redirect(QUEUE), 303
    except RecordConflict as exc:
        for name, message in exc.errors.items():
            flash(
                f"{queries.FIELD_LABELS[name]} : {message} La demande reste en attente : refusez-la en indiquant "
                "le motif.",
                "error",
            )
        return redirect(QUEUE), 303
    except FieldErrors as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return redirect(QUEUE), 303
    flash(
        "Demande validée : la modification est appliquée."
        if decided.status == ChangeStatus.APPROVED
        else "Demande refusée : le demandeur verra le motif.",
        "success",
    )
    return redirect(QUEUE)
