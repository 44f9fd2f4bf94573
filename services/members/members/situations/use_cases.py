"""A company declares a change of situation (cessation, liquidation…), processed by staff."""

from __future__ import annotations

from typing import Any

from portal_common.clock import today
from portal_common.errors import FieldErrors
from portal_common.service import Portal

from ..documents.rules import check_upload
from ..documents.use_cases import add_upload, commit_with_file
from ..models import ChangeRequest, Member
from ..record.rules import Actor, AlreadyRecorded, ChangeAction, ChangeKind, NotFound, entry_needs_validation
from ..record.use_cases.applying import apply_change
from ..record.use_cases.audit import new_request, record_all, refuse_repeated_request
from .rules import check_situation

ALREADY_IN_FORCE = "Cette situation, à cette date d'effet, est déjà celle de l'entreprise."


def declare_situation(
    portal: Portal,
    member_id: str,
    data: dict[str, Any],
    actor: Actor,
    *,
    attachment: tuple[str | None, bytes] | None = None,
) -> ChangeRequest:
    """A change of situation, processed by staff; billing and workforce react to the event.

    `attachment` (file name, content): the optional supporting document (a Kbis, a court decision), kept in the
    company's documents space."""
    errors: dict[str, str] = {}
    try:
        after = check_situation(data, today())
    except FieldErrors as exc:
        errors.update(exc.errors)
    upload = None
    if attachment is not None:
        try:
            upload = check_upload({"kind": "justificatif_situation"}, attachment[0], attachment[1], today())
        except FieldErrors as exc:
            errors["document"] = exc.errors.get("file", "Ce fichier n'est pas accepté.")
    if errors:
        raise FieldErrors(errors)
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        pending = entry_needs_validation(ChangeKind.SITUATION, by_staff=actor.is_staff, immediate=())
        asked = {**after, "document": upload.filename} if upload is not None else after
        if pending:
            refuse_repeated_request(tx.session, member_id, ChangeKind.SITUATION, ChangeAction.CREATE, asked)
        elif (member.situation, member.situation_date and member.situation_date.isoformat()) == (
            after["kind"],
            after["effective_date"],
        ):
            raise AlreadyRecorded(None, "kind", ALREADY_IN_FORCE)
        path = None
        if upload is not None:
            assert attachment is not None
            path = add_upload(tx, portal, member_id, upload, attachment[1], actor)
            after = {**after, "document": upload.filename}
        before = {
            "kind": member.situation,
            "effective_date": member.situation_date.isoformat() if member.situation_date else None,
        }
        request = new_request(
            member_id,
            ChangeKind.SITUATION,
            ChangeAction.CREATE,
            before,
            after,
            actor,
            pending=pending,
            target_id=path.name if path is not None else None,
        )
        tx.session.add(request)
        if not pending:
            record_all(tx, member_id, apply_change(tx.session, request))
        if path is not None:
            commit_with_file(tx, path)
        else:
            tx.commit()
        return request
