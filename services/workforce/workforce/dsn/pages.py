"""Pages of the DSN import: upload (the employer, or its accounting firm for the current client), progress,
preview, apply, result."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from portal_common.access import member, require_principal
from portal_common.roles import EMPLOYEE_KEEPERS
from portal_common.service import portal

from ..imports.rules import RUNNING, STATUS_LABELS, ImportRejected, ImportStatus
from ..web import abandoned_import, flash_errors, own_import, preview, uploaded_import
from . import queries, use_cases
from .neodes import SPECIFICATION
from .queries import DsnImportNotFound
from .rules import ACTION_LABELS, Action

dsn_pages = Blueprint("workforce_dsn", __name__)
FIELD_LABELS = {
    "file": "Fichier",
    "siren": "SIREN",
    "siret": "SIRET",
    "nir": "N° de sécurité sociale",
    "last_name": "Nom d'usage",
    "birth_name": "Nom de naissance",
    "first_names": "Prénoms",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "birth_commune": "Lieu de naissance",
    "birth_country": "Pays de naissance",
    "hire_date": "Date de début du contrat",
    "exit_date": "Date de fin du contrat",
    "post": "Emploi",
    "pcs_code": "Code PCS-ESE",
    "contract": "Nature du contrat",
}


def _staged(import_id: str):
    return own_import(queries.get_dsn_import, DsnImportNotFound, import_id)


def _upload_page(errors: dict, status: int = 200):
    return render_template(
        "workforce/dsn_upload.html",
        errors=errors,
        specification=SPECIFICATION,
        status_labels=STATUS_LABELS,
        recent=queries.recent_dsn_imports(portal(), require_principal().member_id),
        page_title="Importer la DSN",
    ), status


@dsn_pages.get("/salaries/dsn")
@member(*EMPLOYEE_KEEPERS)
def upload_form():
    return _upload_page({})


@dsn_pages.post("/salaries/dsn")
@member(*EMPLOYEE_KEEPERS)
def upload():
    principal = require_principal()
    sent = [upload for upload in request.files.getlist("files") if upload.filename]
    files = [(upload.filename or "dsn.txt", upload.read(use_cases.MAX_TOTAL_BYTES + 1)) for upload in sent]
    return uploaded_import(
        lambda: use_cases.stage(portal(), principal.member_id, files, actor=principal.user_id),
        "Les fichiers n'ont pas pu être déposés : voyez le message sous le champ.",
        _upload_page,
        "/salaries/dsn",
    )


def _preview(staged, errors: dict, status: int = 200):
    return preview(
        "workforce/dsn_preview.html",
        lambda changes_only, offset, limit: queries.preview_rows(
            portal(), staged.id, changes_only=changes_only, offset=offset, limit=limit
        ),
        errors,
        status,
        imp=staged,
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
        Action=Action,
        page_title="Importer la DSN : aperçu",
    )


@dsn_pages.get("/salaries/dsn/<import_id>")
@member(*EMPLOYEE_KEEPERS)
def import_page(import_id: str):
    staged = _staged(import_id)
    if staged.status == ImportStatus.READY:
        return _preview(staged, {})
    return render_template(
        "workforce/dsn_status.html",
        imp=staged,
        running=staged.status in RUNNING,
        status_labels=STATUS_LABELS,
        action_labels=ACTION_LABELS,
        Action=Action,
        page_title="Importer la DSN",
    )


@dsn_pages.post("/salaries/dsn/<import_id>/appliquer")
@member(*EMPLOYEE_KEEPERS)
def apply(import_id: str):
    staged = _staged(import_id)
    try:
        use_cases.confirm(portal(), staged.id, staged.member_id, actor=require_principal().user_id)
    except ImportRejected as exc:
        if staged.status == ImportStatus.READY:  # the form's own refusal: its message next to the button
            return _preview(staged, exc.errors, 422)
        flash_errors(exc.errors)
    return redirect(f"/salaries/dsn/{staged.id}")


@dsn_pages.post("/salaries/dsn/<import_id>/abandonner")
@member(*EMPLOYEE_KEEPERS)
def cancel(import_id: str):
    return abandoned_import(
        use_cases.cancel,
        _staged(import_id),
        "/salaries/dsn",
        "Import abandonné : rien n'a été changé, les fichiers sont effacés.",
    )
