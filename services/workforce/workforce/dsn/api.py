"""JSON API of DSN imports, for payroll software and accounting firms (/api/workforce/dsn-imports): upload the
month's DSN files, poll the status resource, read the preview, apply it."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.errors import Conflict, FieldErrors
from portal_common.roles import EMPLOYEE_KEEPERS, OFFICE_STAFF
from portal_common.service import portal
from portal_common.web.csrf import api_upload

from ..imports.rules import ImportRejected, ImportStatus
from . import queries, use_cases
from .queries import DsnImportNotFound
from .schemas import DsnImportSchema, DsnRowsArgsSchema, DsnRowSchema, DsnUploadSchema

dsn_blp = Blueprint(
    "workforce_dsn_api",
    __name__,
    url_prefix="/api/workforce",
    description="Keeping the employee list from the monthly DSN files (NEODeS, cahier technique P26V01)",
)
editors = member_or_staff(member_roles=EMPLOYEE_KEEPERS, staff_roles=OFFICE_STAFF)
MAX_UPLOAD_BYTES = use_cases.MAX_TOTAL_BYTES


def _company() -> str:
    member_id = require_principal().member_id
    if member_id is None:
        raise FieldErrors({"member_id": "Choisissez d'abord l'adhérent pour lequel importer la DSN."})
    return member_id


def _visible(import_id: str):
    principal = require_principal()
    try:
        return queries.get_dsn_import(portal(), import_id, None if principal.is_staff else principal.member_id)
    except DsnImportNotFound:
        abort(404, message="Import DSN introuvable.")


def _location(import_id: str) -> dict[str, str]:
    return {"Location": f"/api/workforce/dsn-imports/{import_id}"}


@dsn_blp.route("/dsn-imports")
class DsnImports(MethodView):
    @editors
    @api_upload
    @dsn_blp.arguments(DsnUploadSchema, location="files")
    @dsn_blp.response(202, DsnImportSchema, description="Kept sealed, read by the worker: poll the status resource")
    def post(self, _data):
        """Upload one or several monthly DSN files (multipart, field `files`): they are read and reconciled with
        the employee list by the worker; nothing is written before the apply"""
        principal = require_principal()
        member_id = _company()
        files = [
            (upload.filename or "dsn.txt", upload.read(MAX_UPLOAD_BYTES + 1))
            for upload in request.files.getlist("files")
        ]
        try:
            staged = use_cases.stage(portal(), member_id, files, actor=principal.user_id)
        except ImportRejected as exc:
            raise FieldErrors(exc.errors) from None
        return staged, 202, _location(staged.id)


@dsn_blp.route("/dsn-imports/<string:import_id>")
class DsnImportById(MethodView):
    @editors
    @dsn_blp.response(200, DsnImportSchema)
    def get(self, import_id):
        """The status resource: status and progress (poll while received, reading, confirmed or importing),
        then what the preview announces and, once applied, how many employees changed"""
        return _visible(import_id)

    @editors
    @dsn_blp.response(204)
    def delete(self, import_id):
        """Abandon an import not applied: its files and preview are erased"""
        staged = _visible(import_id)
        try:
            use_cases.cancel(portal(), staged.id, staged.member_id)
        except ImportRejected as exc:
            raise Conflict(exc.errors, reason="dsn_import_not_cancellable") from None


@dsn_blp.route("/dsn-imports/<string:import_id>/preview")
class DsnImportPreview(MethodView):
    @editors
    @dsn_blp.arguments(DsnRowsArgsSchema, location="query")
    @dsn_blp.response(200, DsnRowSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, args, import_id):
        """The preview, row by row in file order: hires, exits, new posts, identity corrections, and every line
        that could not be read or matched with its file and line number (the NIR only masked)"""
        staged = _visible(import_id)
        if staged.status != ImportStatus.READY:
            raise Conflict({"status": "The preview is not ready (see the status)."}, reason="dsn_preview_not_ready")
        rows, total = queries.preview_rows(
            portal(),
            staged.id,
            changes_only=args["changes_only"],
            offset=(args["page"] - 1) * args["page_size"],
            limit=args["page_size"],
        )
        return rows, 200, {"X-Total-Count": str(total)}


@dsn_blp.route("/dsn-imports/<string:import_id>/apply")
class DsnImportApply(MethodView):
    @editors
    @dsn_blp.response(202, DsnImportSchema, description="Queued for the worker: poll the status resource")
    def post(self, import_id):
        """Apply the preview in one transaction (all or nothing), with the events of manual hires, exits, post
        changes and corrections; refused (409) while a row is in error or the preview is not ready"""
        staged = _visible(import_id)
        try:
            use_cases.confirm(portal(), staged.id, staged.member_id, actor=require_principal().user_id)
        except ImportRejected as exc:
            raise Conflict(exc.errors, reason="dsn_import_not_applicable") from None
        portal().db.session.expire_all()
        return _visible(import_id), 202, _location(import_id)
