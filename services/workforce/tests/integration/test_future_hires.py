"""An employee hired from a later date is « à venir »: listed apart, not counted today, present from his hire date."""

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from portal_common import clock as portal_clock
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
TODAY = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)
VALID = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": "255081416802538",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_commune": "14118",
}
FUTURE = dict(
    VALID,
    last_name="Keller",
    first_names="Jean",
    sex="M",
    birth_date="1986-02-10",
    nir="186022A21532523",
    birth_commune="2A004",
    hire_date="2026-10-05",
)


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(portal_clock, "utcnow", lambda: moment)


def listed(service, status: str) -> list[str]:
    response = service.client().get(f"/api/workforce/employees?status={status}", headers=service.headers(ADMIN_A))
    assert response.status_code == 200, response.json
    return [(e["last_name"], e["status"]) for e in response.json]


def test_a_future_hire_is_upcoming_not_counted_today_and_present_from_its_hire_date(service, monkeypatch):
    at(monkeypatch, TODAY)
    client, headers = service.client(), service.headers(ADMIN_A)
    for body in (VALID, FUTURE):
        assert client.post("/api/workforce/employees", json=body, headers=headers).status_code == 201
    assert listed(service, "present") == [("DUPONT", "present")]
    assert listed(service, "upcoming") == [("KELLER", "upcoming")]
    assert sorted(listed(service, "all")) == [("DUPONT", "present"), ("KELLER", "upcoming")]
    page = unescape(client.get("/salaries?status=upcoming", headers=headers).text)
    assert '<option value="upcoming" selected>À venir</option>' in page
    assert "KELLER" in page and "À venir : embauche le 05/10/2026" in page and "DUPONT" not in page
    part = unescape(client.get("/accueil/fragments/workforce", headers=headers).text)
    assert "<dt>Salariés présents</dt><dd>1</dd>" in part
    # On the hire date the same list shows him present, and the headcount counts him.
    at(monkeypatch, datetime(2026, 10, 5, 7, 0, tzinfo=UTC))
    assert sorted(listed(service, "present")) == [("DUPONT", "present"), ("KELLER", "present")]
    assert listed(service, "upcoming") == []
    part = unescape(client.get("/accueil/fragments/workforce", headers=headers).text)
    assert "<dt>Salariés présents</dt><dd>2</dd>" in part


def test_a_hire_more_than_twelve_months_ahead_is_refused_as_a_probable_typo(service, monkeypatch):
    at(monkeypatch, TODAY)
    client, headers = service.client(), service.headers(ADMIN_A)
    ahead = (TODAY.date() + timedelta(days=400)).isoformat()
    refused = client.post("/api/workforce/employees", json=dict(FUTURE, hire_date=ahead), headers=headers)
    assert refused.status_code == 422
    assert "à plus de 12 mois : vérifiez l'année" in refused.json["errors"]["json"]["hire_date"]
    assert listed(service, "all") == [] and service.events() == []
    in_a_year = client.post("/api/workforce/employees", json=dict(FUTURE, hire_date="2027-09-15"), headers=headers)
    assert in_a_year.status_code == 201
