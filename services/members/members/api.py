"""JSON API of the members service (/api/members/)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member, member_or_staff, require_principal, staff
from portal_common.api import Blueprint
from portal_common.errors import FieldErrors
from portal_common.service import portal

from . import identity_links, services, stepup, views
from .establishments import establishment_rows
from .changes import DecisionRefused
from .domain import RecordConflict, Registration, RegistrationRejected
from .models import Address, Contact, Member
from .schemas import (AddressInSchema, AddressOutSchema, ChangeRequestSchema, ContactInSchema, ContactOutSchema,
                      CentreSchema, DecisionSchema, DocumentSchema, EstablishmentListSchema, HealthTeamSchema,
                      MandateInSchema, MandateSchema, MemberChangeSchema, MemberCreateSchema,
                      MemberListArgsSchema, MemberSchema, SituationInSchema)
from .services import Actor, NotFound

blp = Blueprint("members_api", __name__, url_prefix="/api/members", description="Member companies")

# Company administrators change the record; billing users may also sign the SEPA mandate.
EDITORS = member_or_staff(member_roles=("admin",))
MANDATE_READERS = member_or_staff(member_roles=("admin", "billing"))


def visible_member(member_id: str) -> Member:
    """A company the caller may see: staff see all; another company's id answers 404 (no enumeration)."""
    principal = require_principal()
    member = views.get_member(member_id)
    if member is None or (not principal.is_staff and principal.member_id != member_id):
        abort(404, message="Member not found.")
    return member


def invalid(exc: FieldErrors) -> None:
    abort(422, message="Validation failed.", errors={"json": exc.errors})


def actor() -> Actor:
    return Actor.of(require_principal())


@blp.route("/members/current")
class CurrentMember(MethodView):
    @member_or_staff()
    @blp.response(200, MemberSchema)
    def get(self):
        """The record of the current member company"""
        principal = require_principal()
        member = views.get_member(principal.member_id) if principal.member_id else None
        if member is None:
            abort(404, message="No current member company.")
        return views.member_as_dict(member)


@blp.route("/members")
class Members(MethodView):
    @staff()
    @blp.arguments(MemberListArgsSchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    def get(self, args):
        """List member companies (staff)"""
        return [views.member_as_dict(m) for m in views.list_members(args.get("q"))]

    @staff("secretariat", "administration")
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberSchema)
    def post(self, data):
        """Register a member company (staff); publishes members.member.registered.v1"""
        try:
            member = services.register_member(portal(), Registration(**data), actor=actor())
        except RegistrationRejected as exc:
            invalid(exc)
        return views.member_as_dict(member)


@blp.route("/members/<string:member_id>")
class MemberById(MethodView):
    @member_or_staff()
    @blp.response(200, MemberSchema)
    def get(self, member_id):
        """One member company: staff, or a user of that company"""
        return views.member_as_dict(visible_member(member_id))

    @EDITORS
    @blp.arguments(MemberChangeSchema)
    @blp.response(200, ChangeRequestSchema(many=True))
    def patch(self, data, member_id):
        """Change the record: a change request per decision (pending for staff validation, or applied)"""
        visible_member(member_id)
        try:
            created = services.change_record(portal(), member_id, data, actor())
        except FieldErrors as exc:
            invalid(exc)
        return [views.request_as_dict(r) for r in created]


@blp.route("/members/<string:member_id>/change-requests")
class MemberChangeRequests(MethodView):
    @EDITORS
    @blp.response(200, ChangeRequestSchema(many=True))
    def get(self, member_id):
        """The company's audit trail: every change, who asked, who validated (administrators and staff)"""
        visible_member(member_id)
        return [views.request_as_dict(r) for r in views.requests_of(member_id)]


@blp.route("/change-requests")
class PendingChangeRequests(MethodView):
    @staff()
    @blp.response(200, ChangeRequestSchema(many=True))
    def get(self):
        """Staff's validation queue: every pending change request, oldest first"""
        return [views.request_as_dict(r) for r, _member in views.pending_requests()]


def decide(request_id: str, *, approve: bool, reason: str | None):
    try:
        request = services.decide(portal(), request_id, actor(), approve=approve, reason=reason)
    except NotFound:
        abort(404, message="Change request not found.")
    except DecisionRefused as exc:
        abort(exc.status, message=exc.message)
    except RecordConflict as exc:  # the SIRET or member number went to another company meanwhile
        abort(409, message="Conflict with another member company.", errors={"json": exc.errors})
    except FieldErrors as exc:
        invalid(exc)
    return views.request_as_dict(request)


@blp.route("/change-requests/<string:request_id>/approve")
@staff()  # class rule: answers OPTIONS, which a POST-only view has no method for
class ApproveChangeRequest(MethodView):
    @staff()
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    @blp.alt_response(409, description="Already decided, stale, or its SIRET / member number now belongs to another "
                                       "member company (errors.json names the field)")
    def post(self, data, request_id):
        """Approve (another staff member than the requester): the change applies once and its event is published"""
        return decide(request_id, approve=True, reason=data.get("reason"))


@blp.route("/change-requests/<string:request_id>/reject")
@staff()  # class rule: answers OPTIONS, which a POST-only view has no method for
class RejectChangeRequest(MethodView):
    @staff()
    @blp.arguments(DecisionSchema)
    @blp.response(200, ChangeRequestSchema)
    def post(self, data, request_id):
        """Reject with a reason the requester sees"""
        return decide(request_id, approve=False, reason=data.get("reason"))


def entry_routes(kind: str, path: str, model, in_schema, out_schema) -> None:
    """The same five operations for addresses and contacts, each change through a change request."""
    names = tuple(in_schema().fields)

    def as_dict(entry):
        return {"id": entry.id, **{name: getattr(entry, name) for name in names}}

    def change(member_id, action, *, target_id=None, data=None):
        visible_member(member_id)
        try:
            request = services.change_entry(portal(), member_id, kind, action, actor(), target_id=target_id,
                                            data=data)
        except NotFound:
            abort(404, message="Not found.")
        except FieldErrors as exc:
            invalid(exc)
        return views.request_as_dict(request)

    class Entries(MethodView):
        @member_or_staff()
        @blp.response(200, out_schema(many=True))
        def get(self, member_id):
            visible_member(member_id)
            entries = views.addresses_of(member_id) if model is Address else views.contacts_of(member_id)
            return [as_dict(e) for e in entries]

        @EDITORS
        @blp.arguments(in_schema)
        @blp.response(201, ChangeRequestSchema)
        def post(self, data, member_id):
            return change(member_id, "create", data=data)

    class Entry(MethodView):
        @member_or_staff()
        @blp.response(200, out_schema)
        def get(self, member_id, entry_id):
            visible_member(member_id)
            entry = views.entry_of(model, member_id, entry_id)
            if entry is None:
                abort(404, message="Not found.")
            return as_dict(entry)

        @EDITORS
        @blp.arguments(in_schema)
        @blp.response(200, ChangeRequestSchema)
        def put(self, data, member_id, entry_id):
            return change(member_id, "update", target_id=entry_id, data=data)

        @EDITORS
        @blp.response(200, ChangeRequestSchema)
        def delete(self, member_id, entry_id):
            return change(member_id, "delete", target_id=entry_id)

    for view in (Entries, Entry):
        for method in ("get", "post", "put", "delete"):
            if hasattr(view, method):
                getattr(view, method).__doc__ = f"{view.__name__} ({kind}): each change through a change request"
    blp.route(f"/members/<string:member_id>/{path}", endpoint=f"{kind}_list")(Entries)
    blp.route(f"/members/<string:member_id>/{path}/<string:entry_id>", endpoint=f"{kind}_one")(Entry)


entry_routes("address", "addresses", Address, AddressInSchema, AddressOutSchema)
entry_routes("contact", "contacts", Contact, ContactInSchema, ContactOutSchema)


@blp.route("/members/<string:member_id>/situation-changes")
@EDITORS  # class rule: answers OPTIONS, which a POST-only view has no method for
class SituationChanges(MethodView):
    @EDITORS
    @blp.arguments(SituationInSchema)
    @blp.response(201, ChangeRequestSchema)
    def post(self, data, member_id):
        """Declare a change of situation; staff process it, then members.situation.changed.v1 is published"""
        visible_member(member_id)
        try:
            request = services.declare_situation(portal(), member_id, data, actor())
        except FieldErrors as exc:
            invalid(exc)
        return views.request_as_dict(request)


@blp.route("/members/<string:member_id>/sepa-mandate")
class MemberMandate(MethodView):
    @MANDATE_READERS
    @blp.response(200, MandateSchema)
    def get(self, member_id):
        """The active (or pending) SEPA mandate, IBAN masked"""
        visible_member(member_id)
        mandate = views.current_mandate(member_id)
        if mandate is None:
            abort(404, message="No mandate.")
        return views.mandate_as_dict(mandate)

    @member("admin", "billing")
    @blp.arguments(MandateInSchema)
    @blp.response(201, MandateSchema)
    def post(self, data, member_id):
        """Sign a SEPA mandate (company users only); active once validated by staff"""
        visible_member(member_id)
        if not stepup.satisfied(portal().settings, require_principal()):
            abort(403, message="A recent re-authentication of a user of the company is required.")
        try:
            mandate = services.sign_mandate(portal(), member_id, data, actor())
        except FieldErrors as exc:
            invalid(exc)
        return views.mandate_as_dict(mandate)

    @MANDATE_READERS
    @blp.response(200, MandateSchema)
    def delete(self, member_id):
        """Revoke the active mandate; publishes members.sepa_mandate.revoked.v1"""
        visible_member(member_id)
        try:
            mandate = services.revoke_mandate(portal(), member_id, actor())
        except NotFound:
            abort(404, message="No active mandate.")
        return views.mandate_as_dict(mandate)


@blp.route("/members/<string:member_id>/documents")
class MemberDocuments(MethodView):
    @member_or_staff()
    @blp.response(200, DocumentSchema(many=True))
    def get(self, member_id):
        """The company's documents space: invoices, convocations, attestations (links to their owner) and
        the files it deposited"""
        visible_member(member_id)
        staff_view = require_principal().is_staff
        return [views.document_as_dict(d, staff_view=staff_view) for d in views.documents_of(member_id)]


@blp.route("/members/<string:member_id>/health-team")
class MemberHealthTeam(MethodView):
    @member_or_staff()
    @blp.response(200, HealthTeamSchema)
    def get(self, member_id):
        """The company's centre, médecin, secrétaire, préventeur, infirmier (IDEST) and the service's mailboxes"""
        visible_member(member_id)
        return views.health_team(member_id)


@blp.route("/centres")
class Centres(MethodView):
    @staff()
    @blp.response(200, CentreSchema(many=True))
    def get(self):
        """The service's centres (staff)"""
        return [views.centre_as_dict(c) for c in views.centres()]


@blp.route("/establishments")
class Establishments(MethodView):
    @member()
    @blp.response(200, EstablishmentListSchema)
    def get(self):
        """The current company, its establishments (same SIREN) and the companies the user is linked to
        (an accounting firm's clients), each saying whether the user can switch to it"""
        principal = require_principal()
        current = views.get_member(principal.member_id)
        if current is None:
            abort(404, message="No current member company.")
        links = identity_links.member_links(portal(), principal.user_id)
        linked = views.members_by_id([link["member_id"] for link in links or []])
        rows = establishment_rows(current, views.same_siren(current), linked, links)
        return {"complete": links is not None, "items": [vars(row) for row in rows]}
