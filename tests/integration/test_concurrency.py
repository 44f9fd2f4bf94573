"""Two clicks at once: each write keeps its invariant when identical or conflicting requests arrive together, on
PostgreSQL and on the embedded SQLite default (docs/architecture.md, "Concurrency and retries").

Every request of a burst waits at one barrier, then all go to the service at once from their own threads (each
thread has its own client, session and database connection, as gunicorn's threads do). The checks are the
invariant of the route: exactly the allowed effects, the others refused with 409/412/422 and a French message,
no 5xx, one event per effect in the outbox. Each test prints the route (or the pair) it fired.
"""

from __future__ import annotations

import html
import importlib
import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal_common import clock as portal_clock
from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.migrations import upgrade
from portal_common.testing import make_principal
from portal_common.testing.environment import ServiceUnderTest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("postgresql", "sqlite")
BURST = 6

SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Agnès Secrétaire")
SECOND_SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Bruno Secrétaire")
THIRD_SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Chloé Secrétaire")
CAMPAIGN_STAFF = make_principal(staff_roles=("administration",))
COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
EMPLOYER = make_principal(member_id=COMPANY, roles=("admin",))
DUPONT = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"
BERNARD = "1c6f9a1b-4d2e-4b9f-a2c3-7e8d9f0a1b23"
HIRE = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1985-08-14",
    "nir": "285081416802523",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_country": "Maroc",
}
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}
FRENCH = ("é", "è", "à", "ç", "ê", "û", "ô", " : ", "déjà", "Cette", "Ce ", "Un ", "Une ")


def _service(portal_env, name: str, url: str) -> ServiceUnderTest:
    upgrade(ROOT / "services" / name, url)
    app = importlib.import_module(f"{name}.app").create_app(environ=portal_env.environ(name, url))
    app.config["TESTING"] = True
    return ServiceUnderTest(name=name, app=app, database_url=url)


@pytest.fixture(scope="module", params=ENGINES)
def stack(request, portal_env, tmp_path_factory):
    """members, workforce and scheduling migrated on PostgreSQL, or on SQLite files as `make run` keeps them."""
    engine = request.param
    folder = tmp_path_factory.mktemp("sqlite") if engine == "sqlite" else None
    built = {}
    for name in ("members", "workforce", "scheduling"):
        url = f"sqlite:///{folder}/{name}.db" if folder else portal_env.database_url(f"concurrency_{name}")
        built[name] = _service(portal_env, name, url)
    yield engine, built
    for service in built.values():
        service.portal.db.dispose()


@pytest.fixture
def services(stack):
    engine, built = stack
    yield built
    for service in built.values():
        service.truncate()


@pytest.fixture
def engine(stack):
    return stack[0]


def at_once(calls) -> list:
    """Runs every call in its own thread, all released together; answers (status, json) in call order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            response = call()
            answers[index] = (response.status_code, response.get_json(silent=True))
        except Exception as exc:  # an exception escaping the app is a failure of the invariant
            answers[index] = (599, {"exception": repr(exc)})

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def covered(engine: str, route: str, answers: list) -> None:
    statuses = Counter(status for status, _ in answers)
    print(f"[concurrency {engine}] {route}: " + ", ".join(f"{n}×{s}" for s, n in sorted(statuses.items())))


def assert_french_refusal(body: dict, status: int, reason: str | None = None) -> None:
    assert body["code"] == status and body["reason"], body
    if reason is not None:
        assert body["reason"] == reason, body
    texts = [body.get("message") or ""]
    for messages in (body.get("errors") or {}).values():
        texts.extend(str(m) for m in (messages.values() if isinstance(messages, dict) else [messages]))
    assert any(marker in text for text in texts for marker in FRENCH), body


def events_of(service, event_type: str) -> list:
    return [e for e in service.events() if e.type == event_type]


def deliver(service, event_type: str, **data) -> None:
    """An event from the catalogue's example (data overridden), handled as the service's worker does."""
    settings = service.portal.settings
    subscriptions = importlib.import_module(f"{service.name}.worker").subscriptions(settings)
    consumer = Consumer(
        service=service.name,
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions,
    )
    queue = next(s.queue for s in subscriptions if event_type in s.handlers)
    with service.app.app_context():
        assert consumer.process(queue, catalogue.example_envelope(event_type, **data)) is True


# --- workforce -----------------------------------------------------------------------------------------------


def test_six_identical_hires_at_once_make_one_employee_and_answer_the_others_409_naming_it(services, engine):
    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    answers = at_once([lambda: workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers)] * BURST)
    covered(engine, f"{BURST}× POST /api/workforce/employees (same NIR)", answers)
    assert sorted(status for status, _ in answers) == [201] + [409] * (BURST - 1), answers
    [created] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "employee_already_present")
            assert body["existing_id"] == created["id"]
    listed = workforce.client().get("/api/workforce/employees", headers=headers).json
    assert [e["id"] for e in listed] == [created["id"]]
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 1


def test_a_hire_retried_after_the_first_one_answers_409_with_the_employee_it_created(services, engine):
    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    first = workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers)
    again = workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers)
    covered(
        engine, "POST /api/workforce/employees then the same again", [(first.status_code, 0), (again.status_code, 0)]
    )
    assert first.status_code == 201 and again.status_code == 409
    assert again.json["existing_id"] == first.json["id"]
    assert_french_refusal(again.json, 409, "employee_already_present")


def test_two_exits_of_one_employee_at_once_record_one_exit(services, engine):
    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    employee = workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers).json
    path = f"/api/workforce/employees/{employee['id']}/exit"
    bodies = [{"exit_date": "2025-06-30", "reason": "demission"}, {"exit_date": "2025-07-31", "reason": "retraite"}]
    answers = at_once([lambda b=b: workforce.client().post(path, json=b, headers=headers) for b in bodies])
    covered(engine, "2× POST /api/workforce/employees/<id>/exit (two dates)", answers)
    assert sorted(status for status, _ in answers) == [200, 409], answers
    [(_, refused)] = [a for a in answers if a[0] == 409]
    assert_french_refusal(refused, 409, "employee_already_left")
    assert len(events_of(workforce, "workforce.employee.exited.v1")) == 1
    history = workforce.client().get(f"/api/workforce/employees/{employee['id']}/history", headers=headers).json
    assert [line["kind"] for line in history].count("exited") == 1


def test_two_edits_of_one_employee_with_the_same_if_match_keep_one_and_answer_the_other_412(services, engine):
    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    employee = workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers).json
    path = f"/api/workforce/employees/{employee['id']}"
    etag = workforce.client().get(path, headers=headers).headers["ETag"]
    edits = [dict(HIRE, post="Vendeuse en chef"), dict(HIRE, post="Responsable de rayon")]
    answers = at_once(
        [lambda b=b: workforce.client().put(path, json=b, headers=dict(headers, **{"If-Match": etag})) for b in edits]
    )
    covered(engine, "PUT /api/workforce/employees/<id> ∥ PUT (same If-Match, two edits)", answers)
    assert sorted(status for status, _ in answers) == [200, 412], answers
    [(_, kept)] = [a for a in answers if a[0] == 200]
    [(_, stale)] = [a for a in answers if a[0] == 412]
    assert_french_refusal(stale, 412)
    assert workforce.client().get(path, headers=headers).json["post"] == kept["post"]
    assert len(events_of(workforce, "workforce.employee.updated.v1")) == 1


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_two_confirmations_of_one_declaration_with_the_same_if_match_confirm_it_once(services, engine, monkeypatch):
    workforce = services["workforce"]
    frozen = FrozenClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(portal_clock, "utcnow", frozen)
    opened = workforce.client().post(
        "/api/workforce/campaigns", json={"year": 2027}, headers=workforce.headers(CAMPAIGN_STAFF)
    )
    assert opened.status_code == 201, opened.json
    frozen.now = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
    headers = workforce.headers(EMPLOYER)
    etag = workforce.client().get("/api/workforce/declarations/2027", headers=headers).headers["ETag"]
    body = {"headcount": {"SI": 0, "SIA": 0, "SIR": 0}, "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0}}
    path = "/api/workforce/declarations/2027/confirmation"
    answers = at_once(
        [lambda: workforce.client().post(path, json=body, headers=dict(headers, **{"If-Match": etag}))] * 2
    )
    covered(engine, "2× POST /api/workforce/declarations/<year>/confirmation (same If-Match)", answers)
    assert sorted(status for status, _ in answers) == [200, 412], answers
    [(_, stale)] = [a for a in answers if a[0] == 412]
    assert_french_refusal(stale, 412, "stale_version")
    assert len(events_of(workforce, "workforce.declaration.confirmed.v1")) == 1


def test_two_openings_of_one_campaign_at_once_open_it_once(services, engine, monkeypatch):
    workforce = services["workforce"]
    monkeypatch.setattr(portal_clock, "utcnow", FrozenClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)))
    staff = workforce.headers(CAMPAIGN_STAFF)
    answers = at_once(
        [lambda: workforce.client().post("/api/workforce/campaigns", json={"year": 2027}, headers=staff)] * 2
    )
    covered(engine, "2× POST /api/workforce/campaigns (same year)", answers)
    assert sorted(status for status, _ in answers)[0] == 201 and len([a for a in answers if a[0] == 201]) == 1, answers
    [(status, refused)] = [a for a in answers if a[0] != 201]
    assert status in (409, 422)
    assert_french_refusal(refused, status)
    assert len(events_of(workforce, "workforce.campaign.opened.v1")) == 1


def test_two_closures_of_one_campaign_at_once_close_it_once(services, engine, monkeypatch):
    workforce = services["workforce"]
    monkeypatch.setattr(portal_clock, "utcnow", FrozenClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)))
    staff = workforce.headers(CAMPAIGN_STAFF)
    assert workforce.client().post("/api/workforce/campaigns", json={"year": 2027}, headers=staff).status_code == 201
    path = "/api/workforce/campaigns/2027/closure"
    answers = at_once([lambda: workforce.client().post(path, headers=staff)] * 2)
    covered(engine, "2× POST /api/workforce/campaigns/<year>/closure", answers)
    assert sorted(status for status, _ in answers) == [200, 409], answers
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409)
    assert len(events_of(workforce, "workforce.campaign.closed.v1")) == 1


# --- scheduling ----------------------------------------------------------------------------------------------


@pytest.fixture
def directory(services):
    """One company and two employees known to scheduling through their events."""
    scheduling = services["scheduling"]
    deliver(scheduling, "members.member.registered.v1", member_id=COMPANY)
    for employee_id, last_name in ((DUPONT, "DUPONT"), (BERNARD, "BERNARD")):
        deliver(
            scheduling,
            "workforce.employee.hired.v1",
            employee_id=employee_id,
            member_id=COMPANY,
            last_name=last_name,
            birth_name=last_name,
            first_names="Marie",
            birth_date="1985-08-14",
        )
    return scheduling


def ask_visit(scheduling, employee_id: str, visit_type: str = "demande"):
    return scheduling.client().post(
        "/api/scheduling/requests",
        json={"employee_id": employee_id, "visit_type": visit_type},
        headers=scheduling.headers(EMPLOYER),
    )


def test_identical_visit_requests_at_once_or_one_after_the_other_make_one_request(directory, engine):
    scheduling = directory
    answers = at_once([lambda: ask_visit(scheduling, DUPONT)] * BURST)
    covered(engine, f"{BURST}× POST /api/scheduling/requests (same employee and visit type)", answers)
    assert sorted(status for status, _ in answers) == [201] + [409] * (BURST - 1), answers
    [created] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "visit_request_already_open")
            assert body["existing_id"] == created["id"]
    later = ask_visit(scheduling, DUPONT)
    assert later.status_code == 409 and later.json["existing_id"] == created["id"]
    assert ask_visit(scheduling, BERNARD).status_code == 201  # another employee: another request
    assert len(events_of(scheduling, "scheduling.appointment.requested.v1")) == 2


def test_staff_close_a_request_with_a_reason_the_employer_reads_and_only_once(directory, engine):
    scheduling = directory
    request_id = ask_visit(scheduling, DUPONT).json["id"]
    path = f"/api/scheduling/requests/{request_id}/closure"
    staff = scheduling.headers(SECRETARY)
    no_reason = scheduling.client().post(path, json={"reason": "  "}, headers=staff)
    assert no_reason.status_code == 422
    reasons = ["Visite déjà faite chez un autre service", "Doublon d'une demande par téléphone"]
    answers = at_once([lambda r=r: scheduling.client().post(path, json={"reason": r}, headers=staff) for r in reasons])
    covered(engine, "2× POST /api/scheduling/requests/<id>/closure (two reasons)", answers)
    assert sorted(status for status, _ in answers) == [200, 422], answers
    [(_, closed)] = [a for a in answers if a[0] == 200]
    [(_, refused)] = [a for a in answers if a[0] == 422]
    assert closed["status"] == "annulee" and closed["closed_reason"] in reasons
    assert_french_refusal(refused, 422)
    seen = (
        scheduling.client().get("/api/scheduling/requests?open_only=false", headers=scheduling.headers(EMPLOYER)).json
    )
    assert [(r["status"], r["closed_reason"]) for r in seen] == [("annulee", closed["closed_reason"])]
    assert ask_visit(scheduling, DUPONT).status_code == 201  # closed: the employer may ask again


def open_slot(scheduling, capacity: int) -> dict:
    starts = (utcnow() + timedelta(days=30)).replace(hour=8, minute=30, second=0, microsecond=0)
    response = scheduling.client().post(
        "/api/scheduling/slots",
        headers=scheduling.headers(SECRETARY),
        json={
            "centre": CENTRE,
            "professional_kind": "medecin",
            "professional_name": "Dr Claire Weber",
            "starts_at": starts.isoformat(),
            "duration_minutes": 30,
            "capacity": capacity,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def test_two_staff_placing_two_requests_into_the_last_seat_at_once_convoke_one(directory, engine):
    scheduling = directory
    requests = [ask_visit(scheduling, employee).json["id"] for employee in (DUPONT, BERNARD)]
    slot = open_slot(scheduling, capacity=1)
    path = f"/api/scheduling/slots/{slot['id']}/placements"
    staff = (scheduling.headers(SECRETARY), scheduling.headers(SECOND_SECRETARY))
    answers = at_once(
        [
            lambda r=r, h=h: scheduling.client().post(path, json={"request_id": r}, headers=h)
            for r, h in zip(requests, staff, strict=True)
        ]
    )
    covered(engine, "2× POST /api/scheduling/slots/<id>/placements (capacity 1, two requests)", answers)
    assert sorted(status for status, _ in answers) == [201, 422], answers
    [(_, full)] = [a for a in answers if a[0] == 422]
    assert_french_refusal(full, 422)
    [listed] = [
        s for s in scheduling.client().get("/api/scheduling/slots", headers=staff[0]).json if s["id"] == slot["id"]
    ]
    assert (listed["booked"], listed["capacity"]) == (1, 1)
    assert len(events_of(scheduling, "scheduling.appointment.scheduled.v1")) == 1
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == slot["id"])) == 1


def test_a_cancelled_appointment_frees_its_seat_for_another_placement(directory, engine):
    scheduling = directory
    first, second = (ask_visit(scheduling, employee).json["id"] for employee in (DUPONT, BERNARD))
    slot = open_slot(scheduling, capacity=1)
    path = f"/api/scheduling/slots/{slot['id']}/placements"
    staff = scheduling.headers(SECRETARY)
    placed = scheduling.client().post(path, json={"request_id": first}, headers=staff)
    assert placed.status_code == 201, placed.json
    cancelled = scheduling.client().post(
        f"/api/scheduling/appointments/{placed.json['id']}/cancellation", headers=staff
    )
    assert cancelled.status_code == 200, cancelled.json
    again = scheduling.client().post(path, json={"request_id": second}, headers=staff)
    assert again.status_code == 201, again.json


def test_two_cancellations_of_one_appointment_at_once_cancel_it_once_and_free_its_seat_once(directory, engine):
    scheduling = directory
    first, second = (ask_visit(scheduling, employee).json["id"] for employee in (DUPONT, BERNARD))
    slot = open_slot(scheduling, capacity=2)
    staff = scheduling.headers(SECRETARY)
    path = f"/api/scheduling/slots/{slot['id']}/placements"
    placed = [scheduling.client().post(path, json={"request_id": r}, headers=staff).json for r in (first, second)]
    cancel = f"/api/scheduling/appointments/{placed[0]['id']}/cancellation"
    answers = at_once(
        [
            lambda h=h: scheduling.client().post(cancel, headers=scheduling.headers(h))
            for h in (SECRETARY, SECOND_SECRETARY)
        ]
    )
    covered(engine, "2× POST /api/scheduling/appointments/<id>/cancellation", answers)
    assert sorted(status for status, _ in answers) == [200, 422], answers
    assert_french_refusal([b for s_, b in answers if s_ == 422][0], 422)
    assert len(events_of(scheduling, "scheduling.appointment.cancelled.v1")) == 1
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == slot["id"])) == 1  # the other one still holds


def test_two_withdrawals_of_one_request_at_once_withdraw_it_once(directory, engine):
    scheduling = directory
    request_id = ask_visit(scheduling, DUPONT).json["id"]
    path = f"/api/scheduling/requests/{request_id}/withdrawal"
    answers = at_once([lambda: scheduling.client().post(path, headers=scheduling.headers(EMPLOYER))] * 2)
    covered(engine, "2× POST /api/scheduling/requests/<id>/withdrawal", answers)
    assert sorted(status for status, _ in answers) == [200, 422], answers
    assert_french_refusal([b for s_, b in answers if s_ == 422][0], 422)
    assert len(events_of(scheduling, "scheduling.appointment.requested.v1")) == 2  # asked, then withdrawn once


def test_realised_and_unexcused_absence_recorded_at_once_keep_one_outcome_and_one_event(directory, engine):
    from scheduling.appointments import use_cases as appointments
    from scheduling.appointments.rules import Place, ScheduleCommand

    scheduling = directory
    visit = appointments.schedule_appointment(
        scheduling.portal,
        ScheduleCommand(
            member_id=COMPANY,
            employee_id=DUPONT,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status="convoquee",
            allow_past=True,
        ),
    )
    path = f"/api/scheduling/appointments/{visit.id}/outcome"
    pair = ((SECRETARY, "realisee"), (SECOND_SECRETARY, "absent_non_excuse"))
    answers = at_once(
        [
            lambda p=p, s=s: scheduling.client().post(path, json={"status": s}, headers=scheduling.headers(p))
            for p, s in pair
        ]
    )
    covered(engine, "POST /api/scheduling/appointments/<id>/outcome realisee ∥ absent_non_excuse", answers)
    assert sorted(status for status, _ in answers) == [200, 409], answers
    [(_, won)] = [a for a in answers if a[0] == 200]
    [(_, refused)] = [a for a in answers if a[0] == 409]
    assert_french_refusal(refused, 409, "appointment_outcome_already_recorded")
    outcomes = events_of(scheduling, "scheduling.appointment.attended.v1") + events_of(
        scheduling, "scheduling.appointment.missed.v1"
    )
    assert len(outcomes) == 1
    expected = (
        "scheduling.appointment.attended.v1" if won["status"] == "realisee" else "scheduling.appointment.missed.v1"
    )
    assert outcomes[0].type == expected


def test_a_recorded_outcome_is_corrected_only_explicitly_with_a_reason_and_once(directory, engine):
    from scheduling.appointments import use_cases as appointments
    from scheduling.appointments.rules import Place, ScheduleCommand
    from scheduling.models import OutcomeCorrection

    scheduling = directory
    visit = appointments.schedule_appointment(
        scheduling.portal,
        ScheduleCommand(
            member_id=COMPANY,
            employee_id=DUPONT,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status="convoquee",
            allow_past=True,
        ),
    )
    staff = scheduling.headers(SECRETARY)
    missed = scheduling.client().post(
        f"/api/scheduling/appointments/{visit.id}/outcome", json={"status": "absent_non_excuse"}, headers=staff
    )
    assert missed.status_code == 200, missed.json
    path = f"/api/scheduling/appointments/{visit.id}/outcome-correction"
    body = {"status": "realisee", "version": missed.json["version"]}
    no_reason = scheduling.client().post(path, json=dict(body, reason=" "), headers=staff)
    assert no_reason.status_code == 422
    answers = at_once(
        [
            lambda p=p: scheduling.client().post(
                path,
                json=dict(body, reason="Le salarié était présent : erreur de saisie"),
                headers=scheduling.headers(p),
            )
            for p in (SECRETARY, SECOND_SECRETARY)
        ]
    )
    covered(engine, "2× POST /api/scheduling/appointments/<id>/outcome-correction (same version read)", answers)
    assert sorted(status for status, _ in answers) == [200, 409], answers
    [(_, corrected)] = [a for a in answers if a[0] == 200]
    [(_, refused)] = [a for a in answers if a[0] == 409]
    assert corrected["status"] == "realisee"
    assert_french_refusal(refused, 409, "appointment_changed")
    [event] = events_of(scheduling, "scheduling.appointment.outcome_corrected.v1")
    catalogue.validate(event)
    assert (event.data["previous_status"], event.data["status"]) == ("absent_non_excuse", "realisee")
    assert "reason" not in event.data  # staff's free text stays in scheduling
    with scheduling.portal.db.session_factory() as session:
        [audit] = session.scalars(select(OutcomeCorrection)).all()
    assert (audit.previous_status, audit.status, audit.corrected_by) in {
        ("absent_non_excuse", "realisee", SECRETARY.user_id),
        ("absent_non_excuse", "realisee", SECOND_SECRETARY.user_id),
    }


# --- members -------------------------------------------------------------------------------------------------

REGISTRATION = {
    "name": "Boulangerie Martin",
    "siret": "73282932000074",
    "address_line1": "1 rue de la Paix",
    "postal_code": "68100",
    "city": "Mulhouse",
    "adhesion_date": "2024-01-01",
}


def test_a_new_member_submitted_six_times_at_once_is_registered_once(services, engine):
    members = services["members"]
    headers = members.headers(SECRETARY)
    answers = at_once(
        [lambda: members.client().post("/api/members/members", json=REGISTRATION, headers=headers)] * BURST
    )
    covered(engine, f"{BURST}× POST /api/members/members (same SIRET)", answers)
    assert sorted(status for status, _ in answers) == [201] + [409] * (BURST - 1), answers
    [created] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "member_siret_taken")
            assert body["existing_id"] == created["id"]
    assert len(events_of(members, "members.member.registered.v1")) == 1


def test_approve_and_reject_of_one_change_at_once_decide_it_once(services, engine):
    from members.models import ChangeRequest, Member

    members = services["members"]
    member = members.client().post("/api/members/members", json=REGISTRATION, headers=members.headers(SECRETARY)).json
    asked = members.client().patch(
        f"/api/members/members/{member['id']}", json={"siret": "73282932000009"}, headers=members.headers(SECRETARY)
    )
    [request] = asked.json
    assert request["status"] == "pending"
    base = f"/api/members/change-requests/{request['id']}"
    answers = at_once(
        [
            lambda: members.client().post(f"{base}/approve", json={}, headers=members.headers(SECOND_SECRETARY)),
            lambda: members.client().post(
                f"{base}/reject", json={"reason": "SIRET non justifié"}, headers=members.headers(THIRD_SECRETARY)
            ),
        ]
    )
    covered(engine, "POST /api/members/change-requests/<id>/approve ∥ /reject", answers)
    assert sorted(status for status, _ in answers) == [200, 409], answers
    [(_, decided)] = [a for a in answers if a[0] == 200]
    [(_, refused)] = [a for a in answers if a[0] == 409]
    assert_french_refusal(refused, 409)
    with members.portal.db.session_factory() as session:
        stored = session.get(ChangeRequest, request["id"])
        siret = session.scalar(select(Member.siret).where(Member.id == member["id"]))
    assert stored.status == decided["status"]
    if decided["status"] == "approved":
        assert siret == "73282932000009" and stored.reason is None
    else:
        assert siret == REGISTRATION["siret"] and stored.reason == "SIRET non justifié"


# --- retries: Idempotency-Key ----------------------------------------------------------------------------------


def hire_with_key(workforce, key: str, body: dict = HIRE, principal=EMPLOYER):
    headers = dict(workforce.headers(principal), **{"Idempotency-Key": key})
    return workforce.client().post("/api/workforce/employees", json=body, headers=headers)


def test_a_hire_retried_with_its_idempotency_key_gets_the_first_answer_and_hires_once(services, engine):
    workforce = services["workforce"]
    first = hire_with_key(workforce, "hire-0001")
    retried = hire_with_key(workforce, "hire-0001")
    covered(
        engine,
        "POST /api/workforce/employees then the same with its Idempotency-Key",
        [(first.status_code, 0), (retried.status_code, 0)],
    )
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json == first.json
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 1
    # Another client of the same company with the same key is another request: the duplicate rule answers it.
    other = hire_with_key(workforce, "hire-0001", principal=make_principal(member_id=COMPANY, roles=("admin",)))
    assert other.status_code == 409 and other.json["existing_id"] == first.json["id"]


def test_an_idempotency_key_reused_for_another_body_is_refused_in_french_and_changes_nothing(services, engine):
    workforce = services["workforce"]
    assert hire_with_key(workforce, "hire-0002").status_code == 201
    other = hire_with_key(workforce, "hire-0002", dict(HIRE, nir="190047511800129", sex="M", last_name="Nuit"))
    covered(
        engine, "POST /api/workforce/employees with a reused Idempotency-Key and another body", [(other.status_code, 0)]
    )
    assert other.status_code == 422
    assert_french_refusal(other.json, 422, "idempotency_key_reused")
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 1
    bad = hire_with_key(workforce, "clé avec espaces")
    assert bad.status_code == 400 and bad.json["reason"] == "idempotency_key_invalid"


def test_six_retries_at_once_with_one_idempotency_key_hire_once_and_agree_on_the_employee(services, engine):
    workforce = services["workforce"]
    answers = at_once([lambda: hire_with_key(workforce, "hire-0003")] * BURST)
    covered(engine, f"{BURST}× POST /api/workforce/employees with one Idempotency-Key", answers)
    assert {status for status, _ in answers} <= {201, 409}, answers
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1, answers
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "idempotency_key_in_progress")
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 1
    assert hire_with_key(workforce, "hire-0003").json["id"] in created


# --- which state-changing routes this suite fires ----------------------------------------------------------------

# Every POST, PUT, PATCH and DELETE of members, workforce and scheduling, read from their URL maps: raced here (the
# test that fires it), the page twin of a raced API route (same use case), or not raced yet (why). A new route
# fails the suite until it is placed in one of the three.
RACED = {
    "POST /api/members/members": "test_a_new_member_submitted_six_times_at_once_is_registered_once",
    "POST /api/members/change-requests/<string:request_id>/approve": (
        "test_approve_and_reject_of_one_change_at_once_decide_it_once"
    ),
    "POST /api/members/change-requests/<string:request_id>/reject": (
        "test_approve_and_reject_of_one_change_at_once_decide_it_once"
    ),
    "POST /api/workforce/employees": "test_six_identical_hires_at_once_make_one_employee_and_answer_the_others_409_naming_it",
    "PUT /api/workforce/employees/<string:employee_id>": (
        "test_two_edits_of_one_employee_with_the_same_if_match_keep_one_and_answer_the_other_412"
    ),
    "POST /api/workforce/employees/<string:employee_id>/exit": "test_two_exits_of_one_employee_at_once_record_one_exit",
    "POST /api/workforce/declarations/<int(min=2000, max=2100):year>/confirmation": (
        "test_two_confirmations_of_one_declaration_with_the_same_if_match_confirm_it_once"
    ),
    "POST /api/workforce/campaigns": "test_two_openings_of_one_campaign_at_once_open_it_once",
    "POST /api/workforce/campaigns/<int(min=2000, max=2100):year>/closure": (
        "test_two_closures_of_one_campaign_at_once_close_it_once"
    ),
    "POST /api/scheduling/requests": "test_identical_visit_requests_at_once_or_one_after_the_other_make_one_request",
    "POST /api/scheduling/requests/<string:request_id>/closure": (
        "test_staff_close_a_request_with_a_reason_the_employer_reads_and_only_once"
    ),
    "POST /api/scheduling/requests/<string:request_id>/withdrawal": (
        "test_two_withdrawals_of_one_request_at_once_withdraw_it_once"
    ),
    "POST /api/scheduling/slots/<string:slot_id>/placements": (
        "test_two_staff_placing_two_requests_into_the_last_seat_at_once_convoke_one"
    ),
    "POST /api/scheduling/appointments/<string:appointment_id>/cancellation": (
        "test_two_cancellations_of_one_appointment_at_once_cancel_it_once_and_free_its_seat_once"
    ),
    "POST /api/scheduling/appointments/<string:appointment_id>/outcome": (
        "test_realised_and_unexcused_absence_recorded_at_once_keep_one_outcome_and_one_event"
    ),
    "POST /api/scheduling/appointments/<string:appointment_id>/outcome-correction": (
        "test_a_recorded_outcome_is_corrected_only_explicitly_with_a_reason_and_once"
    ),
}
PAGE_TWINS = {
    "POST /gestion/adherents": "POST /api/members/members",  # and its own double submission, below
    "POST /gestion/adherents/demandes/<string:request_id>": (
        "POST /api/members/change-requests/<string:request_id>/approve"
    ),
    "POST /salaries/nouveau": "POST /api/workforce/employees",
    "POST /salaries/<employee_id>/modifier": "PUT /api/workforce/employees/<string:employee_id>",
    "POST /salaries/<employee_id>/sortie": "POST /api/workforce/employees/<string:employee_id>/exit",
    "POST /salaries/declarations/<int(min=2000, max=2100):year>": (
        "POST /api/workforce/declarations/<int(min=2000, max=2100):year>/confirmation"
    ),
    "PUT /api/workforce/declarations/<int(min=2000, max=2100):year>": (
        "POST /api/workforce/declarations/<int(min=2000, max=2100):year>/confirmation"
    ),
    "POST /gestion/salaries/campagnes": "POST /api/workforce/campaigns",
    "POST /gestion/salaries/campagnes/<int(min=2000, max=2100):year>/cloture": (
        "POST /api/workforce/campaigns/<int(min=2000, max=2100):year>/closure"
    ),
    "POST /rendez-vous/demande": "POST /api/scheduling/requests",
    "POST /rendez-vous/demandes/<string:request_id>/retrait": (
        "POST /api/scheduling/requests/<string:request_id>/withdrawal"
    ),
    "POST /gestion/rendez-vous/demandes/<string:request_id>/cloture": (
        "POST /api/scheduling/requests/<string:request_id>/closure"
    ),
    "POST /gestion/rendez-vous/placement": "POST /api/scheduling/slots/<string:slot_id>/placements",
    "POST /rendez-vous/<string:appointment_id>/annulation": (
        "POST /api/scheduling/appointments/<string:appointment_id>/cancellation"
    ),
    "POST /gestion/rendez-vous/<string:appointment_id>/presence": (
        "POST /api/scheduling/appointments/<string:appointment_id>/outcome"
    ),
}
READS_ONLY = "reads only (a POST keeps the NIR out of the URL)"
NOT_YET = "not raced yet"
NOT_RACED = {
    "POST /api/workforce/employees/search": READS_ONLY,
    "POST /salaries/recherche": READS_ONLY,
    "POST /adherent/<any(adresses, contacts):section>": NOT_YET + ": submitted twice, the entry is added twice",
    "POST /api/members/members/<string:member_id>/addresses": NOT_YET + ": sent twice, the entry is added twice",
    "POST /api/members/members/<string:member_id>/contacts": NOT_YET + ": sent twice, the entry is added twice",
    "POST /adherent/<any(adresses, contacts):section>/<string:entry_id>": NOT_YET,
    "POST /adherent/<any(adresses, contacts):section>/<string:entry_id>/supprimer": NOT_YET,
    "DELETE,PUT /api/members/members/<string:member_id>/addresses/<string:entry_id>": NOT_YET,
    "DELETE,PUT /api/members/members/<string:member_id>/contacts/<string:entry_id>": NOT_YET,
    "POST /adherent/documents": NOT_YET,
    "POST /adherent/documents/<string:document_id>/supprimer": NOT_YET,
    "POST /adherent/modifier": NOT_YET + " (each submission makes its change requests)",
    "PATCH /api/members/members/<string:member_id>": NOT_YET + " (each call makes its change requests)",
    "POST /gestion/adherents/<string:member_id>/modifier": NOT_YET + " (each submission makes its change requests)",
    "POST /adherent/prelevement": NOT_YET,
    "POST /adherent/prelevement/revoquer": NOT_YET,
    "DELETE,POST /api/members/members/<string:member_id>/sepa-mandate": NOT_YET,
    "POST /adherent/situation": NOT_YET,
    "POST /api/members/members/<string:member_id>/situation-changes": NOT_YET,
    "POST /gestion/adherents/<string:member_id>/equipe": NOT_YET,
    "POST /gestion/adherents/<string:member_id>/nouveau-code": NOT_YET,
    "POST /gestion/adherents/centres": NOT_YET,
    "POST /gestion/adherents/centres/<string:centre_id>": NOT_YET,
    "POST /api/workforce/employees/<string:employee_id>/post-changes": NOT_YET + " (row lock and version counter)",
    "POST /salaries/<employee_id>/nouveau-poste": NOT_YET + " (row lock and version counter)",
    "POST /salaries/<employee_id>/numero-securite-sociale": NOT_YET + " (each reveal is logged)",
    "POST /api/workforce/imports": NOT_YET,
    "POST /salaries/import": NOT_YET,
    "DELETE /api/workforce/imports/<string:import_id>": NOT_YET,
    "POST /salaries/import/<import_id>/abandonner": NOT_YET,
    "PUT /api/workforce/imports/<string:import_id>/mapping": NOT_YET,
    "POST /salaries/import/<import_id>/colonnes": NOT_YET,
    "POST /api/workforce/imports/<string:import_id>/confirm": NOT_YET + " (the present-NIR index holds the list)",
    "POST /salaries/import/<import_id>/confirmer": NOT_YET + " (the present-NIR index holds the list)",
    "POST /api/scheduling/appointments": NOT_YET + " (staff schedule a visit outside slots: two are two)",
    "POST /api/scheduling/slots": NOT_YET + " (two slots opened are two slots)",
    "POST /gestion/rendez-vous/creneaux": NOT_YET + " (two slots opened are two slots)",
    "POST /gestion/rendez-vous/<string:appointment_id>/document": NOT_YET,
}


def state_changing_routes(service) -> set[str]:
    found = set()
    for rule in service.app.url_map.iter_rules():
        methods = sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
        if methods and not rule.rule.startswith("/internal/"):
            found.add(f"{','.join(methods)} {rule.rule}")
    return found


def test_every_state_changing_route_is_raced_here_or_says_why_not(services, engine):
    routes = set().union(*(state_changing_routes(s) for s in services.values()))
    classified = RACED.keys() | PAGE_TWINS.keys() | NOT_RACED.keys()
    assert not routes - classified, f"routes neither raced nor exempted here: {sorted(routes - classified)}"
    assert not classified - routes, f"classified routes that no longer exist: {sorted(classified - routes)}"
    assert all(name in globals() for name in RACED.values())
    assert set(PAGE_TWINS.values()) <= RACED.keys()
    print(f"[concurrency {engine}] {len(routes)} state-changing routes of members, workforce, scheduling:")
    for route in sorted(routes):
        if route in RACED:
            print(f"  raced      {route}  ({RACED[route]})")
        elif route in PAGE_TWINS:
            print(f"  page twin  {route}  (same use case as {PAGE_TWINS[route]})")
        else:
            print(f"  not raced  {route}  ({NOT_RACED[route]})")


# --- double submissions of a page form -----------------------------------------------------------------------

PAGE_REGISTRATION = dict(REGISTRATION, adhesion_date="2024-01-01")


def page_tokens(client, path: str, headers: dict) -> dict:
    page = client.get(path, headers=headers).text
    found = dict(re.findall(r'name="(csrf_token|form_token)" value="([^"]+)"', page))
    assert set(found) == {"csrf_token", "form_token"}, "the page's form carries both tokens"
    return found


def test_a_new_member_form_posted_twice_at_once_registers_once_and_both_land_on_its_page(services, engine):
    members = services["members"]
    headers = members.headers(SECRETARY)
    client = members.client()
    tokens = page_tokens(client, "/gestion/adherents", headers)
    form = dict(PAGE_REGISTRATION, **tokens)
    answers = at_once([lambda: members.client().post("/gestion/adherents", data=form, headers=headers)] * 2)
    covered(engine, "2× POST /gestion/adherents (one form, one form_token)", answers)
    assert [status for status, _ in answers] == [302, 302], answers
    assert len(events_of(members, "members.member.registered.v1")) == 1
    again = members.client().post("/gestion/adherents", data=form, headers=headers)
    assert again.status_code == 302 and again.headers["Idempotent-Replayed"] == "true"
    assert len(events_of(members, "members.member.registered.v1")) == 1


def test_a_new_member_form_sent_again_from_a_fresh_page_gets_the_french_409_by_the_siret(services, engine):
    members = services["members"]
    headers = members.headers(SECRETARY)
    first = dict(PAGE_REGISTRATION, **page_tokens(members.client(), "/gestion/adherents", headers))
    assert members.client().post("/gestion/adherents", data=first, headers=headers).status_code == 302
    second = dict(PAGE_REGISTRATION, **page_tokens(members.client(), "/gestion/adherents", headers))
    refused = members.client().post("/gestion/adherents", data=second, headers=headers)
    covered(engine, "POST /gestion/adherents from two pages (same SIRET)", [(refused.status_code, None)])
    assert refused.status_code == 409
    assert "Un adhérent existe déjà avec ce SIRET." in html.unescape(refused.text)
    reused = members.client().post("/gestion/adherents", data=dict(first, name="Autre nom"), headers=headers)
    assert reused.status_code == 422 and "déjà été envoyé" in html.unescape(reused.text)
