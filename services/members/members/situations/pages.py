"""The member's page to declare a change of situation (with an optional supporting document)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import member
from portal_common.errors import FieldErrors
from portal_common.roles import MemberRole
from portal_common.service import portal

from ..documents.rules import MAX_UPLOAD_BYTES
from ..record import queries as record_queries
from ..record.rules import ChangeKind
from ..web import FORM_ERRORS, actor, current_member, with_lines
from .rules import SITUATION_KINDS
from .use_cases import declare_situation

pages = Blueprint("members_situation_pages", __name__)


@pages.route("/adherent/situation", methods=["GET", "POST"])
@member(MemberRole.ADMIN)
def situation():
    record = current_member()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("kind", "effective_date", "comment")}
        sent = request.files.get("document")
        attachment = (sent.filename, sent.read(MAX_UPLOAD_BYTES + 1)) if sent and sent.filename else None
        try:
            declare_situation(portal(), record.id, values, actor(), attachment=attachment)
        except FieldErrors as exc:
            errors, status = exc.errors, exc.status
            flash(FORM_ERRORS, "error")
        else:
            flash("Votre déclaration a été transmise au service, qui la traitera.", "info")
            return redirect("/adherent")
    pending = [r for r in record_queries.requests_of(record.id, pending_only=True) if r.kind == ChangeKind.SITUATION]
    return render_template(
        "members/situation.html",
        member=record,
        values=values,
        errors=errors,
        kinds=SITUATION_KINDS,
        pending=with_lines(pending),
        labels=record_queries.labels(),
        page_title="Changement de situation",
    ), status
