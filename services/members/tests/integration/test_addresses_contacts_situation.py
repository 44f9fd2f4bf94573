"""Addresses, contacts and situation changes go through the same validation and publish their events."""

import pytest

from portal_common.messaging import catalogue

pytestmark = pytest.mark.integration

API = "/api/members"
ADDRESS = {
    "kind": "principale",
    "line1": "5 avenue de Colmar",
    "postal_code": "68200",
    "city": "Mulhouse",
    "valid_from": "2024-01-01",
}


def test_a_member_edits_an_address_on_the_page_staff_approve_it_and_the_member_sees_it_applied(
    service, companies, people, token
):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    [main] = client.get(f"{API}/members/{company_a}/addresses", headers=admin).json
    edit_path = f"/adherent/adresses/{main['id']}"
    csrf = token(client, edit_path, admin)
    form = dict(ADDRESS, csrf_token=csrf, version=main["version"])
    bad = client.post(edit_path, headers=admin, data=dict(form, postal_code="2A000"))
    assert bad.status_code == 422 and "En Corse" in bad.text
    sent = client.post(edit_path, headers=admin, data=form)
    assert sent.status_code == 302
    page = client.get("/adherent", headers=admin).text
    assert "Modifications en attente de validation" in page and "12 rue de la Gare" in page

    queue = client.get("/gestion/adherents/demandes", headers=staff).text
    request_id = queue.split('action="/gestion/adherents/demandes/')[1].split('"')[0]
    staff_csrf = token(client, "/gestion/adherents/demandes", staff)
    assert (
        client.post(
            f"/gestion/adherents/demandes/{request_id}",
            headers=staff,
            data={"csrf_token": staff_csrf, "decision": "approve"},
        ).status_code
        == 302
    )

    page = client.get("/adherent", headers=admin).text
    assert "5 avenue de Colmar" in page and "Modifications en attente" not in page
    record = client.get(f"{API}/members/{company_a}", headers=admin).json
    assert record["address"]["line1"] == "5 avenue de Colmar"
    [event] = [e for e in service.events() if e.type == "members.member.updated.v1"]
    catalogue.validate(event)
    assert event.data["address"]["line1"] == "5 avenue de Colmar"
    [changed] = [e for e in service.events() if e.type == "members.address.changed.v1"]
    catalogue.validate(changed)
    assert (changed.data["address_id"], changed.data["action"], changed.data["kind"]) == (
        main["id"],
        "updated",
        "principale",
    )
    assert (changed.data["line1"], changed.data["valid_from"]) == ("5 avenue de Colmar", "2024-01-01")


def test_the_main_address_cannot_be_removed_and_addresses_are_dated_by_type(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    [main] = client.get(f"{API}/members/{company_a}/addresses", headers=admin).json
    refused = client.delete(
        f"{API}/members/{company_a}/addresses/{main['id']}", headers=dict(admin, **{"If-Match": f'"{main["version"]}"'})
    )
    assert refused.status_code == 422 and "principale" in refused.json["errors"]["json"]["kind"]
    bad = client.post(
        f"{API}/members/{company_a}/addresses",
        headers=admin,
        json=dict(ADDRESS, kind="facturation", valid_from="2026-02-01", valid_to="2026-01-01"),
    )
    assert bad.status_code == 422 and "valid_to" in bad.json["errors"]["json"]
    created = client.post(
        f"{API}/members/{company_a}/addresses",
        headers=admin,
        json=dict(ADDRESS, kind="facturation", valid_to="2026-12-31"),
    )
    assert created.status_code == 201 and created.json["status"] == "pending"


def test_contacts_are_typed_and_the_update_event_carries_them_with_the_convocation_email(service, companies, people):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    bad = client.post(
        f"{API}/members/{company_a}/contacts",
        headers=admin,
        json={"kind": "contact_convocation", "name": "Sophie", "email": "sophie@", "phone": "01"},
    )
    assert bad.status_code == 422 and set(bad.json["errors"]["json"]) == {"email", "phone"}
    request = client.post(
        f"{API}/members/{company_a}/contacts",
        headers=admin,
        json={
            "kind": "contact_convocation",
            "name": "Sophie Martin",
            "function": "Assistante RH",
            "email": "rh@boulangerie-martin.fr",
            "phone": "06 12 34 56 78",
        },
    ).json
    assert client.get(f"{API}/members/{company_a}/contacts", headers=admin).json == []
    client.post(f"{API}/change-requests/{request['id']}/approve", json={}, headers=staff)
    [contact] = client.get(f"{API}/members/{company_a}/contacts", headers=admin).json
    assert contact["phone"] == "+33612345678"
    [event] = [e for e in service.events() if e.type == "members.member.updated.v1"]
    catalogue.validate(event)
    assert event.data["contacts"] == [
        {"kind": "contact_convocation", "name": "Sophie Martin", "email": "rh@boulangerie-martin.fr"}
    ]
    assert event.data["convocation_email"] == "rh@boulangerie-martin.fr"
    page = client.get("/adherent/contacts", headers=admin).text
    assert "Contact de convocation" in page and "06 12 34 56 78" in page

    if_match = {"If-Match": f'"{contact["version"]}"'}
    removal = client.delete(f"{API}/members/{company_a}/contacts/{contact['id']}", headers=dict(admin, **if_match)).json
    client.post(f"{API}/change-requests/{removal['id']}/approve", json={}, headers=staff)
    assert client.get(f"{API}/members/{company_a}/contacts", headers=admin).json == []
    added, removed = [e for e in service.events() if e.type == "members.contact.changed.v1"]
    for event in (added, removed):
        catalogue.validate(event)
        assert (event.data["contact_id"], event.data["kind"]) == (contact["id"], "contact_convocation")
        assert (event.data["function"], event.data["phone"]) == ("Assistante RH", "+33612345678")
    assert (added.data["action"], removed.data["action"]) == ("created", "removed")
    assert removed.data["version"] > added.data["version"]


def test_a_situation_change_is_processed_by_staff_and_published_for_billing_and_workforce(
    service, companies, people, token
):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    csrf = token(client, "/adherent/situation", admin)
    bad = client.post(
        "/adherent/situation", headers=admin, data={"csrf_token": csrf, "kind": "faillite", "effective_date": ""}
    )
    assert bad.status_code == 422 and "La date d&#39;effet est obligatoire" in bad.text
    from portal_common.clock import today

    effective = today().isoformat()
    assert (
        client.post(
            "/adherent/situation",
            headers=admin,
            data={"csrf_token": csrf, "kind": "cessation_activite", "effective_date": effective},
        ).status_code
        == 302
    )
    assert [e.type for e in service.events()].count("members.situation.changed.v1") == 0
    [pending] = client.get(f"{API}/change-requests", headers=staff).json
    client.post(f"{API}/change-requests/{pending['id']}/approve", json={}, headers=staff)
    [event] = [e for e in service.events() if e.type == "members.situation.changed.v1"]
    catalogue.validate(event)
    assert (event.data["kind"], event.data["effective_date"]) == ("cessation_activite", effective)
    assert "Cessation d&#39;activité depuis le" in client.get("/adherent", headers=admin).text


def test_a_situation_change_may_carry_a_supporting_document_checked_like_any_upload(
    service, companies, people, token, tmp_path, monkeypatch
):
    import io

    from portal_common.clock import today

    company_a, _ = companies
    monkeypatch.setattr(service.portal.settings, "data_dir", tmp_path)
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    csrf = token(client, "/adherent/situation", admin)
    form = {"csrf_token": csrf, "kind": "liquidation_judiciaire", "effective_date": today().isoformat()}
    refused = client.post(
        "/adherent/situation",
        headers=admin,
        content_type="multipart/form-data",
        data=dict(form, document=(io.BytesIO(b"MZ\x90\x00"), "jugement.exe")),
    )
    assert refused.status_code == 422 and "n&#39;est pas accepté" in refused.text
    assert client.get(f"{API}/change-requests", headers=staff).json == []
    sent = client.post(
        "/adherent/situation",
        headers=admin,
        content_type="multipart/form-data",
        data=dict(form, document=(io.BytesIO(b"%PDF-1.4 jugement"), "jugement.pdf")),
    )
    assert sent.status_code == 302
    [pending] = client.get(f"{API}/change-requests", headers=staff).json
    assert pending["after"]["document"] == "jugement.pdf"
    assert "Justificatif joint" in client.get("/gestion/adherents/demandes", headers=staff).text
    [document] = client.get(f"{API}/members/{company_a}/documents", headers=staff).json
    assert document["kind_label"] == "Justificatif de changement de situation"
    assert client.get(document["url"], headers=staff).data == b"%PDF-1.4 jugement"
    client.post(f"{API}/change-requests/{pending['id']}/approve", json={}, headers=staff)
    [event] = [e for e in service.events() if e.type == "members.situation.changed.v1"]
    catalogue.validate(event)
    assert event.data["kind"] == "liquidation_judiciaire"


def test_a_contact_change_shows_the_person_s_name_under_its_own_label_in_the_queue_and_the_history(
    service, companies, people
):
    company_a, _ = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    client.post(
        f"{API}/members/{company_a}/contacts",
        headers=admin,
        json={"kind": "contact_convocation", "name": "Sophie Martin", "email": "rh@boulangerie-martin.fr"},
    )
    queue = client.get("/gestion/adherents/demandes", headers=staff).text
    history = client.get("/adherent/historique", headers=admin).text
    for page in (queue, history):
        assert "Nom et prénom" in page and "Sophie Martin" in page
        # The company's own name label never stands for a contact's name.
        label = page.index("Sophie Martin")
        assert "Raison sociale" not in page[max(0, label - 400) : label]


def test_the_lists_of_addresses_and_contacts_are_headed_in_agreement(service, companies, people):
    admin = service.headers(people["admin"])
    client = service.client()
    addresses, contacts = (
        client.get("/adherent/adresses", headers=admin).text,
        client.get("/adherent/contacts", headers=admin).text,
    )
    assert "Adresses enregistrées" in addresses and "Adresses enregistrés" not in addresses
    assert "Contacts enregistrés" in contacts
