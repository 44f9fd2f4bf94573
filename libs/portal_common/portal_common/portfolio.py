"""The accounting firm's portfolio: one table of its client companies, each service giving its own columns.

Identity knows a user's client companies (their member links) and serves the page. Every other service answers
one internal batch read, `POST /internal/portfolio` with `{"member_ids": [...]}`, from its own tables in one
round of queries whatever the number of clients, and returns `{"rows": {member_id: {column: value}}}` for the
companies it knows. A batch read rather than a server-side include per service: the table is sorted, filtered
and exported as CSV across every service's columns, which only works once the columns sit together
(docs/architecture.md « Portfolio of an accounting firm »). Pure: no Flask here.
"""

from __future__ import annotations

from typing import Any

PORTFOLIO_PATH = "/internal/portfolio"
# A firm with more clients than this is not a firm but a batch job: refused, not walked.
MAX_CLIENTS = 2_000


def client_ids(body: Any) -> list[str] | None:
    """The member ids of a batch read's body, or None when the body is not one (the route answers 400)."""
    ids = body.get("member_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or len(ids) > MAX_CLIENTS:
        return None
    if not all(isinstance(member_id, str) and 0 < len(member_id) <= 36 for member_id in ids):
        return None
    return list(dict.fromkeys(ids))
