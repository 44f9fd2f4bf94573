"""The directory queue consumed by batches (a steady hiring rate, an import) ends as if consumed one by one."""

import uuid

import pytest
from sqlalchemy import event, select

from portal_common.messaging import catalogue
from scheduling.models import EmployeeDirectoryEntry, VisitObligation
from scheduling.worker import DIRECTORY_QUEUE

pytestmark = pytest.mark.integration

MEMBER_ID = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def story(ids: dict[str, str]) -> list:
    """Hires (an apprentice, a night worker, a SIR worker, an employee hired twice), an update and an exit."""
    hired = "workforce.employee.hired.v1"
    return [
        catalogue.example_envelope("members.member.registered.v1", member_id=MEMBER_ID),
        catalogue.example_envelope(
            hired,
            employee_id=ids["apprentice"],
            hire_date="2024-01-31",
            contract="apprentissage",
            birth_date="2008-02-29",
        ),
        catalogue.example_envelope(
            hired, employee_id=ids["night"], hire_date="2024-02-29", determinants=["travail_nuit"]
        ),
        catalogue.example_envelope(
            hired, employee_id=ids["sir"], hire_date="2023-12-31", monitoring_category="SIR", birth_date="1979-05-01"
        ),
        catalogue.example_envelope(hired, employee_id=ids["twice"], last_name="AVANT", version=1),
        catalogue.example_envelope(hired, employee_id=ids["twice"], last_name="APRES", version=2),
        catalogue.example_envelope(
            "workforce.employee.updated.v1", employee_id=ids["night"], monitoring_category="SIA", version=2
        ),
        catalogue.example_envelope(
            "workforce.employee.exited.v1",
            employee_id=ids["sir"],
            exit_date="2025-06-30",
            was_reinforced=True,
            version=2,
        ),
        catalogue.example_envelope(hired, employee_id=ids["late"], hire_date="2024-05-02"),
    ]


def outcome(service, ids: dict[str, str]) -> dict:
    """Each employee's directory entry and obligations, keyed by role so two runs compare."""
    role = {employee_id: name for name, employee_id in ids.items()}
    with service.portal.db.session_factory() as session:
        entries = {
            role[e.employee_id]: (
                e.last_name,
                e.monitoring_category,
                e.hire_date,
                e.category_since,
                e.before_assignment,
                e.exit_date,
                e.was_reinforced,
                e.version,
            )
            for e in session.scalars(
                select(EmployeeDirectoryEntry).where(EmployeeDirectoryEntry.employee_id.in_(ids.values()))
            )
        }
        obligations = sorted(
            (role[o.employee_id], o.rule, o.visit_type, o.due_on, o.before_post)
            for o in session.scalars(select(VisitObligation).where(VisitObligation.employee_id.in_(ids.values())))
        )
    return {"entries": entries, "obligations": obligations}


def new_ids() -> dict[str, str]:
    return {name: str(uuid.uuid4()) for name in ("apprentice", "night", "sir", "twice", "late")}


def test_a_batch_of_directory_events_ends_as_the_same_events_applied_one_by_one(service, consumer, process):
    one_by_one, batched = new_ids(), new_ids()
    for envelope in story(one_by_one):
        process(envelope)
    with service.app.app_context():
        applied = consumer.process_batch(DIRECTORY_QUEUE, story(batched))
    assert applied == [True] * 9
    expected = outcome(service, one_by_one)
    assert expected["entries"]["twice"][0] == "APRES" and expected["entries"]["sir"][5] is not None
    assert {rule for name, rule, *_ in expected["obligations"] if name == "night"}  # something is due
    assert outcome(service, batched) == expected


def test_a_batch_of_hires_costs_a_few_statements_whatever_its_size(service, consumer):
    def statements_for(count: int) -> int:
        envelopes = [
            catalogue.example_envelope(
                "workforce.employee.hired.v1", employee_id=str(uuid.uuid4()), hire_date="2024-03-01"
            )
            for _ in range(count)
        ]
        seen = []
        listener = lambda *args: seen.append(args[2])
        event.listen(service.portal.db.engine, "before_cursor_execute", listener)
        try:
            with service.app.app_context():
                assert consumer.process_batch(DIRECTORY_QUEUE, envelopes) == [True] * count
        finally:
            event.remove(service.portal.db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_for(100) == statements_for(5) <= 12
    with service.portal.db.session_factory() as session:
        assert len(session.scalars(select(VisitObligation.employee_id).distinct()).all()) == 105
