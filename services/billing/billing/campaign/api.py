"""JSON API of a campaign's progress (/api/billing/campaigns/<year>/progress)."""

from __future__ import annotations

from flask.views import MethodView

from portal_common.access import staff
from portal_common.api import Blueprint
from portal_common.roles import EVERY_STAFF_ROLE

from .queries import campaign_progress
from .schemas import CampaignProgressSchema

blp = Blueprint("billing_campaign_api", __name__, url_prefix="/api/billing", description="Declaration campaigns")


@blp.route("/campaigns/<int(min=2000, max=2100):year>/progress")
class CampaignProgress(MethodView):
    @staff(*EVERY_STAFF_ROLE)
    @blp.response(200, CampaignProgressSchema)
    def get(self, year):
        """Live counts of a year's declaration campaign: received, invoiced, pending, estimated (staff)"""
        return campaign_progress(year)
