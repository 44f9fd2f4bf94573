"""Health, readiness, metrics and the ids that follow a request into the events it causes."""

import pytest

from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
BODY = {
    "name": "Garage du Centre",
    "siret": "73282932000074",
    "address_line1": "1 rue A",
    "postal_code": "68000",
    "city": "Colmar",
    "adhesion_date": "2021-09-01",
}


def test_the_request_id_from_the_gateway_becomes_the_correlation_of_the_event(service):
    response = service.client().post(
        "/api/members/members", json=BODY, headers={**service.headers(SECRETARY), "X-Request-Id": "req-from-nginx"}
    )
    assert response.headers["X-Request-Id"] == "req-from-nginx"
    [event] = service.events()
    assert (event.correlation_id, event.causation_id) == ("req-from-nginx", "req-from-nginx")


def test_healthz_readyz_and_metrics_report_the_outbox_backlog(service):
    client = service.client()
    assert client.get("/healthz").json["status"] == "ok"
    client.post("/api/members/members", json=BODY, headers=service.headers(SECRETARY))
    ready = client.get("/readyz").json
    assert ready["checks"]["database"] == "ok"
    assert ready["checks"]["outbox"]["backlog"] == 1
    metrics = client.get("/metrics").text
    assert 'portal_outbox_backlog{service="members"} 1.0' in metrics
    assert "portal_outbox_oldest_age_seconds" in metrics
    assert (
        'portal_http_requests_total{endpoint="members_api.Members",method="POST",service="members",status="201"}'
        in metrics
    )


def test_responses_carry_the_security_headers_and_authenticated_ones_are_not_cached(service):
    response = service.client().get(
        "/adherent",
        headers=service.headers(make_principal(member_id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01", roles=("admin",))),
    )
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_an_unknown_page_gets_the_french_404_page_and_an_unknown_api_path_json(service):
    client = service.client()
    page = client.get("/nulle-part")
    assert page.status_code == 404 and "Page introuvable" in page.text and 'lang="fr"' in page.text
    api = client.get("/api/members/nulle-part")
    assert api.status_code == 404 and api.json["code"] == 404


def test_a_nul_character_in_any_input_is_refused_before_reaching_the_database(service):
    client = service.client()
    headers = service.headers(SECRETARY)
    assert client.get("/api/members/members?q=a%00b", headers=headers).status_code == 400
    response = client.post("/api/members/members", json=dict(BODY, name="Garage\u0000"), headers=headers)
    assert response.status_code == 400 and response.json["code"] == 400
    assert service.events() == []
