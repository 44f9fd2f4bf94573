"""A DSN imported in workforce becomes hires, exits and visit obligations in scheduling, through the real
broker: the member's SIRET reaches workforce from the members service, the DSN is read and applied by the
workforce worker's step, and scheduling receives the same events as for manual hires."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bench.dsn_factory import dsn_bytes, people
from portal_common.testing import make_principal
from workforce.imports.use_cases import process_pending
from workforce.models import MemberDirectoryEntry

from ..conftest import consumer_for, relay_for
from .test_event_delivery import register, wait_until
from .test_hire_to_obligation import obligations

pytestmark = pytest.mark.integration

SIRET = "73282932000074"


def test_a_dsn_import_hires_and_exits_employees_whose_visits_scheduling_then_follows(clean_services, running):
    members, workforce, scheduling = (clean_services[name] for name in ("members", "workforce", "scheduling"))
    for consumer in (consumer_for(scheduling), consumer_for(workforce)):
        running.start(consumer, app=scheduling.app if consumer.service == "scheduling" else workforce.app)
        assert consumer.ready.wait(30), "consumer did not connect"
    running.start(relay_for(members))
    running.start(relay_for(workforce))
    member_id = register(members, SIRET, "Boulangerie Martin")["id"]

    def directory_siret() -> str | None:
        with workforce.portal.db.session_factory() as session:
            entry = session.get(MemberDirectoryEntry, member_id)
            return entry.siret if entry else None

    wait_until(lambda: directory_siret() == SIRET)
    staff = people(3, hired_before=date(2026, 3, 1))
    staff[2].end, staff[2].end_reason = date(2026, 3, 31), "031"
    token = make_principal(member_id=member_id, roles=("admin",), session_ref="token:payroll")
    client, headers = workforce.client(), workforce.headers(token)
    sent = client.post(
        "/api/workforce/dsn-imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"files": [(io.BytesIO(dsn_bytes(SIRET[:9], SIRET[9:], date(2026, 3, 1), staff)), "mars.dsn")]},
    )
    assert sent.status_code == 202, sent.json
    import_id = sent.json["id"]
    with workforce.app.app_context():
        while process_pending(workforce.portal):
            pass
    assert client.post(f"/api/workforce/dsn-imports/{import_id}/apply", headers=headers).status_code == 202
    with workforce.app.app_context():
        while process_pending(workforce.portal):
            pass
    assert client.get(f"/api/workforce/dsn-imports/{import_id}", headers=headers).json["status"] == "done"
    listed = client.get("/api/workforce/employees?status=all", headers=headers).json
    ids = {e["first_names"]: e["id"] for e in listed}
    assert len(ids) == 3
    present = [ids[p.first_names] for p in staff[:2]]
    wait_until(lambda: all(obligations(scheduling, e) for e in present))
    for employee_id in present:
        assert "vip_initiale" in {o["rule"] for o in obligations(scheduling, employee_id)}
