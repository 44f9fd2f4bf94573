"""JSON API of the company's SEPA mandate (the IBAN masked)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member, require_principal
from portal_common.roles import INVOICE_PAYERS
from portal_common.service import portal

from ..record.rules import NotFound
from ..web import MANDATE_READERS, actor, blp, visible_member
from . import queries, stepup
from .schemas import MandateInSchema, MandateSchema
from .use_cases import revoke_mandate, sign_mandate


@blp.route("/members/<string:member_id>/sepa-mandate")
class MemberMandate(MethodView):
    @MANDATE_READERS
    @blp.response(200, MandateSchema)
    def get(self, member_id):
        """The active (or pending) SEPA mandate, IBAN masked"""
        visible_member(member_id)
        mandate = queries.current_mandate(member_id)
        if mandate is None:
            abort(404, message="Aucun mandat SEPA pour cet adhérent.")
        return queries.mandate_as_dict(mandate)

    @member(*INVOICE_PAYERS)
    @blp.arguments(MandateInSchema)
    @blp.response(201, MandateSchema)
    def post(self, data, member_id):
        """Sign a SEPA mandate (company users only); active once validated by staff"""
        visible_member(member_id)
        if not stepup.satisfied(portal().settings, require_principal()):
            abort(
                403,
                message="Confirmez d'abord votre identité (mot de passe ou code) : la signature d'un mandat SEPA l'exige.",
            )
        mandate = sign_mandate(portal(), member_id, data, actor())
        return queries.mandate_as_dict(mandate)

    @MANDATE_READERS
    @blp.response(200, MandateSchema)
    def delete(self, member_id):
        """Revoke the active mandate; publishes members.sepa_mandate.revoked.v1"""
        visible_member(member_id)
        try:
            mandate = revoke_mandate(portal(), member_id, actor())
        except NotFound:
            abort(404, message="Aucun mandat actif : il a peut-être déjà été révoqué.")
        return queries.mandate_as_dict(mandate)
