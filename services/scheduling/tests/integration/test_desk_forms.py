"""The scheduling desk's forms: a refusal re-renders the desk (422) with the message by the field, typed values kept."""

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.appointments import use_cases as services
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.business_calendar.rules import next_open_day

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Desk:
    def __init__(self, service):
        self.client, self.headers = service.client(), service.headers(SECRETARY)
        page = self.client.get("/gestion/rendez-vous", headers=self.headers).text
        self.token = page.split('name="csrf_token" value="')[1].split('"')[0]

    def post(self, path, **data):
        return self.client.post(
            path, headers=self.headers, data=dict(data, csrf_token=self.token), content_type="multipart/form-data"
        )


def field_error(page, field_id):
    """The text of the field's own error element, None when it has none."""
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


def flashed(page):
    return re.findall(r'<p class="flash flash-error">([^<]*)</p>', page)


def tied(page, field_id):
    """The field says it is invalid and points at its error element."""
    tag = re.search(rf'<(?:input|select)[^>]*id="{re.escape(field_id)}"[^>]*>', page).group(0)
    return 'aria-invalid="true"' in tag and f'aria-describedby="{field_id}-error"' in tag


def slot_form(**overrides):
    tomorrow = next_open_day((utcnow() + timedelta(days=10)).date()).isoformat()
    values = dict(
        centre_name=CENTRE["name"],
        centre_address=CENTRE["address"],
        professional_kind="infirmier",
        professional_name="Marc Rothenbach",
        day=tomorrow,
        time="10:00",
        duration_minutes="30",
        capacity="1",
    )
    values.update(overrides)
    return values


def typed(page, name):
    """What the slot form's input shows."""
    return re.search(rf'<input id="f-{name}" name="{name}"[^>]*value="([^"]*)"', page).group(1)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (dict(day=""), "f-day", "Indiquez le jour du créneau."),
        (dict(time="dix heures"), "f-time", "Heure invalide (hh:mm)."),
        (dict(day="2020-01-06"), "f-day", "Le créneau doit commencer dans le futur."),
        (dict(centre_name=" "), "f-centre_name", "Le nom du centre est obligatoire (200 caractères au plus)."),
        (dict(centre_address=""), "f-centre_address", "L'adresse du centre est obligatoire (300 caractères au plus)."),
        (dict(capacity="50"), "f-capacity", "La capacité va de 1 à 20 rendez-vous."),
        (dict(duration_minutes="trente"), "f-duration_minutes", "Nombre entier attendu."),
        (dict(professional_kind="kine"), "f-professional_kind", "Professionnel de santé inconnu."),
    ],
)
def test_a_refused_slot_shows_the_message_by_its_field_and_keeps_what_was_typed(
    service, directory, overrides, field, message
):
    refused = Desk(service).post("/gestion/rendez-vous/creneaux", **slot_form(**overrides))
    assert refused.status_code == 422
    page = refused.text
    assert field_error(page, field) == message.replace("'", "&#39;") and tied(page, field)
    assert flashed(page) == ["Le créneau n&#39;a pas pu être ouvert : corrigez les champs signalés."]
    for name, value in slot_form(**overrides).items():
        if name != "professional_kind":
            assert typed(page, name) == value.strip()
    assert "Aucun créneau à venir." in page  # nothing half-written


def test_a_placement_without_a_slot_or_into_the_wrong_one_is_refused_by_the_slot_chosen(service, directory):
    desk = Desk(service)
    due = next(
        o
        for o in desk.client.get(
            f"/api/scheduling/obligations?employee_id={directory.dupont}", headers=desk.headers
        ).json
        if o["rule"] == "vip_initiale"
    )
    unchosen = desk.post("/gestion/rendez-vous/placement", obligation_id=due["id"], slot_id="")
    assert unchosen.status_code == 422
    assert field_error(unchosen.text, f"slot-o-{due['id']}") == "Choisissez un créneau."
    assert tied(unchosen.text, f"slot-o-{due['id']}")
    employer = make_principal(member_id=directory.member_b, roles=("admin",))
    request = desk.client.post(
        "/api/scheduling/requests",
        headers=service.headers(employer),
        json={
            "employee_id": directory.keller,
            "visit_type": "reprise",
            "return_date": (utcnow() + timedelta(days=3)).date().isoformat(),
        },
    ).json
    nurse = desk.client.post(
        "/api/scheduling/slots",
        headers=desk.headers,
        json={
            "centre": CENTRE,
            "professional_kind": "infirmier",
            "professional_name": "Marc Rothenbach",
            "starts_at": datetime.combine(
                next_open_day((utcnow() + timedelta(days=5)).date()), time(9), tzinfo=UTC
            ).isoformat(),
            "duration_minutes": 30,
        },
    ).json
    wrong = desk.post("/gestion/rendez-vous/placement", request_id=request["id"], slot_id=nurse["id"])
    assert wrong.status_code == 422
    message = field_error(wrong.text, f"slot-r-{request['id']}")
    assert message.startswith("Un infirmier en santé au travail ne peut pas faire cette visite")
    assert message not in " ".join(flashed(wrong.text))
    row = wrong.text.split(f'id="slot-r-{request["id"]}"')[1].split("</select>")[0]
    assert f'<option value="{nurse["id"]}" selected>' in row
    assert (
        f'<option value="{nurse["id"]}" selected>'
        not in wrong.text.split(f'id="slot-o-{due["id"]}"')[1].split("</select>")[0]
    )


def test_a_placement_whose_row_has_left_the_desk_is_told_at_the_top(service, directory):
    desk = Desk(service)
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    request = desk.client.post(
        "/api/scheduling/requests",
        headers=service.headers(employer),
        json={"employee_id": directory.dupont, "visit_type": "demande"},
    ).json
    slots = [
        desk.client.post(
            "/api/scheduling/slots",
            headers=desk.headers,
            json={
                "centre": CENTRE,
                "professional_kind": "medecin",
                "professional_name": "Dr Claire Weber",
                "starts_at": datetime.combine(
                    next_open_day((utcnow() + timedelta(days=days)).date()), time(9), tzinfo=UTC
                ).isoformat(),
                "duration_minutes": 30,
            },
        ).json
        for days in (5, 6)
    ]
    assert (
        desk.post("/gestion/rendez-vous/placement", request_id=request["id"], slot_id=slots[0]["id"]).status_code == 302
    )
    twice = desk.post("/gestion/rendez-vous/placement", request_id=request["id"], slot_id=slots[1]["id"])
    assert twice.status_code == 422
    assert flashed(twice.text) == ["Cette demande est déjà planifiée ou annulée."]
    assert 'class="field-error"' not in twice.text


def past_visit(service, directory, status):
    return services.schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.dupont,
            starts_at=utcnow() - timedelta(days=2),
            duration_minutes=30,
            visit_type="embauche",
            place=Place(**CENTRE),
            professional_kind="infirmier",
            status=status,
            allow_past=True,
        ),
    )


def test_an_unknown_attendance_is_refused_by_the_attendance_choice(service, directory):
    visit = past_visit(service, directory, "convoquee")
    refused = Desk(service).post(f"/gestion/rendez-vous/{visit.id}/presence", status="annulee")
    assert refused.status_code == 422
    assert field_error(refused.text, f"status-{visit.id}") == "Choisissez réalisée, absent excusé ou absent non excusé."
    assert tied(refused.text, f"status-{visit.id}")
    assert flashed(refused.text) == ["La présence n&#39;a pas pu être enregistrée : voyez le message à côté du choix."]


def test_a_refused_document_shows_each_message_by_its_field_and_keeps_the_type_chosen(service, directory):
    visit = past_visit(service, directory, "realisee")
    desk = Desk(service)
    refused = desk.post(
        f"/gestion/rendez-vous/{visit.id}/document", kind="avis_aptitude", file=(io.BytesIO(b"hello"), "a.txt")
    )
    assert refused.status_code == 422
    page = refused.text
    assert (
        field_error(page, f"kind-{visit.id}")
        == "L&#39;avis d&#39;aptitude concerne l&#39;examen d&#39;aptitude ou le suivi renforcé."
    )
    assert field_error(page, f"file-{visit.id}") == "Le document doit être un fichier PDF."
    assert tied(page, f"kind-{visit.id}") and tied(page, f"file-{visit.id}")
    assert '<option value="avis_aptitude" selected>' in page.split(f'id="kind-{visit.id}"')[1].split("</select>")[0]
    assert [e.type for e in service.events()] == ["scheduling.appointment.scheduled.v1"]
    assert (
        desk.post(
            f"/gestion/rendez-vous/{visit.id}/document", kind="attestation_suivi", file=(io.BytesIO(PDF), "a.pdf")
        ).status_code
        == 302
    )


def test_staff_close_a_request_from_the_desk_with_a_reason_and_without_one_are_told_by_the_field(service, directory):
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    request_id = (
        service.client()
        .post(
            "/api/scheduling/requests",
            headers=service.headers(employer),
            json={"employee_id": directory.dupont, "visit_type": "demande"},
        )
        .json["id"]
    )
    desk = Desk(service)
    refused = desk.post(f"/gestion/rendez-vous/demandes/{request_id}/cloture", reason="   ")
    assert refused.status_code == 422
    assert field_error(refused.text, f"reason-{request_id}") == (
        "Indiquez le motif : il sera affiché à l&#39;employeur."
    )
    assert tied(refused.text, f"reason-{request_id}")
    closed = desk.post(
        f"/gestion/rendez-vous/demandes/{request_id}/cloture", reason="Visite faite par un autre service"
    )
    assert closed.status_code == 302
    [seen] = service.client().get("/api/scheduling/requests?open_only=false", headers=service.headers(employer)).json
    assert (seen["status"], seen["closed_reason"]) == ("annulee", "Visite faite par un autre service")
    page = service.client().get("/rendez-vous", headers=service.headers(employer)).text
    closed_part = page.split('id="demandes-closes"')[1]
    assert "Visite faite par un autre service" in closed_part and "MARTIN" in closed_part
