"""What the capabilities' pages and API share: the one API blueprint (/api/members/, one OpenAPI tag), the
company a request is about, who acts, and the change requests shown with their lines."""

from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_smorest import abort as api_abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.roles import EVERY_STAFF_ROLE, INVOICE_PAYERS, OFFICE_STAFF, MemberRole

from .models import Member
from .record import queries as record_queries
from .record.rules import Actor

blp = Blueprint("members_api", __name__, url_prefix="/api/members", description="Member companies")

# Company administrators change the record; users who pay (admin, billing) also sign the SEPA mandate.
EDITORS = member_or_staff(member_roles=(MemberRole.ADMIN,), staff_roles=EVERY_STAFF_ROLE)
MANDATE_READERS = member_or_staff(member_roles=INVOICE_PAYERS, staff_roles=EVERY_STAFF_ROLE)
FORM_ERRORS = "Le formulaire contient des erreurs : corrigez les champs signalés."


def actor() -> Actor:
    return Actor.of(require_principal())


def is_manager() -> bool:
    """Office staff register companies, hand out their codes and assign their health teams."""
    return bool(require_principal().staff_roles & set(OFFICE_STAFF))


def visible_member(member_id: str) -> Member:
    """API: a company the caller may see: staff see all; another company's id answers 404 (no enumeration)."""
    principal = require_principal()
    member = record_queries.get_member(member_id)
    if member is None or (not principal.is_staff and principal.member_id != member_id):
        api_abort(404, message="Member not found.")
    return member


def current_member() -> Member:
    """Pages: the session's current company."""
    principal = require_principal()
    record = record_queries.get_member(principal.member_id) if principal.member_id else None
    if record is None:
        abort(404)
    return record


def staff_member(member_id: str) -> Member:
    """Staff pages: the company of the URL."""
    record = record_queries.get_member(member_id)
    if record is None:
        abort(404)
    return record


def with_lines(requests: list) -> list[tuple[Any, list[dict[str, str]]]]:
    return [(r, record_queries.request_lines(r)) for r in requests]


def pdf_response(content: bytes, filename: str) -> Response:
    return Response(
        content, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
