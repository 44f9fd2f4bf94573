"""JSON API of the obligations (/api/scheduling/obligations)."""

from __future__ import annotations

from datetime import timedelta

from flask.views import MethodView

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint
from portal_common.clock import today
from portal_common.roles import EMPLOYEE_READERS, EVERY_STAFF_ROLE

from .. import web
from .queries import list_obligations, obligation_as_dict, planned_visits
from .schemas import ObligationListArgsSchema, ObligationSchema

blp = Blueprint("scheduling_obligations_api", __name__, url_prefix="/api/scheduling", description="Visits due")


@blp.route("/obligations")
class Obligations(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(ObligationListArgsSchema, location="query")
    @blp.response(200, ObligationSchema(many=True))
    def get(self, args):
        """Visits due for the company's employees, soonest first (staff: of `member_id`, or all)"""
        principal = require_principal()
        day = today()
        within = args["within_days"]
        rows = list_obligations(
            member_id=web.scope(principal, args["member_id"]),
            due_before=day + timedelta(days=within) if within is not None else None,
            employee_id=args["employee_id"],
        )
        planned = planned_visits(o.employee_id for o, _ in rows)
        return [obligation_as_dict(o, e, today=day, planned=planned) for o, e in rows]
