"""Read side of the company record: members, their change requests, and how values are shown in French."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from portal_common.formats import date_fr
from portal_common.service import portal

from ..addressbook.rules import ADDRESS_KINDS, CONTACT_KINDS
from ..health_team.rules import TEAM_LABELS
from ..models import ChangeRequest, Member
from ..situations.rules import SITUATION_KINDS
from .fields import phone_fr
from .naf import VERSION_LABELS, naf_label
from .rules import ACTIONS, CHANGE_STATUSES, KINDS, ChangeAction, ChangeKind, ChangeStatus
from .rules import STATUSES as MEMBER_STATUSES

FIELD_LABELS = {
    "name": "Raison sociale",
    "siret": "SIRET",
    "member_number": "N° adhérent",
    "adhesion_date": "Date d'adhésion",
    "status": "Statut",
    "naf_code": "Code NAF",
    "vat_number": "N° de TVA intracommunautaire",
    "activity": "Activité",
    "phone": "Téléphone",
    "mobile": "Portable",
    "fax": "Fax",
    "email": "E-mail",
    "billing_email": "E-mail de facturation",
    "kind": "Type",
    "line1": "Adresse",
    "line2": "Complément",
    "postal_code": "Code postal",
    "city": "Commune",
    "valid_from": "Valide à partir du",
    "valid_to": "Valide jusqu'au",
    "function": "Fonction",
    "effective_date": "Date d'effet",
    "comment": "Commentaire",
    "reference": "Référence unique du mandat (RUM)",
    "iban": "IBAN",
    "bic": "BIC",
    "holder": "Titulaire du compte",
    "declarant_code": "N° télédéclarant",
    "title": "Titre",
    "filename": "Fichier",
    "document": "Justificatif joint",
    "centre": "Centre",
    **TEAM_LABELS,
}
PHONE_FIELDS = {"phone", "mobile", "fax", "secretary_phone"}
# Where a field name means something else than on the company record: a contact's `name` is a person's.
KIND_FIELD_LABELS: dict[str, dict[str, str]] = {
    ChangeKind.CONTACT: {"name": "Nom et prénom"},
}


def field_label(name: str, kind: str) -> str:
    """The French label of a changed field, for the kind of change it belongs to."""
    return KIND_FIELD_LABELS.get(kind, {}).get(name) or FIELD_LABELS.get(name, name)


def member_as_dict(member: Member) -> dict:
    return {
        "id": member.id,
        "member_number": member.member_number,
        "name": member.name,
        "siret": member.siret,
        "siren": member.siret[:9],
        "naf_code": member.naf_code,
        "naf_label": naf_label(member.naf_code),
        "naf_version": member.naf_version,
        "vat_number": member.vat_number,
        "activity": member.activity,
        "status": member.status,
        "address": {
            "line1": member.address_line1,
            "line2": member.address_line2,
            "postal_code": member.postal_code,
            "city": member.city,
        },
        "email": member.email,
        "phone": member.phone,
        "mobile": member.mobile,
        "fax": member.fax,
        "billing_email": member.billing_email,
        "adhesion_date": member.adhesion_date,
        "situation": member.situation,
        "situation_date": member.situation_date,
        "employees_followed": member.employees_followed,
        "version": member.version,
    }


def get_member(member_id: str) -> Member | None:
    return portal().db.session.get(Member, member_id)


def list_members(query: str | None = None) -> list[Member]:
    stmt = select(Member).order_by(Member.member_number)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Member.name.ilike(like), Member.member_number.like(like), Member.siret.like(like)))
    return list(portal().db.session.scalars(stmt.limit(500)))


def requests_of(member_id: str, *, pending_only: bool = False) -> list[ChangeRequest]:
    stmt = select(ChangeRequest).where(ChangeRequest.member_id == member_id)
    if pending_only:
        stmt = stmt.where(ChangeRequest.status == ChangeStatus.PENDING)
    return list(portal().db.session.scalars(stmt.order_by(ChangeRequest.requested_at.desc()).limit(500)))


def pending_requests() -> list[tuple[ChangeRequest, Member]]:
    stmt = (
        select(ChangeRequest, Member)
        .join(Member, Member.id == ChangeRequest.member_id)
        .where(ChangeRequest.status == ChangeStatus.PENDING)
        .order_by(ChangeRequest.requested_at)
        .limit(500)
    )
    return [(request, member) for request, member in portal().db.session.execute(stmt)]


def show_value(name: str, value: Any, kind: str) -> str:
    """A stored value in French for the pages (phones, dates, types)."""
    if value in (None, ""):
        return "—"
    if name in PHONE_FIELDS:
        return phone_fr(value)
    if name in {"adhesion_date", "valid_from", "valid_to", "effective_date"}:
        return date_fr(value)
    if name == "kind":
        return (
            {**ADDRESS_KINDS, **CONTACT_KINDS, **SITUATION_KINDS}.get(value, value)
            if kind != ChangeKind.RECORD
            else value
        )
    if name == "status":
        return MEMBER_STATUSES.get(value, value)
    if name == "naf_code":
        return f"{value} — {naf_label(value) or ''}".rstrip(" —")
    return str(value)


def request_lines(request: ChangeRequest) -> list[dict[str, str]]:
    """Field by field, before → after, in French."""
    names = list(dict.fromkeys([*request.after.keys(), *request.before.keys()]))
    lines = []
    for name in names:
        before, after = request.before.get(name), request.after.get(name)
        if request.action == ChangeAction.UPDATE and before == after:
            continue
        lines.append(
            {
                "label": field_label(name, request.kind),
                "before": show_value(name, before, request.kind),
                "after": show_value(name, after, request.kind) if request.action != ChangeAction.DELETE else "—",
            }
        )
    return lines


def request_as_dict(request: ChangeRequest) -> dict:
    return {
        "id": request.id,
        "member_id": request.member_id,
        "kind": request.kind,
        "action": request.action,
        "target_id": request.target_id,
        "before": request.before,
        "after": request.after,
        "status": request.status,
        "requested_by_name": request.requested_by_name,
        "requested_at": request.requested_at,
        "decided_by_name": request.decided_by_name,
        "decided_at": request.decided_at,
        "reason": request.reason,
    }


def labels() -> dict[str, dict[str, str]]:
    """Every French label the templates need."""
    return {
        "kinds": KINDS,
        "actions": ACTIONS,
        "statuses": CHANGE_STATUSES,
        "address_kinds": ADDRESS_KINDS,
        "contact_kinds": CONTACT_KINDS,
        "situations": SITUATION_KINDS,
        "member_statuses": MEMBER_STATUSES,
        "naf_versions": VERSION_LABELS,
        "fields": FIELD_LABELS,
    }
