"""JSON API of a member's account (/api/billing/members/<member_id>/account): the ledger's figures."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.roles import EVERY_STAFF_ROLE, INVOICE_READERS

from .queries import account_of, entries_of
from .schemas import AccountWithEntriesSchema

blp = Blueprint("billing_ledger_api", __name__, url_prefix="/api/billing", description="Member accounts")


@blp.route("/members/<string:member_id>/account")
class MemberAccount(MethodView):
    @member_or_staff(member_roles=INVOICE_READERS, staff_roles=EVERY_STAFF_ROLE)
    @blp.response(200, AccountWithEntriesSchema)
    def get(self, member_id):
        """The company's account: balance, dues, credit held and every ledger entry (staff, or its own users)"""
        principal = require_principal()
        if not principal.is_staff and principal.member_id != member_id:
            abort(404, message="Compte introuvable.")  # another company's looks like a missing one
        held = account_of(member_id)
        return {
            "member_id": member_id,
            "balance": held.balance,
            "due": held.due,
            "credit": held.credit,
            "pending": held.pending,
            "label": held.label,
            "entries": entries_of(member_id),
        }
