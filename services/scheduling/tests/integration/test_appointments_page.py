"""The 'Mes rendez-vous' page, in French, on PostgreSQL."""

from datetime import datetime

import pytest

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand

pytestmark = pytest.mark.integration

PLACE = Place("Centre médical de Mulhouse", "4 rue des Fabriques, 68100 Mulhouse")


def schedule(service, member_id, employee_id, starts_at, status="convoquee", visit_type="periodique"):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=member_id,
            employee_id=employee_id,
            starts_at=datetime.fromisoformat(starts_at),
            duration_minutes=30,
            visit_type=visit_type,
            place=PLACE,
            professional_kind="medecin",
            status=status,
            allow_past=True,
        ),
    )


def test_the_page_splits_upcoming_and_past_visits_and_shows_paris_time_in_french(service, directory):
    next_winter = f"{utcnow().year + 2}-01-15T08:30:00+00:00"
    schedule(service, directory.member_a, directory.dupont, next_winter)
    schedule(
        service,
        directory.member_a,
        directory.bernard,
        "2024-01-16T08:30:00+00:00",
        status="absent_excuse",
        visit_type="embauche",
    )
    schedule(service, directory.member_b, directory.keller, "2024-01-17T08:30:00+00:00", status="realisee")
    user = make_principal(member_id=directory.member_a, roles=("read",))
    page = service.client().get("/rendez-vous", headers=service.headers(user))
    assert page.status_code == 200
    text = page.text
    upcoming, past = text.split('<h2 id="a-venir">À venir</h2>')[1].split('<h2 id="passes">Passés</h2>')
    # 08:30 UTC in winter is 09:30 in Paris.
    assert f"<td>15/01/{utcnow().year + 2}<br>09:30</td>" in upcoming
    assert "MARTIN" in upcoming and "Marie Claire" in upcoming and "DUPONT" in upcoming and "14/08/1985" in upcoming
    assert "Visite périodique" in upcoming and "Convoquée" in upcoming and "BERNARD" not in upcoming
    assert "<td>16/01/2024<br>09:30</td>" in past and "BERNARD" in past
    assert "Visite d&#39;information et de prévention initiale" in past and "Absent excusé" in past
    assert "KELLER" not in text and "17/01/2024" not in text
    assert '<th scope="col">Nom de naissance</th>' in text and "Centre médical de Mulhouse" in text


def test_the_page_filters_the_visits_of_one_employee(service, directory):
    schedule(service, directory.member_a, directory.dupont, "2024-03-01T10:00:00+00:00")
    schedule(service, directory.member_a, directory.bernard, "2024-03-02T10:00:00+00:00")
    user = make_principal(member_id=directory.member_a, roles=("read",))
    page = service.client().get(f"/rendez-vous?salarie={directory.bernard}", headers=service.headers(user)).text
    assert "02/03/2024" in page and "01/03/2024" not in page
    assert f'<option value="{directory.bernard}" selected>BERNARD Louis</option>' in page
    assert '<button type="submit" class="btn btn-secondary">Filtrer</button>' in page
    assert "KELLER" not in page  # another company's employee is not offered


def test_staff_see_the_page_for_their_current_company_or_are_asked_to_choose_one(service, directory):
    schedule(service, directory.member_b, directory.keller, "2024-01-17T08:30:00+00:00", status="realisee")
    client = service.client()
    chooser = client.get("/rendez-vous", headers=service.headers(make_principal(staff_roles=("secretariat",))))
    assert chooser.status_code == 302 and chooser.headers["Location"].endswith("/changer-adherent")
    staff_in_b = make_principal(staff_roles=("secretariat",), member_id=directory.member_b)
    page = client.get("/rendez-vous", headers=service.headers(staff_in_b))
    assert page.status_code == 200 and "KELLER" in page.text and "Réalisée" in page.text


def test_the_page_needs_a_signed_in_user_of_a_company(service, directory):
    client = service.client()
    anonymous = client.get("/rendez-vous")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    no_company = make_principal()
    assert client.get("/rendez-vous", headers=service.headers(no_company)).status_code == 403
