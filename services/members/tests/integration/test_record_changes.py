"""Record edits become change requests; staff validate them in a queue; the record page and the audit trail."""

import html
import re

import pytest

from portal_common.messaging import catalogue

pytestmark = pytest.mark.integration

API = "/api/members"


def read_at(client, member_id: str, headers: dict) -> dict:
    """The headers with If-Match naming the record's version as just read (staff's edits apply at once)."""
    return dict(headers, **{"If-Match": client.get(f"{API}/members/{member_id}", headers=headers).headers["ETag"]})


def updated_events(service):
    return [e for e in service.events() if e.type == "members.member.updated.v1"]


def test_a_member_edit_waits_for_staff_then_applies_once_and_publishes_the_update(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    response = client.patch(
        f"{API}/members/{company_a}", json={"phone": "03 89 00 11 22", "vat_number": ""}, headers=admin
    )
    assert response.status_code == 200
    [request] = response.json
    assert request["status"] == "pending"
    assert request["before"] == {"phone": "+33389123456"} and request["after"] == {"phone": "+33389001122"}
    assert client.get(f"{API}/members/{company_a}", headers=admin).json["phone"] == "+33389123456"
    assert updated_events(service) == []

    approved = client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=staff)
    assert approved.status_code == 200 and approved.json["decided_by_name"] == "Agnès Staff"
    assert client.get(f"{API}/members/{company_a}", headers=admin).json["phone"] == "+33389001122"
    again = client.post(
        f"{API}/change-requests/{request['id']}/approve", json={}, headers=service.headers(people["staff2"])
    )
    assert again.status_code == 409
    [event] = updated_events(service)
    catalogue.validate(event)
    assert event.data["version"] == 2 and event.data["member_id"] == company_a


def test_a_field_configured_immediate_applies_at_once_and_is_still_audited(service, companies, people, monkeypatch):
    company_a, _ = companies
    monkeypatch.setattr(service.portal.settings, "immediate_fields", frozenset({"phone"}))
    client = service.client()
    admin = service.headers(people["admin"])
    response = client.patch(
        f"{API}/members/{company_a}", json={"phone": "0389001122", "email": "new@example.fr"}, headers=admin
    )
    assert sorted(r["status"] for r in response.json) == ["applied", "pending"]
    record = client.get(f"{API}/members/{company_a}", headers=admin).json
    assert (record["phone"], record["email"]) == ("+33389001122", "contact@example.fr")
    trail = client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json
    assert any(r["status"] == "applied" and r["after"] == {"phone": "+33389001122"} for r in trail)
    assert len(updated_events(service)) == 1


def test_a_member_changing_a_staff_only_field_or_typing_bad_values_gets_422_and_nothing_saved(
    service, companies, people
):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    before = client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json
    response = client.patch(
        f"{API}/members/{company_a}",
        headers=admin,
        json={"name": "Nouveau nom", "phone": "12", "email": "x@", "vat_number": "FR00732829320", "naf_code": "99.99Z"},
    )
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"name", "phone", "email", "vat_number", "naf_code"}
    assert client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json == before
    assert client.patch(f"{API}/members/{company_a}", json={"status": "closed"}, headers=admin).status_code == 422


def test_staff_cannot_validate_their_own_identity_change_and_a_second_person_can(service, companies, people):
    company_a, _ = companies
    client = service.client()
    staff, staff2 = service.headers(people["staff"]), service.headers(people["staff2"])
    [request] = client.patch(
        f"{API}/members/{company_a}", json={"siret": "35600000009075"}, headers=read_at(client, company_a, staff)
    ).json
    assert request["status"] == "pending"
    own = client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=staff)
    assert own.status_code == 403
    assert client.get(f"{API}/members/{company_a}", headers=staff).json["siret"] == "73282932000074"
    assert client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=staff2).status_code == 200
    assert client.get(f"{API}/members/{company_a}", headers=staff).json["siret"] == "35600000009075"


def test_staff_reject_with_a_reason_the_member_reads_on_the_record_page(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    [request] = client.patch(f"{API}/members/{company_a}", json={"activity": "Boulangerie"}, headers=admin).json
    page = client.get("/adherent", headers=admin).text
    assert "Modifications en attente de validation" in page and "Boulangerie" in page
    no_reason = client.post(f"{API}/change-requests/{request['id']}/reject", json={}, headers=staff)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    assert (
        client.post(
            f"{API}/change-requests/{request['id']}/reject", json={"reason": "Activité non justifiée"}, headers=staff
        ).status_code
        == 200
    )
    page = client.get("/adherent", headers=admin).text
    assert "Demandes refusées récemment" in page and "Activité non justifiée" in page
    assert client.get(f"{API}/members/{company_a}", headers=admin).json["activity"] is None
    assert updated_events(service) == []


def test_the_record_page_shows_the_naf_label_the_vat_number_and_french_phones(service, companies, people):
    company_a, _ = companies
    client = service.client()
    staff = service.headers(people["staff"])
    client.patch(
        f"{API}/members/{company_a}",
        json={"vat_number": "FR44732829320", "fax": "0389000000"},
        headers=read_at(client, company_a, staff),
    )
    page = client.get("/adherent", headers=service.headers(people["reader"]))
    assert page.status_code == 200
    text = page.text
    assert "10.71C — Boulangerie et boulangerie-pâtisserie" in text and "NAF rév. 2" in text
    assert "FR44732829320" in text and "03 89 12 34 56" in text and "03 89 00 00 00" in text
    assert "01/03/2015" in text
    assert 'href="/adherent/modifier"' not in text  # a read-only user gets no edit link


def test_the_edit_form_proposes_the_vat_number_and_sends_a_request_through_the_page(service, companies, people, token):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    form = client.get("/adherent/modifier", headers=admin).text
    assert 'value="FR44732829320"' in form and 'value="03 89 12 34 56"' in form
    csrf = token(client, "/adherent/modifier", admin)
    bad = client.post("/adherent/modifier", headers=admin, data={"csrf_token": csrf, "phone": "abc"})
    assert bad.status_code == 422 and "Le numéro de téléphone n&#39;est pas valide" in bad.text
    sent = client.post(
        "/adherent/modifier",
        headers=admin,
        data={
            "csrf_token": csrf,
            "vat_number": "FR44732829320",
            "phone": "03 89 12 34 56",
            "email": "contact@example.fr",
            "billing_email": "compta@example.fr",
            "naf_code": "10.71C",
        },
    )
    assert sent.status_code == 302
    [request] = client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json[:1]
    assert request["status"] == "pending" and request["after"] == {"vat_number": "FR44732829320"}
    assert client.get("/adherent/modifier", headers=service.headers(people["reader"])).status_code == 403


def test_the_audit_trail_is_for_company_administrators_and_staff(service, companies, people):
    company_a, _ = companies
    client = service.client()
    client.patch(f"{API}/members/{company_a}", json={"activity": "Pains"}, headers=service.headers(people["admin"]))
    page = client.get("/adherent/historique", headers=service.headers(people["admin"]))
    assert page.status_code == 200 and "Paul Martin" in page.text and "En attente de validation" in page.text
    assert client.get("/adherent/historique", headers=service.headers(people["reader"])).status_code == 403
    assert (
        client.get(f"{API}/members/{company_a}/change-requests", headers=service.headers(people["reader"])).status_code
        == 403
    )
    staff_page = client.get(f"/gestion/adherents/{company_a}", headers=service.headers(people["staff"]))
    assert staff_page.status_code == 200 and "Historique des modifications" in staff_page.text


def test_the_staff_queue_page_approves_and_rejects_and_hides_the_buttons_on_ones_own_request(
    service, companies, people, token
):
    company_a, _ = companies
    client = service.client()
    staff = service.headers(people["staff"])
    [mine] = client.patch(
        f"{API}/members/{company_a}", json={"name": "Martin & Fils"}, headers=read_at(client, company_a, staff)
    ).json
    [theirs] = client.patch(
        f"{API}/members/{company_a}", json={"activity": "Pains"}, headers=service.headers(people["admin"])
    ).json
    page = client.get("/gestion/adherents/demandes", headers=staff)
    assert page.status_code == 200 and "Votre propre demande" in page.text
    assert f'/gestion/adherents/demandes/{mine["id"]}"' not in page.text
    csrf = token(client, "/gestion/adherents/demandes", staff)
    own = client.post(
        f"/gestion/adherents/demandes/{mine['id']}", headers=staff, data={"csrf_token": csrf, "decision": "approve"}
    )
    assert own.status_code == 303
    refused = client.post(
        f"/gestion/adherents/demandes/{theirs['id']}",
        headers=staff,
        data={"csrf_token": csrf, "decision": "reject", "reason": "Non"},
    )
    assert refused.status_code == 302
    statuses = {
        r["id"]: r["status"] for r in client.get(f"{API}/members/{company_a}/change-requests", headers=staff).json
    }
    assert (statuses[mine["id"]], statuses[theirs["id"]]) == ("pending", "rejected")
    assert client.get("/gestion/adherents/demandes", headers=service.headers(people["admin"])).status_code == 403


def test_staff_edit_a_record_on_its_page_identity_waiting_for_a_second_person(service, companies, people, token):
    company_a, _ = companies
    client = service.client()
    staff = service.headers(people["staff"])
    path = f"/gestion/adherents/{company_a}/modifier"
    csrf = token(client, path, staff)
    form = {
        "csrf_token": csrf,
        "name": "Boulangerie Martin & Fils",
        "siret": "73282932000074",
        "member_number": "1000001",
        "adhesion_date": "2015-03-01",
        "status": "active",
        "naf_code": "10.71C",
        "vat_number": "",
        "activity": "",
        "phone": "03 89 99 99 99",
        "mobile": "",
        "fax": "",
        "email": "contact@example.fr",
        "billing_email": "compta@example.fr",
    }
    form["version"] = re.search(r'name="version" value="(\d+)"', client.get(path, headers=staff).text)[1]
    taken = client.post(path, headers=staff, data=dict(form, member_number="1000002"))
    assert taken.status_code == 422 and "déjà attribué" in taken.text
    assert client.post(path, headers=staff, data=form).status_code == 302
    record = client.get(f"{API}/members/{company_a}", headers=staff).json
    assert (record["name"], record["phone"]) == ("Boulangerie Martin", "+33389999999")
    pending = client.get(f"{API}/change-requests", headers=staff).json
    assert [r["after"] for r in pending] == [{"name": "Boulangerie Martin & Fils"}]
    # The form read before that save is stale now: nothing written, what was saved shown beside what was typed.
    stale = client.post(path, headers=staff, data=dict(form, phone="03 89 11 11 11"))
    text = html.unescape(stale.text)
    assert stale.status_code == 409 and "rien n'a été enregistré" in text and 'value="03 89 11 11 11"' in text
    assert client.get(f"{API}/members/{company_a}", headers=staff).json["phone"] == "+33389999999"


def test_two_staff_members_approving_the_same_new_address_at_the_same_time_add_it_once(service, companies, people):
    import threading

    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    new_address = {"kind": "convocation", "line1": "3 rue du Stade", "postal_code": "68100", "city": "Mulhouse"}
    created = client.post(f"{API}/members/{company_a}/addresses", json=new_address, headers=admin)
    assert created.status_code == 201 and created.json["status"] == "pending"
    deciders = [service.headers(people["staff"]), service.headers(people["staff2"])]
    start = threading.Barrier(len(deciders))
    answers: list[int] = []

    def approve(headers):
        own_client = service.client()
        start.wait()
        answers.append(
            own_client.post(f"{API}/change-requests/{created.json['id']}/approve", json={}, headers=headers).status_code
        )

    threads = [threading.Thread(target=approve, args=(headers,)) for headers in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 409]
    addresses = client.get(f"{API}/members/{company_a}/addresses", headers=admin).json
    assert [a["line1"] for a in addresses if a["kind"] == "convocation"] == ["3 rue du Stade"]
    assert len([e for e in service.events() if e.type == "members.address.changed.v1"]) == 1
    [request] = [
        r
        for r in client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json
        if r["id"] == created.json["id"]
    ]
    assert request["status"] == "approved"


def test_the_audit_trail_names_who_asked_and_who_validated_for_the_company_and_for_staff(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin, staff2 = service.headers(people["admin"]), service.headers(people["staff2"])
    [request] = client.patch(f"{API}/members/{company_a}", json={"activity": "Pains"}, headers=admin).json
    assert client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=staff2).status_code == 200
    [entry] = [
        r
        for r in client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json
        if r["id"] == request["id"]
    ]
    assert (entry["requested_by_name"], entry["decided_by_name"], entry["status"]) == (
        "Paul Martin",
        "Bruno Second",
        "approved",
    )
    for path, headers in (
        ("/adherent/historique", admin),
        (f"/gestion/adherents/{company_a}", service.headers(people["staff"])),
    ):
        page = client.get(path, headers=headers).text
        assert "Paul Martin" in page and "Bruno Second, le " in page and "Pains" in page


def test_approvals_of_two_requests_of_one_company_at_the_same_time_both_apply_each_with_its_own_version(
    service, companies, people
):
    import threading

    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    [phone] = client.patch(f"{API}/members/{company_a}", json={"phone": "03 89 00 11 22"}, headers=admin).json
    [activity] = client.patch(f"{API}/members/{company_a}", json={"activity": "Pains"}, headers=admin).json
    start = threading.Barrier(2)
    answers: list[int] = []

    def approve(request_id):
        own_client = service.client()
        start.wait()
        answers.append(
            own_client.post(f"{API}/change-requests/{request_id}/approve", json={}, headers=staff).status_code
        )

    threads = [threading.Thread(target=approve, args=(r["id"],)) for r in (phone, activity)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200, 200]
    record = client.get(f"{API}/members/{company_a}", headers=admin).json
    assert (record["phone"], record["activity"], record["version"]) == ("+33389001122", "Pains", 3)
    assert sorted(e.data["version"] for e in updated_events(service)) == [2, 3]


def test_a_member_row_changed_behind_the_session_s_back_is_refused_by_its_version_counter(service, companies):
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    from members.models import Member

    company_a, _ = companies
    with service.portal.db.session_factory() as session:
        member = session.get(Member, company_a)
        assert member.version == 1
        with service.portal.db.session_factory() as other:
            other.execute(update(Member).where(Member.id == company_a).values(version=Member.version + 1))
            other.commit()
        member.phone = "+33389001122"
        with pytest.raises(StaleDataError):
            session.flush()
