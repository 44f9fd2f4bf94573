"""Pages of the documents: a PDF to download, and staff's desk form publishing an attestation or avis."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request

from portal_common.access import member_or_staff, require_principal
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE
from portal_common.service import portal

from .. import web
from ..appointments.rules import AppointmentRejected, NotFound
from . import use_cases
from .queries import get_document, served_content
from .rules import MAX_DOCUMENT_BYTES

pages = Blueprint("scheduling_documents", __name__)


@pages.get("/rendez-vous/documents/<string:document_id>")
@member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
def document(document_id: str):
    """A convocation, attestation or avis as PDF: to staff, or to a user of the document's company."""
    principal = require_principal()
    found = get_document(document_id)
    if found is None or (not principal.is_staff and found.member_id != principal.member_id):
        abort(404)
    return Response(
        served_content(found),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{found.kind}-{found.issued_on.isoformat()}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@pages.post("/gestion/rendez-vous/<string:appointment_id>/document")
@web.SCHEDULERS
def publish_document(appointment_id: str):
    values = {"kind": request.form.get("kind", "").strip()[:30]}
    upload = request.files.get("file")
    content = upload.read(MAX_DOCUMENT_BYTES + 1) if upload else b""
    try:
        use_cases.publish_document(portal(), appointment_id, values["kind"], content)
    except NotFound:
        abort(404)
    except AppointmentRejected as exc:
        # A browser never sends a file back: the staff member picks it again, the type stays chosen.
        return web.refused(
            f"document-{appointment_id}",
            web.onto_fields(exc.errors, ("kind", "file")),
            values,
            "Le document n'a pas pu être publié : corrigez les champs signalés.",
        )
    flash("Document publié : l'employeur le voit dans ses rendez-vous et son espace documentaire.", "success")
    return redirect("/gestion/rendez-vous")
