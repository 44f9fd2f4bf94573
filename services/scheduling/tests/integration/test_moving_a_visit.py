"""Staff move a convoked visit to another slot: the old seat is freed, a new convocation (PDF and e-mail « Votre
convocation est modifiée ») replaces the earlier one, and scheduling.appointment.rescheduled.v1 names it."""

import pytest

from portal_common.testing import make_principal

from .test_calendar_and_cancellation_reasons import CENTRE, SECRETARY, convoked, hidden, open_day, slot_body

pytestmark = pytest.mark.integration


def move(service, visit_id, slot_id, *, version, reason="Dr Weber en formation ce jour-là"):
    return service.client().post(
        f"/api/scheduling/appointments/{visit_id}/move",
        json={"slot_id": slot_id, "reason": reason, "version": version},
        headers=service.headers(SECRETARY),
    )


def new_slot(service, days, **overrides):
    return (
        service.client()
        .post("/api/scheduling/slots", json=slot_body(open_day(days), **overrides), headers=service.headers(SECRETARY))
        .json
    )


def test_a_moved_visit_takes_a_seat_of_the_new_slot_frees_the_old_one_and_is_convoked_again(
    service, directory, deliver, portal_env
):
    deliver("members.member.updated.v1", member_id=directory.member_a, version=2, convocation_email="rh@martin.fr")
    visit = convoked(service, directory, directory.dupont, days=30)
    old_slot = service.client().get("/api/scheduling/slots", headers=service.headers(SECRETARY)).json[0]["id"]
    target = new_slot(service, 40)
    first_convocation = next(
        e.data["document_id"] for e in service.events() if e.type == "scheduling.document.published.v1"
    )

    moved = move(service, visit["id"], target["id"], version=visit["version"])

    assert moved.status_code == 200, moved.json
    assert moved.json["starts_at"] == target["starts_at"] and moved.json["status"] == "convoquee"
    assert moved.json["version"] > visit["version"] and moved.json["id"] == visit["id"]
    slots = {s["id"]: s for s in service.client().get("/api/scheduling/slots", headers=service.headers(SECRETARY)).json}
    assert slots[target["id"]]["booked"] == 1 and slots[old_slot]["booked"] == 0
    # Its visits all moved away, the old slot can go.
    assert (
        service.client().delete(f"/api/scheduling/slots/{old_slot}", headers=service.headers(SECRETARY)).status_code
        == 204
    )
    rescheduled = [e for e in service.events() if e.type == "scheduling.appointment.rescheduled.v1"]
    assert len(rescheduled) == 1
    assert rescheduled[0].data["replaced_document_ids"] == [first_convocation]
    assert rescheduled[0].data["previous_starts_at"] == visit["starts_at"].replace("+00:00", "Z")
    convocations = [e for e in service.events() if e.type == "scheduling.document.published.v1"]
    assert len(convocations) == 2 and convocations[-1].data["document_id"] != first_convocation
    # Billing learns nothing: no cancellation, no outcome.
    assert not [e for e in service.events() if e.type == "scheduling.appointment.cancelled.v1"]
    assert service.deliver_mail() >= 1
    mail = portal_env.smtp.wait_for(
        lambda m: m["To"] == "rh@martin.fr" and m["Subject"].startswith("Votre convocation est modifiée")
    )
    body = mail.get_content()
    assert "Cette convocation remplace celle du" in body and "Motif : Dr Weber en formation ce jour-là" in body


def test_a_move_to_a_full_closed_or_other_centre_slot_or_from_a_stale_read_is_refused_in_french(service, directory):
    visit = convoked(service, directory, directory.dupont, days=30)
    full = new_slot(service, 41)
    convoked_elsewhere = convoked(service, directory, directory.bernard, days=41)
    assert convoked_elsewhere["starts_at"]
    # `convoked` opened its own slot for Bernard; fill `full` through a move of his visit.
    assert move(service, convoked_elsewhere["id"], full["id"], version=convoked_elsewhere["version"]).status_code == 200
    refused = move(service, visit["id"], full["id"], version=visit["version"])
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["slot_id"] == "Ce créneau est complet (1 rendez-vous au plus)."

    other_centre = new_slot(service, 42, centre=CENTRE | {"name": "Centre de Colmar"})
    refused = move(service, visit["id"], other_centre["id"], version=visit["version"])
    assert refused.json["errors"]["json"]["slot_id"] == "Choisissez un créneau du même centre que le rendez-vous."

    nurse = new_slot(service, 43, professional_kind="infirmier")
    refused = move(service, visit["id"], nurse["id"], version=visit["version"])
    assert "même professionnel" in refused.json["errors"]["json"]["slot_id"]

    closed = new_slot(service, 44)
    service.client().post(f"/api/scheduling/slots/{closed['id']}/closure", headers=service.headers(SECRETARY))
    refused = move(service, visit["id"], closed["id"], version=visit["version"])
    assert refused.json["errors"]["json"]["slot_id"] == "Ce créneau est fermé : choisissez-en un autre."

    free = new_slot(service, 45)
    no_reason = move(service, visit["id"], free["id"], version=visit["version"], reason="  ")
    assert no_reason.status_code == 422
    stale = move(service, visit["id"], free["id"], version=visit["version"] + 7)
    assert stale.status_code == 409 and "modifié entre-temps" in stale.json["errors"]["json"]["version"]
    # Only Bernard's move went through.
    assert len([e for e in service.events() if e.type == "scheduling.appointment.rescheduled.v1"]) == 1


def test_a_cancelled_visit_cannot_be_moved_and_the_employer_cannot_move_one(service, directory):
    visit = convoked(service, directory, directory.dupont, days=30)
    target = new_slot(service, 40)
    employer = service.headers(make_principal(member_id=directory.member_a, roles=("admin",)))
    forbidden = service.client().post(
        f"/api/scheduling/appointments/{visit['id']}/move",
        json={"slot_id": target["id"], "reason": "Plus tard", "version": visit["version"]},
        headers=employer,
    )
    assert forbidden.status_code == 403
    cancelled = (
        service.client()
        .post(
            f"/api/scheduling/appointments/{visit['id']}/cancellation",
            json={"reason_code": "centre_ferme", "version": visit["version"]},
            headers=service.headers(SECRETARY),
        )
        .json
    )
    refused = move(service, visit["id"], target["id"], version=cancelled["version"])
    assert refused.status_code == 409
    assert refused.json["errors"]["json"]["appointment_id"].startswith("Ce rendez-vous n'est plus déplaçable")


def test_staff_move_a_visit_from_its_page_and_a_second_tab_is_told_it_changed(service, directory):
    visit = convoked(service, directory, directory.dupont, days=30)
    target = new_slot(service, 40)
    new_slot(service, 41, centre=CENTRE | {"name": "Centre de Colmar"})
    staff = service.headers(SECRETARY)
    action = f"/gestion/rendez-vous/{visit['id']}/deplacement"
    page = service.client().get(f"/gestion/rendez-vous/{visit['id']}", headers=staff).text
    assert "Déplacer le rendez-vous" in page and f'<option value="{target["id"]}"' in page
    assert "Dr Claire Weber (1 place libre)" in page and "Colmar" not in page
    form = hidden(page, action)
    second_tab = hidden(service.client().get(f"/gestion/rendez-vous/{visit['id']}", headers=staff).text, action)
    missing = service.client().post(action, data=form | {"slot_id": target["id"], "reason": ""}, headers=staff)
    assert missing.status_code == 422 and "Précisez le motif du déplacement" in missing.text
    form = hidden(missing.text, action)
    done = service.client().post(
        action, data=form | {"slot_id": target["id"], "reason": "Centre en travaux"}, headers=staff
    )
    assert done.status_code == 302
    moved = service.client().get(f"/api/scheduling/appointments/{visit['id']}", headers=staff).json
    assert moved["starts_at"] == target["starts_at"]
    again = service.client().post(action, data=second_tab | {"slot_id": target["id"], "reason": "x"}, headers=staff)
    assert again.status_code == 409 and "modifié entre-temps" in again.text


def test_a_slot_opened_before_a_day_became_closed_takes_no_moved_visit(service, directory):
    """A slot kept from before the calendar refused its day (a regional calendar switched on, an older version):
    a visit is never moved onto a Sunday or a public holiday."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from portal_common.clock import utcnow
    from scheduling.models import Slot

    visit = convoked(service, directory, directory.dupont, days=30)
    day = (utcnow() + timedelta(days=40)).date()
    sunday = day + timedelta(days=(6 - day.weekday()) % 7)
    with service.portal.db.session_factory() as session:
        slot = Slot(
            id=str(uuid.uuid4()),
            centre_name=CENTRE["name"],
            centre_address=CENTRE["address"],
            professional_kind="medecin",
            professional_name="Dr Claire Weber",
            starts_at=datetime(sunday.year, sunday.month, sunday.day, 9, tzinfo=UTC),
            duration_minutes=30,
            capacity=1,
            created_at=utcnow(),
        )
        session.add(slot)
        session.commit()
        slot_id = slot.id
    refused = move(service, visit["id"], slot_id, version=visit["version"])
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["slot_id"] == (
        f"Le {sunday:%d/%m/%Y} est un dimanche : aucun rendez-vous ne peut y être fixé."
    )


def test_a_visit_held_outside_any_slot_moves_to_a_new_time_at_its_place_and_is_convoked_again(service, directory):
    staff = service.headers(SECRETARY)
    scheduled = (
        service.client()
        .post(
            "/api/scheduling/appointments",
            json={
                "member_id": directory.member_a,
                "employee_id": directory.bernard,
                "starts_at": open_day(30),
                "duration_minutes": 30,
                "visit_type": "periodique",
                "place": CENTRE,
                "professional_kind": "infirmier",
                "status": "convoquee",
            },
            headers=staff,
        )
        .json
    )
    path = f"/api/scheduling/appointments/{scheduled['id']}/move"
    both = service.client().post(
        path,
        json={"slot_id": new_slot(service, 33)["id"], "starts_at": open_day(35), "reason": "x", "version": 1},
        headers=staff,
    )
    assert both.status_code == 422 and "soit un créneau" in str(both.json["errors"]["json"])
    later = open_day(36)
    moved = service.client().post(
        path, json={"starts_at": later, "reason": "Infirmière absente", "version": scheduled["version"]}, headers=staff
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["starts_at"] == later and moved.json["place"] == CENTRE
    events = [e for e in service.events() if e.type == "scheduling.appointment.rescheduled.v1"]
    assert len(events) == 1 and events[0].data["replaced_document_ids"] == []
    assert [e for e in service.events() if e.type == "scheduling.document.published.v1"]  # its new convocation
    past = service.client().post(
        path,
        json={"starts_at": "2020-01-06T09:00:00+00:00", "reason": "x", "version": moved.json["version"]},
        headers=staff,
    )
    assert past.json["errors"]["json"]["starts_at"] == "La nouvelle date doit être dans le futur."

    # A visit in a slot moves to another slot, never to a free time (its seat is what the slot counts).
    in_slot = convoked(service, directory, directory.dupont, days=30)
    refused = service.client().post(
        f"/api/scheduling/appointments/{in_slot['id']}/move",
        json={"starts_at": later, "reason": "x", "version": in_slot["version"]},
        headers=staff,
    )
    assert refused.json["errors"]["json"]["starts_at"].startswith("Ce rendez-vous est dans un créneau")
