"""The company's documents space: what the other services produced for it (links to their owner) and the files
it deposits (e.g. its DUERP), downloadable by its own users and by staff only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file

from portal_common.access import member, require_principal, staff
from portal_common.errors import FieldErrors
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, MemberRole
from portal_common.service import portal

from ..record.rules import NotFound
from ..web import actor, current_member, staff_member
from . import queries
from .rules import MAX_UPLOAD_BYTES, SOURCES, UPLOAD_KINDS, DocumentSource
from .use_cases import delete_document, document_path, upload_document

pages = Blueprint("members_document_pages", __name__)


def render_documents(record, *, staff_view: bool, values=None, errors=None, status=200):
    principal = require_principal()
    listed = queries.documents_listed(record.id, staff_view=staff_view)
    # A convocation that no longer holds (its visit cancelled or moved) is listed apart.
    rows = [d for d in listed if d["status_label"] is None]
    cancelled = [d for d in listed if d["status_label"] is not None]
    return render_template(
        "members/documents.html",
        member=record,
        rows=rows,
        cancelled=cancelled,
        staff_view=staff_view,
        can_upload=not staff_view and principal.has_member_role(MemberRole.ADMIN),
        upload_kinds=UPLOAD_KINDS,
        sources=SOURCES,
        values=values or {},
        errors=errors or {},
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        page_title=f"Documents — {record.name}" if staff_view else "Mes documents",
    ), status


@pages.get("/adherent/documents")
@member(*EVERY_MEMBER_ROLE)
def documents():
    return render_documents(current_member(), staff_view=False)


@pages.post("/adherent/documents")
@member(MemberRole.ADMIN)
def upload():
    record = current_member()
    values = {name: request.form.get(name, "").strip() for name in ("kind", "title")}
    sent = request.files.get("file")
    content = sent.read(MAX_UPLOAD_BYTES + 1) if sent else None
    try:
        upload_document(portal(), record.id, values, sent.filename if sent else None, content, actor())
    except FieldErrors as exc:
        flash("Le document n'a pas été déposé : corrigez les champs signalés.", "error")
        return render_documents(record, staff_view=False, values=values, errors=exc.errors, status=422)
    flash("Document déposé.", "success")
    return redirect("/adherent/documents")


def send_document(member_id: str, document_id: str):
    document = queries.document_of(member_id, document_id)
    if document is None or document.source != DocumentSource.UPLOAD:
        abort(404)
    path = document_path(portal(), document)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename or "document",
        max_age=0,
    )


@pages.get("/adherent/documents/<string:document_id>/fichier")
@member(*EVERY_MEMBER_ROLE)
def download(document_id: str):
    return send_document(current_member().id, document_id)


@pages.post("/adherent/documents/<string:document_id>/supprimer")
@member(MemberRole.ADMIN)
def delete(document_id: str):
    try:
        delete_document(portal(), current_member().id, document_id, actor())
    except NotFound:
        abort(404)
    flash("Document supprimé.", "success")
    return redirect("/adherent/documents")


@pages.get("/gestion/adherents/<string:member_id>/documents")
@staff(*EVERY_STAFF_ROLE)
def staff_documents(member_id: str):
    return render_documents(staff_member(member_id), staff_view=True)


@pages.get("/gestion/adherents/<string:member_id>/documents/<string:document_id>/fichier")
@staff(*EVERY_STAFF_ROLE)
def staff_download(member_id: str, document_id: str):
    return send_document(staff_member(member_id).id, document_id)
