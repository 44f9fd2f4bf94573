"""Read side: how members, their addresses, contacts, requests and mandate are shown."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from portal_common.formats import date_fr
from portal_common.service import portal

from .addressbook import ADDRESS_KINDS, CONTACT_KINDS
from .changes import ACTIONS, KINDS, STATUSES
from .domain import STATUSES as MEMBER_STATUSES, phone_fr
from .documents import KIND_LABELS
from .models import Address, Centre, ChangeRequest, Contact, Document, HealthTeam, Member, SepaMandate
from .naf import VERSION_LABELS, naf_label
from .situations import SITUATION_KINDS
from .team import TEAM_LABELS, centre_address

FIELD_LABELS = {
    "name": "Raison sociale", "siret": "SIRET", "member_number": "N° adhérent", "adhesion_date": "Date d'adhésion",
    "status": "Statut", "naf_code": "Code NAF", "vat_number": "N° de TVA intracommunautaire",
    "activity": "Activité", "phone": "Téléphone", "mobile": "Portable", "fax": "Fax", "email": "E-mail",
    "billing_email": "E-mail de facturation", "kind": "Type", "line1": "Adresse", "line2": "Complément",
    "postal_code": "Code postal", "city": "Commune", "valid_from": "Valide à partir du",
    "valid_to": "Valide jusqu'au", "function": "Fonction", "effective_date": "Date d'effet",
    "comment": "Commentaire", "reference": "Référence unique du mandat (RUM)", "iban": "IBAN", "bic": "BIC",
    "holder": "Titulaire du compte", "declarant_code": "N° télédéclarant",
    "title": "Titre", "filename": "Fichier", "document": "Justificatif joint", "centre": "Centre", **TEAM_LABELS,
}
PHONE_FIELDS = {"phone", "mobile", "fax", "secretary_phone"}


def member_as_dict(member: Member) -> dict:
    return {
        "id": member.id, "member_number": member.member_number, "name": member.name, "siret": member.siret,
        "siren": member.siret[:9], "naf_code": member.naf_code, "naf_label": naf_label(member.naf_code),
        "naf_version": member.naf_version, "vat_number": member.vat_number, "activity": member.activity,
        "status": member.status,
        "address": {"line1": member.address_line1, "line2": member.address_line2,
                    "postal_code": member.postal_code, "city": member.city},
        "email": member.email, "phone": member.phone, "mobile": member.mobile, "fax": member.fax,
        "billing_email": member.billing_email, "adhesion_date": member.adhesion_date,
        "situation": member.situation, "situation_date": member.situation_date,
        "employees_followed": member.employees_followed, "version": member.version,
    }


def get_member(member_id: str) -> Member | None:
    return portal().db.session.get(Member, member_id)


def list_members(query: str | None = None) -> list[Member]:
    stmt = select(Member).order_by(Member.member_number)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Member.name.ilike(like), Member.member_number.like(like), Member.siret.like(like)))
    return list(portal().db.session.scalars(stmt.limit(500)))


def addresses_of(member_id: str) -> list[Address]:
    return list(portal().db.session.scalars(select(Address).where(Address.member_id == member_id)
                                            .order_by(Address.kind, Address.valid_from)))


def contacts_of(member_id: str) -> list[Contact]:
    return list(portal().db.session.scalars(select(Contact).where(Contact.member_id == member_id)
                                            .order_by(Contact.kind, Contact.name)))


def entry_of(model: type[Address] | type[Contact], member_id: str, entry_id: str) -> Address | Contact | None:
    """An address or contact of this company only: another company's id is simply not found."""
    entry = portal().db.session.get(model, entry_id)
    return entry if entry is not None and entry.member_id == member_id else None


def requests_of(member_id: str, *, pending_only: bool = False) -> list[ChangeRequest]:
    stmt = select(ChangeRequest).where(ChangeRequest.member_id == member_id)
    if pending_only:
        stmt = stmt.where(ChangeRequest.status == "pending")
    return list(portal().db.session.scalars(stmt.order_by(ChangeRequest.requested_at.desc()).limit(500)))


def pending_requests() -> list[tuple[ChangeRequest, Member]]:
    stmt = (select(ChangeRequest, Member).join(Member, Member.id == ChangeRequest.member_id)
            .where(ChangeRequest.status == "pending").order_by(ChangeRequest.requested_at).limit(500))
    return [(request, member) for request, member in portal().db.session.execute(stmt)]


def current_mandate(member_id: str) -> SepaMandate | None:
    """The active mandate, else the one waiting for validation."""
    mandates = portal().db.session.scalars(select(SepaMandate).where(
        SepaMandate.member_id == member_id, SepaMandate.status.in_(("active", "pending")))).all()
    return next((m for m in mandates if m.status == "active"), None) or next(iter(mandates), None)


def show_value(name: str, value: Any, kind: str) -> str:
    """A stored value in French for the pages (phones, dates, types)."""
    if value in (None, ""):
        return "—"
    if name in PHONE_FIELDS:
        return phone_fr(value)
    if name in {"adhesion_date", "valid_from", "valid_to", "effective_date"}:
        return date_fr(value)
    if name == "kind":
        return {**ADDRESS_KINDS, **CONTACT_KINDS, **SITUATION_KINDS}.get(value, value) if kind != "record" else value
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
        if request.action == "update" and before == after:
            continue
        lines.append({"label": FIELD_LABELS.get(name, name), "before": show_value(name, before, request.kind),
                      "after": show_value(name, after, request.kind) if request.action != "delete" else "—"})
    return lines


def request_as_dict(request: ChangeRequest) -> dict:
    return {"id": request.id, "member_id": request.member_id, "kind": request.kind, "action": request.action,
            "target_id": request.target_id, "before": request.before, "after": request.after,
            "status": request.status, "requested_by_name": request.requested_by_name,
            "requested_at": request.requested_at, "decided_by_name": request.decided_by_name,
            "decided_at": request.decided_at, "reason": request.reason}


def labels() -> dict[str, dict[str, str]]:
    """Every French label the templates need."""
    return {"kinds": KINDS, "actions": ACTIONS, "statuses": STATUSES, "address_kinds": ADDRESS_KINDS,
            "contact_kinds": CONTACT_KINDS, "situations": SITUATION_KINDS, "member_statuses": MEMBER_STATUSES,
            "naf_versions": VERSION_LABELS, "fields": FIELD_LABELS}


def mandate_as_dict(mandate: SepaMandate) -> dict:
    return {"reference": mandate.reference, "creditor_id": portal().settings.sepa_creditor_id,
            "iban_masked": mandate.iban_masked, "bic": mandate.bic, "holder": mandate.holder, "email": mandate.email,
            "status": mandate.status, "signed_on": mandate.signed_on, "revoked_on": mandate.revoked_on}


def documents_of(member_id: str) -> list[Document]:
    """The company's documents space, newest first: produced by the other services and deposited."""
    return list(portal().db.session.scalars(select(Document).where(Document.member_id == member_id)
                                            .order_by(Document.issued_on.desc(), Document.created_at.desc())
                                            .limit(1000)))


def document_of(member_id: str, document_id: str) -> Document | None:
    """A document of this company only: another company's id is simply not found."""
    document = portal().db.session.get(Document, document_id)
    return document if document is not None and document.member_id == member_id else None


def document_as_dict(document: Document, *, staff_view: bool = False) -> dict:
    if document.source == "upload":
        base = f"/gestion/adherents/{document.member_id}/documents" if staff_view else "/adherent/documents"
        url = f"{base}/{document.id}/fichier"
    else:
        url = document.download_path
    return {"id": document.id, "source": document.source, "kind": document.kind,
            "kind_label": KIND_LABELS.get(document.kind, document.kind), "title": document.title,
            "issued_on": document.issued_on, "url": url, "filename": document.filename,
            "content_type": document.content_type, "size_bytes": document.size_bytes,
            "uploaded_by_name": document.uploaded_by_name}


def centres() -> list[Centre]:
    return list(portal().db.session.scalars(select(Centre).order_by(Centre.name)))


def centre_as_dict(centre: Centre) -> dict:
    return {"id": centre.id, "name": centre.name,
            "address": {"line1": centre.line1, "line2": centre.line2, "postal_code": centre.postal_code,
                        "city": centre.city},
            "address_line": centre_address({"line1": centre.line1, "line2": centre.line2,
                                            "postal_code": centre.postal_code, "city": centre.city}),
            "phone": centre.phone, "email": centre.email}


def health_team(member_id: str) -> dict:
    """The centre, the people following the company and the service's mailboxes, as shown to the member."""
    session = portal().db.session
    team = session.get(HealthTeam, member_id)
    centre = session.get(Centre, team.centre_id) if team is not None and team.centre_id else None
    people = {name: getattr(team, name) if team is not None else None
              for name in ("doctor", "secretary", "secretary_phone", "secretary_email", "preventer",
                           "preventer_email", "nurse")}
    return {"centre": centre_as_dict(centre) if centre is not None else None, **people,
            "mailboxes": [{"label": label, "email": email} for label, email in portal().settings.service_mailboxes]}


def same_siren(member: Member) -> list[Member]:
    """The other establishments of the same company (their SIRET starts with the same SIREN)."""
    return list(portal().db.session.scalars(select(Member).where(
        Member.siret.like(f"{member.siret[:9]}%"), Member.id != member.id).order_by(Member.member_number)
        .limit(500)))


def members_by_id(ids: list[str]) -> list[Member]:
    if not ids:
        return []
    return list(portal().db.session.scalars(select(Member).where(Member.id.in_(ids[:500]))))
