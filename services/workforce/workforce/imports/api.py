"""JSON API of employee imports, for payroll software (/api/workforce/imports): upload, preview, confirm."""

from __future__ import annotations

import base64
import binascii

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint, total_count, total_count_declaration
from portal_common.errors import FieldErrors
from portal_common.roles import EMPLOYEE_KEEPERS, OFFICE_STAFF
from portal_common.service import portal
from portal_common.web.input_guard import accepts

from . import queries, use_cases
from .queries import ImportNotFound
from .rules import RUNNING, ImportRejected, ImportStatus
from .schemas import (
    ConfirmSchema,
    ImportRowsArgsSchema,
    ImportRowSchema,
    ImportSchema,
    ImportUploadSchema,
    MappingSchema,
)

imports_blp = Blueprint(
    "workforce_imports_api",
    __name__,
    url_prefix="/api/workforce",
    description="Employee imports from CSV or XLSX files",
)
editors = member_or_staff(member_roles=EMPLOYEE_KEEPERS, staff_roles=OFFICE_STAFF)


def _company() -> str:
    member_id = require_principal().member_id
    if member_id is None:
        raise FieldErrors({"member_id": "A current member company is required to import employees."})
    return member_id


def _visible(import_id: str):
    principal = require_principal()
    try:
        return queries.get_import(portal(), import_id, None if principal.is_staff else principal.member_id)
    except ImportNotFound:
        abort(404, message="Import introuvable.")


def _answer(import_id: str):
    """The import after a step: 202 while the worker still has it to do, 200 once done in the request."""
    portal().db.session.expire_all()
    staged = _visible(import_id)
    return staged, 202 if staged.status in RUNNING else 200


@imports_blp.route("/imports")
@editors
class Imports(MethodView):
    @editors
    @accepts(unlimited=("content_base64",))  # the file itself, bounded by its schema (MAX_FILE_BYTES)
    @imports_blp.arguments(ImportUploadSchema)
    @imports_blp.response(201, ImportSchema, description="Read at once (small file): status mapping")
    @imports_blp.alt_response(202, schema=ImportSchema, description="Big file, read by the worker: poll the import")
    def post(self, data):
        """Upload a file: its bounds checked, then it is read (by the worker when big), kept sealed, and its
        columns guessed; no employee is written"""
        principal = require_principal()
        member_id = _company()
        try:
            raw = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise FieldErrors({"content_base64": "Not valid base64."}) from None
        staged = use_cases.stage(portal(), member_id, data["file_name"], raw, actor=principal.user_id)
        return staged, 202 if staged.status in RUNNING else 201


@imports_blp.route("/imports/<string:import_id>")
class ImportById(MethodView):
    @editors
    @imports_blp.response(200, ImportSchema)
    def get(self, import_id):
        """An import with its status and progress (poll it while queued, checking, confirmed or importing)"""
        return _visible(import_id)

    @editors
    @imports_blp.response(204)
    def delete(self, import_id):
        """Drop an import not yet confirmed (its file is erased)"""
        staged = _visible(import_id)
        try:
            use_cases.cancel(portal(), staged.id, staged.member_id)
        except ImportRejected as exc:
            abort(409, message=" ".join(exc.errors.values()))


@imports_blp.route("/imports/<string:import_id>/mapping")
@editors
class ImportMapping(MethodView):
    @editors
    @imports_blp.arguments(MappingSchema)
    @imports_blp.response(200, ImportSchema, description="Checked at once (small file): status ready")
    @imports_blp.alt_response(202, schema=ImportSchema, description="Queued for the worker: poll the import")
    def put(self, data, import_id):
        """Choose the columns and check every line (status ready when done; small files at once)"""
        staged = _visible(import_id)
        use_cases.choose_mapping(portal(), staged.id, staged.member_id, data["mapping"])
        return _answer(import_id)


@imports_blp.route("/imports/<string:import_id>/rows")
class ImportRows(MethodView):
    @editors
    @imports_blp.arguments(ImportRowsArgsSchema, location="query")
    @imports_blp.response(200, ImportRowSchema(many=True), headers=total_count_declaration("checked lines"))
    def get(self, args, import_id):
        """The checked lines: errors per field, probable duplicates, NIR warnings (the NIR only masked)"""
        staged = _visible(import_id)
        rows, total = queries.checked_rows(
            portal(),
            staged.id,
            problems_only=args["problems_only"],
            offset=(args["page"] - 1) * args["page_size"],
            limit=args["page_size"],
        )
        return rows, 200, total_count(total)


@imports_blp.route("/imports/<string:import_id>/confirm")
@editors
class ImportConfirm(MethodView):
    @editors
    @imports_blp.arguments(ConfirmSchema)
    @imports_blp.response(200, ImportSchema, description="Written at once (small file): status done")
    @imports_blp.alt_response(202, schema=ImportSchema, description="Queued for the worker: poll the import")
    def post(self, data, import_id):
        """Write every line (one transaction, a hired event each); refused while a line has an error"""
        staged = _visible(import_id)
        try:
            use_cases.confirm(
                portal(),
                staged.id,
                staged.member_id,
                actor=require_principal().user_id,
                duplicates_acknowledged=data["duplicates_acknowledged"],
            )
        except ImportRejected as exc:
            # Read again: a confirmation or an abandon that won the race since `staged` was read makes it a 409.
            portal().db.session.expire_all()
            if "confirm" in exc.errors and _visible(import_id).status != ImportStatus.READY:
                abort(409, message=exc.errors["confirm"])
            raise
        return _answer(import_id)
