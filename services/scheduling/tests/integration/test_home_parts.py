"""Scheduling's parts of the home pages (portal_common.web.home): a company's convocations and visits done, staff's
requests to plan and free places this week, each company's figures its own."""

import uuid
from datetime import UTC, datetime, time, timedelta
from html import unescape

import pytest
from sqlalchemy import delete

from portal_common.clock import today, utcnow
from portal_common.formats import datetime_fr
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day
from scheduling.models import VisitObligation

pytestmark = pytest.mark.integration

PLACE = Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse")


def schedule(service, member_id, employee_id, starts_at, status="convoquee"):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=member_id,
            employee_id=employee_id,
            starts_at=starts_at,
            duration_minutes=30,
            visit_type="periodique",
            place=PLACE,
            professional_kind="medecin",
            status=status,
            allow_past=True,
        ),
    )


def test_the_company_part_lists_its_convocations_to_come_and_its_visits_done_this_year(service, directory):
    now = utcnow()
    schedule(
        service,
        directory.member_a,
        directory.dupont,
        datetime.combine(next_open_day((now + timedelta(days=20)).date()), time(9), tzinfo=UTC),
    )
    schedule(service, directory.member_a, directory.bernard, now - timedelta(hours=2), status="realisee")
    schedule(
        service,
        directory.member_b,
        directory.keller,
        datetime.combine(next_open_day((now + timedelta(days=3)).date()), time(9), tzinfo=UTC),
    )
    client = service.client()
    reader_a = make_principal(member_id=directory.member_a, roles=("read",))
    part = unescape(client.get("/accueil/fragments/scheduling", headers=service.headers(reader_a)).text)
    assert '<a href="/rendez-vous#a-venir">1 convocation à venir</a>' in part
    done_label = f"Visites réalisées en {today().year}"
    if (now - timedelta(hours=2)).year == today().year:
        assert f"<dt>{done_label}</dt><dd>1</dd>" in part
    reader_b = make_principal(member_id=directory.member_b, roles=("read",))
    other = unescape(client.get("/accueil/fragments/scheduling", headers=service.headers(reader_b)).text)
    assert "1 convocation à venir" in other and f"<dt>{done_label}</dt><dd>0</dd>" in other
    billing_only = make_principal(member_id=directory.member_a, roles=("billing",))
    assert client.get("/accueil/fragments/scheduling", headers=service.headers(billing_only)).status_code == 403


def test_the_staff_part_counts_the_requests_to_plan_and_the_free_places(service, directory):
    staff = make_principal(staff_roles=("secretariat",))
    client = service.client()
    part = unescape(client.get("/gestion/accueil/fragments/scheduling", headers=service.headers(staff)).text)
    assert '<span class="queue-count">0</span><a href="/gestion/rendez-vous#demandes">' in part
    assert '<a href="/gestion/rendez-vous#creneaux">Places libres cette semaine</a>' in part
    admin = make_principal(member_id=directory.member_a, roles=("admin",))
    assert client.get("/gestion/accueil/fragments/scheduling", headers=service.headers(admin)).status_code == 403


def test_the_company_part_counts_its_own_visits_overdue_due_within_30_days_and_due_this_year(service, directory):
    day = today()
    due_dates = [day - timedelta(days=10), day + timedelta(days=5), day + timedelta(days=25), day + timedelta(days=60)]
    with service.app.app_context():
        session = service.portal.db.session
        session.execute(delete(VisitObligation))
        for due_on, (member_id, employee_id) in zip(
            [*due_dates, day - timedelta(days=3)],
            [*[(directory.member_a, directory.dupont)] * 4, (directory.member_b, directory.keller)],
            strict=True,
        ):
            session.add(
                VisitObligation(
                    id=str(uuid.uuid4()),
                    employee_id=employee_id,
                    member_id=member_id,
                    rule="periodique",
                    visit_type="periodique",
                    due_on=due_on,
                    before_post=False,
                )
            )
        session.commit()
    starts_at = datetime.combine(next_open_day(day + timedelta(days=12)), time(9), tzinfo=UTC)
    schedule(service, directory.member_a, directory.bernard, starts_at)
    client = service.client()
    reader_a = make_principal(member_id=directory.member_a, roles=("read",))
    part = unescape(client.get("/accueil/fragments/scheduling", headers=service.headers(reader_a)).text)
    assert '<a href="/rendez-vous#obligations">1 visite en retard</a>' in part
    assert '<a href="/rendez-vous#obligations">2 visites à prévoir dans les 30 jours</a>' in part
    # In December a visit due within 30 days may fall next year: it is « à prévoir », not due this year.
    this_year = sum(1 for due_on in due_dates if due_on.year == day.year)
    assert f"<dt>Visites dues en {day.year}</dt><dd>{this_year}</dd>" in part
    assert f"la prochaine le {datetime_fr(starts_at)}" in part
    reader_b = make_principal(member_id=directory.member_b, roles=("read",))
    other = unescape(client.get("/accueil/fragments/scheduling", headers=service.headers(reader_b)).text)
    assert "1 visite en retard" in other and "à prévoir" not in other and "convocation à venir" not in other
