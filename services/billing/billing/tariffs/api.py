"""JSON API of tariffs (/api/billing/tariffs)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import require_principal, staff
from portal_common.api import Blueprint, expected_version, version_etag
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE
from portal_common.service import portal

from . import queries
from .rules import StaleTariff, Tariff
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


ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "The tariff's version, for If-Match"}}
IF_MATCH_REQUIRED = "En-tête If-Match obligatoire : ce tarif existe, renvoyez l'ETag du tarif que vous avez lu."
STALE = "Le tarif de cette année a été modifié depuis que vous l'avez lu : relisez-le avant de le remplacer."


@blp.route("/tariffs/<int(min=2000, max=2100):year>")
class TariffByYear(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, TariffSchema, headers=ETAG_HEADERS)
    def get(self, year):
        """The tariff of one year (staff); its ETag is its version"""
        row = queries.get_tariff(year)
        if row is None:
            abort(404, message="Aucun tarif n'est enregistré pour cette année.")
        return queries.tariff_as_dict(row), 200, {"ETag": version_etag(row.version)}

    @staff(*BILLING_STAFF)
    @blp.arguments(TariffInputSchema)
    @blp.response(200, TariffSchema, headers=ETAG_HEADERS)
    @blp.alt_response(412, description="The tariff changed since it was read (If-Match stale)")
    @blp.alt_response(428, description="If-Match missing while the year's tariff exists")
    def put(self, data, year):
        """Create or replace a year's tariff; replacing needs If-Match with the ETag read (a creation needs
        none); a per-capita fee outside the legal band is refused (422)"""
        if request.headers.get("If-Match") or queries.get_tariff(year) is not None:
            expected = expected_version(required=IF_MATCH_REQUIRED, stale=STALE)
        else:
            expected = 0  # a creation: refused if the year got its tariff meanwhile
        try:
            save_tariff(portal(), Tariff(year=year, **data), by=require_principal().user_id, expected_version=expected)
        except StaleTariff:
            abort(412, message=STALE)
        row = queries.get_tariff(year)
        return queries.tariff_as_dict(row), 200, {"ETag": version_etag(row.version)}
