"""JSON API of tariffs (/api/billing/tariffs)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import require_principal, staff
from portal_common.api import Blueprint
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE
from portal_common.service import portal

from . import queries
from .rules import Tariff
from .schemas import TariffInputSchema, TariffSchema
from .use_cases import save_tariff

blp = Blueprint("billing_tariffs_api", __name__, url_prefix="/api/billing", description="Yearly tariffs")


@blp.route("/tariffs")
class Tariffs(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, TariffSchema(many=True))
    def get(self):
        """Every configured year's tariff, newest first (staff)"""
        return [queries.tariff_as_dict(row) for row in queries.list_tariffs()]


@blp.route("/tariffs/<int(min=2000, max=2100):year>")
class TariffByYear(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, TariffSchema)
    def get(self, year):
        """The tariff of one year (staff)"""
        row = queries.get_tariff(year)
        if row is None:
            abort(404, message="No tariff for this year.")
        return queries.tariff_as_dict(row)

    @staff(*BILLING_STAFF)
    @blp.arguments(TariffInputSchema)
    @blp.response(200, TariffSchema)
    def put(self, data, year):
        """Create or replace a year's tariff; a per-capita fee outside the legal band is refused (422)"""
        save_tariff(portal(), Tariff(year=year, **data), by=require_principal().user_id)
        return queries.tariff_as_dict(queries.get_tariff(year))
