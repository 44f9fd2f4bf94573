"""The accounting firm's portfolio: members' columns for the firm's client companies, one batch read
(portal_common.portfolio; identity asks, never the gateway)."""

from __future__ import annotations

from portal_common.web.portfolio import columns_blueprint

from . import queries

internal = columns_blueprint("members", queries.portfolio_columns)
