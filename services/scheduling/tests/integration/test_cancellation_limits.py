"""The employer's cancellation limit on PostgreSQL: 3 jours ouvrés, French public holidays and weekends skipped."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import CancellationRefused, NotFound, Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day
from scheduling.models import Appointment

pytestmark = pytest.mark.integration

PLACE = Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse")


def visit_on(service, directory, starts_at: str) -> Appointment:
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.dupont,
            starts_at=datetime.fromisoformat(starts_at),
            duration_minutes=30,
            visit_type="periodique",
            place=PLACE,
            professional_kind="medecin",
            status="convoquee",
        ),
    )


@pytest.mark.parametrize(
    "starts_at, last_day, holiday",
    [
        ("2030-05-06T09:00:00+02:00", date(2030, 4, 30), "1 May 2030, a Wednesday, and the weekend"),
        ("2030-06-03T09:00:00+02:00", date(2030, 5, 28), "Ascension, Thursday 30 May 2030, and the weekend"),
        ("2031-07-16T09:00:00+02:00", date(2031, 7, 10), "14 July 2031, a Monday, and the weekend"),
        ("2030-12-27T09:00:00+01:00", date(2030, 12, 23), "25 December 2030, a Wednesday"),
    ],
)
def test_the_employer_cancels_until_the_limit_and_is_refused_the_next_day(
    service, directory, starts_at, last_day, holiday
):
    visit = visit_on(service, directory, starts_at)
    assert services.visit_cancellation_limit(service.portal, visit) == last_day, holiday
    day_after = date.fromordinal(last_day.toordinal() + 1)
    with pytest.raises(CancellationRefused) as refused:
        services.cancel_appointment(
            service.portal, visit.id, member_id=directory.member_a, today=day_after, reason_code="contrainte_service"
        )
    assert (
        f"jusqu'au {last_day.strftime('%d/%m/%Y')} inclus (3 jours ouvrés avant la visite)"
        in refused.value.errors["appointment_id"]
    )
    with service.portal.db.session_factory() as session:
        assert session.get(Appointment, visit.id).status == "convoquee"  # refused: the visit stays
    cancelled = services.cancel_appointment(
        service.portal, visit.id, member_id=directory.member_a, today=last_day, reason_code="contrainte_service"
    )
    assert cancelled.status == "annulee"


def test_another_company_cannot_cancel_and_staff_may_after_the_limit(service, directory):
    visit = visit_on(service, directory, "2030-06-03T09:00:00+02:00")
    with pytest.raises(NotFound):
        services.cancel_appointment(
            service.portal,
            visit.id,
            member_id=directory.member_b,
            today=date(2030, 5, 1),
            reason_code="contrainte_service",
        )
    late = date(2030, 6, 2)
    assert (
        services.cancel_appointment(
            service.portal, visit.id, member_id=None, today=late, reason_code="centre_ferme"
        ).status
        == "annulee"
    )
    assert service.events()[-1].data["cancelled_by"] == "staff"


def test_a_cancellation_is_confirmed_by_e_mail_to_the_convocation_contact(service, directory, deliver, portal_env):
    deliver(
        "members.member.updated.v1",
        member_id=directory.member_a,
        version=2,
        convocation_email="annulations@boulangerie-martin.fr",
    )
    visit = visit_on(service, directory, "2030-06-03T09:00:00+02:00")
    services.cancel_appointment(
        service.portal,
        visit.id,
        member_id=directory.member_a,
        today=date(2030, 5, 20),
        reason_code="contrainte_service",
    )
    assert service.deliver_mail() == 1
    mail = portal_env.smtp.wait_for(lambda m: m["To"] == "annulations@boulangerie-martin.fr")
    assert mail["To"] == "annulations@boulangerie-martin.fr"
    body = mail.get_content()
    assert "est annulée à votre demande" in body and "n'est plus valable" in body


def test_the_cancel_button_is_offered_only_until_the_limit(service, directory):
    from portal_common.clock import utcnow
    from portal_common.testing import make_principal

    soon = visit_on(
        service,
        directory,
        datetime.combine(next_open_day((utcnow() + timedelta(days=1)).date()), time(9), tzinfo=UTC).isoformat(),
    )
    later = visit_on(service, directory, f"{utcnow().year + 2}-06-03T09:00:00+02:00")
    admin = make_principal(member_id=directory.member_a, roles=("admin",))
    page = service.client().get("/rendez-vous", headers=service.headers(admin)).text
    assert f'href="/rendez-vous/{later.id}/annulation"' in page
    assert f'href="/rendez-vous/{soon.id}/annulation"' not in page
    assert "Annulation en ligne close depuis le" in page and "contactez le service" in page
