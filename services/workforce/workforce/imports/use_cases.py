"""Use cases of employee imports: stage a file, choose its columns, check it, confirm it (all or nothing).

Where the work runs: a file whose data pass `import_inline_bytes` is read (parsed) by the worker, never in a
request; a file of up to `import_inline_rows` lines is checked and written in the request; a
bigger one is queued and done by the workforce worker process (`process_pending`, polled by worker.py), which
writes its progress in its own short transactions so the page can show it. A job is claimed by a status
change (queued → checking, confirmed → importing); a job whose worker died is claimed again once its
progress is older than STALE_AFTER (its transaction was rolled back: nothing was half-written).
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update

from portal_common.clock import today, utcnow
from portal_common.messaging.event_types import EventType
from portal_common.service import Portal

from ..employees import use_cases as employees
from ..employees.rules import is_present, mask_nir
from ..models import Employee, EmployeeImport, EmployeeImportRow
from . import rules as imports
from .queries import ImportNotFound, get_import, table_of
from .rules import CHECKABLE, ImportRejected, ImportStatus, Table, safe_file_name, status_refusal

log = logging.getLogger(__name__)
# get_import is re-exported: the callers of these use cases (tests, the benchmark) find an import here too.
__all__ = [
    "ABANDONED_AFTER",
    "ImportNotFound",
    "Outcome",
    "cancel",
    "choose_mapping",
    "confirm",
    "expire_abandoned",
    "get_import",
    "process_pending",
    "run_check",
    "run_read",
    "run_import",
    "stage",
]

STALE_AFTER = timedelta(minutes=5)
ABANDONED_AFTER = timedelta(days=7)  # a file never confirmed is erased then (it holds NIRs)
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class Outcome:
    import_id: str
    status: str


# --- staging ------------------------------------------------------------------------------------------


def new_import(member_id: str, file_name: str, file_format: str, *, actor: str) -> EmployeeImport:
    """A staged import just received (CSV, XLSX or DSN), nothing read or counted yet; its content is set by the caller."""
    now = utcnow()
    return EmployeeImport(
        id=str(uuid.uuid4()),
        member_id=member_id,
        status=ImportStatus.RECEIVED,
        file_name=file_name,
        file_format=file_format,
        content_sealed=b"",
        header=[],
        mapping={},
        total_rows=0,
        processed_rows=0,
        error_rows=0,
        duplicate_rows=0,
        imported_rows=0,
        failure=None,
        created_by=actor[:200],
        confirmed_by=None,
        created_at=now,
        updated_at=now,
    )


def keep(portal: Portal, staged: EmployeeImport) -> None:
    with portal.uow() as tx:
        tx.session.add(staged)
        tx.commit()


def owned_import(
    tx,
    import_id: str,
    member_id: str | None,
    *,
    file_format: str | None = None,
    missing: type[LookupError] = ImportNotFound,
) -> EmployeeImport:
    """The import locked for a change, if it belongs to `member_id` (None: staff, any company) and is of
    `file_format` when one is given; `missing` raised otherwise."""
    staged = tx.session.get(EmployeeImport, import_id, with_for_update=True)
    if staged is None or (member_id is not None and staged.member_id != member_id):
        raise missing(import_id)
    if file_format is not None and staged.file_format != file_format:
        raise missing(import_id)
    return staged


def erase_rows(tx, import_id: str) -> None:
    tx.session.execute(delete(EmployeeImportRow).where(EmployeeImportRow.import_id == import_id))


def store_rows(tx, import_id: str, records: list[dict]) -> None:
    """The preview's rows of an import, in place of the previous ones (batches of 1,000 inserts)."""
    erase_rows(tx, import_id)
    for start in range(0, len(records), 1000):
        tx.session.execute(insert(EmployeeImportRow), records[start : start + 1000])


def back_to_preview(tx, staged: EmployeeImport, failure: str) -> None:
    """Found in error when written (the list changed since the preview): nothing written, the preview shown again
    with its new rows (stored by the caller) and why."""
    staged.status, staged.updated_at = ImportStatus.READY, utcnow()
    staged.failure = failure
    tx.commit()


def abandon(tx, staged: EmployeeImport, cancellable: tuple[str, ...]) -> None:
    """Cancelled by its user, refused unless its status is `cancellable`: the file and the preview are erased
    (they hold NIRs)."""
    if staged.status not in cancellable:
        raise ImportRejected({"cancel": status_refusal(staged.status)})
    staged.status, staged.content_sealed, staged.updated_at = ImportStatus.CANCELLED, b"", utcnow()
    erase_rows(tx, staged.id)
    tx.commit()


def refuse(staged: EmployeeImport, failure: str) -> None:
    """A file the worker cannot read: refused with why, and erased (it holds NIRs); committed by the caller."""
    staged.status, staged.content_sealed = ImportStatus.REFUSED, b""
    staged.failure = failure[:300]


def written(tx, staged: EmployeeImport, imported: int, processed: int) -> None:
    """Done: the file, the preview and their NIRs are of no more use once written."""
    erase_rows(tx, staged.id)
    staged.content_sealed, staged.status, staged.imported_rows = b"", ImportStatus.DONE, imported
    staged.processed_rows, staged.updated_at = processed, utcnow()
    tx.commit()


def run_reading(portal: Portal, import_id: str, read: Callable[[Any, EmployeeImport], object]) -> bool:
    """The worker reading a received file (CSV, XLSX or DSN) with `read(tx, staged)`; a file that makes it fail
    is refused, and erased."""
    return run_job(
        portal,
        import_id,
        ImportStatus.RECEIVED,
        ImportStatus.READING,
        read,
        "Le fichier n'a pas pu être lu : importez-le à nouveau.",
        ImportStatus.REFUSED,
    )


def run_job(
    portal: Portal,
    import_id: str,
    due: ImportStatus,
    running: ImportStatus,
    work: Callable[[Any, EmployeeImport], object],
    failure: str,
    failure_status: ImportStatus = ImportStatus.FAILED,
) -> bool:
    """One step of the worker on an import in status `due`: claimed (status `running`), done by `work(tx, staged)`
    under the job's lock in one transaction it commits; on any error the import is marked `failure_status` with the
    French `failure`, nothing written. False when another process has the job or did it meanwhile."""
    if not _claim(portal, import_id, (due,), running):
        return False
    try:
        with portal.uow() as tx:
            staged = _job_lock(portal, tx, import_id)
            if staged.status != running:  # done meanwhile by the worker this one took over from
                return False
            work(tx, staged)
    except Exception as exc:
        _fail(portal, import_id, exc, failure, failure_status)
        raise
    return True


def _seal(portal: Portal, import_id: str, table: Table) -> bytes:
    content = json.dumps(
        {"header": table.header, "rows": table.rows, "lines": table.line_numbers},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return portal.settings.nir_vault.seal(zlib.compress(content, 6), import_id)


def _seal_upload(portal: Portal, import_id: str, raw: bytes) -> bytes:
    """The file as uploaded, until the worker reads it (it holds NIRs: sealed, never kept in clear)."""
    return portal.settings.nir_vault.seal(raw, f"upload|{import_id}")


def _read_into(portal: Portal, staged: EmployeeImport, kind: str, table: Table) -> None:
    staged.status, staged.file_format = ImportStatus.MAPPING, kind
    staged.content_sealed = _seal(portal, staged.id, table)
    staged.header = [imports.scrub_nir(h) for h in table.header]
    staged.mapping = imports.guess_mapping(table.header)
    staged.total_rows = len(table.rows)


def stage(portal: Portal, member_id: str, file_name: str, raw: bytes, *, actor: str) -> EmployeeImport:
    """Keeps the file sealed, with the columns guessed from its header; writes no employee.

    Its bounds are checked first, before any parsing (`measure`: size, and an XLSX's container and declared
    sheet). A file whose data pass `import_inline_bytes` is not parsed here: it waits for the worker (status
    received), so a big or costly file never holds a web worker; a small one is read now, within the bounds."""
    kind, size = imports.measure(file_name, raw)
    staged = new_import(member_id, safe_file_name(file_name), kind, actor=actor)
    import_id = staged.id
    if size > portal.settings.import_inline_bytes:
        staged.content_sealed = _seal_upload(portal, import_id, raw)
    else:
        _read_into(portal, staged, *imports.read_table(file_name, raw))
    keep(portal, staged)
    log.info(
        "employee import staged",
        extra={"import_id": import_id, "rows": staged.total_rows, "format": kind, "status": staged.status},
    )
    return staged


def run_read(portal: Portal, import_id: str) -> bool:
    """Reads a received file in the worker, within the same bounds as in a request: its columns to choose
    (status mapping), or its French refusal (status refused, the file erased)."""

    def read(tx, staged: EmployeeImport) -> None:
        raw = portal.settings.nir_vault.unseal(staged.content_sealed, f"upload|{import_id}")
        try:
            _read_into(portal, staged, *imports.read_table(staged.file_name, raw))
        except ImportRejected as refused:
            refuse(staged, " ".join(refused.errors.values()))
        staged.updated_at = utcnow()
        tx.commit()
        log.info("employee import read", extra={"import_id": import_id, "status": staged.status})

    return run_reading(portal, import_id, read)


# --- choosing the columns, checking -------------------------------------------------------------------


def choose_mapping(portal: Portal, import_id: str, member_id: str | None, mapping: dict[str, int]) -> Outcome:
    """Keeps the columns chosen and queues the check (done now for a small file)."""
    with portal.uow() as tx:
        staged = owned_import(tx, import_id, member_id)
        if staged.status not in CHECKABLE:
            raise ImportRejected({"mapping": status_refusal(staged.status)})
        errors = imports.check_mapping(mapping, len(staged.header))
        if errors:
            raise ImportRejected(errors)
        staged.mapping = {name: column for name, column in mapping.items() if name in imports.FIELDS}
        staged.status, staged.processed_rows, staged.failure, staged.updated_at = ImportStatus.QUEUED, 0, None, utcnow()
        staged.error_rows = staged.duplicate_rows = 0
        erase_rows(tx, import_id)
        tx.commit()
        total = staged.total_rows
    if total <= portal.settings.import_inline_rows:
        run_check(portal, import_id)
    return Outcome(import_id, _status(portal, import_id))


def _status(portal: Portal, import_id: str) -> str:
    with portal.db.session_factory() as session:
        return session.scalar(select(EmployeeImport.status).where(EmployeeImport.id == import_id)) or "unknown"


def _claim(portal: Portal, import_id: str, before: tuple[str, ...], after: str) -> bool:
    """Moves a job to its running state; False when another process has it (or it is not due)."""
    now = utcnow()
    with portal.uow() as tx:
        claimed = tx.session.execute(
            update(EmployeeImport)
            .where(
                EmployeeImport.id == import_id,
                or_(
                    EmployeeImport.status.in_(before),
                    (EmployeeImport.status == after) & (EmployeeImport.updated_at < now - STALE_AFTER),
                ),
            )
            .values(status=after, processed_rows=0, updated_at=now)
        ).rowcount
        tx.commit()
    return claimed == 1


def _progress(portal: Portal, import_id: str, done: int) -> None:
    """Committed apart from the job's transaction, so the page polling the import sees it."""
    with portal.uow() as tx:
        tx.session.execute(
            update(EmployeeImport)
            .where(EmployeeImport.id == import_id)
            .values(processed_rows=done, updated_at=utcnow())
        )
        tx.commit()


def _known(session, member_id: str) -> list[imports.Known]:
    day = today()
    stmt = select(
        Employee.last_name,
        Employee.birth_name,
        Employee.first_names,
        Employee.birth_date,
        Employee.nir_hash,
        Employee.exit_date,
    ).where(Employee.member_id == member_id)
    return [
        imports.Known(
            name=f"{row.last_name} {row.first_names}",
            nir_hash=row.nir_hash,
            name_key=imports.name_key(row.birth_name, row.first_names),
            birth_date=row.birth_date,
            present=is_present(row.exit_date, day),
        )
        for row in session.execute(stmt)
    ]


def _check(portal: Portal, tx, staged: EmployeeImport, *, report: bool) -> list[imports.CheckedRow]:
    vault = portal.settings.nir_vault
    return imports.check_table(
        table_of(portal, staged),
        {k: int(v) for k, v in staged.mapping.items()},
        _known(tx.session, staged.member_id),
        today=today(),
        blind_index=vault.blind_index,
        every=PROGRESS_EVERY,
        progress=(lambda done: _progress(portal, staged.id, done)) if report else None,
    )


def _store_rows(tx, staged: EmployeeImport, rows: list[imports.CheckedRow]) -> None:
    records = [
        {
            "import_id": staged.id,
            "line": row.line,
            "name": imports.scrub_nir(row.name)[:300],
            # A refused line shows the number as typed, masked, so the user finds it in the file.
            "nir_masked": mask_nir(row.command.nir) if row.command is not None else row.nir_shown,
            "values": {k: imports.scrub_nir(v) for k, v in row.values.items()},
            "errors": row.errors,
            "warnings": row.warnings,
            "duplicates": row.duplicates,
            "has_problem": bool(row.errors or row.duplicates or row.warnings),
        }
        for row in rows
    ]
    store_rows(tx, staged.id, records)
    staged.error_rows = sum(1 for row in rows if row.errors)
    staged.duplicate_rows = sum(1 for row in rows if row.duplicates)
    staged.processed_rows = len(rows)


def _job_lock(portal: Portal, tx, import_id: str) -> EmployeeImport:
    """Held until the job's transaction ends: a second worker that claimed the same job as stale waits here,
    then finds it finished. (An advisory lock: the progress updates of the import row must not wait.)"""
    if portal.db.is_postgres:
        tx.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"employee_import:{import_id}"}
        )
    return tx.session.get(EmployeeImport, import_id)


def _fail(
    portal: Portal, import_id: str, exc: Exception, failure: str, status: ImportStatus = ImportStatus.FAILED
) -> None:
    log.error("employee import failed, nothing written", extra={"import_id": import_id, "error": type(exc).__name__})
    values: dict = {"status": status, "updated_at": utcnow(), "failure": failure}
    if status == ImportStatus.REFUSED:
        values["content_sealed"] = b""  # a file that cannot be read is of no use, and it holds NIRs
    with portal.uow() as tx:
        tx.session.execute(update(EmployeeImport).where(EmployeeImport.id == import_id).values(**values))
        tx.commit()


def run_check(portal: Portal, import_id: str) -> bool:
    """Checks every line of a queued import and keeps the results for the preview (status ready)."""

    def check(tx, staged: EmployeeImport) -> None:
        rows = _check(portal, tx, staged, report=True)
        _store_rows(tx, staged, rows)
        staged.status, staged.updated_at = ImportStatus.READY, utcnow()
        tx.commit()
        log.info(
            "employee import checked",
            extra={
                "import_id": import_id,
                "rows": len(rows),
                "errors": staged.error_rows,
                "duplicates": staged.duplicate_rows,
            },
        )

    return run_job(
        portal,
        import_id,
        ImportStatus.QUEUED,
        ImportStatus.CHECKING,
        check,
        "Le fichier n'a pas pu être vérifié : importez-le à nouveau.",
    )


# --- confirming, writing ----------------------------------------------------------------------------


def confirm(
    portal: Portal, import_id: str, member_id: str | None, *, duplicates_acknowledged: bool, actor: str
) -> Outcome:
    """The user's go: refused while a line has an error or duplicates are not acknowledged; written now for a
    small file, by the worker otherwise."""
    with portal.uow() as tx:
        staged = owned_import(tx, import_id, member_id)
        if staged.status != ImportStatus.READY:
            raise ImportRejected({"confirm": status_refusal(staged.status)})
        if staged.error_rows:
            raise ImportRejected(
                {
                    "confirm": f"{staged.error_rows} ligne{'s' if staged.error_rows > 1 else ''} "
                    "en erreur : corrigez le fichier et importez-le à nouveau. Aucun "
                    "salarié n'a été ajouté."
                }
            )
        if staged.duplicate_rows and not duplicates_acknowledged:
            raise ImportRejected(
                {
                    "duplicates_acknowledged": "Vérifiez les doublons probables signalés, puis "
                    "cochez la case pour confirmer l'import."
                }
            )
        staged.status, staged.confirmed_by, staged.updated_at = ImportStatus.CONFIRMED, actor[:200], utcnow()
        tx.commit()
        total = staged.total_rows
    if total <= portal.settings.import_inline_rows:
        run_import(portal, import_id)
    return Outcome(import_id, _status(portal, import_id))


def run_import(portal: Portal, import_id: str) -> bool:
    """Writes every line in one transaction with its hired event; all or nothing.

    The lines are checked again first (the list may have changed since the preview): any error now sends
    the import back to its preview with the errors, and nothing is written.
    """

    def write(tx, staged: EmployeeImport) -> None:
        rows = _check(portal, tx, staged, report=False)
        if any(row.errors for row in rows):
            _store_rows(tx, staged, rows)
            back_to_preview(
                tx,
                staged,
                "La liste des salariés a changé depuis la vérification : des lignes sont "
                "maintenant en erreur. Aucun salarié n'a été ajouté.",
            )
            return
        day = today()
        hired = []
        for index, row in enumerate(rows, start=1):
            hired.append(
                employees.add_hire(
                    tx,
                    portal,
                    staged.member_id,
                    row.command,
                    day,
                    batch=True,
                    actor=staged.confirmed_by or staged.created_by,
                ).employee
            )
            if index % PROGRESS_EVERY == 0:
                _progress(portal, import_id, index)
        tx.session.flush()  # batched inserts of the employees and their history
        tx.record_many(
            EventType.WORKFORCE_EMPLOYEE_HIRED, [(e.id, e.member_id, employees.hired_event(e)) for e in hired]
        )
        written(tx, staged, len(rows), len(rows))
        log.info("employee import written", extra={"import_id": import_id, "rows": len(rows)})

    return run_job(
        portal,
        import_id,
        ImportStatus.CONFIRMED,
        ImportStatus.IMPORTING,
        write,
        "L'import n'a pas pu être enregistré : aucun salarié n'a été ajouté. Importez le fichier à nouveau.",
    )


def cancel(portal: Portal, import_id: str, member_id: str | None) -> None:
    with portal.uow() as tx:
        abandon(tx, owned_import(tx, import_id, member_id), CHECKABLE)


# --- the worker's side --------------------------------------------------------------------------------


def process_pending(portal: Portal) -> bool:
    """One queued job (check or write), the oldest first; False when there is none. Called by the worker."""
    stale = utcnow() - STALE_AFTER
    with portal.db.session_factory() as session:
        job = session.execute(
            select(EmployeeImport.id, EmployeeImport.status, EmployeeImport.file_format)
            .where(
                or_(
                    EmployeeImport.status.in_((ImportStatus.RECEIVED, ImportStatus.QUEUED, ImportStatus.CONFIRMED)),
                    EmployeeImport.status.in_((ImportStatus.READING, ImportStatus.CHECKING, ImportStatus.IMPORTING))
                    & (EmployeeImport.updated_at < stale),
                )
            )
            .order_by(EmployeeImport.updated_at)
            .limit(1)
        ).first()
    if job is None:
        return False
    try:
        if job.file_format not in imports.TABLE_FORMATS:
            from ..dsn.use_cases import process  # the DSN import rides on the same queue (no import cycle)

            return process(portal, job.id, job.status)
        if job.status in (ImportStatus.RECEIVED, ImportStatus.READING):
            return run_read(portal, job.id)
        if job.status in (ImportStatus.QUEUED, ImportStatus.CHECKING):
            return run_check(portal, job.id)
        return run_import(portal, job.id)
    except Exception:  # already logged and marked failed; the worker carries on with the next job
        return True


def expire_abandoned(portal: Portal) -> int:
    """Erases the files of imports left unconfirmed for ABANDONED_AFTER (data minimisation); answers how many."""
    cutoff = utcnow() - ABANDONED_AFTER
    with portal.uow() as tx:
        ids = list(
            tx.session.scalars(
                select(EmployeeImport.id)
                .where(EmployeeImport.status.in_(CHECKABLE), EmployeeImport.updated_at < cutoff)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            tx.session.execute(delete(EmployeeImportRow).where(EmployeeImportRow.import_id.in_(ids)))
            tx.session.execute(
                update(EmployeeImport)
                .where(EmployeeImport.id.in_(ids))
                .values(
                    status=ImportStatus.CANCELLED,
                    content_sealed=b"",
                    updated_at=utcnow(),
                    failure="Import abandonné : non confirmé dans les 7 jours, le fichier a été effacé.",
                )
            )
        tx.commit()
    if ids:
        log.info("abandoned employee imports erased", extra={"count": len(ids)})
    return len(ids)
