"""Workforce's parts of the home pages (portal_common.web.home): the declaration to make with its deadline, the
headcount by category, staff's campaign progress, and the layout's campaign entry and banner."""

from datetime import UTC, date, datetime
from html import unescape

import pytest

from portal_common import clock as portal_clock
from portal_common.testing import make_principal
from portal_common.testing.identities import nir_for

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
READER_A = make_principal(member_id=COMPANY_A, roles=("read",))
BILLING_A = make_principal(member_id=COMPANY_A, roles=("billing",))
ADMIN_B = make_principal(member_id=COMPANY_B, roles=("admin",))
STAFF = make_principal(staff_roles=("administration",))
EMPLOYEE = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1985-08-14",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_country": "Maroc",
}
ORDERS = iter(range(1, 1000))  # a new NIR at each hire


@pytest.fixture
def january(monkeypatch):
    monkeypatch.setattr(portal_clock, "utcnow", lambda: datetime(2027, 1, 15, 10, 0, tzinfo=UTC))


def hire(service, **overrides):
    body = dict(EMPLOYEE, **overrides)
    body["nir"] = nir_for(body["sex"], date.fromisoformat(body["birth_date"]), "99350", order=next(ORDERS))
    response = service.client().post("/api/workforce/employees", json=body, headers=service.headers(ADMIN_A))
    assert response.status_code == 201, response.json


def open_campaign(service):
    response = service.client().post("/api/workforce/campaigns", json={"year": 2027}, headers=service.headers(STAFF))
    assert response.status_code == 201, response.json


def test_the_company_part_names_the_declaration_to_make_its_deadline_and_the_headcount_by_category(service, january):
    hire(service)
    hire(service, last_name="Bernard", determinants=["amiante"], sex="M")
    open_campaign(service)
    client = service.client()
    part = unescape(client.get("/accueil/fragments/workforce", headers=service.headers(READER_A)).text)
    assert 'href="/salaries/declarations/2027">Déclarer vos effectifs 2027</a>' in part
    assert "à confirmer au plus tard le" in part
    assert "<dt>Salariés suivis en SI</dt><dd>1</dd>" in part and "<dt>Salariés suivis en SIR</dt><dd>1</dd>" in part
    assert "<dt>Salariés présents</dt><dd>2</dd>" in part
    # Another company's part counts its own list only.
    other = unescape(client.get("/accueil/fragments/workforce", headers=service.headers(ADMIN_B)).text)
    assert "<dt>Salariés présents</dt><dd>0</dd>" in other
    # Facturation alone sees no employee: the part is refused as « Mes salariés » is.
    assert client.get("/accueil/fragments/workforce", headers=service.headers(BILLING_A)).status_code == 403


def test_staff_part_counts_the_declarations_of_each_open_campaign(service, january):
    hire(service)
    open_campaign(service)
    client = service.client()
    part = unescape(client.get("/gestion/accueil/fragments/workforce", headers=service.headers(STAFF)).text)
    assert 'href="/gestion/salaries/campagnes/2027">Déclarations 2027 à saisir</a>' in part
    assert '<span class="queue-count">1</span><a href="/gestion/salaries/campagnes/2027">Déclarations 2027 à' in part
    assert client.get("/gestion/accueil/fragments/workforce", headers=service.headers(ADMIN_A)).status_code == 403


def test_the_campaign_entry_and_banner_appear_only_while_a_campaign_takes_entries(service, january):
    client = service.client()
    assert client.get("/fragments/campagne/menu").text.strip() == ""
    assert client.get("/fragments/campagne/bandeau").text.strip() == ""
    open_campaign(service)
    menu = client.get("/fragments/campagne/menu").text
    assert menu.strip() == '<li><a href="/salaries/declarations/2027">Déclarer mes effectifs</a></li>'
    banner = unescape(client.get("/fragments/campagne/bandeau").text)
    assert "La déclaration des effectifs 2027 est ouverte jusqu'au" in banner
