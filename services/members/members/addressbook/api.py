"""JSON API of a company's addresses and contacts: each change through a change request."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff
from portal_common.api import expected_version, version_etag
from portal_common.roles import EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE
from portal_common.service import portal

from ..models import Address, Contact
from ..record import queries as record_queries
from ..record.rules import ChangeAction, ChangeKind, NotFound, StaleVersion
from ..record.schemas import ChangeRequestSchema
from ..web import EDITORS, actor, blp, visible_member
from . import queries
from .schemas import AddressInSchema, AddressOutSchema, ContactInSchema, ContactOutSchema
from .use_cases import change_entry

ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "The entry's version, for If-Match"}}
IF_MATCH_REQUIRED = "En-tête If-Match obligatoire : renvoyez l'ETag de l'adresse ou du contact que vous avez lu."
STALE = "Cette adresse ou ce contact a été modifié depuis que vous l'avez lu : relisez-le avant de le changer."


def entry_routes(kind: ChangeKind, path: str, model, in_schema, out_schema) -> None:
    """The same five operations for addresses and contacts, each change through a change request."""
    names = tuple(in_schema().fields)

    def as_dict(entry):
        return {"id": entry.id, "version": entry.version, **{name: getattr(entry, name) for name in names}}

    def change(member_id, action, *, target_id=None, data=None):
        visible_member(member_id)
        expected = None
        if action != ChangeAction.CREATE:
            if queries.entry_of(model, member_id, target_id) is None:  # another company's id: not found, first
                abort(404, message="Adresse ou contact introuvable : il a peut-être déjà été supprimé.")
            expected = expected_version(required=IF_MATCH_REQUIRED, stale=STALE)
        try:
            request = change_entry(
                portal(), member_id, kind, action, actor(), target_id=target_id, data=data, expected_version=expected
            )
        except NotFound:
            abort(404, message="Adresse ou contact introuvable : il a peut-être déjà été supprimé.")
        except StaleVersion:
            abort(412, message=STALE)
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
        @blp.response(200, out_schema, headers=ETAG_HEADERS)
        def get(self, member_id, entry_id):
            visible_member(member_id)
            entry = queries.entry_of(model, member_id, entry_id)
            if entry is None:
                abort(404, message="Adresse ou contact introuvable : il a peut-être déjà été supprimé.")
            return as_dict(entry), 200, {"ETag": version_etag(entry.version)}

        @EDITORS
        @blp.arguments(in_schema)
        @blp.response(200, ChangeRequestSchema)
        @blp.alt_response(412, description="The entry changed since it was read (If-Match stale)")
        @blp.alt_response(428, description="If-Match missing")
        def put(self, data, member_id, entry_id):
            return change(member_id, ChangeAction.UPDATE, target_id=entry_id, data=data)

        @EDITORS
        @blp.response(200, ChangeRequestSchema)
        @blp.alt_response(412, description="The entry changed since it was read (If-Match stale)")
        @blp.alt_response(428, description="If-Match missing")
        def delete(self, member_id, entry_id):
            return change(member_id, ChangeAction.DELETE, target_id=entry_id)

    for view in (Entries, Entry):
        for method in ("get", "post", "put", "delete"):
            if hasattr(view, method):
                getattr(view, method).__doc__ = (
                    f"{view.__name__} ({kind}): each change through a change request; PUT and DELETE need If-Match "
                    "with the ETag read"
                )
    blp.route(f"/members/<string:member_id>/{path}", endpoint=f"{kind}_list")(Entries)
    blp.route(f"/members/<string:member_id>/{path}/<string:entry_id>", endpoint=f"{kind}_one")(Entry)


entry_routes(ChangeKind.ADDRESS, "addresses", Address, AddressInSchema, AddressOutSchema)
entry_routes(ChangeKind.CONTACT, "contacts", Contact, ContactInSchema, ContactOutSchema)
