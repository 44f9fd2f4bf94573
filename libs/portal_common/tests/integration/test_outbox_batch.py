"""Recording many events at once (an import): the same rows as one by one, all checked before any insert."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, func, select

from portal_common.db import Database, UnitOfWork
from portal_common.messaging import catalogue
from portal_common.messaging.envelope import Envelope
from portal_common.messaging.outbox import Outbox

pytestmark = pytest.mark.integration

EVENT = "members.member.registered.v1"


@pytest.fixture(scope="module")
def parts(portal_env):
    db = Database(portal_env.database_url("outbox_batch"))
    metadata = MetaData()
    outbox = Outbox("members", metadata)
    metadata.create_all(db.engine)
    yield db, outbox
    db.dispose()


def count(db, outbox) -> int:
    with db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(outbox.table))


def test_many_events_recorded_in_one_call_are_stored_like_single_ones_and_commit_together(parts):
    db, outbox = parts
    before = count(db, outbox)
    items = []
    for index in range(1500):  # more than one insert batch
        data = catalogue.example(EVENT)
        data["name"] = f"Entreprise {index}"
        items.append((data["member_id"], data["member_id"], data))
    with UnitOfWork(db, outbox) as tx:
        envelopes = tx.record_many(EVENT, items)
        assert tx.recorded == envelopes and len(envelopes) == 1500
        tx.commit()
    with db.session_factory() as session:
        stored = {
            row.id: row
            for row in session.execute(select(outbox.table).where(outbox.table.c.id.in_([e.id for e in envelopes])))
        }
    assert len(stored) == 1500 and count(db, outbox) == before + 1500
    first = Envelope.from_json(stored[envelopes[0].id].body)
    catalogue.validate(first)
    assert (first.type, first.producer, first.data["name"]) == (EVENT, "members", "Entreprise 0")
    assert {row.attempts for row in stored.values()} == {0}


def test_one_invalid_event_among_many_records_none_of_them(parts):
    db, outbox = parts
    before = count(db, outbox)
    good = catalogue.example(EVENT)
    with UnitOfWork(db, outbox) as tx:
        with pytest.raises(catalogue.CatalogueError):
            tx.record_many(
                EVENT,
                [
                    (good["member_id"], good["member_id"], good),
                    (good["member_id"], good["member_id"], {"member_id": good["member_id"]}),
                ],
            )
        tx.commit()
    assert count(db, outbox) == before
    with UnitOfWork(db, outbox) as tx:
        assert tx.record_many(EVENT, []) == []
