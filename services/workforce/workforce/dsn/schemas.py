"""API schemas of DSN imports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..imports.rules import IMPORT_STATUSES
from .rules import Action


class DsnUploadSchema(Schema):
    """The multipart form: one or several files in the `files` field (read from request.files by the view)."""

    files = fields.Raw(
        metadata={
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "Monthly DSN files (NEODeS text, ISO-8859-1 or UTF-8), 12 at most, 11 MB in all",
        }
    )


class DsnImportSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(IMPORT_STATUSES),
        metadata={
            "description": "received/reading (worker) → ready (preview) → confirmed/importing (worker) → done; "
            "refused when a file is not a readable DSN, failed when the apply failed (nothing written)"
        },
    )
    file_name = fields.String(required=True, metadata={"description": "The files' names"})
    total_rows = fields.Integer(
        required=True,
        metadata={"description": "Rows of the preview; while the worker reads (reading): the files' lines"},
    )
    processed_rows = fields.Integer(
        required=True,
        metadata={"description": "Progress of the current step: lines read (reading), then rows written (importing)"},
    )
    error_rows = fields.Integer(required=True, metadata={"description": "Rows in error: the apply is refused"})
    changed_employees = fields.Integer(
        required=True, attribute="imported_rows", metadata={"description": "Employees changed once applied"}
    )
    summary = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(Action))),
        values=fields.Integer(),
        required=True,
        attribute="mapping",
        metadata={"description": "Rows per action (hire, exit, post_change, workplace, identity, unchanged, …)"},
    )
    failure = fields.String(allow_none=True)


class DsnRowSchema(Schema):
    rank = fields.Integer(required=True, attribute="line", metadata={"description": "Order of the row"})
    file = fields.String(allow_none=True, attribute="file_name")
    line = fields.Integer(allow_none=True, attribute="file_line", metadata={"description": "Line in the file"})
    actions = fields.Method("_actions", metadata={"description": "What the row does once applied"})
    name = fields.String(required=True)
    nir_masked = fields.String(allow_none=True)
    changes = fields.Dict(
        keys=fields.String(), values=fields.String(), attribute="values", metadata={"description": "French"}
    )
    errors = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "French"})
    warnings = fields.List(fields.String())

    def _actions(self, row) -> list[str]:  # type: ignore[no-untyped-def]
        return [action for action in (row.action or "").split(",") if action]


class DsnRowsArgsSchema(Schema):
    changes_only = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
