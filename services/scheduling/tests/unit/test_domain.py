"""Appointment rules, without any database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scheduling.appointments.rules import (
    STATUSES,
    VISIT_TYPES,
    AppointmentRejected,
    Place,
    ScheduleCommand,
    check_schedule,
)

NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER_MEMBER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def command(**overrides):
    values = dict(
        member_id=MEMBER,
        employee_id="0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12",
        starts_at=datetime(2025, 1, 15, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        duration_minutes=30,
        visit_type="periodique",
        place=Place(" Centre de Mulhouse ", "4 rue des Fabriques,\n68100 Mulhouse"),
        professional_kind="medecin",
    )
    values.update(overrides)
    return ScheduleCommand(**values)


def test_a_valid_command_is_normalised_to_utc_and_planned():
    cmd = check_schedule(command(), employee_member_id=MEMBER, now=NOW)
    assert cmd.starts_at == datetime(2025, 1, 15, 8, 30, tzinfo=UTC)
    assert cmd.starts_at.utcoffset() == timedelta(0)
    assert cmd.place == Place("Centre de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse")
    assert cmd.status == "planifiee"


def test_a_visit_in_the_past_is_refused_unless_history_is_allowed():
    past = command(starts_at=NOW - timedelta(minutes=1))
    with pytest.raises(AppointmentRejected) as caught:
        check_schedule(past, employee_member_id=MEMBER, now=NOW)
    assert caught.value.errors == {"starts_at": "Le rendez-vous doit être fixé dans le futur."}
    kept = check_schedule(replace(past, allow_past=True, status="realisee"), employee_member_id=MEMBER, now=NOW)
    assert kept.status == "realisee"


@pytest.mark.parametrize("minutes, accepted", [(14, False), (15, True), (120, True), (121, False)])
def test_a_visit_lasts_between_15_and_120_minutes(minutes, accepted):
    if accepted:
        assert check_schedule(command(duration_minutes=minutes), employee_member_id=MEMBER, now=NOW)
    else:
        with pytest.raises(AppointmentRejected) as caught:
            check_schedule(command(duration_minutes=minutes), employee_member_id=MEMBER, now=NOW)
        assert set(caught.value.errors) == {"duration_minutes"}


def test_an_unknown_employee_or_one_of_another_company_is_refused():
    with pytest.raises(AppointmentRejected) as unknown:
        check_schedule(command(), employee_member_id=None, now=NOW)
    assert unknown.value.errors["employee_id"] == "Salarié inconnu du service."
    with pytest.raises(AppointmentRejected) as elsewhere:
        check_schedule(command(), employee_member_id=OTHER_MEMBER, now=NOW)
    assert elsewhere.value.errors["employee_id"] == "Ce salarié n'appartient pas à cet adhérent."


def test_every_invalid_field_is_reported_in_french_at_once():
    bad = command(
        starts_at=datetime(2025, 1, 15, 9, 30),
        duration_minutes=5,
        visit_type="bilan",
        professional_kind="kine",
        place=Place(" ", "x"),
        status="realisee",
    )
    with pytest.raises(AppointmentRejected) as caught:
        check_schedule(bad, employee_member_id=None, now=NOW)
    assert set(caught.value.errors) == {
        "employee_id",
        "starts_at",
        "duration_minutes",
        "visit_type",
        "professional_kind",
        "place",
        "status",
    }
    assert caught.value.errors["starts_at"] == "La date et l'heure doivent préciser le fuseau horaire."


def test_a_visit_to_come_cannot_already_carry_an_outcome_even_as_history():
    with pytest.raises(AppointmentRejected) as caught:
        check_schedule(command(status="absent_non_excuse", allow_past=True), employee_member_id=MEMBER, now=NOW)
    assert set(caught.value.errors) == {"status"}


def test_codes_have_the_french_labels_shown_to_employers():
    assert VISIT_TYPES["embauche"] == "Visite d'information et de prévention initiale"
    assert VISIT_TYPES["post_exposition"] == "Visite de fin d'exposition / départ"
    assert list(STATUSES.values()) == [
        "Demandée",
        "Planifiée",
        "Convoquée",
        "Réalisée",
        "Absent excusé",
        "Absent non excusé",
        "Annulée",
    ]
