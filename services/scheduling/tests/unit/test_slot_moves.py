"""Moving a whole slot, without any database: the rules of opening a slot, overlaps, the version read."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.appointments.rules import Place
from scheduling.business_calendar.rules import HolidayCalendar
from scheduling.slots.rules import (
    Booking,
    PlacementRejected,
    SlotChangeRefused,
    SlotCommand,
    SlotMoveStale,
    check_slot_move,
    overlapping,
)

NOW = datetime(2025, 6, 10, 10, 0, tzinfo=UTC)
TUESDAY = datetime(2025, 6, 17, 7, 0, tzinfo=UTC)  # 9:00 in Paris
THURSDAY = datetime(2025, 6, 19, 12, 0, tzinfo=UTC)  # 14:00 in Paris
SLOT = SlotCommand(
    centre=Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse"),
    professional_kind="medecin",
    professional_name="Dr Claire Weber",
    starts_at=TUESDAY,
    duration_minutes=30,
    capacity=2,
)


def moved(
    new_starts_at, *, version=3, reason="Dr Weber consulte le jeudi", others=(), calendar=HolidayCalendar.METROPOLE
):
    return check_slot_move(
        SLOT,
        new_starts_at=new_starts_at,
        version=3,
        read_version=version,
        reason=reason,
        now=NOW,
        others=list(others),
        calendar=calendar,
    )


def test_a_slot_moves_to_an_open_day_with_its_reason_cleaned():
    assert moved(THURSDAY, reason="  Dr Weber   consulte le jeudi ") == (THURSDAY, "Dr Weber consulte le jeudi")


def test_a_stale_read_is_refused_before_anything_else():
    with pytest.raises(SlotMoveStale) as refused:
        moved(datetime(2025, 6, 15, 9, tzinfo=UTC), version=2, reason="")
    assert refused.value.status == 409 and refused.value.reason == "slot_changed"


def test_a_sunday_a_holiday_the_past_or_the_same_time_are_refused_in_french():
    cases = {
        datetime(2025, 6, 15, 9, tzinfo=UTC): "Le 15/06/2025 est un dimanche : aucun créneau ne peut y être ouvert.",
        datetime(2025, 7, 14, 9, tzinfo=UTC): (
            "Le 14/07/2025 est férié (Fête nationale) : aucun créneau ne peut y être ouvert."
        ),
        datetime(2025, 6, 9, 9, tzinfo=UTC): "Le créneau doit commencer dans le futur.",
        TUESDAY: "Le créneau est déjà à cette date et à cette heure.",
    }
    for starts_at, message in cases.items():
        with pytest.raises(PlacementRejected) as refused:
            moved(starts_at)
        assert refused.value.errors == {"starts_at": message}


def test_the_professional_s_other_slot_met_by_the_new_time_is_named_and_a_missing_reason_said_at_once():
    other = Booking(THURSDAY + timedelta(minutes=20), 30)
    with pytest.raises(PlacementRejected) as refused:
        moved(THURSDAY, reason=" ", others=[other, Booking(THURSDAY + timedelta(hours=2), 30)])
    assert refused.value.errors == {
        "starts_at": "Dr Claire Weber a déjà un créneau le 19/06/2025 à 14:20 (30 min) : choisissez une autre heure.",
        "reason": "Précisez le motif du déplacement : l'adhérent le lit.",
    }
    # Back to back is no overlap.
    assert overlapping(THURSDAY, 30, [Booking(THURSDAY + timedelta(minutes=30), 30)]) is None
    assert overlapping(THURSDAY, 30, [Booking(THURSDAY - timedelta(minutes=30), 30)]) is None


def test_a_slot_already_past_no_longer_moves():
    with pytest.raises(SlotChangeRefused):
        check_slot_move(
            SLOT,
            new_starts_at=THURSDAY,
            version=1,
            read_version=1,
            reason="x",
            now=TUESDAY + timedelta(hours=1),
            others=[],
        )
