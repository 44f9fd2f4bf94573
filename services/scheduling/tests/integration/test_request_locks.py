"""An exit applied while the employer requests or staff place a visit: one waits for the other, on PostgreSQL."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import pytest
from sqlalchemy import text

from portal_common.clock import utcnow
from scheduling.appointments.rules import Place
from scheduling.business_calendar.rules import next_open_day
from scheduling.directory import use_cases as directory_models
from scheduling.models import EmployeeDirectoryEntry, VisitRequest
from scheduling.slots.rules import PlacementRejected, SlotCommand
from scheduling.slots.use_cases import create_slot, place_in_slot
from scheduling.visit_requests import use_cases as leavers
from scheduling.visit_requests.rules import REQUEST_NOT_OPEN, RequestCommand, RequestRejected
from scheduling.visit_requests.use_cases import request_visit

pytestmark = pytest.mark.integration

EXIT = date(2026, 6, 30)


def wait_until_blocked(service, timeout=10.0):
    """Until another transaction of this database waits for a row lock."""
    deadline = time.monotonic() + timeout
    with service.portal.db.session_factory() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError("nothing waited for the exit's lock")


def exit_started(session, employee_id):
    """The exit handler's first step: the directory entry updated, so locked until its transaction ends."""
    assert directory_models.apply(
        session,
        EmployeeDirectoryEntry,
        {"employee_id": employee_id, "exit_date": EXIT, "was_reinforced": False, "version": 2},
    )


def test_a_request_made_while_an_exit_is_applied_waits_for_it_and_is_refused(service, directory):
    command = RequestCommand(member_id=directory.member_a, employee_id=directory.dupont, visit_type="demande")
    with service.portal.db.session_factory() as exiting, ThreadPoolExecutor(1) as pool:
        exit_started(exiting, directory.dupont)
        asked = pool.submit(request_visit, service.portal, command, today=utcnow().date())
        wait_until_blocked(service)
        exiting.commit()
        with pytest.raises(RequestRejected) as refused:
            asked.result(timeout=10)
    assert "quitté l'entreprise" in refused.value.errors["employee_id"]


def test_a_placement_waiting_for_an_exit_leaves_the_request_free_for_the_exit_to_close(service, directory):
    request = request_visit(
        service.portal,
        RequestCommand(member_id=directory.member_a, employee_id=directory.dupont, visit_type="demande"),
        today=utcnow().date(),
    )
    slot = create_slot(
        service.portal,
        SlotCommand(
            centre=Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse"),
            professional_kind="medecin",
            professional_name="Dr Claire Weber",
            starts_at=datetime.combine(
                next_open_day((utcnow() + timedelta(days=30)).date()), clock_time(9), tzinfo=UTC
            ),
            duration_minutes=30,
        ),
    )
    with service.portal.db.session_factory() as exiting, ThreadPoolExecutor(1) as pool:
        exit_started(exiting, directory.dupont)
        placing = pool.submit(place_in_slot, service.portal, slot.id, request_id=request.id)
        wait_until_blocked(service)
        # Had the placement locked the request before the employee, this would deadlock.
        [closed] = leavers.close_open_requests(exiting, service.portal.outbox, directory.dupont, EXIT)
        exiting.commit()
        with pytest.raises(PlacementRejected) as refused:
            placing.result(timeout=10)
    assert closed.id == request.id
    assert refused.value.errors == {"request_id": REQUEST_NOT_OPEN}
    with service.portal.db.session_factory() as session:
        assert session.get(VisitRequest, request.id).status == "annulee"
