"""A company never reads or changes another company's record, addresses, contacts, requests or mandate."""
import pytest

pytestmark = pytest.mark.integration

API = "/api/members"


def test_company_a_gets_404_on_every_endpoint_with_company_b_ids_and_nothing_changes(service, companies, people,
                                                                                    token):
    company_a, company_b = companies
    client = service.client()
    staff = service.headers(people["staff"])
    b_admin = service.headers(people["admin_b"])
    contact = client.post(f"{API}/members/{company_b}/contacts", headers=staff,
                          json={"kind": "dirigeant", "name": "Jean Garage"}).json
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
        client.post(f"{API}/members/{company_b}/situation-changes",
                    json={"kind": "cessation_activite", "effective_date": "2026-12-31"}, headers=a),
        client.get(f"{API}/members/{company_b}/sepa-mandate", headers=a),
        client.post(f"{API}/members/{company_b}/sepa-mandate", headers=a, json={
            "iban": "FR7630006000011234567890189", "holder": "x", "email": "a@b.fr", "consent": True}),
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
    assert client.get(f"/gestion/adherents/{company_a}/modifier",
                      headers=service.headers(people["admin"])).status_code == 403
