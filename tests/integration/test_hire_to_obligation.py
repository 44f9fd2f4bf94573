"""A hire made in workforce becomes the right visit obligation in scheduling, through the real broker."""

from __future__ import annotations

import pytest

from portal_common.testing import make_principal

from ..conftest import consumer_for, relay_for
from .test_event_delivery import register, wait_until

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
NIGHT_WORKER = {
    "last_name": "Nuit",
    "first_names": "Paul",
    "sex": "M",
    "birth_date": "1990-04-02",
    "nir": "190047511800129",
    "hire_date": "2026-10-01",
    "contract": "CDI",
    "post": "Boulanger de nuit",
    "determinants": ["travail_nuit"],
    "birth_commune": "75118",
}
DAY_WORKER = dict(
    NIGHT_WORKER, last_name="Jour", first_names="Anne", sex="F", nir="290047511800176", post="Vendeuse", determinants=[]
)


def obligations(scheduling, employee_id: str) -> list[dict]:
    response = scheduling.client().get(
        f"/api/scheduling/obligations?employee_id={employee_id}", headers=scheduling.headers(SECRETARY)
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_night_worker_hired_in_workforce_is_due_a_visit_before_the_post_in_scheduling(clean_services, running):
    members, workforce, scheduling = (clean_services[name] for name in ("members", "workforce", "scheduling"))
    consumer = consumer_for(scheduling)
    running.start(consumer, app=scheduling.app)
    assert consumer.ready.wait(30), "consumer did not connect"
    running.start(relay_for(members))
    running.start(relay_for(workforce))
    member_id = register(members, "73282932000074", "Boulangerie de nuit")["id"]
    employer = workforce.headers(make_principal(member_id=member_id, roles=("admin",)))
    hired = {}
    for person in (NIGHT_WORKER, DAY_WORKER):
        response = workforce.client().post("/api/workforce/employees", headers=employer, json=person)
        assert response.status_code == 201, response.json
        hired[person["last_name"]] = response.json["id"]
    wait_until(lambda: all(obligations(scheduling, e) for e in hired.values()))
    night = {o["rule"]: o for o in obligations(scheduling, hired["Nuit"])}
    day = {o["rule"]: o for o in obligations(scheduling, hired["Jour"])}
    assert "vip_avant_affectation" in night and night["vip_avant_affectation"]["due_on"] == "2026-10-01"
    assert night["vip_avant_affectation"]["before_post"] is True
    assert "vip_initiale" not in night
    assert "vip_initiale" in day and "vip_avant_affectation" not in day
