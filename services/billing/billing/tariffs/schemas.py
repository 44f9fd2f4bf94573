"""API schemas of tariffs (amounts as strings with exact cents, rates as fractions)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields

from ..invoices.schemas import money_field, rate_field


class TariffSchema(Schema):
    """A year's fees: amounts HT in euros, rates as fractions (0.0150 = 1,5 %)."""

    year = fields.Integer(required=True, metadata={"example": 2026})
    per_capita_fee = money_field(required=True, metadata={"example": "110.00"})
    national_average_cost = money_field(required=True, metadata={"example": "116.00"})
    legal_band_min = money_field(required=True, metadata={"description": "80 % of the national average cost"})
    legal_band_max = money_field(required=True, metadata={"description": "120 % of the national average cost"})
    entry_fee = money_field(required=True)
    minimum_fee = money_field(required=True)
    late_hire_fee = money_field(required=True)
    no_show_fee = money_field(required=True)
    sepa_discount_rate = rate_field(required=True, metadata={"example": "0.0150"})
    vat_rate = rate_field(required=True, metadata={"example": "0.2000"})
    multi_employer_share = rate_field(required=True, metadata={"example": "0.5000"})
    estimate_uplift_rate = rate_field(required=True, metadata={"example": "0.1000"})
    updated_at = fields.DateTime(required=True)
    updated_by = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Its ETag, for If-Match"})


class TariffInputSchema(Schema):
    """What staff set for a year (the year is in the path; the national cost defaults to the published one)."""

    per_capita_fee = fields.Decimal(required=True)
    national_average_cost = fields.Decimal(load_default=None, allow_none=True)
    entry_fee = fields.Decimal(required=True)
    minimum_fee = fields.Decimal(required=True)
    late_hire_fee = fields.Decimal(required=True)
    no_show_fee = fields.Decimal(required=True)
    sepa_discount_rate = fields.Decimal(load_default=Decimal("0.015"))
    vat_rate = fields.Decimal(load_default=Decimal("0.20"))
    multi_employer_share = fields.Decimal(load_default=Decimal("0.50"))
    estimate_uplift_rate = fields.Decimal(load_default=Decimal("0.10"))
