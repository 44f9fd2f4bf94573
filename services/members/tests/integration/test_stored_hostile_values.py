"""The testers' finding, as they left it: a contact named "a\\ud800b" stored before the input boundary existed
(in a pending change) and a company name holding a bidi override and a control character. The company's record
and history, staff's view of it and the validation queue of every company still open; staff can decide on the
request; the change applies as the queue showed it (docs/security.md VAL-05)."""

import re

import pytest
from sqlalchemy import select, text

from members.models import ChangeRequest, Contact
from portal_common.messaging import catalogue

pytestmark = pytest.mark.integration

CONTACT = (
    '{"kind": "responsable_rh", "name": "a\\ud800b", "function": "G\\u00e9rant\\u0000", '
    '"email": "rh@boulangerie-martin.fr", "phone": null, "mobile": null}'
)


def _store_before_the_boundary(service, member_id: str) -> str:
    """What the boundary refuses today, written with SQL as an older version or a migration left it."""
    with service.portal.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE member SET name = name || :poison WHERE id = :id"), {"poison": "\u202e\x07", "id": member_id}
        )
        return conn.execute(
            text(
                "INSERT INTO change_request (id, member_id, kind, action, target_id, before, after, status, "
                "requested_by, requested_by_name, requested_by_staff, requested_at) VALUES (gen_random_uuid()::text, "
                ":member, 'contact', 'create', NULL, '{}'::json, CAST(:after AS json), 'pending', 'u1', "
                "'Paul Martin', false, now()) RETURNING id"
            ),
            {"member": member_id, "after": CONTACT},
        ).scalar_one()


def test_pages_of_the_company_and_the_queue_of_every_company_open_with_a_lone_surrogate_stored(
    service, companies, people
):
    company_a, company_b = companies
    _store_before_the_boundary(service, company_a)
    client = service.client()
    admin, staff, admin_b = (service.headers(people[p]) for p in ("admin", "staff", "admin_b"))
    for headers, path in (
        (admin, "/adherent"),
        (admin, "/adherent/historique"),
        (staff, f"/gestion/adherents/{company_a}"),
        (staff, "/gestion/adherents/demandes"),
        (staff, "/gestion/adherents"),
        (admin_b, "/adherent"),
    ):
        page = client.get(path, headers=headers)
        assert page.status_code == 200, (path, page.status_code)
        page.get_data().decode("utf-8")
        assert "\u202e" not in page.text and "\x07" not in page.text
    queue = client.get("/gestion/adherents/demandes", headers=staff).text
    assert re.search(r"\bab\b", queue) and "Boulangerie Martin" in queue  # the name as the pages show it


def test_staff_approve_the_request_and_the_contact_is_applied_as_the_queue_showed_it(service, companies, people, token):
    company_a, _ = companies
    request_id = _store_before_the_boundary(service, company_a)
    client, staff = service.client(), service.headers(people["staff"])
    csrf = token(client, "/gestion/adherents/demandes", staff)
    decided = client.post(
        f"/gestion/adherents/demandes/{request_id}", headers=staff, data={"csrf_token": csrf, "decision": "approve"}
    )
    assert decided.status_code == 302
    with service.portal.db.session_factory() as session:
        [contact] = session.scalars(select(Contact).where(Contact.member_id == company_a, Contact.name == "ab"))
        assert contact.function == "Gérant"
        assert session.get(ChangeRequest, request_id).after["name"] == "ab"  # the audit trail: what was applied
    for event in service.events():
        catalogue.validate(event)  # every event published since, the company's name included, passes the check


def test_staff_can_still_reject_the_request_from_its_page(service, companies, people, token):
    company_a, _ = companies
    request_id = _store_before_the_boundary(service, company_a)
    client, staff = service.client(), service.headers(people["staff"])
    csrf = token(client, "/gestion/adherents/demandes", staff)
    decided = client.post(
        f"/gestion/adherents/demandes/{request_id}",
        headers=staff,
        data={"csrf_token": csrf, "decision": "reject", "reason": "Nom illisible : merci de le saisir de nouveau."},
    )
    assert decided.status_code == 302
    with service.portal.db.session_factory() as session:
        assert session.get(ChangeRequest, request_id).status == "rejected"
