"""JSON API of a company's addresses and contacts: each change through a change request."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE
from portal_common.service import portal

from ..models import Address, Contact
from ..record import queries as record_queries
from ..record.rules import ChangeAction, ChangeKind, NotFound
from ..record.schemas import ChangeRequestSchema
from ..web import EDITORS, actor, blp, visible_member
from . import queries
from .schemas import AddressInSchema, AddressOutSchema, ContactInSchema, ContactOutSchema
from .use_cases import change_entry


def entry_routes(kind: ChangeKind, path: str, model, in_schema, out_schema) -> None:
    """The same five operations for addresses and contacts, each change through a change request."""
    names = tuple(in_schema().fields)

    def as_dict(entry):
        return {"id": entry.id, **{name: getattr(entry, name) for name in names}}

    def change(member_id, action, *, target_id=None, data=None):
        visible_member(member_id)
        try:
            request = change_entry(portal(), member_id, kind, action, actor(), target_id=target_id, data=data)
        except NotFound:
            abort(404, message="Not found.")
        return record_queries.request_as_dict(request)

    class Entries(MethodView):
        @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
        @blp.response(200, out_schema(many=True))
        def get(self, member_id):
            visible_member(member_id)
            entries = queries.addresses_of(member_id) if model is Address else queries.contacts_of(member_id)
            return [as_dict(e) for e in entries]

        @EDITORS
        @blp.arguments(in_schema)
        @blp.response(201, ChangeRequestSchema)
        def post(self, data, member_id):
            return change(member_id, ChangeAction.CREATE, data=data)

    class Entry(MethodView):
        @member_or_staff(EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE)
        @blp.response(200, out_schema)
        def get(self, member_id, entry_id):
            visible_member(member_id)
            entry = queries.entry_of(model, member_id, entry_id)
            if entry is None:
                abort(404, message="Not found.")
            return as_dict(entry)

        @EDITORS
        @blp.arguments(in_schema)
        @blp.response(200, ChangeRequestSchema)
        def put(self, data, member_id, entry_id):
            return change(member_id, ChangeAction.UPDATE, target_id=entry_id, data=data)

        @EDITORS
        @blp.response(200, ChangeRequestSchema)
        def delete(self, member_id, entry_id):
            return change(member_id, ChangeAction.DELETE, target_id=entry_id)

    for view in (Entries, Entry):
        for method in ("get", "post", "put", "delete"):
            if hasattr(view, method):
                getattr(view, method).__doc__ = f"{view.__name__} ({kind}): each change through a change request"
    blp.route(f"/members/<string:member_id>/{path}", endpoint=f"{kind}_list")(Entries)
    blp.route(f"/members/<string:member_id>/{path}/<string:entry_id>", endpoint=f"{kind}_one")(Entry)


entry_routes(ChangeKind.ADDRESS, "addresses", Address, AddressInSchema, AddressOutSchema)
entry_routes(ChangeKind.CONTACT, "contacts", Contact, ContactInSchema, ContactOutSchema)
