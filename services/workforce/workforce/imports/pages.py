"""Pages of the employee import: upload, columns, check and preview, confirmation, progress."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import member, require_principal
from portal_common.roles import EMPLOYEE_KEEPERS
from portal_common.service import portal

from ..web import abandoned_import, flash_errors, own_import, preview, uploaded_import
from . import queries, use_cases
from . import rules as imports
from .queries import ImportNotFound
from .rules import CHECKABLE, RUNNING, STATUS_LABELS, ImportRejected, ImportStatus

imports_pages = Blueprint("workforce_imports", __name__, template_folder="templates")

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@imports_pages.app_context_processor
def _labels() -> dict:
    return {
        "import_status_labels": STATUS_LABELS,
        "import_fields": imports.FIELDS,
        "import_required": imports.REQUIRED_FIELDS,
    }


def _staged(import_id: str):
    return own_import(queries.get_import, ImportNotFound, import_id)


def _upload_page(errors: dict, status: int = 200):
    principal = require_principal()
    return render_template(
        "workforce/import.html",
        errors=errors,
        page_title="Importer des salariés",
        recent=queries.recent_imports(portal(), principal.member_id),
    ), status


@imports_pages.get("/salaries/import")
@member(*EMPLOYEE_KEEPERS)
def upload_form():
    return _upload_page({})


@imports_pages.post("/salaries/import")
@member(*EMPLOYEE_KEEPERS)
def upload():
    principal = require_principal()
    sent = request.files.get("file")
    raw = sent.read(MAX_UPLOAD_BYTES + 1) if sent else b""

    def stage():
        if not sent or not sent.filename:
            raise ImportRejected({"file": "Choisissez le fichier à importer (.csv ou .xlsx)."})
        if len(raw) > MAX_UPLOAD_BYTES:
            raise ImportRejected({"file": "Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers."})
        return use_cases.stage(portal(), principal.member_id, sent.filename, raw, actor=principal.user_id)

    return uploaded_import(
        stage, "Le fichier n'a pas pu être lu : voyez le message sous le champ.", _upload_page, "/salaries/import"
    )


def _mapping_page(staged, mapping: dict[str, int], errors: dict, status: int = 200):
    columns = list(enumerate(staged.header))
    return render_template(
        "workforce/import_mapping.html",
        imp=staged,
        columns=columns,
        mapping=mapping,
        errors=errors,
        samples=queries.column_samples(portal(), staged),
        preview=queries.sample(portal(), staged, mapping),
        page_title="Importer des salariés : colonnes",
    ), status


def _preview(staged, errors: dict, status: int = 200):
    """The checked lines (those to look at first, or all), with the confirmation form."""
    return preview(
        "workforce/import_preview.html",
        lambda problems_only, offset, limit: queries.checked_rows(
            portal(), staged.id, problems_only=problems_only, offset=offset, limit=limit
        ),
        errors,
        status,
        imp=staged,
        page_title="Importer des salariés : vérification",
    )


@imports_pages.get("/salaries/import/<import_id>")
@member(*EMPLOYEE_KEEPERS)
def import_page(import_id: str):
    staged = _staged(import_id)
    if staged.status == ImportStatus.MAPPING:
        return _mapping_page(staged, {k: int(v) for k, v in staged.mapping.items()}, {})
    if staged.status == ImportStatus.READY:
        return _preview(staged, {})
    return render_template(
        "workforce/import_status.html", imp=staged, running=staged.status in RUNNING, page_title="Importer des salariés"
    )


@imports_pages.post("/salaries/import/<import_id>/colonnes")
@member(*EMPLOYEE_KEEPERS)
def choose_columns(import_id: str):
    staged = _staged(import_id)
    mapping: dict[str, int] = {}
    for name in imports.FIELDS:
        raw = request.form.get(f"col-{name}", "").strip()
        if raw.isdigit():
            mapping[name] = int(raw)
    try:
        use_cases.choose_mapping(portal(), staged.id, staged.member_id, mapping)
    except ImportRejected as exc:
        if staged.status != ImportStatus.MAPPING:
            # Abandoned, confirmed or still being read (a second tab): its file is gone or not read yet.
            flash_errors(exc.errors)
            return redirect(f"/salaries/import/{staged.id}")
        flash("Le choix des colonnes contient des erreurs : corrigez les champs signalés.", "error")
        return _mapping_page(staged, mapping, exc.errors, 422)
    return redirect(f"/salaries/import/{staged.id}")


@imports_pages.get("/salaries/import/<import_id>/colonnes")
@member(*EMPLOYEE_KEEPERS)
def columns_form(import_id: str):
    staged = _staged(import_id)
    if staged.status not in CHECKABLE:
        return redirect(f"/salaries/import/{staged.id}")
    return _mapping_page(staged, {k: int(v) for k, v in staged.mapping.items()}, {})


@imports_pages.post("/salaries/import/<import_id>/confirmer")
@member(*EMPLOYEE_KEEPERS)
def confirm(import_id: str):
    principal = require_principal()
    staged = _staged(import_id)
    try:
        outcome = use_cases.confirm(
            portal(),
            staged.id,
            staged.member_id,
            actor=principal.user_id,
            duplicates_acknowledged=request.form.get("duplicates_acknowledged") == "on",
        )
    except ImportRejected as exc:
        if "duplicates_acknowledged" in exc.errors:  # a field of the form: its message goes next to it
            flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
            return _preview(staged, exc.errors, 422)
        flash_errors(exc.errors)
        return redirect(f"/salaries/import/{staged.id}")
    if outcome.status == ImportStatus.DONE:
        flash("Import terminé : les salariés sont ajoutés à la liste.", "success")
    return redirect(f"/salaries/import/{staged.id}")


@imports_pages.post("/salaries/import/<import_id>/abandonner")
@member(*EMPLOYEE_KEEPERS)
def cancel(import_id: str):
    return abandoned_import(
        use_cases.cancel, _staged(import_id), "/salaries/import", "Import abandonné : aucun salarié n'a été ajouté."
    )
