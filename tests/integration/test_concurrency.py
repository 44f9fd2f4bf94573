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
from sqlalchemy import MetaData, select

from portal_common import clock as portal_clock
from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.migrations import upgrade
from portal_common.testing import make_principal
from portal_common.testing.environment import ServiceUnderTest
from scheduling.business_calendar.rules import next_open_day

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("postgresql", "sqlite")
SERVICES = ("identity", "members", "workforce", "scheduling", "billing")
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
    "birth_commune": "14168",  # the commune the NIR carries (Colombières)
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
    """The five services migrated on PostgreSQL, or on SQLite files as `make run` keeps them."""
    engine = request.param
    folder = tmp_path_factory.mktemp("sqlite") if engine == "sqlite" else None
    built = {}
    for name in SERVICES:
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


def fire(engine: str, route: str, calls, statuses: list[int] | None = None, *, statuses_only: bool = False) -> list:
    """The burst: `calls` released together (`at_once`), the route and its answers printed, and when `statuses`
    is given, exactly those statuses answered (in any order). Answers (status, json) in call order, or (status,
    None) with `statuses_only` (pages: what they show is read apart, a revealed NIR never kept)."""
    answers = at_once(calls)
    if statuses_only:
        answers = [(status, None) for status, _ in answers]
    covered(engine, route, answers)
    if statuses is not None:
        assert sorted(status for status, _ in answers) == statuses, answers
    return answers


def assert_french_refusal(body: dict, status: int, reason: str | None = None) -> None:
    assert body["code"] == status and body["reason"], body
    if reason is not None:
        assert body["reason"] == reason, body
    texts = [body.get("message") or ""]
    for messages in (body.get("errors") or {}).values():
        texts.extend(str(m) for m in (messages.values() if isinstance(messages, dict) else [messages]))
    assert any(marker in text for text in texts for marker in FRENCH), body


def created_once(answers: list, reason: str) -> dict:
    """The one 201 of a burst of identical creations; every other answer a French 409 naming what it created."""
    [created] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, reason)
            assert body["existing_id"] == created["id"]
    return created


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
    answers = fire(
        engine,
        f"{BURST}× POST /api/workforce/employees (same NIR)",
        [lambda: workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    created = created_once(answers, "employee_already_present")
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
    answers = fire(
        engine,
        "2× POST /api/workforce/employees/<id>/exit (two dates)",
        [lambda b=b: workforce.client().post(path, json=b, headers=headers) for b in bodies],
        [200, 409],
    )
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
    answers = fire(
        engine,
        "PUT /api/workforce/employees/<id> ∥ PUT (same If-Match, two edits)",
        [lambda b=b: workforce.client().put(path, json=b, headers=dict(headers, **{"If-Match": etag})) for b in edits],
        [200, 412],
    )
    [(_, kept)] = [a for a in answers if a[0] == 200]
    [(_, stale)] = [a for a in answers if a[0] == 412]
    assert_french_refusal(stale, 412)
    assert workforce.client().get(path, headers=headers).json["post"] == kept["post"]
    assert len(events_of(workforce, "workforce.employee.updated.v1")) == 1


def test_two_post_changes_read_at_one_version_record_one_and_answer_the_other_412(services, engine):
    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    employee = workforce.client().post("/api/workforce/employees", json=HIRE, headers=headers).json
    path = f"/api/workforce/employees/{employee['id']}"
    etag = workforce.client().get(path, headers=headers).headers["ETag"]
    changes = [{"post": "Cheffe de rayon", "from_date": "2025-01-06"}, {"post": "Caissière", "from_date": "2025-02-03"}]
    answers = fire(
        engine,
        "2× POST /api/workforce/employees/<id>/post-changes (same If-Match, two posts)",
        [
            lambda b=b: workforce.client().post(
                f"{path}/post-changes", json=b, headers=dict(headers, **{"If-Match": etag})
            )
            for b in changes
        ],
        [201, 412],
    )
    [(_, kept)] = [a for a in answers if a[0] == 201]
    assert_french_refusal([b for s_, b in answers if s_ == 412][0], 412, "stale_version")
    assert workforce.client().get(path, headers=headers).json["post"] == kept["post"]
    assert len(events_of(workforce, "workforce.employee.post_changed.v1")) == 1
    history = workforce.client().get(f"{path}/history", headers=headers).json
    assert [line["kind"] for line in history].count("post_changed") == 1
    # The page form carries the version too: a stale one shows the post now recorded beside what was typed.
    page = f"/salaries/{employee['id']}/nouveau-poste"
    stale = dict(page_tokens(workforce.client(), page, headers), version=etag.strip('"'), **changes[0])
    refused = workforce.client().post(page, data=dict(stale, post="Vendeuse en chef"), headers=headers)
    text = html.unescape(refused.text)
    assert refused.status_code == 409 and "rien n'a été enregistré" in text
    assert kept["post"] in text and 'value="Vendeuse en chef"' in text


def test_nir_reveals_at_once_are_each_logged_and_the_daily_cap_holds(services, engine, monkeypatch):
    """N reveals are N reveals (each shows the number and is logged: that is the audit trail, DP-02); what must
    hold under concurrency is the daily cap per staff user. The answer shows a secret: it is never kept, so the
    same form posted again runs again."""
    from workforce.models import NirReveal

    workforce = services["workforce"]
    employee = workforce.client().post("/api/workforce/employees", json=HIRE, headers=workforce.headers(EMPLOYER)).json
    monkeypatch.setattr(workforce.portal.settings, "nir_reveals_per_day", 3)
    staff = workforce.headers(SECRETARY)
    page = f"/salaries/{employee['id']}/numero-securite-sociale"
    forms = [  # five tabs: five forms (one form posted twice at once waits for its first answer, see docs)
        dict(page_tokens(workforce.client(), page, staff), reason="Vérification pour la caisse primaire")
        for _ in range(5)
    ]
    fire(
        engine,
        "5× POST /salaries/<id>/numero-securite-sociale (five tabs, cap 3 a day)",
        [lambda f=f: workforce.client().post(page, data=f, headers=staff) for f in forms],
        [200, 200, 200, 429, 429],
        statuses_only=True,
    )
    with workforce.portal.db.session_factory() as session:
        reveals = session.scalars(select(NirReveal).where(NirReveal.employee_id == employee["id"])).all()
    assert len(reveals) == 3 and {r.revealed_by for r in reveals} == {SECRETARY.user_id}


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
    answers = fire(
        engine,
        "2× POST /api/workforce/declarations/<year>/confirmation (same If-Match)",
        [lambda: workforce.client().post(path, json=body, headers=dict(headers, **{"If-Match": etag}))] * 2,
        [200, 412],
    )
    [(_, stale)] = [a for a in answers if a[0] == 412]
    assert_french_refusal(stale, 412, "stale_version")
    assert len(events_of(workforce, "workforce.declaration.confirmed.v1")) == 1


def test_two_late_confirmations_of_one_declaration_at_once_confirm_it_once(services, engine, monkeypatch):
    """After the closing a company may still declare (déclaration tardive): the same If-Match lock holds."""
    workforce = services["workforce"]
    frozen = FrozenClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(portal_clock, "utcnow", frozen)
    staff = workforce.headers(CAMPAIGN_STAFF)
    assert workforce.client().post("/api/workforce/campaigns", json={"year": 2027}, headers=staff).status_code == 201
    frozen.now = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
    closed = workforce.client().post("/api/workforce/campaigns/2027/closure", headers=staff)
    assert closed.status_code == 200
    frozen.now = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)
    headers = workforce.headers(EMPLOYER)
    read = workforce.client().get("/api/workforce/declarations/2027", headers=headers)
    assert read.json["late"] is True
    body = {"headcount": {"SI": 0, "SIA": 0, "SIR": 0}, "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0}}
    path = "/api/workforce/declarations/2027/confirmation"
    answers = fire(
        engine,
        "2× POST /api/workforce/declarations/<year>/confirmation (late, same If-Match)",
        [lambda: workforce.client().post(path, json=body, headers=dict(headers, **{"If-Match": read.headers["ETag"]}))]
        * 2,
        [200, 412],
    )
    [(_, stale)] = [a for a in answers if a[0] == 412]
    assert_french_refusal(stale, 412, "stale_version")
    [event] = events_of(workforce, "workforce.declaration.confirmed.v1")
    assert event.data["late"] is True


def test_two_openings_of_one_campaign_at_once_open_it_once(services, engine, monkeypatch):
    workforce = services["workforce"]
    monkeypatch.setattr(portal_clock, "utcnow", FrozenClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC)))
    staff = workforce.headers(CAMPAIGN_STAFF)
    answers = fire(
        engine,
        "2× POST /api/workforce/campaigns (same year)",
        [lambda: workforce.client().post("/api/workforce/campaigns", json={"year": 2027}, headers=staff)] * 2,
    )
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
    answers = fire(
        engine,
        "2× POST /api/workforce/campaigns/<year>/closure",
        [lambda: workforce.client().post(path, headers=staff)] * 2,
        [200, 409],
    )
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
    answers = fire(
        engine,
        f"{BURST}× POST /api/scheduling/requests (same employee and visit type)",
        [lambda: ask_visit(scheduling, DUPONT)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    created = created_once(answers, "visit_request_already_open")
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
    answers = fire(
        engine,
        "2× POST /api/scheduling/requests/<id>/closure (two reasons)",
        [lambda r=r: scheduling.client().post(path, json={"reason": r}, headers=staff) for r in reasons],
        [200, 422],
    )
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
    # Visits are held on open days only: the slot moves past a Sunday or a public holiday.
    starts = next_open_day((utcnow() + timedelta(days=30)).date()).strftime("%Y-%m-%dT08:30:00+00:00")
    response = scheduling.client().post(
        "/api/scheduling/slots",
        headers=scheduling.headers(SECRETARY),
        json={
            "centre": CENTRE,
            "professional_kind": "medecin",
            "professional_name": "Dr Claire Weber",
            "starts_at": starts,
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
    answers = fire(
        engine,
        "2× POST /api/scheduling/slots/<id>/placements (capacity 1, two requests)",
        [
            lambda r=r, h=h: scheduling.client().post(path, json={"request_id": r}, headers=h)
            for r, h in zip(requests, staff, strict=True)
        ],
        [201, 422],
    )
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
        f"/api/scheduling/appointments/{placed.json['id']}/cancellation",
        json={"reason_code": "centre_ferme"},
        headers=staff,
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
    answers = fire(
        engine,
        "2× POST /api/scheduling/appointments/<id>/cancellation",
        [
            lambda h=h: scheduling.client().post(
                cancel, json={"reason_code": "centre_ferme"}, headers=scheduling.headers(h)
            )
            for h in (SECRETARY, SECOND_SECRETARY)
        ],
        [200, 422],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 422][0], 422)
    assert len(events_of(scheduling, "scheduling.appointment.cancelled.v1")) == 1
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == slot["id"])) == 1  # the other one still holds


def test_two_moves_of_one_visit_at_once_move_it_once_and_a_move_beside_a_cancellation_lets_one_win(directory, engine):
    scheduling = directory
    staff = scheduling.headers(SECRETARY)
    first, second = (ask_visit(scheduling, employee).json["id"] for employee in (DUPONT, BERNARD))
    origin = open_slot(scheduling, capacity=2)
    path = f"/api/scheduling/slots/{origin['id']}/placements"
    placed = [scheduling.client().post(path, json={"request_id": r}, headers=staff).json for r in (first, second)]
    targets = [open_slot(scheduling, capacity=1)["id"] for _ in range(2)]
    move = f"/api/scheduling/appointments/{placed[0]['id']}/move"
    answers = fire(
        engine,
        "2× POST /api/scheduling/appointments/<id>/move (same version read)",
        [
            lambda t=t, h=h: scheduling.client().post(
                move,
                json={"slot_id": t, "reason": "Médecin indisponible", "version": placed[0]["version"]},
                headers=scheduling.headers(h),
            )
            for t, h in zip(targets, (SECRETARY, SECOND_SECRETARY), strict=True)
        ],
        [200, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409, "appointment_changed")
    assert len(events_of(scheduling, "scheduling.appointment.rescheduled.v1")) == 1
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        seats = {s.id: s.booked for s in session.scalars(select(Slot))}
    assert seats[origin["id"]] == 1 and sorted(seats[t] for t in targets) == [0, 1], seats

    # A move and a cancellation of the other visit, from the same read: one wins, the other is told in French.
    other = placed[1]
    free = next(t for t in targets if seats[t] == 0)
    answers = fire(
        engine,
        "POST …/move ∥ POST …/cancellation of one appointment",
        [
            lambda: scheduling.client().post(
                f"/api/scheduling/appointments/{other['id']}/move",
                json={"slot_id": free, "reason": "Médecin indisponible", "version": other["version"]},
                headers=staff,
            ),
            lambda: scheduling.client().post(
                f"/api/scheduling/appointments/{other['id']}/cancellation",
                json={"reason_code": "centre_ferme", "version": other["version"]},
                headers=scheduling.headers(SECOND_SECRETARY),
            ),
        ],
        [200, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409)
    moved = len(events_of(scheduling, "scheduling.appointment.rescheduled.v1")) == 2
    cancelled = len(events_of(scheduling, "scheduling.appointment.cancelled.v1")) == 1
    assert moved != cancelled
    with scheduling.portal.db.session_factory() as session:
        seats = {s.id: s.booked for s in session.scalars(select(Slot))}
    assert seats[origin["id"]] == 0 and seats[free] == (1 if moved else 0), seats


def test_two_moves_of_one_slot_at_once_move_it_once_and_a_slot_move_beside_a_cancellation_of_its_visit_both_hold(
    directory, engine
):
    scheduling = directory
    staff = scheduling.headers(SECRETARY)
    first, second = (ask_visit(scheduling, employee).json["id"] for employee in (DUPONT, BERNARD))
    slot = open_slot(scheduling, capacity=2)
    path = f"/api/scheduling/slots/{slot['id']}/placements"
    placed = [scheduling.client().post(path, json={"request_id": r}, headers=staff).json for r in (first, second)]
    times = [
        next_open_day((utcnow() + timedelta(days=days)).date()).strftime("%Y-%m-%dT14:00:00+00:00") for days in (40, 45)
    ]
    move = f"/api/scheduling/slots/{slot['id']}/move"
    answers = fire(
        engine,
        "2× POST /api/scheduling/slots/<id>/move (same version read)",
        [
            lambda t=t, h=h: scheduling.client().post(
                move,
                json={"starts_at": t, "reason": "Médecin indisponible", "version": slot["version"]},
                headers=scheduling.headers(h),
            )
            for t, h in zip(times, (SECRETARY, SECOND_SECRETARY), strict=True)
        ],
        [200, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409, "slot_changed")
    [moved] = [b for s_, b in answers if s_ == 200]
    assert moved["reconvoked"] == 2 and moved["booked"] == 2
    # One re-convocation per visit, both at the winner's time.
    assert sorted(e.subject for e in events_of(scheduling, "scheduling.appointment.rescheduled.v1")) == sorted(
        p["id"] for p in placed
    )
    visits = [scheduling.client().get(f"/api/scheduling/appointments/{p['id']}", headers=staff).json for p in placed]
    assert {v["starts_at"] for v in visits} == {moved["starts_at"]}

    # The slot moved again while one of its visits is cancelled, from the same read: each waits for the other,
    # neither deadlocks; the move re-convokes what is still open, the cancellation of a visit moved meanwhile is
    # refused in French.
    later = next_open_day((utcnow() + timedelta(days=50)).date()).strftime("%Y-%m-%dT14:00:00+00:00")
    answers = fire(
        engine,
        "POST /api/scheduling/slots/<id>/move ∥ POST …/appointments/<id>/cancellation of a visit in it",
        [
            lambda: scheduling.client().post(
                move,
                json={"starts_at": later, "reason": "Médecin indisponible", "version": moved["version"]},
                headers=staff,
            ),
            lambda: scheduling.client().post(
                f"/api/scheduling/appointments/{visits[0]['id']}/cancellation",
                json={"reason_code": "centre_ferme", "version": visits[0]["version"]},
                headers=scheduling.headers(SECOND_SECRETARY),
            ),
        ],
    )
    (move_status, move_body), (cancel_status, cancel_body) = answers
    assert move_status == 200, move_body
    assert cancel_status in (200, 409), cancel_body
    if cancel_status == 409:
        assert_french_refusal(cancel_body, 409)
    cancelled = cancel_status == 200
    assert move_body["reconvoked"] == (1 if cancelled else 2)
    assert len(events_of(scheduling, "scheduling.appointment.cancelled.v1")) == (1 if cancelled else 0)
    assert len(events_of(scheduling, "scheduling.appointment.rescheduled.v1")) == 2 + move_body["reconvoked"]
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == slot["id"])) == (1 if cancelled else 2)


def test_two_withdrawals_of_one_request_at_once_withdraw_it_once(directory, engine):
    scheduling = directory
    request_id = ask_visit(scheduling, DUPONT).json["id"]
    path = f"/api/scheduling/requests/{request_id}/withdrawal"
    answers = fire(
        engine,
        "2× POST /api/scheduling/requests/<id>/withdrawal",
        [lambda: scheduling.client().post(path, headers=scheduling.headers(EMPLOYER))] * 2,
        [200, 422],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 422][0], 422)
    assert len(events_of(scheduling, "scheduling.appointment.requested.v1")) == 2  # asked, then withdrawn once


def past_visit(scheduling, status: str):
    """Dupont's periodic visit two days ago, convoked or realised (scheduled by the use case, as staff would)."""
    from scheduling.appointments import use_cases as appointments
    from scheduling.appointments.rules import Place, ScheduleCommand

    return appointments.schedule_appointment(
        scheduling.portal,
        ScheduleCommand(
            member_id=COMPANY,
            employee_id=DUPONT,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status=status,
            allow_past=True,
        ),
    )


def test_realised_and_unexcused_absence_recorded_at_once_keep_one_outcome_and_one_event(directory, engine):

    scheduling = directory
    visit = past_visit(scheduling, "convoquee")
    path = f"/api/scheduling/appointments/{visit.id}/outcome"
    pair = ((SECRETARY, "realisee"), (SECOND_SECRETARY, "absent_non_excuse"))
    answers = fire(
        engine,
        "POST /api/scheduling/appointments/<id>/outcome realisee ∥ absent_non_excuse",
        [
            lambda p=p, s=s: scheduling.client().post(path, json={"status": s}, headers=scheduling.headers(p))
            for p, s in pair
        ],
        [200, 409],
    )
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
    from scheduling.models import OutcomeCorrection

    scheduling = directory
    visit = past_visit(scheduling, "convoquee")
    staff = scheduling.headers(SECRETARY)
    missed = scheduling.client().post(
        f"/api/scheduling/appointments/{visit.id}/outcome", json={"status": "absent_non_excuse"}, headers=staff
    )
    assert missed.status_code == 200, missed.json
    path = f"/api/scheduling/appointments/{visit.id}/outcome-correction"
    body = {"status": "realisee", "version": missed.json["version"]}
    no_reason = scheduling.client().post(path, json=dict(body, reason=" "), headers=staff)
    assert no_reason.status_code == 422
    answers = fire(
        engine,
        "2× POST /api/scheduling/appointments/<id>/outcome-correction (same version read)",
        [
            lambda p=p: scheduling.client().post(
                path,
                json=dict(body, reason="Le salarié était présent : erreur de saisie"),
                headers=scheduling.headers(p),
            )
            for p in (SECRETARY, SECOND_SECRETARY)
        ],
        [200, 409],
    )
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
    answers = fire(
        engine,
        f"{BURST}× POST /api/members/members (same SIRET)",
        [lambda: members.client().post("/api/members/members", json=REGISTRATION, headers=headers)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    created_once(answers, "member_siret_taken")
    assert len(events_of(members, "members.member.registered.v1")) == 1


def test_approve_and_reject_of_one_change_at_once_decide_it_once(services, engine):
    from members.models import ChangeRequest, Member

    members = services["members"]
    member = members.client().post("/api/members/members", json=REGISTRATION, headers=members.headers(SECRETARY)).json
    asked = members.client().patch(
        f"/api/members/members/{member['id']}",
        json={"siret": "73282932000009"},
        headers=dict(members.headers(SECRETARY), **{"If-Match": '"1"'}),  # the version registered
    )
    [request] = asked.json
    assert request["status"] == "pending"
    base = f"/api/members/change-requests/{request['id']}"
    answers = fire(
        engine,
        "POST /api/members/change-requests/<id>/approve ∥ /reject",
        [
            lambda: members.client().post(f"{base}/approve", json={}, headers=members.headers(SECOND_SECRETARY)),
            lambda: members.client().post(
                f"{base}/reject", json={"reason": "SIRET non justifié"}, headers=members.headers(THIRD_SECRETARY)
            ),
        ],
        [200, 409],
    )
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


def registered_member(members) -> tuple[str, dict]:
    """A member registered by staff, and the headers of its administrator (re-authenticated: may sign a mandate)."""
    from portal_common.passport import STEP_UP_GRANT

    member = members.client().post("/api/members/members", json=REGISTRATION, headers=members.headers(SECRETARY)).json
    admin = make_principal(member_id=member["id"], roles=("admin",), grants=(STEP_UP_GRANT,))
    return member["id"], members.headers(admin)


NEW_ADDRESS = {"kind": "facturation", "line1": "5 avenue de Colmar", "postal_code": "68200", "city": "Mulhouse"}
NEW_CONTACT = {"kind": "responsable_rh", "name": "Sophie Martin", "email": "rh@boulangerie-martin.fr"}


def pending_requests(members, member_id: str) -> list:
    from members.models import ChangeRequest

    with members.portal.db.session_factory() as session:
        return session.scalars(
            select(ChangeRequest).where(ChangeRequest.member_id == member_id, ChangeRequest.status == "pending")
        ).all()


def test_an_address_sent_six_times_at_once_waits_once_and_a_contact_added_six_times_by_staff_is_added_once(
    services, engine
):
    members = services["members"]
    member_id, admin = registered_member(members)
    path = f"/api/members/members/{member_id}/addresses"
    answers = fire(
        engine,
        f"{BURST}× POST /api/members/members/<id>/addresses (member user: a request to validate)",
        [lambda: members.client().post(path, json=NEW_ADDRESS, headers=admin)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    [asked] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "change_already_requested")
            assert body["existing_id"] == asked["id"]
    assert [r.id for r in pending_requests(members, member_id)] == [asked["id"]]

    staff = members.headers(SECRETARY)
    path = f"/api/members/members/{member_id}/contacts"
    answers = fire(
        engine,
        f"{BURST}× POST /api/members/members/<id>/contacts (staff: applied at once)",
        [lambda: members.client().post(path, json=NEW_CONTACT, headers=staff)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    [added] = [body for status, body in answers if status == 201]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "already_recorded")
            assert body["existing_id"] == added["target_id"]
    assert [c["id"] for c in members.client().get(path, headers=staff).json] == [added["target_id"]]
    assert len(events_of(members, "members.contact.changed.v1")) == 1


def test_an_address_form_posted_twice_at_once_asks_once_and_sent_again_from_a_fresh_page_gets_the_french_409(
    services, engine
):
    members = services["members"]
    member_id, admin = registered_member(members)
    form = dict(NEW_ADDRESS, **page_tokens(members.client(), "/adherent/adresses", admin))
    answers = fire(
        engine,
        "2× POST /adherent/adresses (one form, one form_token)",
        [lambda: members.client().post("/adherent/adresses", data=form, headers=admin)] * 2,
    )
    assert [status for status, _ in answers] == [302, 302], answers
    assert len(pending_requests(members, member_id)) == 1
    again = dict(NEW_ADDRESS, **page_tokens(members.client(), "/adherent/adresses", admin))
    refused = members.client().post("/adherent/adresses", data=again, headers=admin)
    assert refused.status_code == 409
    assert "Une demande identique attend déjà la validation du service" in html.unescape(refused.text)
    assert len(pending_requests(members, member_id)) == 1


def test_an_edit_and_a_removal_of_one_contact_at_once_make_one_request_and_the_other_gets_a_french_409(
    services, engine
):
    members = services["members"]
    member_id, admin = registered_member(members)
    staff = members.headers(SECRETARY)
    added = members.client().post(f"/api/members/members/{member_id}/contacts", json=NEW_CONTACT, headers=staff).json
    path = f"/api/members/members/{member_id}/contacts/{added['target_id']}"
    edited = dict(NEW_CONTACT, name="Sophie Martin-Weber")
    admin = dict(admin, **{"If-Match": members.client().get(path, headers=admin).headers["ETag"]})
    answers = fire(
        engine,
        "PUT ∥ DELETE /api/members/members/<id>/contacts/<id> (member user)",
        [
            lambda: members.client().put(path, json=edited, headers=admin),
            lambda: members.client().delete(path, headers=admin),
        ],
        [200, 409],
    )
    [(_, kept)] = [a for a in answers if a[0] == 200]
    [(_, refused)] = [a for a in answers if a[0] == 409]
    assert_french_refusal(refused, 409, "change_already_requested")
    assert refused["existing_id"] == kept["id"]
    assert [r.id for r in pending_requests(members, member_id)] == [kept["id"]]
    # Staff's own changes apply at once: a removal and an edit at once leave the contact removed, never revived.
    staff = dict(staff, **{"If-Match": members.client().get(path, headers=staff).headers["ETag"]})
    answers = fire(
        engine,
        "2× DELETE /api/members/members/<id>/contacts/<id> (staff)",
        [lambda: members.client().delete(path, headers=staff), lambda: members.client().delete(path, headers=staff)],
        [200, 404],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 404][0], 404)
    assert members.client().get(f"/api/members/members/{member_id}/contacts", headers=staff).json == []


def test_two_staff_editing_one_contact_with_the_same_if_match_keep_one_and_answer_the_other_412(services, engine):
    members = services["members"]
    member_id, _admin = registered_member(members)
    staff = members.headers(SECRETARY)
    added = members.client().post(f"/api/members/members/{member_id}/contacts", json=NEW_CONTACT, headers=staff).json
    path = f"/api/members/members/{member_id}/contacts/{added['target_id']}"
    read = members.client().get(path, headers=staff)
    assert read.headers["ETag"] == f'"{read.json["version"]}"'
    blind = members.client().put(path, json=NEW_CONTACT, headers=staff)
    assert blind.status_code == 428
    assert_french_refusal(blind.json, 428, "if_match_required")
    edits = [dict(NEW_CONTACT, name="Sophie Martin-Weber"), dict(NEW_CONTACT, name="Sophie Weber")]
    with_etag = dict(staff, **{"If-Match": read.headers["ETag"]})
    answers = fire(
        engine,
        "PUT ∥ PUT /api/members/members/<id>/contacts/<id> (staff, same If-Match, two edits)",
        [lambda b=b: members.client().put(path, json=b, headers=with_etag) for b in edits],
        [200, 412],
    )
    [(_, kept)] = [a for a in answers if a[0] == 200]
    assert_french_refusal([b for s_, b in answers if s_ == 412][0], 412, "stale_version")
    after = members.client().get(path, headers=staff)
    assert after.json["name"] == kept["after"]["name"]
    assert after.headers["ETag"] == f'"{read.json["version"] + 1}"'
    assert len(events_of(members, "members.contact.changed.v1")) == 2  # added, then changed once
    stale_removal = members.client().delete(path, headers=with_etag)
    assert stale_removal.status_code == 412
    assert_french_refusal(stale_removal.json, 412, "stale_version")


def test_a_stale_address_form_shows_the_other_persons_changes_and_keeps_what_the_user_typed(services, engine):
    members = services["members"]
    member_id, admin = registered_member(members)
    staff = members.headers(SECRETARY)
    [main] = members.client().get(f"/api/members/members/{member_id}/addresses", headers=admin).json
    page = f"/adherent/adresses/{main['id']}"
    opened = members.client().get(page, headers=admin).text
    assert f'name="version" value="{main["version"]}"' in opened
    form = dict(page_tokens(members.client(), page, admin), version=main["version"])
    typed = {"kind": "principale", "line1": "9 rue du Sauvage", "postal_code": "68100", "city": "Mulhouse"}
    api = f"/api/members/members/{member_id}/addresses/{main['id']}"
    moved = members.client().put(
        api,
        json=dict(typed, line1="2 place de la Réunion"),
        headers=dict(staff, **{"If-Match": f'"{main["version"]}"'}),
    )
    assert moved.status_code == 200, moved.json
    refused = members.client().post(page, data=dict(form, **typed), headers=admin)
    covered(
        engine, "POST /adherent/adresses/<id> with the version read before a staff edit", [(refused.status_code, 0)]
    )
    text = html.unescape(refused.text)
    assert refused.status_code == 409
    assert "modifiées par quelqu'un d'autre" in text and "rien n'a été enregistré" in text
    assert "2 place de la Réunion" in text  # what staff saved, beside …
    assert 'value="9 rue du Sauvage"' in text  # … what the user typed, still in the form
    assert f'name="version" value="{main["version"] + 1}"' in text
    assert pending_requests(members, member_id) == []
    again = dict(page_tokens(members.client(), page, admin), version=main["version"] + 1, **typed)
    assert members.client().post(page, data=again, headers=admin).status_code == 302
    assert len(pending_requests(members, member_id)) == 1


PAGE_CENTRE = {
    "name": "Centre de Mulhouse",
    "line1": "5 avenue Kennedy",
    "postal_code": "68100",
    "city": "Mulhouse",
    "phone": "03 89 45 00 00",
}


def test_a_centre_form_posted_twice_creates_one_and_two_staff_saving_it_from_the_same_version_keep_one(
    services, engine
):
    from members.models import Centre

    members = services["members"]
    staff = (members.headers(SECRETARY), members.headers(SECOND_SECRETARY))
    form = dict(PAGE_CENTRE, **page_tokens(members.client(), "/gestion/adherents/centres", staff[0]))
    answers = fire(
        engine,
        "2× POST /gestion/adherents/centres (one form, one form_token)",
        [lambda: members.client().post("/gestion/adherents/centres", data=form, headers=staff[0])] * 2,
    )
    assert [status for status, _ in answers] == [302, 302], answers
    with members.portal.db.session_factory() as session:
        [centre] = session.scalars(select(Centre)).all()
    page = f"/gestion/adherents/centres/{centre.id}"
    assert f'name="version" value="{centre.version}"' in members.client().get(page, headers=staff[0]).text
    forms = [
        dict(PAGE_CENTRE, phone=phone, version=centre.version, **page_tokens(members.client(), page, h))
        for phone, h in zip(("03 89 45 99 99", "03 89 45 11 11"), staff, strict=True)
    ]
    answers = fire(
        engine,
        "2× POST /gestion/adherents/centres/<id> (two staff, the same version read)",
        [lambda f=f, h=h: members.client().post(page, data=f, headers=h) for f, h in zip(forms, staff, strict=True)],
        [302, 409],
        statuses_only=True,
    )
    with members.portal.db.session_factory() as session:
        saved = session.get(Centre, centre.id)
    assert saved.version == centre.version + 1 and saved.phone in {"+33389459999", "+33389451111"}
    # The one who lost sees it in French, with what is saved beside what they typed, and may save again.
    loser = forms[1] if saved.phone == "+33389459999" else forms[0]
    retyped = dict(loser, **page_tokens(members.client(), page, staff[0]))
    stale = members.client().post(page, data=retyped, headers=staff[0])
    text = html.unescape(stale.text)
    assert stale.status_code == 409 and "rien n'a été enregistré" in text
    assert f'value="{loser["phone"]}"' in text and "Version actuelle" in text
    assert f'name="version" value="{saved.version}"' in text


def test_two_staff_saving_one_team_from_the_same_page_at_once_keep_one_and_show_the_other_the_change(services, engine):
    from members.models import ChangeRequest, HealthTeam

    members = services["members"]
    member_id, _admin = registered_member(members)
    staff = (members.headers(SECRETARY), members.headers(SECOND_SECRETARY))
    page = f"/gestion/adherents/{member_id}/equipe"
    assert 'name="version" value="0"' in members.client().get(page, headers=staff[0]).text  # no team yet
    forms = [
        dict(doctor=doctor, version=0, **page_tokens(members.client(), page, h))
        for doctor, h in zip(("Dr Anne Weber", "Dr Paul Muller"), staff, strict=True)
    ]
    fire(
        engine,
        "2× POST /gestion/adherents/<id>/equipe (two staff, the same version read)",
        [lambda f=f, h=h: members.client().post(page, data=f, headers=h) for f, h in zip(forms, staff, strict=True)],
        [302, 409],
        statuses_only=True,
    )
    with members.portal.db.session_factory() as session:
        team = session.get(HealthTeam, member_id)
        audited = session.scalars(select(ChangeRequest).where(ChangeRequest.kind == "team")).all()
    assert team.version == 1 and team.doctor in {"Dr Anne Weber", "Dr Paul Muller"}
    assert len(audited) == 1 and audited[0].after == {"doctor": team.doctor}
    loser = next(f for f in forms if f["doctor"] != team.doctor)
    stale = members.client().post(
        page, data=dict(loser, **page_tokens(members.client(), page, staff[0])), headers=staff[0]
    )
    text = html.unescape(stale.text)
    assert stale.status_code == 409 and "modifiées par quelqu'un d'autre" in text
    assert team.doctor in text and f'value="{loser["doctor"]}"' in text


def test_a_record_edit_sent_six_times_at_once_waits_once(services, engine):
    members = services["members"]
    member_id, admin = registered_member(members)
    path = f"/api/members/members/{member_id}"
    answers = fire(
        engine,
        f"{BURST}× PATCH /api/members/members/<id> (member user: a request to validate)",
        [lambda: members.client().patch(path, json={"activity": "Boulangerie artisanale"}, headers=admin)] * BURST,
        [200] + [409] * (BURST - 1),
    )
    [[asked]] = [body for status, body in answers if status == 200]
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "change_already_requested")
            assert body["existing_id"] == asked["id"]
    assert [r.id for r in pending_requests(members, member_id)] == [asked["id"]]


def test_a_situation_change_declared_six_times_at_once_waits_once(services, engine):
    members = services["members"]
    member_id, admin = registered_member(members)
    body = {"kind": "cessation_activite", "effective_date": portal_clock.today().isoformat()}
    path = f"/api/members/members/{member_id}/situation-changes"
    answers = fire(
        engine,
        f"{BURST}× POST /api/members/members/<id>/situation-changes",
        [lambda: members.client().post(path, json=body, headers=admin)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    [asked] = [b for status, b in answers if status == 201]
    for status, refused in answers:
        if status == 409:
            assert_french_refusal(refused, 409, "change_already_requested")
            assert refused["existing_id"] == asked["id"]
    assert len(pending_requests(members, member_id)) == 1
    # Staff declaring it for the company apply it at once, and only once.
    staff = members.headers(SECRETARY)
    members.client().post(
        f"/api/members/change-requests/{asked['id']}/reject", json={"reason": "Doublon"}, headers=staff
    )
    answers = fire(
        engine,
        "2× POST /api/members/members/<id>/situation-changes (staff: applied at once)",
        [lambda: members.client().post(path, json=body, headers=staff)] * 2,
        [201, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409, "already_recorded")
    assert len(events_of(members, "members.situation.changed.v1")) == 1


IBAN = "FR76 3000 6000 0112 3456 7890 189"
MANDATE = {"iban": IBAN, "holder": "Boulangerie Martin", "email": "compta@example.fr", "consent": True}


def test_a_sepa_mandate_signed_six_times_at_once_is_one_mandate_and_revoked_twice_is_revoked_once(services, engine):
    from members.models import SepaMandate

    members = services["members"]
    member_id, admin = registered_member(members)
    path = f"/api/members/members/{member_id}/sepa-mandate"
    answers = fire(
        engine,
        f"{BURST}× POST /api/members/members/<id>/sepa-mandate",
        [lambda: members.client().post(path, json=MANDATE, headers=admin)] * BURST,
        [201] + [409] * (BURST - 1),
    )
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "mandate_already_pending")
            assert IBAN.replace(" ", "") not in str(body)
    with members.portal.db.session_factory() as session:
        [mandate] = session.scalars(select(SepaMandate).where(SepaMandate.member_id == member_id)).all()
    [request] = pending_requests(members, member_id)
    approved = members.client().post(
        f"/api/members/change-requests/{request.id}/approve", json={}, headers=members.headers(SECRETARY)
    )
    assert approved.status_code == 200, approved.json
    answers = fire(
        engine,
        "2× DELETE /api/members/members/<id>/sepa-mandate",
        [lambda: members.client().delete(path, headers=admin)] * 2,
        [200, 404],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 404][0], 404)
    assert len(events_of(members, "members.sepa_mandate.revoked.v1")) == 1
    with members.portal.db.session_factory() as session:
        assert session.get(SepaMandate, mandate.id).status == "revoked"


# --- billing -------------------------------------------------------------------------------------------------

BILLING_STAFF = make_principal(staff_roles=("billing",))
SECOND_BILLING_STAFF = make_principal(staff_roles=("billing",))
COTISATION = {
    "member_id": COMPANY,
    "kind": "cotisation",
    "issued_on": "2026-02-15",
    "due_on": "2026-03-17",
    "period": "2026",
    "vat_rate": "0.20",
    "lines": [{"label": "Cotisation annuelle 2026 (12 salariés)", "quantity": "12", "unit_price": "97.35"}],
}


@pytest.fixture
def billing(services):
    """Billing, knowing the company from members' event."""
    deliver(services["billing"], "members.member.registered.v1", member_id=COMPANY)
    return services["billing"]


def issue_invoice(billing, key: str | None = None, body: dict = COTISATION):
    headers = billing.headers(BILLING_STAFF)
    if key is not None:
        headers["Idempotency-Key"] = key
    return billing.client().post("/api/billing/invoices", json=body, headers=headers)


def test_an_invoice_issued_six_times_at_once_with_one_idempotency_key_is_issued_once(billing, engine):
    answers = fire(
        engine,
        f"{BURST}× POST /api/billing/invoices with one Idempotency-Key",
        [lambda: issue_invoice(billing, "invoice-0001")] * BURST,
    )
    assert {status for status, _ in answers} <= {201, 409}, answers
    issued = {body["id"] for status, body in answers if status == 201}
    assert len(issued) == 1, answers
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "idempotency_key_in_progress")
    retried = issue_invoice(billing, "invoice-0001")
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json["id"] in issued
    reused = issue_invoice(billing, "invoice-0001", dict(COTISATION, period="2027"))
    assert reused.status_code == 422
    assert_french_refusal(reused.json, 422, "idempotency_key_reused")
    assert len(events_of(billing, "billing.invoice.issued.v1")) == 1
    # Without a key, the same annual fee again meets its own rule: one live annual fee per company and year.
    again = issue_invoice(billing)
    assert again.status_code == 422
    assert_french_refusal(again.json, 422)
    assert len(events_of(billing, "billing.invoice.issued.v1")) == 1


def test_two_staff_recording_the_whole_amount_due_at_once_record_one_payment(billing, engine):
    invoice = issue_invoice(billing).json
    path = f"/api/billing/invoices/{invoice['id']}/payments"
    body = {"method": "virement", "amount": invoice["amount_due"], "received_on": "2026-03-01"}
    answers = fire(
        engine,
        "2× POST /api/billing/invoices/<id>/payments (the whole amount due)",
        [
            lambda i=i, p=p: billing.client().post(
                path, json=dict(body, reference=f"VIR-{i}"), headers=billing.headers(p)
            )
            for i, p in enumerate((BILLING_STAFF, SECOND_BILLING_STAFF))
        ],
        [201, 422],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 422][0], 422)
    payments = billing.client().get(path, headers=billing.headers(BILLING_STAFF)).json
    assert len(payments) == 1
    after = billing.client().get(f"/api/billing/invoices/{invoice['id']}", headers=billing.headers(BILLING_STAFF))
    assert after.json["amount_due"] == "0.00"


def test_two_credit_notes_cancelling_a_whole_invoice_at_once_issue_one(billing, engine):
    invoice = issue_invoice(billing).json
    path = f"/api/billing/invoices/{invoice['id']}/credit-notes"
    body = {"label": "Erreur sur l'effectif déclaré", "cancel_all": True}
    answers = fire(
        engine,
        "2× POST /api/billing/invoices/<id>/credit-notes (cancel everything)",
        [
            lambda p=p: billing.client().post(path, json=body, headers=billing.headers(p))
            for p in (BILLING_STAFF, SECOND_BILLING_STAFF)
        ],
    )
    assert sorted(status for status, _ in answers)[0] == 201 and [s for s, _ in answers].count(201) == 1, answers
    [(status, refused)] = [a for a in answers if a[0] != 201]
    assert status in (409, 422), answers
    assert_french_refusal(refused, status)
    assert len(billing.client().get(path, headers=billing.headers(BILLING_STAFF)).json) == 1
    assert len(events_of(billing, "billing.credit_note.issued.v1")) == 1


TARIFF = {
    "per_capita_fee": "110.00",
    "entry_fee": "30.00",
    "minimum_fee": "80.00",
    "late_hire_fee": "110.00",
    "no_show_fee": "50.00",
}


def test_a_years_tariff_created_twice_at_once_is_created_once_and_two_replacements_with_one_etag_keep_one(
    billing, engine
):
    from billing.models import TariffRow

    path = "/api/billing/tariffs/2026"
    answers = fire(
        engine,
        "2× PUT /api/billing/tariffs/<year> (no tariff yet, no If-Match)",
        [
            lambda p=p, fee=fee: billing.client().put(
                path, json=dict(TARIFF, per_capita_fee=fee), headers=billing.headers(p)
            )
            for p, fee in ((BILLING_STAFF, "110.00"), (SECOND_BILLING_STAFF, "112.00"))
        ],
    )
    assert sorted(status for status, _ in answers)[0] == 200 and [s_ for s_, _ in answers].count(200) == 1, answers
    [(status, refused)] = [a for a in answers if a[0] != 200]
    # The primary key, or the version read under BEGIN IMMEDIATE; or, when the second began once the first had
    # committed, the tariff it meets exists and a replacement needs its If-Match (428), as one after the other.
    assert status in (409, 412, 428), answers
    assert_french_refusal(refused, status)
    etag = billing.client().get(path, headers=billing.headers(BILLING_STAFF)).headers["ETag"]
    answers = fire(
        engine,
        "PUT ∥ PUT /api/billing/tariffs/<year> (same If-Match, two fees)",
        [
            lambda p=p, fee=fee: billing.client().put(
                path, json=dict(TARIFF, per_capita_fee=fee), headers=dict(billing.headers(p), **{"If-Match": etag})
            )
            for p, fee in ((BILLING_STAFF, "114.00"), (SECOND_BILLING_STAFF, "116.00"))
        ],
        [200, 412],
    )
    [(_, kept)] = [a for a in answers if a[0] == 200]
    assert_french_refusal([b for s_, b in answers if s_ == 412][0], 412, "stale_version")
    with billing.portal.db.session_factory() as session:
        [row] = session.scalars(select(TariffRow)).all()
    assert (str(row.per_capita_fee), row.version) == (kept["per_capita_fee"], 2)


def test_two_staff_saving_the_tariffs_page_from_the_same_version_keep_one_and_show_the_other_both(billing, engine):
    from billing.models import TariffRow

    page = "/gestion/factures/tarifs"
    staff = (billing.headers(BILLING_STAFF), billing.headers(SECOND_BILLING_STAFF))
    base = {
        "year": "2026",
        "national_average_cost": "",
        "entry_fee": "30",
        "minimum_fee": "80",
        "late_hire_fee": "110",
        "no_show_fee": "50",
        "sepa_discount_rate": "1,5",
        "vat_rate": "20",
        "multi_employer_share": "50",
        "estimate_uplift_rate": "10",
    }
    opened = billing.client().get(f"{page}?annee=2026", headers=staff[0]).text
    assert 'name="version" value="0"' in opened
    forms = [
        dict(base, per_capita_fee=fee, version="0", **page_tokens(billing.client(), page, h))
        for fee, h in zip(("110,00", "112,00"), staff, strict=True)
    ]
    fire(
        engine,
        "2× POST /gestion/factures/tarifs (two staff, the same version read)",
        [lambda f=f, h=h: billing.client().post(page, data=f, headers=h) for f, h in zip(forms, staff, strict=True)],
        [302, 409],
        statuses_only=True,
    )
    with billing.portal.db.session_factory() as session:
        [row] = session.scalars(select(TariffRow)).all()
    assert row.version == 1
    loser = next(f for f in forms if f["per_capita_fee"] != f"{row.per_capita_fee:.2f}".replace(".", ","))
    stale = billing.client().post(
        page, data=dict(loser, **page_tokens(billing.client(), page, staff[0])), headers=staff[0]
    )
    text = html.unescape(stale.text)
    assert stale.status_code == 409 and "rien n'a été enregistré" in text
    assert f'value="{loser["per_capita_fee"]}"' in text and 'name="version" value="1"' in text


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
    answers = fire(
        engine,
        f"{BURST}× POST /api/workforce/employees with one Idempotency-Key",
        [lambda: hire_with_key(workforce, "hire-0003")] * BURST,
    )
    assert {status for status, _ in answers} <= {201, 409}, answers
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1, answers
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "idempotency_key_in_progress")
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 1
    assert hire_with_key(workforce, "hire-0003").json["id"] in created


# --- which state-changing routes this suite fires ----------------------------------------------------------------

# Every POST, PUT, PATCH and DELETE of the five services, read from their URL maps: raced here (the
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
    "POST /api/workforce/employees/<string:employee_id>/post-changes": (
        "test_two_post_changes_read_at_one_version_record_one_and_answer_the_other_412"
    ),
    "POST /salaries/<employee_id>/numero-securite-sociale": (
        "test_nir_reveals_at_once_are_each_logged_and_the_daily_cap_holds"
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
    "POST /api/scheduling/appointments/<string:appointment_id>/move": (
        "test_two_moves_of_one_visit_at_once_move_it_once_and_a_move_beside_a_cancellation_lets_one_win"
    ),
    "POST /api/scheduling/slots/<string:slot_id>/move": (
        "test_two_moves_of_one_slot_at_once_move_it_once_and_a_slot_move_beside_a_cancellation_of_its_visit_both_hold"
    ),
    "POST /api/scheduling/appointments/<string:appointment_id>/outcome": (
        "test_realised_and_unexcused_absence_recorded_at_once_keep_one_outcome_and_one_event"
    ),
    "POST /api/scheduling/appointments/<string:appointment_id>/outcome-correction": (
        "test_a_recorded_outcome_is_corrected_only_explicitly_with_a_reason_and_once"
    ),
    "POST /api/members/members/<string:member_id>/addresses": (
        "test_an_address_sent_six_times_at_once_waits_once_and_a_contact_added_six_times_by_staff_is_added_once"
    ),
    "POST /api/members/members/<string:member_id>/contacts": (
        "test_an_address_sent_six_times_at_once_waits_once_and_a_contact_added_six_times_by_staff_is_added_once"
    ),
    "POST /adherent/<any(adresses, contacts):section>": (
        "test_an_address_form_posted_twice_at_once_asks_once_and_sent_again_from_a_fresh_page_gets_the_french_409"
    ),
    "DELETE,PUT /api/members/members/<string:member_id>/contacts/<string:entry_id>": (
        "test_an_edit_and_a_removal_of_one_contact_at_once_make_one_request_and_the_other_gets_a_french_409"
    ),
    "PATCH /api/members/members/<string:member_id>": "test_a_record_edit_sent_six_times_at_once_waits_once",
    "POST /gestion/adherents/centres": (
        "test_a_centre_form_posted_twice_creates_one_and_two_staff_saving_it_from_the_same_version_keep_one"
    ),
    "POST /gestion/adherents/centres/<string:centre_id>": (
        "test_a_centre_form_posted_twice_creates_one_and_two_staff_saving_it_from_the_same_version_keep_one"
    ),
    "POST /gestion/adherents/<string:member_id>/equipe": (
        "test_two_staff_saving_one_team_from_the_same_page_at_once_keep_one_and_show_the_other_the_change"
    ),
    "POST /api/members/members/<string:member_id>/situation-changes": (
        "test_a_situation_change_declared_six_times_at_once_waits_once"
    ),
    "DELETE,POST /api/members/members/<string:member_id>/sepa-mandate": (
        "test_a_sepa_mandate_signed_six_times_at_once_is_one_mandate_and_revoked_twice_is_revoked_once"
    ),
    "PUT /api/billing/tariffs/<int(min=2000, max=2100):year>": (
        "test_a_years_tariff_created_twice_at_once_is_created_once_and_two_replacements_with_one_etag_keep_one"
    ),
    "POST /gestion/factures/tarifs": (
        "test_two_staff_saving_the_tariffs_page_from_the_same_version_keep_one_and_show_the_other_both"
    ),
    "POST /api/billing/invoices": "test_an_invoice_issued_six_times_at_once_with_one_idempotency_key_is_issued_once",
    "POST /api/billing/invoices/<string:invoice_id>/payments": (
        "test_two_staff_recording_the_whole_amount_due_at_once_record_one_payment"
    ),
    "POST /api/billing/invoices/<string:invoice_id>/credit-notes": (
        "test_two_credit_notes_cancelling_a_whole_invoice_at_once_issue_one"
    ),
    "POST /api/scheduling/slots": "test_a_slot_opened_six_times_at_once_with_one_idempotency_key_is_opened_once",
    "POST /gestion/rendez-vous/creneaux": "test_a_slot_opened_six_times_at_once_with_one_idempotency_key_is_opened_once",
    "POST /api/scheduling/slots/<string:slot_id>/closure": (
        "test_a_slot_closed_twice_at_once_is_closed_once_and_deleted_twice_is_deleted_once"
    ),
    "DELETE /api/scheduling/slots/<string:slot_id>": (
        "test_a_slot_closed_and_deleted_at_once_ends_deleted_and_the_closure_either_came_first_or_finds_it_gone"
    ),
    "POST /api/scheduling/appointments": (
        "test_a_visit_staff_schedule_six_times_at_once_with_one_idempotency_key_is_scheduled_once"
    ),
    "POST /gestion/rendez-vous/<string:appointment_id>/document": (
        "test_a_document_form_posted_twice_at_once_publishes_one_document"
    ),
    "POST /gestion/factures/<string:invoice_id>/imputation": (
        "test_a_credit_offset_twice_at_once_and_refunded_meanwhile_is_used_once"
    ),
    "POST /gestion/factures/<string:invoice_id>/remboursement": (
        "test_two_staff_refunding_the_whole_credit_at_once_refund_it_once_and_one_form_posted_twice_refunds_once"
    ),
    "POST /gestion/adherents/<string:member_id>/modifier": (
        "test_two_staff_editing_one_record_with_the_same_if_match_keep_one_and_a_stale_page_shows_both"
    ),
    "POST /api/workforce/imports/<string:import_id>/confirm": (
        "test_an_import_confirmed_twice_at_once_hires_once_and_confirmed_while_abandoned_does_one_or_the_other"
    ),
    "DELETE /api/workforce/imports/<string:import_id>": (
        "test_an_import_confirmed_twice_at_once_hires_once_and_confirmed_while_abandoned_does_one_or_the_other"
    ),
    "PUT /api/workforce/imports/<string:import_id>/mapping": (
        "test_an_import_confirmed_twice_at_once_hires_once_and_confirmed_while_abandoned_does_one_or_the_other"
    ),
    "POST /api/workforce/dsn-imports/<string:import_id>/apply": (
        "test_a_dsn_applied_twice_at_once_is_applied_once_and_applied_while_abandoned_does_one_or_the_other"
    ),
    "DELETE /api/workforce/dsn-imports/<string:import_id>": (
        "test_a_dsn_applied_twice_at_once_is_applied_once_and_applied_while_abandoned_does_one_or_the_other"
    ),
    "POST /gestion/factures/prelevements/preparer": "test_sepa_debits_prepared_filed_collected_and_rejected_from_two_tabs_at_once_act_once",
    "POST /gestion/factures/prelevements/lots": "test_sepa_debits_prepared_filed_collected_and_rejected_from_two_tabs_at_once_act_once",
    "POST /gestion/factures/prelevements/<string:debit_id>/encaissement": "test_sepa_debits_prepared_filed_collected_and_rejected_from_two_tabs_at_once_act_once",
    "POST /gestion/factures/prelevements/<string:debit_id>/rejet": "test_sepa_debits_prepared_filed_collected_and_rejected_from_two_tabs_at_once_act_once",
    "POST /gestion/factures/remboursements/lots": (
        "test_a_refund_file_built_from_two_tabs_at_once_sends_each_transfer_once_and_a_card_payment_clicked_twice_starts_once"
    ),
    "POST /factures/<string:invoice_id>/payer-par-carte": (
        "test_a_refund_file_built_from_two_tabs_at_once_sends_each_transfer_once_and_a_card_payment_clicked_twice_starts_once"
    ),
    "POST /portefeuille/collaborateurs": "test_the_firm_collaborators_forms_posted_twice_at_once_act_once",
    "POST /portefeuille/collaborateurs/<user_id>": "test_the_firm_collaborators_forms_posted_twice_at_once_act_once",
    "POST /portefeuille/collaborateurs/<user_id>/retirer": "test_the_firm_collaborators_forms_posted_twice_at_once_act_once",
    "POST /compte/jetons-api/<token_id>/revocation": "test_the_company_users_forms_posted_twice_at_once_act_once",
    "POST /compte/adresse-e-mail": "test_the_account_forms_posted_twice_at_once_act_once",
    "POST /compte/double-authentification/activation": "test_the_account_forms_posted_twice_at_once_act_once",
    "POST /compte/double-authentification/desactivation": "test_the_account_forms_posted_twice_at_once_act_once",
    "POST /compte/entreprises/ajouter": "test_the_account_forms_posted_twice_at_once_act_once",
    "POST /compte/utilisateurs/<user_id>/retirer": "test_the_company_users_forms_posted_twice_at_once_act_once",
    "POST /compte/utilisateurs/<user_id>/roles": "test_the_company_users_forms_posted_twice_at_once_act_once",
    "POST /compte/utilisateurs/<user_id>/sessions/fin": "test_the_company_users_forms_posted_twice_at_once_act_once",
    "POST /compte/utilisateurs/inviter": "test_the_company_users_forms_posted_twice_at_once_act_once",
    "POST /adherent/documents": (
        "test_a_document_form_and_a_removal_posted_twice_at_once_act_once_and_a_new_code_asked_twice_is_renewed_once"
    ),
    "POST /adherent/documents/<string:document_id>/supprimer": (
        "test_a_document_form_and_a_removal_posted_twice_at_once_act_once_and_a_new_code_asked_twice_is_renewed_once"
    ),
    "POST /gestion/adherents/<string:member_id>/nouveau-code": (
        "test_a_document_form_and_a_removal_posted_twice_at_once_act_once_and_a_new_code_asked_twice_is_renewed_once"
    ),
}
PAGE_TWINS = {
    "POST /gestion/adherents": "POST /api/members/members",  # and its own double submission, below
    "POST /gestion/adherents/demandes/<string:request_id>": (
        "POST /api/members/change-requests/<string:request_id>/approve"
    ),
    "POST /salaries/nouveau": "POST /api/workforce/employees",
    "POST /salaries/<employee_id>/modifier": "PUT /api/workforce/employees/<string:employee_id>",
    "POST /salaries/<employee_id>/nouveau-poste": "POST /api/workforce/employees/<string:employee_id>/post-changes",
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
    "POST /gestion/rendez-vous/<string:appointment_id>/annulation": (
        "POST /api/scheduling/appointments/<string:appointment_id>/cancellation"
    ),
    "POST /gestion/rendez-vous/<string:appointment_id>/deplacement": (
        "POST /api/scheduling/appointments/<string:appointment_id>/move"
    ),
    "POST /gestion/rendez-vous/<string:appointment_id>/presence": (
        "POST /api/scheduling/appointments/<string:appointment_id>/outcome"
    ),
    "POST /gestion/rendez-vous/creneaux/<string:slot_id>/deplacement": "POST /api/scheduling/slots/<string:slot_id>/move",
    # Addresses and contacts share one use case and one rule; the contact's pair stands for the address's.
    "DELETE,PUT /api/members/members/<string:member_id>/addresses/<string:entry_id>": (
        "DELETE,PUT /api/members/members/<string:member_id>/contacts/<string:entry_id>"
    ),
    "POST /adherent/<any(adresses, contacts):section>/<string:entry_id>": (
        "DELETE,PUT /api/members/members/<string:member_id>/contacts/<string:entry_id>"
    ),
    "POST /adherent/<any(adresses, contacts):section>/<string:entry_id>/supprimer": (
        "DELETE,PUT /api/members/members/<string:member_id>/contacts/<string:entry_id>"
    ),
    "POST /adherent/modifier": "PATCH /api/members/members/<string:member_id>",
    "POST /adherent/situation": "POST /api/members/members/<string:member_id>/situation-changes",
    "POST /adherent/prelevement": "DELETE,POST /api/members/members/<string:member_id>/sepa-mandate",
    "POST /adherent/prelevement/revoquer": "DELETE,POST /api/members/members/<string:member_id>/sepa-mandate",
    "POST /gestion/rendez-vous/<string:appointment_id>/correction-presence": (
        "POST /api/scheduling/appointments/<string:appointment_id>/outcome-correction"
    ),
    "POST /gestion/factures/<string:invoice_id>/avoirs": "POST /api/billing/invoices/<string:invoice_id>/credit-notes",
    "POST /gestion/factures/<string:invoice_id>/reglements": "POST /api/billing/invoices/<string:invoice_id>/payments",
    "POST /gestion/rendez-vous/creneaux/<string:slot_id>/fermeture": (
        "POST /api/scheduling/slots/<string:slot_id>/closure"
    ),
    "POST /gestion/rendez-vous/creneaux/<string:slot_id>/suppression": "DELETE /api/scheduling/slots/<string:slot_id>",
    "POST /salaries/import/<import_id>/confirmer": "POST /api/workforce/imports/<string:import_id>/confirm",
    "POST /salaries/import/<import_id>/abandonner": "DELETE /api/workforce/imports/<string:import_id>",
    "POST /salaries/import/<import_id>/colonnes": "PUT /api/workforce/imports/<string:import_id>/mapping",
    "POST /salaries/dsn/<import_id>/appliquer": "POST /api/workforce/dsn-imports/<string:import_id>/apply",
    "POST /salaries/dsn/<import_id>/abandonner": "DELETE /api/workforce/dsn-imports/<string:import_id>",
}
READS_ONLY = "reads only (a POST keeps the NIR out of the URL)"
IDEMPOTENT = "idempotent by nature, not raced yet"
UPLOAD = (
    "an upload stages a file to preview and writes no employee: two uploads are two previews, each abandoned or "
    "confirmed on its own (confirmation is raced); a retry carries its Idempotency-Key, a double click its form token"
)
SESSION = (
    "opens, switches or ends the session it carries: its answer sets the cookie, never kept, so a second "
    "submission acts again on its own session"
)
PUBLIC = (
    "public form: its one-time form token alone keys a double click to one answer, and its one-time link or its "
    "throttle decides the rest; raced through the gateway (test_concurrency_gateway.py), not in process"
)
SECRET = (
    "its answer shows a secret once (never kept): a form posted twice runs twice and shows the second secret; "
    "the first stays listed and can be revoked"
)
NOT_RACED = {
    **dict.fromkeys(
        (
            "POST /api/workforce/imports",
            "POST /salaries/import",
            "POST /api/workforce/dsn-imports",
            "POST /salaries/dsn",
        ),
        UPLOAD,
    ),
    "POST /api/workforce/employees/search": READS_ONLY,
    "POST /salaries/recherche": READS_ONLY,
    # identity: its answers open, switch or end sessions, or come from public forms
    "DELETE /api/identity/users/<user_id>/sessions": IDEMPOTENT + " (a second call finds no session left to end)",
    **dict.fromkeys(
        (
            "POST /connexion",
            "POST /connexion/code/saisie",
            "POST /connexion/double-authentification",
            "POST /connexion/double-authentification/activation",
            "POST /compte/verification",
            "POST /changer-adherent",
            "POST /deconnexion",
            "POST /compte/sessions/<session_id>/fin",
            "POST /compte/sessions/autres/fin",
            "POST /compte/mot-de-passe",
            "POST /portefeuille/ouvrir",
            "POST /portefeuille/declarer",
        ),
        SESSION,
    ),
    **dict.fromkeys(
        (
            "POST /connexion/code",
            "POST /connexion/mot-de-passe-oublie",
            "POST /connexion/mot-de-passe-oublie/envoi",
            "POST /connexion/premier-compte",
            "POST /connexion/premier-compte/compte",
            "POST /connexion/invitation/<token>",
            "POST /connexion/activation/<token>",
            "POST /connexion/nouveau-mot-de-passe/<token>",
            "POST /connexion/nouvelle-adresse-e-mail/<token>",
        ),
        PUBLIC,
    ),
    "POST /compte/preferences-courriel": IDEMPOTENT
    + " (it sets the user's choices: the same form twice sets them once)",
    "POST /compte/jetons-api": SECRET,
    "POST /compte/double-authentification/codes": SECRET,
    # billing
    "POST /paiement-carte/notification": (
        "public provider callback: a replayed notification is refused by its reference and transaction"
    ),
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
    print(f"[concurrency {engine}] {len(routes)} state-changing routes of {', '.join(SERVICES)}:")
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
    answers = fire(
        engine,
        "2× POST /gestion/adherents (one form, one form_token)",
        [lambda: members.client().post("/gestion/adherents", data=form, headers=headers)] * 2,
    )
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


# --- the last routes raced: slots, staff visits, documents ---------------------------------------------------


def test_a_slot_closed_twice_at_once_is_closed_once_and_deleted_twice_is_deleted_once(directory, engine):
    scheduling = directory
    staff = (scheduling.headers(SECRETARY), scheduling.headers(SECOND_SECRETARY))
    slot = open_slot(scheduling, capacity=2)
    close = f"/api/scheduling/slots/{slot['id']}/closure"
    answers = fire(
        engine,
        "2× POST /api/scheduling/slots/<id>/closure",
        [lambda h=h: scheduling.client().post(close, headers=h) for h in staff],
        [200, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409)
    path = f"/api/scheduling/slots/{slot['id']}"
    answers = fire(
        engine,
        "2× DELETE /api/scheduling/slots/<id>",
        [lambda h=h: scheduling.client().delete(path, headers=h) for h in staff],
        [204, 404],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 404][0], 404)
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalars(select(Slot)).all() == []


def test_a_slot_closed_and_deleted_at_once_ends_deleted_and_the_closure_either_came_first_or_finds_it_gone(
    directory, engine
):
    """Closing then deleting a free slot are both allowed one after the other: whichever order the locks give, the
    slot ends deleted and the closure either succeeded first or answers 404 in French, never a 5xx."""
    scheduling = directory
    slot = open_slot(scheduling, capacity=1)
    answers = fire(
        engine,
        "POST /api/scheduling/slots/<id>/closure ∥ DELETE /api/scheduling/slots/<id>",
        [
            lambda: scheduling.client().post(
                f"/api/scheduling/slots/{slot['id']}/closure", headers=scheduling.headers(SECRETARY)
            ),
            lambda: scheduling.client().delete(
                f"/api/scheduling/slots/{slot['id']}", headers=scheduling.headers(SECOND_SECRETARY)
            ),
        ],
    )
    (closed, closed_body), (deleted, _) = answers
    assert deleted == 204 and closed in (200, 404), answers
    if closed == 404:
        assert_french_refusal(closed_body, 404)
    from scheduling.models import Slot

    with scheduling.portal.db.session_factory() as session:
        assert session.scalars(select(Slot)).all() == []
    # A slot holding a visit is never deleted, even while it is being closed: the delete answers 409.
    request_id = ask_visit(scheduling, DUPONT).json["id"]
    held = open_slot(scheduling, capacity=1)
    placed = scheduling.client().post(
        f"/api/scheduling/slots/{held['id']}/placements",
        json={"request_id": request_id},
        headers=scheduling.headers(SECRETARY),
    )
    assert placed.status_code == 201, placed.json
    answers = fire(
        engine,
        "POST …/closure ∥ DELETE /api/scheduling/slots/<id> (the slot holds a visit)",
        [
            lambda: scheduling.client().post(
                f"/api/scheduling/slots/{held['id']}/closure", headers=scheduling.headers(SECRETARY)
            ),
            lambda: scheduling.client().delete(
                f"/api/scheduling/slots/{held['id']}", headers=scheduling.headers(SECOND_SECRETARY)
            ),
        ],
    )
    assert [status for status, _ in answers] == [200, 409], answers
    assert_french_refusal(answers[1][1], 409)
    with scheduling.portal.db.session_factory() as session:
        assert session.scalar(select(Slot.booked).where(Slot.id == held["id"])) == 1


def slot_body(days: int = 30) -> dict:
    starts = next_open_day((utcnow() + timedelta(days=days)).date()).strftime("%Y-%m-%dT08:30:00+00:00")
    return {
        "centre": CENTRE,
        "professional_kind": "medecin",
        "professional_name": "Dr Claire Weber",
        "starts_at": starts,
        "duration_minutes": 30,
        "capacity": 4,
    }


def test_a_slot_opened_six_times_at_once_with_one_idempotency_key_is_opened_once(directory, engine):
    """Two slots opened are two slots (a professional may see two groups at one hour, in two rooms): what a
    retrying client needs is its Idempotency-Key, and a double click on the page its form token."""
    from scheduling.models import Slot

    scheduling = directory
    headers = dict(scheduling.headers(SECRETARY), **{"Idempotency-Key": "slot-0001"})
    answers = fire(
        engine,
        f"{BURST}× POST /api/scheduling/slots with one Idempotency-Key",
        [lambda: scheduling.client().post("/api/scheduling/slots", json=slot_body(), headers=headers)] * BURST,
    )
    assert {status for status, _ in answers} <= {201, 409}, answers
    opened = {body["id"] for status, body in answers if status == 201}
    assert len(opened) == 1, answers
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "idempotency_key_in_progress")
    with scheduling.portal.db.session_factory() as session:
        assert [s.id for s in session.scalars(select(Slot)).all()] == list(opened)
    staff = scheduling.headers(SECRETARY)
    form = {
        "centre_name": CENTRE["name"],
        "centre_address": CENTRE["address"],
        "professional_kind": "medecin",
        "professional_name": "Dr Claire Weber",
        "day": slot_body(days=40)["starts_at"][:10],
        "time": "08:30",
        "duration_minutes": "30",
        "capacity": "2",
    }
    form.update(page_tokens(scheduling.client(), "/gestion/rendez-vous", staff))
    answers = fire(
        engine,
        "2× POST /gestion/rendez-vous/creneaux (one form, one form_token)",
        [lambda: scheduling.client().post("/gestion/rendez-vous/creneaux", data=form, headers=staff)] * 2,
        [302, 302],
        statuses_only=True,
    )
    with scheduling.portal.db.session_factory() as session:
        assert len(session.scalars(select(Slot)).all()) == 2


def test_a_visit_staff_schedule_six_times_at_once_with_one_idempotency_key_is_scheduled_once(directory, engine):
    scheduling = directory
    body = {
        "member_id": COMPANY,
        "employee_id": DUPONT,
        "starts_at": slot_body()["starts_at"],
        "duration_minutes": 30,
        "visit_type": "periodique",
        "place": CENTRE,
        "professional_kind": "infirmier",
    }
    headers = dict(scheduling.headers(SECRETARY), **{"Idempotency-Key": "visit-0001"})
    answers = fire(
        engine,
        f"{BURST}× POST /api/scheduling/appointments with one Idempotency-Key",
        [lambda: scheduling.client().post("/api/scheduling/appointments", json=body, headers=headers)] * BURST,
    )
    assert {status for status, _ in answers} <= {201, 409}, answers
    assert len({body["id"] for status, body in answers if status == 201}) == 1, answers
    for status, refused in answers:
        if status == 409:
            assert_french_refusal(refused, 409, "idempotency_key_in_progress")
    assert len(events_of(scheduling, "scheduling.appointment.scheduled.v1")) == 1


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_document_form_posted_twice_at_once_publishes_one_document(directory, engine):
    """Two uploads from two forms are two documents (a corrected attestation is published after the first); one
    form posted twice is one: its form token."""
    import io

    scheduling = directory
    visit = past_visit(scheduling, "realisee")
    staff = scheduling.headers(SECRETARY)
    tokens = page_tokens(scheduling.client(), "/gestion/rendez-vous", staff)
    path = f"/gestion/rendez-vous/{visit.id}/document"
    fire(
        engine,
        "2× POST /gestion/rendez-vous/<id>/document (one form, one form_token)",
        [
            lambda: scheduling.client().post(
                path,
                data=dict(tokens, kind="attestation_suivi", file=(io.BytesIO(PDF), "attestation.pdf")),
                headers=staff,
                content_type="multipart/form-data",
            )
        ]
        * 2,
        [302, 302],
        statuses_only=True,
    )
    assert len(events_of(scheduling, "scheduling.document.published.v1")) == 1


# --- the last routes raced: a member's credit ----------------------------------------------------------------


def credit_held(billing) -> dict:
    """A paid annual fee then cancelled by a whole credit note: its amount is the member's credit."""
    invoice = issue_invoice(billing).json
    staff = billing.headers(BILLING_STAFF)
    paid = billing.client().post(
        f"/api/billing/invoices/{invoice['id']}/payments",
        json={"method": "virement", "amount": invoice["amount_due"], "received_on": "2026-03-01", "reference": "V1"},
        headers=staff,
    )
    assert paid.status_code == 201, paid.json
    cancelled = billing.client().post(
        f"/api/billing/invoices/{invoice['id']}/credit-notes",
        json={"label": "Adhésion résiliée", "cancel_all": True},
        headers=staff,
    )
    assert cancelled.status_code == 201, cancelled.json
    return invoice


def account(billing):
    from billing.ledger.queries import account_in, violations

    with billing.portal.db.session_factory() as session:
        assert violations(session) == []
        return account_in(session, COMPANY)


def test_two_staff_refunding_the_whole_credit_at_once_refund_it_once_and_one_form_posted_twice_refunds_once(
    billing, engine
):
    from decimal import Decimal

    from billing.models import LedgerEntry

    invoice = credit_held(billing)
    credit = account(billing).credit
    assert credit == Decimal(invoice["amount_incl_tax"])
    page = f"/gestion/factures/{invoice['id']}"
    staff = (billing.headers(BILLING_STAFF), billing.headers(SECOND_BILLING_STAFF))
    # One form posted twice: its form token makes it one refund (of half the credit, so a second would fit).
    half = (credit / 2).quantize(Decimal("0.01"))
    form = dict(page_tokens(billing.client(), page, staff[0]), refund_amount=french_amount(half))
    form["refund_method"] = "enregistre"
    fire(
        engine,
        "2× POST /gestion/factures/<id>/remboursement (one form, half the credit)",
        [lambda: billing.client().post(f"{page}/remboursement", data=form, headers=staff[0])] * 2,
        [302, 302],
        statuses_only=True,
    )
    rest = account(billing).credit
    assert rest == credit - half
    # Two staff refunding what is left at once: the account is held, one refunds, the other is told in French.
    forms = [dict(page_tokens(billing.client(), page, h), refund_amount=french_amount(rest)) for h in staff]
    for each in forms:
        each["refund_method"] = "enregistre"
    fire(
        engine,
        "2× POST /gestion/factures/<id>/remboursement (two staff, the whole credit left)",
        [
            lambda f=f, h=h: billing.client().post(f"{page}/remboursement", data=f, headers=h)
            for f, h in zip(forms, staff, strict=True)
        ],
        [302, 422],
        statuses_only=True,
    )
    assert account(billing).credit == 0
    with billing.portal.db.session_factory() as session:
        refunds = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "remboursement")).all()
    assert sorted(r.amount for r in refunds) == sorted([half, rest])


def french_amount(amount) -> str:
    return f"{amount:.2f}".replace(".", ",")


def test_a_credit_offset_twice_at_once_and_refunded_meanwhile_is_used_once(billing, engine):
    """Two staff set the credit off against an invoice while a third refunds it: the account is held, so the
    credit is used once; the others are told in French that nothing is left (409 and 422), never a 5xx."""
    from decimal import Decimal

    body = dict(
        COTISATION,
        period="2027",
        issued_on="2026-11-16",
        due_on="2026-12-16",
        lines=[{"label": "Cotisation annuelle 2027 (12 salariés)", "quantity": "12", "unit_price": "97.35"}],
    )
    owed = issue_invoice(billing, body=body).json  # first: an invoice issued later takes the credit by itself
    credit_invoice = credit_held(billing)
    credit = account(billing).credit
    assert credit > 0
    staff = (billing.headers(BILLING_STAFF), billing.headers(SECOND_BILLING_STAFF), billing.headers(BILLING_STAFF))
    offset_page = f"/gestion/factures/{owed['id']}"
    refund_page = f"/gestion/factures/{credit_invoice['id']}"
    forms = [dict(page_tokens(billing.client(), offset_page, h)) for h in staff[:2]]
    refund_form = dict(
        page_tokens(billing.client(), refund_page, staff[2]),
        refund_amount=french_amount(credit),
        refund_method="enregistre",
    )
    calls = [
        lambda f=f, h=h: billing.client().post(f"{offset_page}/imputation", data=f, headers=h)
        for f, h in zip(forms, staff[:2], strict=True)
    ]
    calls.append(lambda: billing.client().post(f"{refund_page}/remboursement", data=refund_form, headers=staff[2]))
    answers = fire(
        engine,
        "2× POST /gestion/factures/<id>/imputation ∥ POST …/remboursement (one credit)",
        calls,
        statuses_only=True,
    )
    offsets, refund = [s for s, _ in answers[:2]], answers[2][0]
    assert sorted(offsets + [refund]).count(302) == 1, answers
    assert set(offsets) <= {302, 409} and refund in (302, 422), answers
    assert account(billing).credit == 0
    after = billing.client().get(f"/api/billing/invoices/{owed['id']}", headers=staff[0]).json
    expected_due = Decimal(owed["amount_due"]) - (credit if 302 in offsets else 0)
    assert Decimal(after["amount_due"]) == max(expected_due, Decimal(0))


# --- the last routes raced: staff's record edit --------------------------------------------------------------


def test_two_staff_editing_one_record_with_the_same_if_match_keep_one_and_a_stale_page_shows_both(services, engine):
    from members.models import ChangeRequest, Member

    members = services["members"]
    member_id, _admin = registered_member(members)
    path = f"/api/members/members/{member_id}"
    staff = (members.headers(SECRETARY), members.headers(SECOND_SECRETARY))
    read = members.client().get(path, headers=staff[0])
    blind = members.client().patch(path, json={"activity": "Boulangerie"}, headers=staff[0])
    assert blind.status_code == 428
    assert_french_refusal(blind.json, 428, "if_match_required")
    edits = [{"activity": "Boulangerie artisanale"}, {"activity": "Pâtisserie"}]
    answers = fire(
        engine,
        "PATCH ∥ PATCH /api/members/members/<id> (staff, same If-Match, two edits)",
        [
            lambda b=b, h=h: members.client().patch(path, json=b, headers=dict(h, **{"If-Match": read.headers["ETag"]}))
            for b, h in zip(edits, staff, strict=True)
        ],
        [200, 412],
    )
    [(_, [kept])] = [a for a in answers if a[0] == 200]
    assert_french_refusal([b for s_, b in answers if s_ == 412][0], 412, "stale_version")
    after = members.client().get(path, headers=staff[0])
    assert after.json["activity"] == kept["after"]["activity"]
    assert after.headers["ETag"] == f'"{int(read.headers["ETag"].strip(chr(34))) + 1}"'
    assert len(events_of(members, "members.member.updated.v1")) == 1
    # The staff page carries the version: two staff saving from one page keep one, the other sees both.
    page = f"/gestion/adherents/{member_id}/modifier"
    opened = members.client().get(page, headers=staff[0]).text
    version = re.search(r'name="version" value="(\d+)"', opened)[1]
    record = {
        "name": REGISTRATION["name"],
        "siret": REGISTRATION["siret"],
        "member_number": after.json["member_number"],
        "adhesion_date": REGISTRATION["adhesion_date"],
        "status": after.json["status"],
        "activity": after.json["activity"],
    }
    forms = [
        dict(record, phone=phone, version=version, **page_tokens(members.client(), page, h))
        for phone, h in zip(("03 89 45 99 99", "03 89 45 11 11"), staff, strict=True)
    ]
    answers = fire(
        engine,
        "2× POST /gestion/adherents/<id>/modifier (two staff, the same version read)",
        [lambda f=f, h=h: members.client().post(page, data=f, headers=h) for f, h in zip(forms, staff, strict=True)],
        [302, 409],
        statuses_only=True,
    )
    with members.portal.db.session_factory() as session:
        saved = session.get(Member, member_id)
        applied = session.scalars(select(ChangeRequest).where(ChangeRequest.member_id == member_id)).all()
    assert saved.phone in {"+33389459999", "+33389451111"}
    assert len([r for r in applied if r.after.get("phone")]) == 1
    loser = next(f for f in forms if f["phone"].replace(" ", "")[1:] != saved.phone[3:])
    stale = members.client().post(
        page, data=dict(loser, **page_tokens(members.client(), page, staff[0])), headers=staff[0]
    )
    text = html.unescape(stale.text)
    assert stale.status_code == 409 and "rien n'a été enregistré" in text
    assert f'value="{loser["phone"]}"' in text and "Version actuelle" in text
    assert f'name="version" value="{saved.version}"' in text


# --- the last routes raced: an employee file imported --------------------------------------------------------

IMPORT_HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Lieu de naissance"
)
IMPORT_LINES = (
    "Lefèvre;;Élodie;F;01/10/1995;295109912611193;01/03/2024;Boulangère;;CDD;non;99350",
    "Bernard;;Luc;M;10/02/1986;186022A21532523;01/03/2024;Livreur;;Intérim;non;2A004",
)


def ready_import(workforce, headers) -> str:
    """A two-line file uploaded and its guessed columns chosen: checked, ready to confirm."""
    import base64

    content = "\r\n".join((IMPORT_HEADER, *IMPORT_LINES)).encode("cp1252")
    uploaded = workforce.client().post(
        "/api/workforce/imports",
        json={"file_name": "salaries.csv", "content_base64": base64.b64encode(content).decode()},
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.json
    path = f"/api/workforce/imports/{uploaded.json['id']}/mapping"
    answers = fire(
        engine_of(workforce),
        "2× PUT /api/workforce/imports/<id>/mapping (the same columns)",
        [lambda: workforce.client().put(path, json={"mapping": uploaded.json["mapping"]}, headers=headers)] * 2,
    )
    # The first checks the lines; one arriving meanwhile is told in French the file is being checked.
    assert 200 in {status for status, _ in answers} and {status for status, _ in answers} <= {200, 422}, answers
    for status, body in answers:
        if status == 422:
            assert_french_refusal(body, 422)
    ready = workforce.client().get(f"/api/workforce/imports/{uploaded.json['id']}", headers=headers).json
    assert ready["status"] == "ready", ready
    return uploaded.json["id"]


def engine_of(service) -> str:
    return "sqlite" if service.database_url.startswith("sqlite") else "postgresql"


def test_an_import_confirmed_twice_at_once_hires_once_and_confirmed_while_abandoned_does_one_or_the_other(
    services, engine
):
    from workforce.models import EmployeeImportRow

    workforce = services["workforce"]
    headers = workforce.headers(EMPLOYER)
    import_id = ready_import(workforce, headers)
    with workforce.portal.db.session_factory() as session:
        assert (
            len(session.scalars(select(EmployeeImportRow).where(EmployeeImportRow.import_id == import_id)).all()) == 2
        )
    path = f"/api/workforce/imports/{import_id}/confirm"
    answers = fire(
        engine,
        "2× POST /api/workforce/imports/<id>/confirm",
        [lambda: workforce.client().post(path, json={}, headers=headers)] * 2,
        [200, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409)
    assert len(workforce.client().get("/api/workforce/employees", headers=headers).json) == 2
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 2
    # Confirm ∥ abandon of another import (the same people: each would be a duplicate, acknowledged): one wins.
    other = ready_import(workforce, headers)
    answers = fire(
        engine,
        "POST /api/workforce/imports/<id>/confirm ∥ DELETE /api/workforce/imports/<id>",
        [
            lambda: workforce.client().post(
                f"/api/workforce/imports/{other}/confirm", json={"duplicates_acknowledged": True}, headers=headers
            ),
            lambda: workforce.client().delete(f"/api/workforce/imports/{other}", headers=headers),
        ],
    )
    (confirmed, confirm_body), (abandoned, abandon_body) = answers
    assert sorted((confirmed, abandoned)) in ([200, 409], [204, 409], [204, 422]), answers
    status = workforce.client().get(f"/api/workforce/imports/{other}", headers=headers).json["status"]
    if abandoned == 204:
        assert status == "cancelled"
        assert_french_refusal(confirm_body, confirmed)
        assert len(events_of(workforce, "workforce.employee.hired.v1")) == 2
    else:
        assert_french_refusal(abandon_body, 409)
        assert status != "cancelled"
    assert {a[0] for a in answers} < {200, 204, 409, 422}


# --- the last routes raced: DSN imports -----------------------------------------------------------------------


def staged_dsn(workforce, headers, month, staff) -> str:
    """One month's DSN uploaded and read by the worker: its preview ready to apply."""
    import io

    from bench.dsn_factory import dsn_bytes

    raw = dsn_bytes("732829320", "00074", month, staff)  # the SIRET of the catalogue's registered member
    uploaded = workforce.client().post(
        "/api/workforce/dsn-imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"files": [(io.BytesIO(raw), f"dsn_{month:%Y_%m}.txt")]},
    )
    assert uploaded.status_code == 202, uploaded.json
    run_import_worker(workforce)
    ready = workforce.client().get(f"/api/workforce/dsn-imports/{uploaded.json['id']}", headers=headers).json
    assert (ready["status"], ready["error_rows"]) == ("ready", 0), ready
    return uploaded.json["id"]


def run_import_worker(workforce) -> None:
    from workforce.imports import use_cases as imports

    with workforce.app.app_context():
        while imports.process_pending(workforce.portal):
            pass


def test_a_dsn_applied_twice_at_once_is_applied_once_and_applied_while_abandoned_does_one_or_the_other(
    services, engine
):
    from datetime import date

    from bench.dsn_factory import people

    workforce = services["workforce"]
    deliver(workforce, "members.member.registered.v1", member_id=COMPANY)
    # Payroll software sends its DSN with an API token (a browser session needs its CSRF header to upload).
    headers = workforce.headers(make_principal(member_id=COMPANY, roles=("admin",), session_ref="token:payroll"))
    march = staged_dsn(workforce, headers, date(2026, 3, 1), people(2))
    path = f"/api/workforce/dsn-imports/{march}/apply"
    answers = fire(
        engine,
        f"{BURST}× POST /api/workforce/dsn-imports/<id>/apply",
        [lambda: workforce.client().post(path, headers=headers)] * BURST,
        [202] + [409] * (BURST - 1),
    )
    for status, body in answers:
        if status == 409:
            assert_french_refusal(body, 409, "dsn_import_not_applicable")
    run_import_worker(workforce)
    assert workforce.client().get(f"/api/workforce/dsn-imports/{march}", headers=headers).json["status"] == "done"
    assert len(events_of(workforce, "workforce.employee.hired.v1")) == 2

    # April hires two more: applied ∥ abandoned, whichever takes the import's row first wins, the other is told.
    april = staged_dsn(workforce, headers, date(2026, 4, 1), people(4))
    answers = fire(
        engine,
        "POST /api/workforce/dsn-imports/<id>/apply ∥ DELETE /api/workforce/dsn-imports/<id>",
        [
            lambda: workforce.client().post(f"/api/workforce/dsn-imports/{april}/apply", headers=headers),
            lambda: workforce.client().delete(f"/api/workforce/dsn-imports/{april}", headers=headers),
        ],
    )
    (applied, apply_body), (abandoned, abandon_body) = answers
    assert sorted((applied, abandoned)) in ([202, 409], [204, 409]), answers
    run_import_worker(workforce)
    status = workforce.client().get(f"/api/workforce/dsn-imports/{april}", headers=headers).json["status"]
    if abandoned == 204:
        assert_french_refusal(apply_body, 409, "dsn_import_not_applicable")
        assert status == "cancelled" and len(events_of(workforce, "workforce.employee.hired.v1")) == 2
    else:
        assert_french_refusal(abandon_body, 409, "dsn_import_not_cancellable")
        assert status == "done" and len(events_of(workforce, "workforce.employee.hired.v1")) == 4
    assert len(workforce.client().get("/api/workforce/employees", headers=headers).json) in (2, 4)

    # Abandoned from two tabs at once: abandoned once, the other told it already is.
    may = staged_dsn(workforce, headers, date(2026, 5, 1), people(5))
    path = f"/api/workforce/dsn-imports/{may}"
    answers = fire(
        engine,
        "2× DELETE /api/workforce/dsn-imports/<id>",
        [lambda: workforce.client().delete(path, headers=headers)] * 2,
        [204, 409],
    )
    assert_french_refusal([b for s_, b in answers if s_ == 409][0], 409, "dsn_import_not_cancellable")
    assert workforce.client().get(path, headers=headers).json["status"] == "cancelled"


# --- the last routes raced: SEPA direct debits ---------------------------------------------------------------


def relay(source, target, event_type: str) -> None:
    """The source's own event (from its outbox) handled by the target as its worker does."""
    settings = target.portal.settings
    subscriptions = importlib.import_module(f"{target.name}.worker").subscriptions(settings)
    consumer = Consumer(
        service=target.name,
        db=target.portal.db,
        outbox=target.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions,
    )
    queue = next(s.queue for s in subscriptions if event_type in s.handlers)
    for event in events_of(source, event_type):
        with target.app.app_context():
            assert consumer.process(queue, event) is True


@pytest.fixture
def members_over_http(services, monkeypatch):
    """Members served over HTTP where billing reads a mandate's IBAN when it builds the pain.008 file."""
    import socket

    from werkzeug.serving import make_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, services["members"].app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="members-http", daemon=True)
    thread.start()
    monkeypatch.setitem(services["billing"].portal.settings.service_urls, "members", f"http://127.0.0.1:{port}")
    yield services["members"]
    server.shutdown()
    thread.join(timeout=5)


def mandated_member(members, billing) -> str:
    """A company registered at members with a billing address and a validated SEPA mandate, billing told."""
    from portal_common.passport import STEP_UP_GRANT

    registration = dict(REGISTRATION, billing_email="compta@boulangerie-martin.fr")  # where the notices go
    member_id = (
        members.client().post("/api/members/members", json=registration, headers=members.headers(SECRETARY)).json["id"]
    )
    admin = members.headers(make_principal(member_id=member_id, roles=("admin",), grants=(STEP_UP_GRANT,)))
    signed = members.client().post(f"/api/members/members/{member_id}/sepa-mandate", json=MANDATE, headers=admin)
    assert signed.status_code == 201, signed.json
    [request] = pending_requests(members, member_id)
    decided = members.client().post(
        f"/api/members/change-requests/{request.id}/approve", json={}, headers=members.headers(SECRETARY)
    )
    assert decided.status_code == 200, decided.json
    relay(members, billing, "members.member.registered.v1")
    relay(members, billing, "members.sepa_mandate.signed.v1")
    return member_id


def test_sepa_debits_prepared_filed_collected_and_rejected_from_two_tabs_at_once_act_once(
    services, members_over_http, engine, monkeypatch
):
    """Two staff preparing the debits at once plan each instalment once; generating the file at once makes one
    pain.008 (the other is told in French there is nothing left to send); a debit collected from two tabs is one
    payment; collected beside its reject ends rejected either way, its payment (if any) reversed, the ledger whole."""
    from decimal import Decimal

    from billing.ledger.queries import violations
    from billing.models import Payment, SepaBatch, SepaDebit

    members, billing = members_over_http, services["billing"]
    member_id = mandated_member(members, billing)
    today = portal_clock.today()
    body = dict(
        COTISATION,
        member_id=member_id,
        issued_on=today.isoformat(),
        due_on=(today + timedelta(days=30)).isoformat(),
        lines=[{"label": "Cotisation 2026", "quantity": "1", "unit_price": "5000.00"}],
    )
    issued = billing.client().post("/api/billing/invoices", json=body, headers=billing.headers(BILLING_STAFF))
    assert issued.status_code == 201, issued.json

    sepa = "/gestion/factures/prelevements"
    staff = (billing.headers(BILLING_STAFF), billing.headers(SECOND_BILLING_STAFF))

    def two_tabs(path: str, route: str, statuses: list[int], **data) -> list:
        forms = [dict(page_tokens(billing.client(), sepa, h), **data) for h in staff]
        return fire(
            engine,
            route,
            [
                lambda f=f, h=h: billing.client().post(path, data=f, headers=h)
                for f, h in zip(forms, staff, strict=True)
            ],
            statuses,
        )

    def debits() -> list:
        with billing.portal.db.session_factory() as session:
            return session.scalars(select(SepaDebit).order_by(SepaDebit.collection_date)).all()

    two_tabs(f"{sepa}/preparer", "2× POST /gestion/factures/prelevements/preparer (two tabs)", [302, 302])
    planned = debits()
    assert len(planned) == 3 and {d.invoice_id for d in planned} == {issued.json["id"]}
    assert sum(d.amount for d in planned) == sum(d.amount for d in planned[:1]) * 3

    until = planned[-1].collection_date.isoformat()
    answers = two_tabs(
        f"{sepa}/lots", "2× POST /gestion/factures/prelevements/lots (two tabs, one date)", [200, 422], until=until
    )
    with billing.portal.db.session_factory() as session:
        [batch] = session.scalars(select(SepaBatch)).all()
    assert batch.transaction_count == 3 and {d.status for d in debits()} == {"transmis"}

    first, second = planned[0], planned[1]
    monkeypatch.setattr("billing.sepa.use_cases.debits.today", lambda: second.collection_date)
    answers = two_tabs(
        f"{sepa}/{first.id}/encaissement",
        "2× POST /gestion/factures/prelevements/<id>/encaissement (two tabs)",
        [302, 409],
    )
    with billing.portal.db.session_factory() as session:
        assert len(session.scalars(select(Payment)).all()) == 1

    forms = [dict(page_tokens(billing.client(), sepa, h)) for h in staff]
    answers = fire(
        engine,
        "POST …/prelevements/<id>/encaissement ∥ POST …/prelevements/<id>/rejet",
        [
            lambda: billing.client().post(f"{sepa}/{second.id}/encaissement", data=forms[0], headers=staff[0]),
            lambda: billing.client().post(f"{sepa}/{second.id}/rejet", data=forms[1], headers=staff[1]),
        ],
    )
    (collected, _), (rejected, _) = answers
    # Collected then rejected (both allowed in that order) or rejected first (the collection refused): never a 5xx.
    assert (collected, rejected) in ((302, 302), (409, 302)), answers
    assert {d.id: d.status for d in debits()}[second.id] == "rejete"
    with billing.portal.db.session_factory() as session:
        payments = session.scalars(select(Payment).order_by(Payment.received_on)).all()
        assert violations(session) == []
    assert len(payments) == (2 if collected == 302 else 1)
    assert all(p.reversed_on is not None for p in payments[1:]) and payments[0].reversed_on is None
    invoice = billing.client().get(f"/api/billing/invoices/{issued.json['id']}", headers=staff[0]).json
    assert Decimal(invoice["amount_due"]) == Decimal(issued.json["amount_incl_tax"]) - first.amount, invoice


def test_a_refund_file_built_from_two_tabs_at_once_sends_each_transfer_once_and_a_card_payment_clicked_twice_starts_once(
    services, members_over_http, engine, monkeypatch
):
    """Two staff building the pain.001 file at once: one file with the waiting transfer, its refund booked once,
    the other told in French nothing is left to send. A « Payer par carte » form posted twice is one attempt."""
    from decimal import Decimal

    from billing.ledger.queries import account_in, violations
    from billing.models import CardPayment, LedgerEntry, RefundBatch

    members, billing = members_over_http, services["billing"]
    member_id = mandated_member(members, billing)
    today = portal_clock.today()
    staff = (billing.headers(BILLING_STAFF), billing.headers(SECOND_BILLING_STAFF))

    def annual_fee(year: int) -> dict:
        body = dict(
            COTISATION,
            member_id=member_id,
            period=str(year),
            issued_on=today.isoformat(),
            due_on=(today + timedelta(days=30)).isoformat(),
        )
        issued = billing.client().post("/api/billing/invoices", json=body, headers=staff[0])
        assert issued.status_code == 201, issued.json
        return issued.json

    paid = annual_fee(2026)
    recorded = billing.client().post(
        f"/api/billing/invoices/{paid['id']}/payments",
        json={"method": "virement", "amount": paid["amount_due"], "received_on": today.isoformat(), "reference": "V1"},
        headers=staff[0],
    )
    assert recorded.status_code == 201, recorded.json
    cancelled = billing.client().post(
        f"/api/billing/invoices/{paid['id']}/credit-notes",
        json={"label": "Adhésion résiliée", "cancel_all": True},
        headers=staff[0],
    )
    assert cancelled.status_code == 201, cancelled.json
    page = f"/gestion/factures/{paid['id']}"
    form = dict(
        page_tokens(billing.client(), page, staff[0]),
        refund_amount=french_amount(Decimal(paid["amount_incl_tax"])),
        refund_method="virement",
    )
    assert billing.client().post(f"{page}/remboursement", data=form, headers=staff[0]).status_code == 302

    refunds = "/gestion/factures/remboursements"
    forms = [dict(page_tokens(billing.client(), refunds, h), execution_date=today.isoformat()) for h in staff]
    fire(
        engine,
        "2× POST /gestion/factures/remboursements/lots (two tabs, one date)",
        [
            lambda f=f, h=h: billing.client().post(f"{refunds}/lots", data=f, headers=h)
            for f, h in zip(forms, staff, strict=True)
        ],
        [200, 422],
    )
    with billing.portal.db.session_factory() as session:
        [batch] = session.scalars(select(RefundBatch)).all()
        booked = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "remboursement")).all()
        assert violations(session) == [] and account_in(session, member_id).credit == 0
    assert batch.transaction_count == 1 and [e.amount for e in booked] == [Decimal(paid["amount_incl_tax"])]

    # « Payer par carte » clicked twice: one attempt for what is due, both clicks land on it.
    monkeypatch.setattr(billing.portal.settings, "card_signing_key", "concurrency-card-key-" + "k" * 32)
    owed = annual_fee(2027)
    payer = billing.headers(make_principal(member_id=member_id, roles=("admin",)))
    posted_twice(
        engine,
        "2× POST /factures/<id>/payer-par-carte (one form, one form_token)",
        [303, 303],
        billing,
        "/factures",
        f"/factures/{owed['id']}/payer-par-carte",
        payer,
    )
    with billing.portal.db.session_factory() as session:
        [attempt] = session.scalars(select(CardPayment).where(CardPayment.invoice_id == owed["id"])).all()
    assert attempt.amount == Decimal(owed["amount_due"]) and attempt.status == "en_attente"


# --- the last routes raced: identity's forms -----------------------------------------------------------------

IDENTITY_PASSWORD = "une phrase de passe assez longue"


def security_events(identity, kind: str) -> list:
    from identity.models import SecurityEvent

    with identity.portal.db.session_factory() as session:
        return session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def posted_twice(
    engine: str, route: str, statuses: list[int], service, page: str, path: str, headers: dict, **data
) -> None:
    """One form (one form token) posted twice at once, as a double click does, answered `statuses`."""
    form = dict(page_tokens(service.client(), page, headers), **data)
    fire(
        engine,
        route,
        [lambda: service.client().post(path, data=form, headers=headers)] * 2,
        statuses,
        statuses_only=True,
    )


def test_the_company_users_forms_posted_twice_at_once_act_once(services, engine):
    """Invite, change roles, end sessions, remove a user: each form's token makes a double click one action (one
    invitation, one log line each); an API token revoked from two tabs at once is revoked once."""
    from identity.accounts import use_cases as accounts
    from identity.api_tokens import use_cases as api_tokens
    from identity.models import Invitation, MemberLink
    from identity.security_log.rules import Client

    identity = services["identity"]
    deliver(identity, "members.member.registered.v1", member_id=COMPANY)
    owner = accounts.create_user(
        identity.portal, email="patron@boulangerie.fr", display_name="Patron", password=IDENTITY_PASSWORD
    )
    clerk = accounts.create_user(
        identity.portal, email="compta@boulangerie.fr", display_name="Compta", password=IDENTITY_PASSWORD
    )
    accounts.link_member(identity.portal, user_id=owner.id, member_id=COMPANY, roles=("admin",))
    accounts.link_member(identity.portal, user_id=clerk.id, member_id=COMPANY, roles=("billing",))
    admin = identity.headers(make_principal(user_id=owner.id, member_id=COMPANY, roles=("admin",)))
    team = "/compte/utilisateurs"

    posted_twice(
        engine,
        "2× POST /compte/utilisateurs/inviter (one form, one form_token)",
        [303, 303],
        identity,
        team,
        f"{team}/inviter",
        admin,
        last_name="Klein",
        first_name="Léa",
        email="lea.klein@boulangerie.fr",
        roles="read",
    )
    with identity.portal.db.session_factory() as session:
        assert len(session.scalars(select(Invitation)).all()) == 1
    assert len(security_events(identity, "invitation")) == 1

    posted_twice(
        engine,
        "2× POST /compte/utilisateurs/<id>/roles (one form)",
        [303, 303],
        identity,
        team,
        f"{team}/{clerk.id}/roles",
        admin,
        roles="declaration",
    )
    assert len(security_events(identity, "roles_changed")) == 1

    posted_twice(
        engine,
        "2× POST /compte/utilisateurs/<id>/sessions/fin (one form)",
        [303, 303],
        identity,
        team,
        f"{team}/{clerk.id}/sessions/fin",
        admin,
    )
    assert len(security_events(identity, "sessions_ended_by_admin")) == 1

    posted_twice(
        engine,
        "2× POST /compte/utilisateurs/<id>/retirer (one form)",
        [303, 303],
        identity,
        team,
        f"{team}/{clerk.id}/retirer",
        admin,
    )
    assert len(security_events(identity, "user_removed")) == 1
    with identity.portal.db.session_factory() as session:
        assert session.get(MemberLink, (clerk.id, COMPANY)) is None

    created = api_tokens.create(
        identity.portal,
        member_id=COMPANY,
        name="Logiciel de paie",
        scopes=["workforce"],
        creator_id=owner.id,
        client=Client(),
    )
    tabs = [dict(page_tokens(identity.client(), "/compte/jetons-api", admin)) for _ in range(2)]
    path = f"/compte/jetons-api/{created.row.id}/revocation"
    answers = fire(
        engine,
        "2× POST /compte/jetons-api/<id>/revocation (two tabs)",
        [lambda f=f: identity.client().post(path, data=f, headers=admin) for f in tabs],
    )
    assert [status for status, _ in answers] == [303, 303], answers
    assert len(security_events(identity, "token_revoked")) == 1


def test_the_account_forms_posted_twice_at_once_act_once(services, engine):
    """A new e-mail address asked, the second factor switched on and off, a company added by its codes: each
    form's token makes a double click one action (one link, one log line, one factor, one link to the company).
    The activation's answer shows recovery codes (never kept): the second click finds the code just used and
    says in French the factor is already on, never « code incorrect » with a new QR code."""
    import pyotp

    from identity.accounts import use_cases as accounts
    from identity.mfa import use_cases as second_factor
    from identity.models import MemberLink, OneTimeLink, RecoveryCode, TotpFactor
    from portal_common.digests import keyed_digest
    from portal_common.passport import STEP_UP_GRANT

    identity = services["identity"]
    deliver(identity, "members.member.registered.v1", member_id=COMPANY)
    other_company, code = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02", "GC9M15ZA"
    deliver(
        identity,
        "members.member.registered.v1",
        member_id=other_company,
        member_number="1000002",
        name="Garage du Centre",
        declarant_code_digest=keyed_digest(identity.portal.settings.internal_key, "declarant-code", code),
    )
    owner = accounts.create_user(
        identity.portal, email="patron@boulangerie.fr", display_name="Patron", password=IDENTITY_PASSWORD
    )
    accounts.link_member(identity.portal, user_id=owner.id, member_id=COMPANY, roles=("admin",))
    me = identity.headers(
        make_principal(user_id=owner.id, member_id=COMPANY, roles=("admin",), grants=(STEP_UP_GRANT,))
    )

    new = "patron@nouvelle-boulangerie.fr"
    posted_twice(
        engine,
        "2× POST /compte/adresse-e-mail (one form, one form_token)",
        [200, 200],
        identity,
        "/compte/adresse-e-mail",
        "/compte/adresse-e-mail",
        me,
        new_email=new,
        confirmation=new,
    )
    with identity.portal.db.session_factory() as session:
        assert len(session.scalars(select(OneTimeLink).where(OneTimeLink.user_id == owner.id)).all()) == 1
    assert len(security_events(identity, "email_change_request")) == 1

    posted_twice(
        engine,
        "2× POST /compte/entreprises/ajouter (one form)",
        [303, 303],
        identity,
        "/compte/entreprises/ajouter",
        "/compte/entreprises/ajouter",
        me,
        member_number="1000002",
        declarant_code=code,
    )
    with identity.portal.db.session_factory() as session:
        assert session.get(MemberLink, (owner.id, other_company)) is not None
    assert len(security_events(identity, "member_link_added")) == 1

    user = accounts_user(identity, owner.id)
    secret = second_factor.begin_enrolment(identity.portal, user).secret
    enrol = "/compte/double-authentification/activation"
    form = dict(page_tokens(identity.client(), enrol, me), code=pyotp.TOTP(secret).now())
    fire(
        engine,
        "2× POST /compte/double-authentification/activation (one form, one code)",
        [lambda: identity.client().post(enrol, data=form, headers=me)] * 2,
        [200, 303],
    )
    with identity.portal.db.session_factory() as session:
        factor = session.get(TotpFactor, owner.id)
        assert factor.confirmed_at is not None and factor.pending_secret is None
        assert len(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == owner.id)).all()) == 10
    enrolments = security_events(identity, "mfa_enrolment")
    assert [e.outcome for e in enrolments] == ["success"], [e.outcome for e in enrolments]

    posted_twice(
        engine,
        "2× POST /compte/double-authentification/desactivation (one form)",
        [303, 303],
        identity,
        "/compte/double-authentification",
        "/compte/double-authentification/desactivation",
        me,
    )
    assert [e.outcome for e in security_events(identity, "mfa_disabled")] == ["success"]
    with identity.portal.db.session_factory() as session:
        assert session.get(TotpFactor, owner.id) is None


def accounts_user(identity, user_id: str):
    from identity.models import User

    with identity.portal.db.session_factory() as session:
        user = session.get(User, user_id)
        session.expunge(user)
        return user


def test_the_firm_collaborators_forms_posted_twice_at_once_act_once(services, engine):
    """An accounting firm's administrator invites a collaborator, changes his clients and removes him: each form's
    token makes a double click one action (one invitation, one access taken back, one removal in the log)."""
    from identity.accounts import use_cases as accounts
    from identity.models import FirmUser, Invitation, MemberLink, User
    from portal_common.mail import mail_outbox_table

    identity = services["identity"]
    garage = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"
    deliver(identity, "members.member.registered.v1", member_id=COMPANY)
    deliver(identity, "members.member.registered.v1", member_id=garage, member_number="1000002", name="Garage")
    firm = accounts.create_user(
        identity.portal, email="cabinet@fiducia.fr", display_name="Cabinet Fiducia", password=IDENTITY_PASSWORD
    )
    for member_id in (COMPANY, garage):
        accounts.link_member(
            identity.portal, user_id=firm.id, member_id=member_id, roles=("billing", "declaration"), kind="delegate"
        )
    admin = identity.headers(make_principal(user_id=firm.id, member_id=COMPANY, roles=("billing", "declaration")))
    page = "/portefeuille/collaborateurs"

    grants = {"clients": [COMPANY, garage], f"roles-{COMPANY}": ["declaration"], f"roles-{garage}": ["declaration"]}
    posted_twice(
        engine,
        "2× POST /portefeuille/collaborateurs (one form, one form_token)",
        [303, 303],
        identity,
        page,
        page,
        admin,
        last_name="Klein",
        first_name="Léa",
        email="lea@fiducia.fr",
        **grants,
    )
    with identity.portal.db.session_factory() as session:
        invitations = session.scalars(select(Invitation)).all()  # one per client, under one e-mailed link
        [body] = session.scalars(select(mail_outbox_table(MetaData()).c.body)).all()
    assert sorted(i.member_id for i in invitations) == sorted((COMPANY, garage))
    assert len({i.link_id for i in invitations}) == 1 and len(security_events(identity, "invitation")) == 1
    link = re.search(r"(/connexion/activation/\S+)", body).group(1)
    visitor = identity.client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', visitor.get(link).text).group(1)
    accepted = visitor.post(
        link, data={"csrf_token": csrf, "new_password": IDENTITY_PASSWORD, "confirmation": IDENTITY_PASSWORD}
    )
    assert accepted.status_code == 303, accepted.text
    with identity.portal.db.session_factory() as session:
        lea = session.scalar(select(User.id).where(User.email == "lea@fiducia.fr"))
        assert session.get(FirmUser, lea).role == "collaborator"

    kept = {"clients": [COMPANY], f"roles-{COMPANY}": ["billing", "declaration"]}
    posted_twice(
        engine,
        "2× POST /portefeuille/collaborateurs/<id> (one form)",
        [303, 303],
        identity,
        f"{page}/{lea}",
        f"{page}/{lea}",
        admin,
        **kept,
    )
    assert len(security_events(identity, "delegation_revoked")) == 1
    with identity.portal.db.session_factory() as session:
        assert session.get(MemberLink, (lea, garage)) is None
        assert session.get(MemberLink, (lea, COMPANY)).role_set == {"billing", "declaration"}

    posted_twice(
        engine,
        "2× POST /portefeuille/collaborateurs/<id>/retirer (one form)",
        [303, 303],
        identity,
        page,
        f"{page}/{lea}/retirer",
        admin,
    )
    assert len(security_events(identity, "user_removed")) == 1
    with identity.portal.db.session_factory() as session:
        assert session.get(FirmUser, lea) is None and session.get(MemberLink, (lea, COMPANY)) is None


# --- the last routes raced: members' documents and n° télédéclarant --------------------------------------------


def test_a_document_form_and_a_removal_posted_twice_at_once_act_once_and_a_new_code_asked_twice_is_renewed_once(
    services, engine
):
    """Two uploads from two forms are two documents (a company may file two DUERP versions); one form posted twice
    is one, by its form token; so is a removal and a n° télédéclarant renewed (the letter printed is the last)."""
    import io

    from members.models import ChangeRequest, Document

    members = services["members"]
    member_id, admin = registered_member(members)
    tokens = page_tokens(members.client(), "/adherent/documents", admin)
    fire(
        engine,
        "2× POST /adherent/documents (one form, one form_token)",
        [
            lambda: members.client().post(
                "/adherent/documents",
                data=dict(tokens, kind="duerp", title="DUERP 2026", file=(io.BytesIO(PDF), "duerp.pdf")),
                headers=admin,
                content_type="multipart/form-data",
            )
        ]
        * 2,
        [302, 302],
        statuses_only=True,
    )
    with members.portal.db.session_factory() as session:
        [document] = session.scalars(select(Document).where(Document.member_id == member_id)).all()
    posted_twice(
        engine,
        "2× POST /adherent/documents/<id>/supprimer (one form)",
        [302, 302],
        members,
        "/adherent/documents",
        f"/adherent/documents/{document.id}/supprimer",
        admin,
    )
    with members.portal.db.session_factory() as session:
        assert session.scalars(select(Document).where(Document.member_id == member_id)).all() == []

    staff = members.headers(SECRETARY)
    before = len(events_of(members, "members.member.updated.v1"))
    posted_twice(
        engine,
        "2× POST /gestion/adherents/<id>/nouveau-code (one form)",
        [302, 302],
        members,
        f"/gestion/adherents/{member_id}",
        f"/gestion/adherents/{member_id}/nouveau-code",
        staff,
    )
    assert len(events_of(members, "members.member.updated.v1")) == before + 1
    with members.portal.db.session_factory() as session:
        audited = session.scalars(select(ChangeRequest).where(ChangeRequest.member_id == member_id)).all()
    assert [r.after for r in audited if "declarant_code" in (r.after or {})] == [{"declarant_code": "nouveau"}]
