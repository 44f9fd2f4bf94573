"""Tariffs per year: the staff API and page, the legal band refused with the band shown."""

import pytest
from sqlalchemy import func, select

from billing.models import TariffRow
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

BILLING_STAFF = make_principal(staff_roles=("billing",))
NBSP = "\u00a0"
BODY = {
    "per_capita_fee": "110.00",
    "entry_fee": "30.00",
    "minimum_fee": "80.00",
    "late_hire_fee": "110.00",
    "no_show_fee": "50.00",
}


def put(service, year, body, principal=BILLING_STAFF, if_match=None):
    headers = service.headers(principal)
    if if_match is not None:
        headers["If-Match"] = if_match
    return service.client().put(f"/api/billing/tariffs/{year}", json=body, headers=headers)


def tariff_count(service):
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(TariffRow))


def test_billing_staff_set_a_years_tariff_with_exact_amounts_and_the_published_national_cost(service):
    response = put(service, 2026, BODY)
    assert response.status_code == 200
    body = response.json
    assert (body["year"], body["per_capita_fee"], body["national_average_cost"]) == (2026, "110.00", "116.00")
    assert (body["legal_band_min"], body["legal_band_max"]) == ("92.80", "139.20")
    assert (body["sepa_discount_rate"], body["vat_rate"]) == ("0.0150", "0.2000")
    assert response.headers["ETag"] == '"1"' and body["version"] == 1
    replacing = dict(BODY, per_capita_fee="112.50", sepa_discount_rate="0.02")
    blind = put(service, 2026, replacing)  # replacing an existing tariff needs the ETag read
    assert blind.status_code == 428 and blind.json["reason"] == "if_match_required"
    changed = put(service, 2026, replacing, if_match=response.headers["ETag"]).json
    assert (changed["per_capita_fee"], changed["sepa_discount_rate"]) == ("112.50", "0.0200")
    stale = put(service, 2026, BODY, if_match=response.headers["ETag"])
    assert stale.status_code == 412 and "modifié depuis que vous l'avez lu" in stale.json["message"]
    listed = service.client().get("/api/billing/tariffs", headers=service.headers(BILLING_STAFF)).json
    assert [(t["year"], t["per_capita_fee"]) for t in listed] == [(2026, "112.50")]


def test_a_fee_outside_the_legal_band_is_refused_with_the_band_and_nothing_is_written(service):
    response = put(service, 2025, dict(BODY, per_capita_fee="138.61"))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "per_capita_fee": (
            f"La cotisation par salarié doit être comprise entre 92,40{NBSP}€ et 138,60{NBSP}€ "
            f"(80 % à 120 % du coût moyen national de 115,50{NBSP}€)."
        )
    }
    unknown = put(service, 2026, dict(BODY, surprise="1", entry_fee="abc"))
    assert set(unknown.json["errors"]["json"]) == {"surprise", "entry_fee"}
    assert tariff_count(service) == 0
    client = service.client()
    assert client.get("/api/billing/tariffs/2025", headers=service.headers(BILLING_STAFF)).status_code == 404


def test_only_billing_or_administration_staff_set_tariffs_and_members_never_read_them(service):
    secretary = make_principal(staff_roles=("secretariat",))
    member_admin = make_principal(member_id="6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01", roles=("admin",))
    assert put(service, 2026, BODY, secretary).status_code == 403
    assert put(service, 2026, BODY, member_admin).status_code == 403
    assert service.client().put("/api/billing/tariffs/2026", json=BODY).status_code == 401
    assert tariff_count(service) == 0
    assert put(service, 2026, BODY, make_principal(staff_roles=("administration",))).status_code == 200
    client = service.client()
    assert client.get("/api/billing/tariffs", headers=service.headers(secretary)).status_code == 200
    assert client.get("/api/billing/tariffs", headers=service.headers(member_admin)).status_code == 403
    assert client.get("/gestion/factures/tarifs", headers=service.headers(member_admin)).status_code == 403


def test_the_tariffs_page_shows_the_band_in_french_and_saves_a_tariff_typed_with_commas(service):
    client, headers = service.client(), service.headers(BILLING_STAFF)
    page = client.get("/gestion/factures/tarifs?annee=2026", headers=headers)
    assert page.status_code == 200
    assert "<h1>Tarifs de facturation</h1>" in page.text and "Aucun tarif enregistré." in page.text
    assert 'value="116,00"' in page.text and 'value="1,5"' in page.text  # defaults offered
    form = {
        "year": "2026",
        "per_capita_fee": "110,00",
        "national_average_cost": "",
        "entry_fee": "30",
        "minimum_fee": "80,00",
        "late_hire_fee": "110",
        "no_show_fee": "50",
        "sepa_discount_rate": "1,5",
        "vat_rate": "20",
        "multi_employer_share": "50",
        "estimate_uplift_rate": "10",
        "csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0],
        "version": page.text.split('name="version" value="')[1].split('"')[0],  # 0: no tariff yet
    }
    saved = client.post("/gestion/factures/tarifs", data=form, headers=headers)
    assert (saved.status_code, saved.headers["Location"]) == (302, "/gestion/factures/tarifs?annee=2026")
    listing = client.get("/gestion/factures/tarifs", headers=headers).text
    assert f"110,00{NBSP}€" in listing and f"92,80{NBSP}€ à 139,20{NBSP}€" in listing and "1,50 %" in listing
    refused = client.post(
        "/gestion/factures/tarifs", data=dict(form, per_capita_fee="150", vat_rate="vingt"), headers=headers
    )
    assert refused.status_code == 422
    assert f"entre 92,80{NBSP}€ et 139,20{NBSP}€" in refused.text and 'aria-invalid="true"' in refused.text
    assert "Taux de TVA : saisissez un nombre" in refused.text
    secretary = service.headers(make_principal(staff_roles=("secretariat",)))
    assert client.post("/gestion/factures/tarifs", data=form, headers=secretary).status_code == 403
    forged = client.post(
        "/gestion/factures/tarifs", data=dict(form, csrf_token="0" * 64, per_capita_fee="100"), headers=headers
    )
    assert forged.status_code == 403
    with service.portal.db.session_factory() as session:
        assert str(session.get(TariffRow, 2026).per_capita_fee) == "110.00"
