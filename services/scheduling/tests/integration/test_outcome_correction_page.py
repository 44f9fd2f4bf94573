"""Staff correct a recorded outcome from the visit's page: a mandatory reason, the version read (two tabs: the second
is refused and shown the first one's correction), a form posted twice corrects once, and the history says who,
when, from what to what and why."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day
from scheduling.models import Appointment, OutcomeCorrection

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Sophie Lambert")
OTHER_SECRETARY = make_principal(staff_roles=("secretariat",), display_name="Paul Girard")
BILLING_STAFF = make_principal(staff_roles=("billing",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}


def recorded_visit(service, directory, status="absent_non_excuse"):
    visit = services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.dupont,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status="convoquee",
            allow_past=True,
        ),
    )
    return services.record_outcome(service.portal, visit.id, status)


class Tab:
    """One browser tab on the visit's page: the form's hidden fields as the page gave them."""

    def __init__(self, service, visit_id, principal=SECRETARY):
        self.client, self.headers, self.visit_id = service.client(), service.headers(principal), visit_id
        self.page = self.client.get(f"/gestion/rendez-vous/{visit_id}", headers=self.headers)
        self.hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', self.page.text))

    def correct(self, **fields):
        return self.client.post(
            f"/gestion/rendez-vous/{self.visit_id}/correction-presence",
            headers=self.headers,
            data=dict(self.hidden, **fields),
            content_type="application/x-www-form-urlencoded",
        )


def field_error(page, field_id):
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


def history(page):
    body = page.split('id="historique"')[1].split("</tbody>")[0]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", body)]


def corrections(service, visit_id):
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(OutcomeCorrection).where(OutcomeCorrection.appointment_id == visit_id)))


def status_of(service, visit_id):
    with service.portal.db.session_factory() as session:
        return session.get(Appointment, visit_id).status


def test_staff_see_the_recorded_outcome_correct_it_with_a_reason_and_the_history_says_who_when_and_why(
    service, directory
):
    visit = recorded_visit(service, directory)
    desk = service.client().get("/gestion/rendez-vous", headers=service.headers(SECRETARY)).text
    assert f'<a href="/gestion/rendez-vous/{visit.id}">' in desk.split('id="presences-notees"')[1]
    tab = Tab(service, visit.id)
    assert tab.page.status_code == 200
    assert re.search(r'id="current-status">Absent non excusé<', tab.page.text)
    assert "Aucune correction." in tab.page.text
    assert tab.hidden["version"] == str(visit.version) and tab.hidden["form_token"]

    done = tab.correct(status="realisee", reason="  Le salarié était présent : erreur de saisie.  ")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/gestion/rendez-vous/{visit.id}")
    page = Tab(service, visit.id).page.text
    assert re.search(r'id="current-status">Réalisée<', page)
    [[when, who, change, reason]] = history(page)
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}", when)
    assert (who, change, reason) == (
        "Sophie Lambert",
        "Absent non excusé → Réalisée",
        "Le salarié était présent : erreur de saisie.",
    )
    [correction] = corrections(service, visit.id)
    assert correction.corrected_by == SECRETARY.user_id
    assert [e.type for e in service.events()][-1] == "scheduling.appointment.outcome_corrected.v1"
    assert "reason" not in service.events()[-1].data


def test_a_correction_without_a_reason_is_refused_by_the_field_with_the_choice_kept_and_nothing_written(
    service, directory
):
    visit = recorded_visit(service, directory)
    refused = Tab(service, visit.id).correct(status="absent_excuse", reason="   ")
    assert refused.status_code == 422
    assert (
        field_error(refused.text, "f-reason")
        == "Indiquez le motif de la correction : il est conservé dans l&#39;historique."
    )
    assert 'aria-describedby="f-reason-error"' in refused.text
    assert '<option value="absent_excuse" selected>' in refused.text
    assert "La présence n&#39;a pas été corrigée : voyez le message à côté du champ." in refused.text
    assert corrections(service, visit.id) == [] and status_of(service, visit.id) == "absent_non_excuse"
    assert "scheduling.appointment.outcome_corrected.v1" not in [e.type for e in service.events()]


def test_the_same_outcome_again_is_refused_by_the_choice(service, directory):
    visit = recorded_visit(service, directory, "realisee")
    refused = Tab(service, visit.id).correct(status="realisee", reason="Vérifié")
    assert refused.status_code == 422
    assert field_error(refused.text, "f-status") == "Ce rendez-vous est déjà « réalisée »."
    assert corrections(service, visit.id) == []


def test_a_second_tab_with_the_old_version_is_refused_shown_the_first_correction_and_keeps_what_was_typed(
    service, directory
):
    visit = recorded_visit(service, directory)
    first, second = Tab(service, visit.id), Tab(service, visit.id, OTHER_SECRETARY)
    assert first.correct(status="realisee", reason="Présent, feuille d'émargement signée").status_code == 302
    stale = second.correct(status="absent_excuse", reason="Arrêt maladie transmis")
    assert stale.status_code == 409
    page = stale.text
    assert (
        field_error(page, "f-status")
        == "Ce rendez-vous a été modifié entre-temps : rechargez-le avant de corriger sa présence."
    )
    assert re.search(r'id="current-status">Réalisée<', page)
    assert [row[1:] for row in history(page)] == [
        ["Sophie Lambert", "Absent non excusé → Réalisée", "Présent, feuille d&#39;émargement signée"]
    ]
    assert ">Arrêt maladie transmis</textarea>" in page and '<option value="absent_excuse" selected>' in page
    current = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert int(current) == visit.version + 1  # sent again, the typed correction now applies to what was seen
    assert [c.status for c in corrections(service, visit.id)] == ["realisee"]


def test_a_correction_form_posted_twice_corrects_once(service, directory):
    visit = recorded_visit(service, directory)
    tab = Tab(service, visit.id)
    first = tab.correct(status="absent_excuse", reason="Justificatif reçu")
    again = tab.correct(status="absent_excuse", reason="Justificatif reçu")
    assert (first.status_code, again.status_code) == (302, 302)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(corrections(service, visit.id)) == 1
    assert [e.type for e in service.events()].count("scheduling.appointment.outcome_corrected.v1") == 1


def test_billing_staff_read_the_visit_without_a_correction_form_and_cannot_post_one(service, directory):
    visit = recorded_visit(service, directory)
    tab = Tab(service, visit.id, BILLING_STAFF)
    assert tab.page.status_code == 200 and "Corriger la présence" not in tab.page.text
    refused = tab.client.post(
        f"/gestion/rendez-vous/{visit.id}/correction-presence",
        headers=tab.headers,
        data={"csrf_token": tab.hidden["csrf_token"], "status": "realisee", "reason": "x", "version": "2"},
    )
    assert refused.status_code == 403
    assert corrections(service, visit.id) == []


def test_a_visit_without_an_outcome_offers_no_correction_and_an_unknown_one_is_404(service, directory):
    visit = services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.dupont,
            starts_at=datetime.combine(next_open_day((utcnow() + timedelta(days=5)).date()), time(9), tzinfo=UTC),
            duration_minutes=30,
            visit_type="periodique",
            place=Place(**CENTRE),
            professional_kind="infirmier",
        ),
    )
    tab = Tab(service, visit.id)
    assert tab.page.status_code == 200 and "Corriger la présence" not in tab.page.text
    assert Tab(service, "00000000-0000-4000-8000-000000000000").page.status_code == 404
