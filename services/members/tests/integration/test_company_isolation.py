"""A company never reads or changes another company's record, addresses, contacts, requests or mandate."""

import pytest

pytestmark = pytest.mark.integration

API = "/api/members"


def test_company_a_gets_404_on_every_endpoint_with_company_b_ids_and_nothing_changes(service, companies, people, token):
    company_a, company_b = companies
    client = service.client()
    staff = service.headers(people["staff"])
    b_admin = service.headers(people["admin_b"])
    contact = client.post(
        f"{API}/members/{company_b}/contacts", headers=staff, json={"kind": "dirigeant", "name": "Jean Garage"}
    ).json
    [b_address] = client.get(f"{API}/members/{company_b}/addresses", headers=b_admin).json
    b_request = client.patch(f"{API}/members/{company_b}", json={"activity": "Garage"}, headers=b_admin).json[0]
    events_before = len(service.events())

    a = service.headers(people["admin"])
    body = {"kind": "autre", "line1": "x", "postal_code": "68100", "city": "Mulhouse"}
    contact_body = {"kind": "dirigeant", "name": "Intrus"}
    attempts = [
        client.get(f"{API}/members/{company_b}", headers=a),
        client.patch(f"{API}/members/{company_b}", json={"activity": "Intrus"}, headers=a),
        client.get(f"{API}/members/{company_b}/change-requests", headers=a),
        client.get(f"{API}/members/{company_b}/addresses", headers=a),
        client.post(f"{API}/members/{company_b}/addresses", json=body, headers=a),
        client.get(f"{API}/members/{company_b}/addresses/{b_address['id']}", headers=a),
        client.put(f"{API}/members/{company_b}/addresses/{b_address['id']}", json=body, headers=a),
        client.delete(f"{API}/members/{company_b}/addresses/{b_address['id']}", headers=a),
        # B's ids through A's own path are not found either.
        client.get(f"{API}/members/{company_a}/addresses/{b_address['id']}", headers=a),
        client.put(f"{API}/members/{company_a}/addresses/{b_address['id']}", json=body, headers=a),
        client.delete(f"{API}/members/{company_a}/addresses/{b_address['id']}", headers=a),
        client.get(f"{API}/members/{company_b}/contacts", headers=a),
        client.post(f"{API}/members/{company_b}/contacts", json=contact_body, headers=a),
        client.put(f"{API}/members/{company_a}/contacts/{contact['target_id']}", json=contact_body, headers=a),
        client.delete(f"{API}/members/{company_a}/contacts/{contact['target_id']}", headers=a),
        client.post(
            f"{API}/members/{company_b}/situation-changes",
            json={"kind": "cessation_activite", "effective_date": "2026-12-31"},
            headers=a,
        ),
        client.get(f"{API}/members/{company_b}/sepa-mandate", headers=a),
        client.post(
            f"{API}/members/{company_b}/sepa-mandate",
            headers=a,
            json={"iban": "FR7630006000011234567890189", "holder": "x", "email": "a@b.fr", "consent": True},
        ),
        client.delete(f"{API}/members/{company_b}/sepa-mandate", headers=a),
        client.get(f"{API}/members/{company_b}/documents", headers=a),
        client.get(f"{API}/members/{company_b}/health-team", headers=a),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    csrf = token(client, "/adherent/adresses", a)
    pages = [
        client.get(f"/adherent/adresses/{b_address['id']}", headers=a),
        client.post(f"/adherent/adresses/{b_address['id']}", headers=a, data=dict(body, csrf_token=csrf)),
        client.post(f"/adherent/adresses/{b_address['id']}/supprimer", headers=a, data={"csrf_token": csrf}),
        client.get(f"/adherent/contacts/{contact['target_id']}", headers=a),
    ]
    assert [r.status_code for r in pages] == [404, 404, 404, 404]
    # Deciding is for staff only: a company user is refused outright.
    assert client.post(f"{API}/change-requests/{b_request['id']}/approve", json={}, headers=a).status_code == 403
    assert client.get(f"/gestion/adherents/{company_b}", headers=a).status_code == 403
    for staff_only in ("lettre-bienvenue", "mandat.pdf", "documents", "equipe"):
        assert client.get(f"/gestion/adherents/{company_b}/{staff_only}", headers=a).status_code == 403

    assert len(service.events()) == events_before
    trail = client.get(f"{API}/members/{company_b}/change-requests", headers=staff).json
    assert {r["requested_by_name"] for r in trail} <= {"Agnès Staff", "Camille Martin", "Reprise des données"}
    assert client.get(f"{API}/members/{company_b}/addresses", headers=staff).json == [b_address]


def test_no_identity_gets_401_and_a_company_user_is_refused_staff_pages(service, companies, people):
    company_a, _ = companies
    client = service.client()
    assert client.get(f"{API}/members/{company_a}/addresses").status_code == 401
    assert client.patch(f"{API}/members/{company_a}", json={}).status_code == 401
    assert client.get(f"{API}/change-requests", headers=service.headers(people["admin"])).status_code == 403
    assert (
        client.get(f"/gestion/adherents/{company_a}/modifier", headers=service.headers(people["admin"])).status_code
        == 403
    )


def test_company_a_never_reaches_company_b_s_mandate_contacts_or_requests_and_b_s_data_stays_the_same(
    service, companies, people, token
):
    from portal_common.http import service_headers
    from portal_common.testing import make_principal
    from portal_common.testing.environment import signer_of

    company_a, company_b = companies
    client = service.client()
    staff = service.headers(people["staff"])
    # B has an active mandate, a contact and a pending request: a 404 below is a refusal, not an absence.
    b_signer = service.headers(make_principal(member_id=company_b, roles=("admin",), grants=("step_up",)))
    signed = client.post(
        f"{API}/members/{company_b}/sepa-mandate",
        headers=b_signer,
        json={
            "iban": "FR7630006000011234567890189",
            "holder": "Garage du Centre",
            "email": "compta@garage.fr",
            "consent": True,
        },
    )
    assert signed.status_code == 201, signed.json
    [mandate_request] = client.get(f"{API}/change-requests", headers=staff).json
    assert (
        client.post(f"{API}/change-requests/{mandate_request['id']}/approve", json={}, headers=staff).status_code == 200
    )
    b_contact = client.post(
        f"{API}/members/{company_b}/contacts",
        headers=staff,
        json={"kind": "dirigeant", "name": "Jean Garage", "email": "jean@garage.fr"},
    ).json
    [b_request] = client.patch(f"{API}/members/{company_b}", json={"activity": "Garage"}, headers=b_signer).json

    def state_of_b():
        return {
            path: client.get(f"{API}/members/{company_b}{path}", headers=staff).json
            for path in ("", "/contacts", "/addresses", "/sepa-mandate", "/change-requests", "/documents")
        }

    b_before = state_of_b()
    assert b_before["/sepa-mandate"]["status"] == "active"
    events_before = len(service.events())

    a_principal = make_principal(member_id=company_a, roles=("admin", "billing"), grants=("step_up",))
    a = service.headers(a_principal)
    contact_body = {"kind": "dirigeant", "name": "Intrus", "email": "intrus@example.fr"}
    not_found = {
        "read B's mandate": client.get(f"{API}/members/{company_b}/sepa-mandate", headers=a),
        "sign for B": client.post(
            f"{API}/members/{company_b}/sepa-mandate",
            headers=a,
            json={"iban": "FR7630006000011234567890189", "holder": "x", "email": "a@b.fr", "consent": True},
        ),
        "revoke B's mandate": client.delete(f"{API}/members/{company_b}/sepa-mandate", headers=a),
        "read B's contact": client.get(f"{API}/members/{company_b}/contacts/{b_contact['target_id']}", headers=a),
        "read B's contact through A": client.get(
            f"{API}/members/{company_a}/contacts/{b_contact['target_id']}", headers=a
        ),
        "change B's contact": client.put(
            f"{API}/members/{company_b}/contacts/{b_contact['target_id']}", json=contact_body, headers=a
        ),
        "remove B's contact": client.delete(f"{API}/members/{company_b}/contacts/{b_contact['target_id']}", headers=a),
        "A's own mandate is not B's": client.get(f"{API}/members/{company_a}/sepa-mandate", headers=a),
        "revoke through A's path": client.delete(f"{API}/members/{company_a}/sepa-mandate", headers=a),
        "B's mandate PDF on A's page": client.get("/adherent/prelevement/mandat.pdf", headers=a),
    }
    csrf = token(client, "/adherent/contacts", a)
    not_found["change B's contact on the page"] = client.post(
        f"/adherent/contacts/{b_contact['target_id']}", headers=a, data=dict(contact_body, csrf_token=csrf)
    )
    not_found["remove B's contact on the page"] = client.post(
        f"/adherent/contacts/{b_contact['target_id']}/supprimer", headers=a, data={"csrf_token": csrf}
    )
    assert {name: r.status_code for name, r in not_found.items()} == dict.fromkeys(not_found, 404)

    refused = {
        "reject B's request": client.post(
            f"{API}/change-requests/{b_request['id']}/reject", json={"reason": "Intrus"}, headers=a
        ),
        "approve on the queue page": client.post(
            f"/gestion/adherents/demandes/{b_request['id']}",
            headers=a,
            data={"csrf_token": csrf, "decision": "approve"},
        ),
        "edit B's record as staff": client.post(
            f"/gestion/adherents/{company_b}/modifier", headers=a, data={"csrf_token": csrf, "activity": "Intrus"}
        ),
        "assign B's team": client.post(
            f"/gestion/adherents/{company_b}/equipe", headers=a, data={"csrf_token": csrf, "medecin_name": "Dr Intrus"}
        ),
        "renew B's declarant code": client.post(
            f"/gestion/adherents/{company_b}/nouveau-code", headers=a, data={"csrf_token": csrf}
        ),
        "B's mandate PDF as staff": client.get(f"/gestion/adherents/{company_b}/mandat.pdf", headers=a),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 403)
    # The internal IBAN route answers services only: a company user's passport is not a service's.
    assert client.get(f"/internal/sepa-mandates/{company_b}", headers=a).status_code in (401, 403)
    assert (
        client.get(
            f"/internal/sepa-mandates/{company_b}",
            headers=service_headers(signer_of("billing")),
        ).status_code
        == 200
    )

    assert state_of_b() == b_before
    assert len(service.events()) == events_before
    assert [r["kind"] for r in client.get(f"{API}/members/{company_a}/change-requests", headers=a).json] == ["record"]
