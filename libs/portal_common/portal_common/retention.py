"""Keep no row longer than it serves: published events, inbox entries, sent e-mails, kept answers, spent tokens.

Each service's worker purges its own database while it is idle (docs/architecture.md, « Retention »): rows older
than their rule's period go in small batches, one short transaction each, within a time budget per round, so the
hot path (the January rush's batches) never waits behind a purge. What each rule keeps and why:

- outbox rows once published: the event is in the broker; pending rows are never touched;
- inbox rows: they deduplicate redeliveries, so they are kept far longer than any message waits in the broker
  (retries take minutes; dead letters are replayed within days). An event older than the inbox window is no
  longer deduplicated by the inbox: the consumer applies it only if its handler is idempotent by a natural key
  (`Subscription.replay_safe`), otherwise it dead-letters it for an operator (messaging/consumer.py);
- mail_outbox rows once sent (their bodies hold names); unsent ones stay until delivered;
- idempotency answers after the 24 hours they are promised for;
- service rules (identity's spent sign-in codes, captcha nonces and links), registered in `Portal.retention`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, and_, delete, select, true, tuple_

from .clock import utcnow
from .db import Database
from .idempotency import KEEP_FOR
from .idempotency import TABLE as IDEMPOTENCY_TABLE

log = logging.getLogger("portal.retention")

BATCH = 500


@dataclass(frozen=True)
class RetentionRule:
    """Rows of `table` whose `column` is older than `period` (and that match `only`) may be deleted."""

    table: Table
    column: str
    period: timedelta
    only: Any = None  # an extra SQL condition: e.g. « sent », « not referenced by an invitation »

    def condition(self, now: Any) -> ColumnElement[bool]:
        old = self.table.c[self.column] < now - self.period
        return and_(old, self.only if self.only is not None else true())


@dataclass(frozen=True)
class RetentionPeriods:
    outbox: timedelta = timedelta(days=7)
    inbox: timedelta = timedelta(days=30)
    mail: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionPeriods:
        return cls(
            outbox=timedelta(days=settings.retention_outbox_days),
            inbox=timedelta(days=settings.retention_inbox_days),
            mail=timedelta(days=settings.retention_mail_days),
        )


def standard_rules(metadata: MetaData, periods: RetentionPeriods) -> list[RetentionRule]:
    """The rules for the shared tables a service's metadata declares."""
    tables = metadata.tables
    rules = []
    if "outbox" in tables:
        outbox = tables["outbox"]
        rules.append(RetentionRule(outbox, "published_at", periods.outbox, outbox.c.published_at.is_not(None)))
    if "inbox" in tables:
        rules.append(RetentionRule(tables["inbox"], "processed_at", periods.inbox))
    if "mail_outbox" in tables:
        mail = tables["mail_outbox"]
        rules.append(RetentionRule(mail, "sent_at", periods.mail, mail.c.sent_at.is_not(None)))
    if IDEMPOTENCY_TABLE in tables:
        # A margin past the promised 24 hours: a retry at 23:59 still finds its answer.
        rules.append(RetentionRule(tables[IDEMPOTENCY_TABLE], "created_at", KEEP_FOR + timedelta(hours=1)))
    return rules


def purge_rule(db: Database, rule: RetentionRule, *, batch: int = BATCH, deadline: float | None = None) -> int:
    """Delete the rule's old rows by batches of primary keys; stops at `deadline` (a monotonic time)."""
    table = rule.table
    keys = list(table.primary_key.columns)
    purged = 0
    while deadline is None or time.monotonic() < deadline:
        with db.session_factory() as session:
            found = session.execute(select(*keys).where(rule.condition(utcnow())).limit(batch)).all()
            if not found:
                break
            if len(keys) == 1:
                session.execute(delete(table).where(keys[0].in_([row[0] for row in found])))
            else:
                session.execute(delete(table).where(tuple_(*keys).in_([tuple(row) for row in found])))
            session.commit()
        purged += len(found)
        if len(found) < batch:
            break
    return purged


def purge(db: Database, rules: Iterable[RetentionRule], *, budget_seconds: float | None = None) -> dict[str, int]:
    """One round over every rule; returns what each table lost. Logs counts only, never a row."""
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    counts = {}
    for rule in rules:
        counts[rule.table.name] = purge_rule(db, rule, deadline=deadline)
    if any(counts.values()):
        log.info("retention purge", extra={"purged": {name: n for name, n in counts.items() if n}})
    return counts


class Purger:
    """Runs a purge round at most every `interval` seconds, from a worker's idle moments."""

    def __init__(
        self, db: Database, rules: Sequence[RetentionRule], *, interval: float = 600.0, budget_seconds: float = 1.0
    ) -> None:
        self.db, self.rules = db, list(rules)
        self.interval, self.budget_seconds = interval, budget_seconds
        self._next = time.monotonic() + min(interval, 30.0)  # not in the middle of a start-up backlog

    def maybe_run(self) -> dict[str, int] | None:
        if not self.rules or time.monotonic() < self._next:
            return None
        self._next = time.monotonic() + self.interval
        try:
            return purge(self.db, self.rules, budget_seconds=self.budget_seconds)
        except Exception as exc:  # a purge never stops the worker: it tries again next round
            log.warning("retention purge failed", extra={"error": type(exc).__name__})
            return None
