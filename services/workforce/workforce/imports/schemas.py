"""API schemas of employee imports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from . import rules as imports
from .rules import IMPORT_STATUSES

MAX_FILE_BYTES = 8 * 1024 * 1024  # in base64 inside JSON, under the 12 MB a request may carry


class ImportUploadSchema(Schema):
    file_name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "salaries.csv"}
    )
    content_base64 = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_FILE_BYTES * 4 // 3 + 4),
        metadata={
            "description": "The CSV (`;` or `,`, UTF-8 or Windows-1252) or XLSX file, base64-encoded, 8 MB at most"
        },
    )


class ImportSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(IMPORT_STATUSES),
        metadata={"description": "mapping → queued/checking → ready → confirmed/importing → done"},
    )
    file_name = fields.String(required=True)
    file_format = fields.String(required=True, validate=validate.OneOf(("csv", "xlsx")))
    columns = fields.List(
        fields.String(),
        required=True,
        attribute="header",
        metadata={"description": "Header of each column, in file order (index from 0)"},
    )
    mapping = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(imports.FIELDS))),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Field → column index; guessed from the header names"},
    )
    total_rows = fields.Integer(required=True)
    processed_rows = fields.Integer(required=True, metadata={"description": "Progress of the current step"})
    error_rows = fields.Integer(required=True)
    duplicate_rows = fields.Integer(required=True)
    imported_rows = fields.Integer(required=True)
    failure = fields.String(allow_none=True)


class MappingSchema(Schema):
    mapping = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(imports.FIELDS))),
        values=fields.Integer(validate=validate.Range(min=0, max=imports.MAX_COLUMNS)),
        required=True,
    )


class ConfirmSchema(Schema):
    duplicates_acknowledged = fields.Boolean(
        load_default=False, metadata={"description": "Required true when probable duplicates were flagged"}
    )


class ImportRowSchema(Schema):
    line = fields.Integer(required=True, metadata={"description": "Line number in the file (header is line 1)"})
    name = fields.String(required=True)
    nir_masked = fields.String(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "French message per field"},
    )
    warnings = fields.List(fields.String(), required=True)
    duplicates = fields.List(fields.String(), required=True)


class ImportRowsArgsSchema(Schema):
    problems_only = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
