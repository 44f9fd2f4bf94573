"""JSON API of employee imports, for payroll software (/api/workforce/imports): upload, preview, confirm."""
from __future__ import annotations

import base64
import binascii

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.service import portal

from . import import_service, imports
from .import_models import IMPORT_STATUSES
from .import_service import ImportNotFound
from .imports import ImportRejected

imports_blp = Blueprint("workforce_imports_api", __name__, url_prefix="/api/workforce",
                        description="Employee imports from CSV or XLSX files")
editors = member_or_staff(member_roles=("admin", "declaration"), staff_roles=("secretariat", "administration"))
MAX_FILE_BYTES = 8 * 1024 * 1024  # in base64 inside JSON, under the 12 MB a request may carry


class ImportUploadSchema(Schema):
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata={"example": "salaries.csv"})
    content_base64 = fields.String(required=True, validate=validate.Length(min=1, max=MAX_FILE_BYTES * 4 // 3 + 4),
                                   metadata={"description": "The CSV (`;` or `,`, UTF-8 or Windows-1252) or XLSX "
                                                            "file, base64-encoded, 8 MB at most"})


class ImportSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(IMPORT_STATUSES),
                           metadata={"description": "mapping → queued/checking → ready → confirmed/importing → done"})
    file_name = fields.String(required=True)
    file_format = fields.String(required=True, validate=validate.OneOf(("csv", "xlsx")))
    columns = fields.List(fields.String(), required=True, attribute="header",
                          metadata={"description": "Header of each column, in file order (index from 0)"})
    mapping = fields.Dict(keys=fields.String(validate=validate.OneOf(tuple(imports.FIELDS))),
                          values=fields.Integer(), required=True,
                          metadata={"description": "Field → column index; guessed from the header names"})
    total_rows = fields.Integer(required=True)
    processed_rows = fields.Integer(required=True, metadata={"description": "Progress of the current step"})
    error_rows = fields.Integer(required=True)
    duplicate_rows = fields.Integer(required=True)
    imported_rows = fields.Integer(required=True)
    failure = fields.String(allow_none=True)


class MappingSchema(Schema):
    mapping = fields.Dict(keys=fields.String(validate=validate.OneOf(tuple(imports.FIELDS))),
                          values=fields.Integer(validate=validate.Range(min=0, max=imports.MAX_COLUMNS)),
                          required=True)


class ConfirmSchema(Schema):
    duplicates_acknowledged = fields.Boolean(load_default=False,
                                             metadata={"description": "Required true when probable duplicates "
                                                                      "were flagged"})


class ImportRowSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "Line number in the file (header is line 1)"})
    name = fields.String(required=True)
    nir_masked = fields.String(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "French message per field"})
    warnings = fields.List(fields.String(), required=True)
    duplicates = fields.List(fields.String(), required=True)


class ImportRowsArgsSchema(Schema):
    problems_only = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


def _rejected(errors: dict) -> None:
    abort(422, message="Validation failed.", errors={"json": errors})


def _company() -> str:
    member_id = require_principal().member_id
    if member_id is None:
        _rejected({"member_id": "A current member company is required to import employees."})
    return member_id


def _visible(import_id: str):
    principal = require_principal()
    try:
        return import_service.get_import(portal(), import_id, None if principal.is_staff else principal.member_id)
    except ImportNotFound:
        abort(404, message="Import not found.")


def _answer(import_id: str):
    """The import after a step: 202 while the worker still has it to do, 200 once done in the request."""
    portal().db.session.expire_all()
    staged = _visible(import_id)
    return staged, 202 if staged.status in ("queued", "checking", "confirmed", "importing") else 200


@imports_blp.route("/imports")
@editors
class Imports(MethodView):
    @editors
    @imports_blp.arguments(ImportUploadSchema)
    @imports_blp.response(201, ImportSchema)
    def post(self, data):
        """Upload a file: it is read, kept sealed, and its columns guessed; no employee is written"""
        principal = require_principal()
        member_id = _company()
        try:
            raw = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            _rejected({"content_base64": "Not valid base64."})
        try:
            return import_service.stage(portal(), member_id, data["file_name"], raw, actor=principal.user_id)
        except ImportRejected as exc:
            _rejected(exc.errors)


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
            import_service.cancel(portal(), staged.id, staged.member_id)
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
        try:
            import_service.choose_mapping(portal(), staged.id, staged.member_id, data["mapping"])
        except ImportRejected as exc:
            _rejected(exc.errors)
        return _answer(import_id)


@imports_blp.route("/imports/<string:import_id>/rows")
class ImportRows(MethodView):
    @editors
    @imports_blp.arguments(ImportRowsArgsSchema, location="query")
    @imports_blp.response(200, ImportRowSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, args, import_id):
        """The checked lines: errors per field, probable duplicates, NIR warnings (the NIR only masked)"""
        staged = _visible(import_id)
        rows, total = import_service.checked_rows(
            portal(), staged.id, problems_only=args["problems_only"], offset=(args["page"] - 1) * args["page_size"],
            limit=args["page_size"])
        return rows, 200, {"X-Total-Count": str(total)}


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
            import_service.confirm(portal(), staged.id, staged.member_id, actor=require_principal().user_id,
                                   duplicates_acknowledged=data["duplicates_acknowledged"])
        except ImportRejected as exc:
            if "confirm" in exc.errors and staged.status != "ready":
                abort(409, message=exc.errors["confirm"])
            _rejected(exc.errors)
        return _answer(import_id)
