"""Use cases of the DSN import: stage the files, read and reconcile them in the worker (the preview), then one
all-or-nothing apply that writes hires, exits, new posts, workplaces and corrections with the events of the manual
forms.

It rides on the employee import's machinery (`imports`: the staged import row with file_format 'dsn', its
statuses, claims, progress, job lock, abandonment and expiry). The files are sealed with the NIR key ring from
upload to apply, and erased then (or when abandoned or expired); nothing of them is logged.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable

from sqlalchemy import select, update

from portal_common.clock import today, utcnow
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..employees import use_cases as employees
from ..imports.rules import ImportRejected, ImportStatus, safe_file_name, scrub_nir, status_refusal
from ..imports.use_cases import (
    Outcome,
    _progress,
    _status,
    abandon,
    back_to_preview,
    keep,
    new_import,
    owned_import,
    refuse,
    run_job,
    run_reading,
    store_rows,
    written,
)
from ..models import Employee, EmployeeImport, MemberDirectoryEntry
from . import neodes
from . import rules as dsn
from .neodes import DsnRefused
from .queries import DSN_FORMAT, DsnImportNotFound

log = logging.getLogger(__name__)

MAX_FILES = 12  # a year of monthly declarations
MAX_TOTAL_BYTES = 11 * 1024 * 1024  # under the 12 MB a request may carry through the gateway


def _pack(files: list[tuple[str, bytes]]) -> bytes:
    """The files as one blob: a JSON line of (name, size), then their bytes; compressed (DSN text shrinks
    tenfold) before being sealed."""
    head = json.dumps([[name, len(raw)] for name, raw in files]).encode() + b"\n"
    return zlib.compress(head + b"".join(raw for _, raw in files), 1)


def _unpack(blob: bytes) -> list[tuple[str, bytes]]:
    data = zlib.decompress(blob)
    head, _, body = data.partition(b"\n")
    files, start = [], 0
    for name, size in json.loads(head):
        files.append((name, body[start : start + size]))
        start += size
    return files


def _aad(import_id: str) -> str:
    return f"dsn|{import_id}"


def check_upload(files: list[tuple[str, bytes]]) -> None:
    """The upload's bounds, in French on the `files` field, before anything is kept."""
    if not files:
        raise ImportRejected({"files": "Choisissez le ou les fichiers DSN à importer."})
    if len(files) > MAX_FILES:
        raise ImportRejected({"files": f"Déposez au plus {MAX_FILES} fichiers DSN à la fois."})
    if sum(len(raw) for _, raw in files) > MAX_TOTAL_BYTES:
        raise ImportRejected({"files": "Les fichiers dépassent 11 Mo à eux tous : déposez-les en plusieurs fois."})
    for name, raw in files:
        if not raw.strip():
            raise ImportRejected({"files": f"{safe_file_name(name)} : le fichier est vide."})


def stage(portal: Portal, member_id: str, files: list[tuple[str, bytes]], *, actor: str) -> EmployeeImport:
    """Keeps the files sealed for the worker (status received); writes no employee."""
    check_upload(files)
    files = [(safe_file_name(name), raw) for name, raw in files]
    staged = new_import(member_id, ", ".join(name for name, _ in files)[:200], DSN_FORMAT, actor=actor)
    staged.content_sealed = portal.settings.nir_vault.seal(_pack(files), _aad(staged.id))
    keep(portal, staged)
    log.info("dsn import staged", extra={"import_id": staged.id, "files": len(files)})
    return staged


def _listed(employee: Employee) -> dsn.Listed:
    return dsn.Listed(
        id=employee.id,
        nir_hash=employee.nir_hash,
        last_name=employee.last_name,
        birth_name=employee.birth_name,
        first_names=employee.first_names,
        sex=employee.sex,
        birth_date=employee.birth_date,
        birth_commune=employee.birth_commune,
        birth_country=employee.birth_country,
        hire_date=employee.hire_date,
        post=employee.post,
        pcs_code=employee.pcs_code,
        post_since=employee.post_since,
        contract=employee.contract,
        multi_employer=employee.multi_employer,
        determinants=employee.determinant_codes,
        sir_justification=employee.sir_justification,
        adapted_undisclosed=employee.adapted_undisclosed,
        convocation_constraints=employee.convocation_constraints,
        comment=employee.comment,
        exit_date=employee.exit_date,
        workplace_siret=employee.workplace_siret,
    )


def _reading_progress(portal: Portal, import_id: str, total: int) -> Callable[[int], None]:
    """The reading's progress in lines (`total` of them), written in its own short transactions so the status page
    and resource show it while the worker reads (the import row is not written by the reading's transaction)."""

    def report(done: int) -> None:
        with portal.uow() as tx:
            tx.session.execute(
                update(EmployeeImport)
                .where(EmployeeImport.id == import_id)
                .values(processed_rows=min(done, total), total_rows=total, updated_at=utcnow())
            )
            tx.commit()

    return report


def _plan(
    portal: Portal, tx, staged: EmployeeImport, *, lock: bool, report: bool = False
) -> tuple[dsn.Plan, dict[str, Employee]]:
    """Reads the sealed files and reconciles them with the list as it is now (its rows locked to apply); with
    `report`, the lines read are written as the import's progress."""
    files = _unpack(portal.settings.nir_vault.unseal(staged.content_sealed, _aad(staged.id)))
    progress = _reading_progress(portal, staged.id, neodes.count_lines(files)) if report else None
    reading = neodes.read_dsn(files, progress)
    stmt = select(Employee).where(Employee.member_id == staged.member_id)
    found = {e.id: e for e in tx.session.scalars(stmt.with_for_update() if lock else stmt)}
    entry = tx.session.get(MemberDirectoryEntry, staged.member_id)
    plan = dsn.reconcile(
        reading,
        [_listed(e) for e in found.values()],
        siret=entry.siret if entry is not None else None,
        member_name=entry.name if entry is not None else "l'entreprise",
        today=today(),
        blind_index=portal.settings.nir_vault.blind_index,
    )
    return plan, found


def _store_rows(tx, staged: EmployeeImport, plan: dsn.Plan) -> None:
    records = [
        {
            "import_id": staged.id,
            "line": rank,
            "name": scrub_nir(row.name)[:300],
            "nir_masked": row.nir_masked,
            "values": {
                label: text if label == dsn.WORKPLACE_LABEL else scrub_nir(text) for label, text in row.details.items()
            },
            "errors": row.errors,
            "warnings": row.warnings,
            "duplicates": [],
            "has_problem": bool(row.errors or row.warnings),
            "action": ",".join(row.actions),
            "file_name": row.file or None,
            "file_line": row.line or None,
        }
        for rank, row in enumerate(plan.rows, start=1)
    ]
    store_rows(tx, staged.id, records)
    staged.error_rows = plan.errors
    staged.total_rows = staged.processed_rows = len(plan.rows)
    staged.mapping = summary(plan)


def summary(plan: dsn.Plan) -> dict[str, int]:
    """How many rows of each action: what the preview announces and the result shows."""
    return {action.value: plan.count(action) for action in dsn.Action}


def run_read(portal: Portal, import_id: str) -> bool:
    """Reads and reconciles the files in the worker: the preview (status ready), or the French refusal of a
    file that is not a readable DSN (status refused, the files erased)."""

    def read(tx, staged: EmployeeImport) -> None:
        try:
            plan, _ = _plan(portal, tx, staged, lock=False, report=True)
        except DsnRefused as refused:
            refuse(staged, refused.message)
        else:
            _store_rows(tx, staged, plan)
            staged.status = ImportStatus.READY
        staged.updated_at = utcnow()
        tx.commit()
        log.info(
            "dsn import read", extra={"import_id": import_id, "status": staged.status, "errors": staged.error_rows}
        )

    return run_reading(portal, import_id, read)


def _owned(tx, import_id: str, member_id: str | None) -> EmployeeImport:
    return owned_import(tx, import_id, member_id, file_format=DSN_FORMAT, missing=DsnImportNotFound)


def confirm(portal: Portal, import_id: str, member_id: str | None, *, actor: str) -> Outcome:
    """The user's go, queued for the worker; refused while a row is in error or nothing would change."""
    with portal.uow() as tx:
        staged = _owned(tx, import_id, member_id)
        if staged.status != ImportStatus.READY:
            raise ImportRejected({"apply": status_refusal(staged.status)})
        if staged.error_rows:
            plural = "s" if staged.error_rows > 1 else ""
            raise ImportRejected(
                {
                    "apply": f"{staged.error_rows} ligne{plural} en erreur : corrigez la DSN dans le logiciel de "
                    "paie et déposez-la à nouveau. Rien n'a été changé."
                }
            )
        if not any(staged.mapping.get(action, 0) for action in dsn.CHANGING):
            raise ImportRejected({"apply": "La DSN ne change rien à la liste des salariés."})
        staged.status, staged.confirmed_by, staged.updated_at = ImportStatus.CONFIRMED, actor[:200], utcnow()
        tx.commit()
    return Outcome(import_id, _status(portal, import_id))


def _write(tx, portal: Portal, staged: EmployeeImport, plan: dsn.Plan, found: dict[str, Employee]) -> int:
    """Every change of the plan in the job's transaction, with the manual forms' events: hires first (in one
    batch), then corrections, new posts, new workplaces and exits."""
    day, actor = today(), staged.confirmed_by or staged.created_by
    hired: list[tuple[dsn.Row, Employee]] = []
    for index, row in enumerate(plan.rows, start=1):
        if row.hire is not None:
            saved = employees.add_hire(
                tx, portal, staged.member_id, row.hire, day, batch=True, actor=actor, workplace_siret=row.workplace
            )
            hired.append((row, saved.employee))
        if index % 500 == 0:
            _progress(portal, staged.id, index)
    tx.session.flush()
    tx.record_many(
        EventType.WORKFORCE_EMPLOYEE_HIRED, [(e.id, e.member_id, employees.hired_event(e)) for _, e in hired]
    )
    changed = len(hired)
    new = {id(row): employee for row, employee in hired}
    for row in plan.rows:
        employee = new.get(id(row)) or (found.get(row.employee_id) if row.employee_id else None)
        if employee is None or not row.changes:
            continue
        posted = row.post is not None and dsn.Action.POST_CHANGE in row.actions
        if row.workplace is not None and dsn.Action.WORKPLACE in row.actions:
            if row.correction is not None or posted:
                # Written with the correction or the new post below, in their history line and updated event.
                employee.workplace_siret = row.workplace
            else:
                employees.record_workplace(tx, employee, row.workplace, day, actor=actor)
        if row.correction is not None:
            employees.record_correction(tx, portal, employee, row.correction, day, actor=actor)
        if row.post is not None and posted:
            employees.record_post_change(tx, portal, employee, row.post, day, actor=actor)
        if row.exit is not None and dsn.Action.EXIT in row.actions:
            employees.record_exit(tx, employee, row.exit, actor=actor)
        if row.hire is None:
            changed += 1
    return changed


def run_apply(portal: Portal, import_id: str) -> bool:
    """Applies a confirmed import in one transaction; all or nothing. The files are reconciled again first
    (the list may have changed since the preview): an error now sends the import back to its preview."""

    def apply(tx, staged: EmployeeImport) -> None:
        plan, found = _plan(portal, tx, staged, lock=True)
        if plan.errors:
            _store_rows(tx, staged, plan)
            back_to_preview(
                tx,
                staged,
                "La liste des salariés a changé depuis l'aperçu : des lignes sont maintenant en erreur. "
                "Rien n'a été changé.",
            )
            return
        changed = _write(tx, portal, staged, plan, found)
        staged.mapping = summary(plan)
        written(tx, staged, changed, staged.total_rows)
        log.info("dsn import applied", extra={"import_id": import_id, "changes": changed})

    return run_job(
        portal,
        import_id,
        ImportStatus.CONFIRMED,
        ImportStatus.IMPORTING,
        apply,
        "La DSN n'a pas pu être appliquée : rien n'a été changé. Importez-la à nouveau.",
    )


def cancel(portal: Portal, import_id: str, member_id: str | None) -> None:
    """Drops an import not applied: its files and preview are erased."""
    with portal.uow() as tx:
        abandon(tx, _owned(tx, import_id, member_id), (ImportStatus.READY, ImportStatus.FAILED, ImportStatus.REFUSED))


def process(portal: Portal, import_id: str, status: str) -> bool:
    """The worker's step for a DSN import in `status` (imports.use_cases.process_pending dispatches here)."""
    if status in (ImportStatus.RECEIVED, ImportStatus.READING):
        return run_read(portal, import_id)
    if status in (ImportStatus.CONFIRMED, ImportStatus.IMPORTING):
        return run_apply(portal, import_id)
    return False
