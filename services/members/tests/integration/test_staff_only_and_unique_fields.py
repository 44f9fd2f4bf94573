"""Guards of the record: a member's crafted form with staff-only fields is refused whole; a SIRET or a member
number taken by another company by the time the change applies answers the duplicate message, never a 500."""

import html

import pytest
from sqlalchemy import select, update

from members.models import ChangeRequest, Member
from members.record.use_cases import changes as services

pytestmark = pytest.mark.integration

API = "/api/members"
FREE_SIRET = "73282932000009"  # valid, held by no company of the fixtures


def snapshot(service, member_id: str) -> tuple:
    """What must stay untouched: the company row, its change requests, the outbox."""
    with service.portal.db.session_factory() as session:
        member = session.get(Member, member_id)
        requests = session.scalars(
            select(ChangeRequest.id).where(ChangeRequest.member_id == member_id).order_by(ChangeRequest.id)
        ).all()
        row = (member.name, member.siret, member.member_number, member.phone, member.status, member.version)
    return row, tuple(requests), len(service.events())


@pytest.mark.parametrize(
    "crafted",
    [
        {"siret": "40483304800022"},
        {"name": "Autre raison sociale"},
        {"member_number": "1000001"},
        {"status": "closed"},
        {"adhesion_date": "2010-01-01"},
    ],
    ids=lambda crafted: next(iter(crafted)),
)
def test_a_member_edit_page_posting_a_staff_only_field_is_refused_with_422_and_changes_nothing(
    service, companies, people, token, crafted
):
    company_a, _ = companies
    client, admin = service.client(), service.headers(people["admin"])
    before = snapshot(service, company_a)
    csrf = token(client, "/adherent/modifier", admin)
    # A legitimate change beside the crafted field: nothing of the form is taken, not even the phone.
    response = client.post(
        "/adherent/modifier", headers=admin, data={"csrf_token": csrf, "phone": "03 89 00 11 22", **crafted}
    )
    assert response.status_code == 422
    [name] = crafted
    text = html.unescape(response.text)
    assert f'id="f-{name}-error"' in text
    assert "Ce champ ne peut être modifié que par le service : contactez-le. Rien n'a été enregistré." in text
    assert snapshot(service, company_a) == before


def test_staff_still_change_the_staff_only_fields_from_their_edit_page(service, companies, people, token):
    company_a, _ = companies
    client, staff = service.client(), service.headers(people["staff"])
    path = f"/gestion/adherents/{company_a}/modifier"
    form = {
        "csrf_token": token(client, path, staff),
        "name": "Boulangerie Martin",
        "siret": FREE_SIRET,
        "member_number": "1000001",
        "adhesion_date": "2015-03-01",
        "status": "active",
        "naf_code": "10.71C",
        "phone": "03 89 12 34 56",
        "email": "contact@example.fr",
        "billing_email": "compta@example.fr",
        # The version the page was read at (a staff save applies at once: a stale one is refused).
        "version": client.get(f"{API}/members/{company_a}", headers=staff).headers["ETag"].strip('"'),
    }
    assert client.post(path, headers=staff, data=form).status_code == 302
    pending = client.get(f"{API}/change-requests", headers=staff).json
    assert [r["after"] for r in pending] == [{"siret": FREE_SIRET}]


def ask(service, people, member_id: str, change: dict) -> str:
    """A staff change of identity: it waits for a second person."""
    staff = service.headers(people["staff"])
    staff["If-Match"] = service.client().get(f"{API}/members/{member_id}", headers=staff).headers["ETag"]
    response = service.client().patch(f"{API}/members/{member_id}", json=change, headers=staff)
    assert response.status_code == 200, response.json
    [request] = response.json
    assert request["status"] == "pending"
    return request["id"]


def approve(service, people, request_id: str):
    return service.client().post(
        f"{API}/change-requests/{request_id}/approve", json={}, headers=service.headers(people["staff2"])
    )


def test_approving_a_siret_another_company_got_approved_meanwhile_answers_409_with_the_french_message(
    service, companies, people
):
    company_a, company_b = companies
    first, second = (
        ask(service, people, company_a, {"siret": FREE_SIRET}),
        ask(service, people, company_b, {"siret": FREE_SIRET}),
    )
    assert approve(service, people, first).status_code == 200
    before = snapshot(service, company_b)
    refused = approve(service, people, second)
    assert refused.status_code == 409
    assert refused.json["errors"]["json"] == {"siret": "Un adhérent existe déjà avec ce SIRET."}
    assert snapshot(service, company_b) == before
    with service.portal.db.session_factory() as session:
        assert session.get(ChangeRequest, second).status == "pending"  # staff may still reject it


@pytest.fixture
def concurrent_writer(service, monkeypatch):
    """`concurrent_writer(member_id, column, value)`: right after the duplicate pre-check passed, another
    transaction gives `value` to `member_id` and commits, as a second staff member's approval would."""

    def arm(member_id: str, column: str, value: str) -> None:
        def precheck_then_race(session, request_member_id, after):
            with service.portal.db.session_factory() as other:
                other.execute(update(Member).where(Member.id == member_id).values({column: value}))
                other.commit()

        monkeypatch.setattr(services, "_refuse_taken_identity", precheck_then_race)

    return arm


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("siret", FREE_SIRET, "Un adhérent existe déjà avec ce SIRET."),
        ("member_number", "1000009", "Ce numéro d'adhérent est déjà attribué."),
    ],
    ids=["siret", "member_number"],
)
def test_an_approval_losing_the_race_for_a_unique_field_answers_409_and_writes_nothing(
    service, companies, people, concurrent_writer, column, value, message
):
    company_a, company_b = companies
    request_id = ask(service, people, company_a, {column: value})
    before = snapshot(service, company_a)
    concurrent_writer(company_b, column, value)
    refused = approve(service, people, request_id)
    assert refused.status_code == 409
    assert refused.json["errors"]["json"] == {column: message}
    assert snapshot(service, company_a) == before  # no event, no applied change, the request still pending
    with service.portal.db.session_factory() as session:
        assert session.get(ChangeRequest, request_id).status == "pending"


def test_the_queue_page_losing_the_race_shows_the_french_duplicate_message(
    service, companies, people, token, concurrent_writer
):
    company_a, company_b = companies
    request_id = ask(service, people, company_a, {"siret": FREE_SIRET})
    before = snapshot(service, company_a)
    concurrent_writer(company_b, "siret", FREE_SIRET)
    client, staff2 = service.client(), service.headers(people["staff2"])
    csrf = token(client, "/gestion/adherents/demandes", staff2)
    answer = client.post(
        f"/gestion/adherents/demandes/{request_id}", headers=staff2, data={"csrf_token": csrf, "decision": "approve"}
    )
    assert answer.status_code == 303
    page = html.unescape(client.get("/gestion/adherents/demandes", headers=staff2).text)
    assert "SIRET : Un adhérent existe déjà avec ce SIRET. La demande reste en attente" in page
    assert snapshot(service, company_a) == before
