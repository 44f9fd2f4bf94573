"""Staff move a whole slot (the doctor's Tuesday 9:00 becomes Thursday 14:00): it keeps its centre, professional,
duration and capacity, and every visit it holds is convoked again as a moved visit is (new PDF, one e-mail « Votre
convocation est modifiée » naming the old date and the reason, scheduling.appointment.rescheduled.v1)."""

import time as wall_clock
from datetime import UTC, date, datetime, timedelta

import pytest

from portal_common.clock import PARIS, utcnow
from portal_common.formats import date_fr, time_fr
from portal_common.testing import make_principal
from scheduling.business_calendar.rules import next_open_day

from .test_calendar_and_cancellation_reasons import SECRETARY, future_year, hidden, open_day, slot_body

pytestmark = pytest.mark.integration

REASON = "Dr Weber remplace un confrère le mardi"


def open_slot(service, days=30, **overrides):
    answer = service.client().post(
        "/api/scheduling/slots", json=slot_body(open_day(days), **overrides), headers=service.headers(SECRETARY)
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def place(service, slot_id, employee_id):
    client, headers = service.client(), service.headers(SECRETARY)
    due = next(
        o
        for o in client.get(f"/api/scheduling/obligations?employee_id={employee_id}", headers=headers).json
        if o["rule"] == "vip_initiale"
    )
    placed = client.post(
        f"/api/scheduling/slots/{slot_id}/placements", json={"obligation_id": due["id"]}, headers=headers
    )
    assert placed.status_code == 201, placed.json
    return placed.json


def move(service, slot, starts_at, *, version=None, reason=REASON, headers=None):
    return service.client().post(
        f"/api/scheduling/slots/{slot['id']}/move",
        json={"starts_at": starts_at, "reason": reason, "version": slot["version"] if version is None else version},
        headers=headers or service.headers(SECRETARY),
    )


def at(days: int, hour: int) -> str:
    """An open day `days` from now at `hour` UTC."""
    day = next_open_day((utcnow() + timedelta(days=days)).date())
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


def slots_by_id(service):
    return {s["id"]: s for s in service.client().get("/api/scheduling/slots", headers=service.headers(SECRETARY)).json}


def of_type(service, event_type):
    return [e for e in service.events() if e.type == event_type]


def test_a_booked_slot_moved_convokes_each_of_its_visits_again_naming_the_old_date_and_the_reason(
    service, directory, deliver, portal_env
):
    deliver(
        "members.member.updated.v1", member_id=directory.member_a, version=2, convocation_email="planning@martin.fr"
    )
    slot = open_slot(service, capacity=2)
    visits = [place(service, slot["id"], employee) for employee in (directory.dupont, directory.bernard)]
    first_convocations = {
        e.data["appointment_id"]: e.data["document_id"] for e in of_type(service, "scheduling.document.published.v1")
    }
    new_start = at(40, 13)

    moved = move(service, slot, new_start)

    assert moved.status_code == 200, moved.json
    assert moved.json["id"] == slot["id"] and moved.json["starts_at"] == new_start
    assert moved.json["reconvoked"] == 2 and moved.json["booked"] == 2 and moved.json["capacity"] == 2
    assert moved.json["version"] > slot["version"]
    assert {k: moved.json[k] for k in ("centre", "professional_kind", "professional_name", "duration_minutes")} == {
        k: slot[k] for k in ("centre", "professional_kind", "professional_name", "duration_minutes")
    }
    for visit in visits:
        now = service.client().get(f"/api/scheduling/appointments/{visit['id']}", headers=service.headers(SECRETARY))
        assert now.json["starts_at"] == new_start and now.json["status"] == "convoquee"
        assert now.json["version"] > visit["version"]
    rescheduled = of_type(service, "scheduling.appointment.rescheduled.v1")
    assert sorted(e.subject for e in rescheduled) == sorted(v["id"] for v in visits)
    for event in rescheduled:
        assert event.data["previous_starts_at"] == slot["starts_at"].replace("+00:00", "Z")
        assert event.data["replaced_document_ids"] == [first_convocations[event.subject]]
    assert len(of_type(service, "scheduling.document.published.v1")) == 4  # a new convocation each
    assert not of_type(service, "scheduling.appointment.cancelled.v1")

    service.deliver_mail()
    deadline = wall_clock.monotonic() + 10
    while wall_clock.monotonic() < deadline:
        changed = [
            m
            for m in portal_env.smtp.to("planning@martin.fr")
            if m["Subject"].startswith("Votre convocation est modifiée")
        ]
        if len(changed) >= 2:
            break
        wall_clock.sleep(0.1)
    assert len(changed) == 2
    old = datetime.fromisoformat(slot["starts_at"])
    for mail in changed:
        body = " ".join(mail.get_content().split())
        assert f"Cette convocation remplace celle du {date_fr(old)} à {time_fr(old)}" in body
        assert f"Motif : {REASON}" in body
    bodies = " ".join(m.get_content() for m in changed)
    assert "MARTIN" in bodies and "BERNARD" in bodies


def test_a_free_slot_moves_without_any_mail_or_rescheduled_event(service, directory):
    slot = open_slot(service)
    moved = move(service, slot, at(40, 13))
    assert moved.status_code == 200, moved.json
    assert moved.json["reconvoked"] == 0 and moved.json["booked"] == 0
    assert slots_by_id(service)[slot["id"]]["starts_at"] == moved.json["starts_at"]
    assert not of_type(service, "scheduling.appointment.rescheduled.v1")
    assert not of_type(service, "scheduling.document.published.v1")
    with service.portal.db.session_factory() as session:
        from sqlalchemy import func, select

        from scheduling.models import mail_outbox

        assert session.scalar(select(func.count()).select_from(mail_outbox)) == 0


def test_a_sunday_a_holiday_a_past_time_or_an_overlap_is_refused_in_french_and_nothing_changes(service, directory):
    slot = open_slot(service)
    visit = place(service, slot["id"], directory.dupont)
    # The professional's other slot, on another open day at 9:00 (30 minutes).
    other = open_slot(service, days=50)
    year = future_year()
    sunday = next(date(year, 6, d) for d in range(1, 8) if date(year, 6, d).weekday() == 6)
    refusals = {
        f"{year}-12-25T09:00:00+01:00": f"Le 25/12/{year} est férié (Noël) : aucun créneau ne peut y être ouvert.",
        f"{sunday.isoformat()}T09:00:00+02:00": (
            f"Le {sunday:%d/%m/%Y} est un dimanche : aucun créneau ne peut y être ouvert."
        ),
        "2020-01-07T09:00:00+00:00": "Le créneau doit commencer dans le futur.",
        (datetime.fromisoformat(other["starts_at"]) + timedelta(minutes=15)).isoformat(): (
            f"Dr Claire Weber a déjà un créneau le "
            f"{datetime.fromisoformat(other['starts_at']).astimezone(PARIS):%d/%m/%Y à %H:%M} (30 min) : "
            "choisissez une autre heure."
        ),
        slot["starts_at"]: "Le créneau est déjà à cette date et à cette heure.",
    }
    for starts_at, message in refusals.items():
        refused = move(service, slot, starts_at)
        assert refused.status_code == 422, (starts_at, refused.json)
        assert refused.json["errors"]["json"]["starts_at"] == message
    no_reason = move(service, slot, at(40, 13), reason="   ")
    assert no_reason.status_code == 422
    assert no_reason.json["errors"]["json"]["reason"] == "Précisez le motif du déplacement : l'adhérent le lit."
    # Another professional's slot at that time does not stand in the way.
    open_slot(service, days=60, professional_name="Dr Paul Keller")
    assert slots_by_id(service)[slot["id"]]["starts_at"] == slot["starts_at"]
    kept = service.client().get(f"/api/scheduling/appointments/{visit['id']}", headers=service.headers(SECRETARY))
    assert kept.json["starts_at"] == slot["starts_at"] and kept.json["version"] == visit["version"]
    assert not of_type(service, "scheduling.appointment.rescheduled.v1")


def test_a_move_from_a_stale_read_is_refused_and_a_company_user_is_forbidden(service, directory):
    slot = open_slot(service)
    place(service, slot["id"], directory.dupont)
    employer = service.headers(make_principal(member_id=directory.member_a, roles=("admin",)))
    forbidden = move(service, slot, at(40, 13), headers=employer)
    assert forbidden.status_code == 403
    first = move(service, slot, at(40, 13))
    assert first.status_code == 200, first.json
    stale = move(service, slot, at(45, 13))  # the version read before the first move
    assert stale.status_code == 409
    assert stale.json["reason"] == "slot_changed"
    assert stale.json["errors"]["json"]["version"] == (
        "Ce créneau a été modifié entre-temps : rechargez la page avant de le déplacer."
    )
    assert slots_by_id(service)[slot["id"]]["starts_at"] == first.json["starts_at"]
    assert len(of_type(service, "scheduling.appointment.rescheduled.v1")) == 1
    missing = service.client().post(
        "/api/scheduling/slots/00000000-0000-4000-8000-000000000000/move",
        json={"starts_at": at(40, 13), "reason": REASON, "version": 1},
        headers=service.headers(SECRETARY),
    )
    assert missing.status_code == 404 and missing.json["message"] == "Créneau introuvable."


def test_staff_move_a_slot_from_the_desk_and_a_refusal_is_shown_next_to_the_field(service, directory):
    slot = open_slot(service)
    place(service, slot["id"], directory.dupont)
    staff = service.headers(SECRETARY)
    action = f"/gestion/rendez-vous/creneaux/{slot['id']}/deplacement"
    page = service.client().get("/gestion/rendez-vous", headers=staff).text
    assert "Déplacer le créneau" in page and f'action="{action}"' in page
    form = hidden(page, action)
    second_tab = hidden(service.client().get("/gestion/rendez-vous", headers=staff).text, action)
    year = future_year()

    holiday = service.client().post(
        action, data=form | {"day": f"{year}-12-25", "time": "09:00", "reason": ""}, headers=staff
    )
    assert holiday.status_code == 422
    assert f'id="move-day-{slot["id"]}-error"' in holiday.text
    assert f"Le 25/12/{year} est férié (Noël) : aucun créneau ne peut y être ouvert." in holiday.text
    assert f'id="move-reason-{slot["id"]}-error"' in holiday.text and "Précisez le motif du déplacement" in holiday.text
    blank = service.client().post(action, data=hidden(holiday.text, action) | {"day": "", "time": ""}, headers=staff)
    assert blank.status_code == 422 and "Indiquez le jour du créneau." in blank.text

    new_day = next_open_day((utcnow() + timedelta(days=40)).date())
    browser = service.client()
    done = browser.post(
        action,
        data=hidden(blank.text, action) | {"day": new_day.isoformat(), "time": "14:00", "reason": "Centre en travaux"},
        headers=staff,
    )
    assert done.status_code == 302
    desk = browser.get("/gestion/rendez-vous", headers=staff).text
    assert "Créneau déplacé : 1 convocation(s) modifiée(s)." in desk
    assert len(of_type(service, "scheduling.appointment.rescheduled.v1")) == 1
    again = service.client().post(
        action, data=second_tab | {"day": new_day.isoformat(), "time": "15:00", "reason": "x"}, headers=staff
    )
    assert again.status_code == 409 and "modifié entre-temps" in again.text
