"""A cancelled visit's convocation, downloaded from the documents, says it is cancelled: a « CONVOCATION ANNULÉE »
banner with the day and the reason, and no cancellation left to offer; one still in force, or only replaced by a
move, is served as issued."""

import io

import pytest
from pypdf import PdfReader

from portal_common.clock import today
from portal_common.formats import date_fr
from portal_common.testing import make_principal

from .test_calendar_and_cancellation_reasons import SECRETARY, convoked, hidden
from .test_moving_a_visit import move, new_slot

pytestmark = pytest.mark.integration


def convocation_texts(service, member_id, appointment_id) -> dict[str, str]:
    """The text of each convocation of the visit as the employer downloads it, by document title."""
    employer = make_principal(member_id=member_id, roles=("read",))
    client, headers = service.client(), service.headers(employer)
    documents = client.get("/api/scheduling/documents", headers=headers).json
    texts = {}
    for document in documents:
        if document["appointment_id"] != appointment_id or document["kind"] != "convocation":
            continue
        response = client.get(document["download_path"], headers=headers)
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
        texts[document["title"]] = text
    return texts


def test_a_convocation_the_employer_cancelled_downloads_with_the_banner_the_day_and_the_reason(service, directory):
    visit = convoked(service, directory, directory.dupont)
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    client, headers = service.client(), service.headers(employer)
    action = f"/rendez-vous/{visit['id']}/annulation"
    form = hidden(client.get(action, headers=headers).text, action)
    done = client.post(
        action, data=form | {"reason_code": "contrainte_service", "reason_text": "Inventaire annuel"}, headers=headers
    )
    assert done.status_code == 302

    [text] = convocation_texts(service, directory.member_a, visit["id"]).values()

    assert "CONVOCATION ANNULÉE" in text
    assert f"Rendez-vous annulé le {date_fr(today())}." in text
    # The PDF's core fonts are Latin-1: the reason's dash prints as a hyphen.
    assert "Motif : Contrainte de service - Inventaire annuel" in text
    assert "Annulation possible" not in text and "jusqu'au" not in text and "peut être facturée" not in text
    # Still the convocation it was: who, when, where.
    assert "MARTIN Marie Claire, né(e) le 14/08/1985" in text and f"Date : {date_fr(visit['starts_at'])}" in text


def test_a_convocation_staff_cancelled_from_the_desk_downloads_with_the_banner_the_day_and_the_reason(
    service, directory
):
    visit = convoked(service, directory, directory.bernard)
    staff = service.headers(SECRETARY)
    action = f"/gestion/rendez-vous/{visit['id']}/annulation"
    form = hidden(service.client().get(f"/gestion/rendez-vous/{visit['id']}", headers=staff).text, action)
    done = service.client().post(
        action,
        data=form | {"reason_code": "professionnel_indisponible", "reason_text": "Dr Weber en congé"},
        headers=staff,
    )
    assert done.status_code == 302

    [text] = convocation_texts(service, directory.member_a, visit["id"]).values()

    assert "CONVOCATION ANNULÉE" in text and f"Rendez-vous annulé le {date_fr(today())}." in text
    assert "Motif : Professionnel de santé indisponible - Dr Weber en congé" in text
    assert "Annulation possible" not in text


def test_a_convocation_still_in_force_has_no_banner_and_still_offers_its_cancellation(service, directory):
    visit = convoked(service, directory, directory.dupont)

    [text] = convocation_texts(service, directory.member_a, visit["id"]).values()

    assert "ANNULÉE" not in text and "Rendez-vous annulé" not in text
    assert "Annulation possible dans l'espace adhérent jusqu'au" in text


def test_a_convocation_replaced_by_a_move_is_not_stamped_cancelled_but_every_one_is_once_the_visit_is(
    service, directory
):
    visit = convoked(service, directory, directory.dupont, days=30)
    moved = move(service, visit["id"], new_slot(service, 40)["id"], version=visit["version"])
    assert moved.status_code == 200, moved.json

    texts = convocation_texts(service, directory.member_a, visit["id"])
    [replaced] = [text for title, text in texts.items() if title.endswith(date_fr(visit["starts_at"]))]
    [current] = [text for title, text in texts.items() if title.endswith(date_fr(moved.json["starts_at"]))]
    assert "ANNULÉE" not in replaced and "Annulation possible" in replaced
    assert "ANNULÉE" not in current and "Cette convocation remplace celle du" in current

    cancelled = service.client().post(
        f"/api/scheduling/appointments/{visit['id']}/cancellation",
        json={"reason_code": "centre_ferme", "version": moved.json["version"]},
        headers=service.headers(SECRETARY),
    )
    assert cancelled.status_code == 200, cancelled.json
    texts = convocation_texts(service, directory.member_a, visit["id"])
    assert len(texts) == 2
    for text in texts.values():
        assert "CONVOCATION ANNULÉE" in text and "Motif : Centre fermé ce jour-là" in text
        assert f"Date : {date_fr(moved.json['starts_at'])}" in text
