"""The refusals that settle a race in scheduling: one open request per visit, one outcome, a correction only with a
reason and on the version read, a close only with a reason (docs/architecture.md, "Concurrency and retries")."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_common.errors import Conflict
from scheduling.appointments.rules import (
    CORRECTION_REASON_MAX,
    AppointmentRejected,
    OutcomeAlreadyRecorded,
    OutcomeCorrectionStale,
    check_outcome_correction,
)
from scheduling.visit_requests.rules import (
    CLOSE_REASON_MAX,
    DuplicateRequest,
    RequestRejected,
    check_close_reason,
    check_not_requested_yet,
)

OUTCOMES = ("realisee", "absent_excuse", "absent_non_excuse")


def test_a_visit_already_asked_for_is_a_conflict_naming_the_open_request():
    check_not_requested_yet(None)
    with pytest.raises(DuplicateRequest) as refused:
        check_not_requested_yet("7b0c0d4e-1111-4a2b-8c3d-000000000001")
    assert isinstance(refused.value, Conflict) and isinstance(refused.value, RequestRejected)
    assert (refused.value.status, refused.value.reason) == (409, "visit_request_already_open")
    assert refused.value.existing_id == "7b0c0d4e-1111-4a2b-8c3d-000000000001"
    assert "déjà en cours" in refused.value.errors["visit_type"]


@given(st.text(max_size=CLOSE_REASON_MAX + 50))
def test_any_close_reason_is_kept_trimmed_or_refused_in_french(reason):
    try:
        kept = check_close_reason(reason)
    except RequestRejected as exc:
        assert not reason.strip() or len(reason.strip()) > CLOSE_REASON_MAX
        assert exc.errors["reason"].startswith(("Indiquez le motif", f"{CLOSE_REASON_MAX} caractères"))
    else:
        assert kept == reason.strip() and 0 < len(kept) <= CLOSE_REASON_MAX


def test_a_second_outcome_is_a_conflict_and_the_first_stands():
    from datetime import UTC, datetime, timedelta

    from scheduling.appointments.rules import check_outcome

    past = datetime.now(UTC) - timedelta(days=1)
    with pytest.raises(OutcomeAlreadyRecorded) as refused:
        check_outcome(status="realisee", new_status="absent_non_excuse", starts_at=past, now=datetime.now(UTC))
    assert (refused.value.status, refused.value.reason) == (409, "appointment_outcome_already_recorded")
    assert refused.value.errors == {"status": "Ce rendez-vous est déjà « réalisée »."}


@given(
    st.sampled_from(OUTCOMES + ("convoquee",)),
    st.sampled_from(OUTCOMES + ("annulee",)),
    st.text(max_size=CORRECTION_REASON_MAX + 20),
    st.integers(1, 5),
    st.integers(1, 5),
)
def test_a_correction_needs_a_recorded_outcome_another_one_a_reason_and_the_version_read(
    status, new_status, reason, version, read_version
):
    try:
        kept = check_outcome_correction(
            status=status, new_status=new_status, reason=reason, version=version, read_version=read_version
        )
    except OutcomeCorrectionStale as exc:
        assert version != read_version and exc.status == 409 and exc.reason == "appointment_changed"
    except AppointmentRejected as exc:
        assert version == read_version
        assert (
            status not in OUTCOMES
            or new_status not in OUTCOMES
            or new_status == status
            or not reason.strip()
            or len(reason.strip()) > CORRECTION_REASON_MAX
        )
        assert all(message and message[0].isupper() for message in exc.errors.values())
    else:
        assert version == read_version and status in OUTCOMES and new_status in OUTCOMES and new_status != status
        assert kept == reason.strip() and kept
