"""The PCS-ESE label next to the code: detail page, list, print view, exports, API and the forms."""

import csv
import html
import io

import pytest
from openpyxl import load_workbook

from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
CASHIER = {
    "last_name": "Dupont",
    "birth_name": "Martin",
    "first_names": "Élodie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "birth_commune": "14118",
    "nir": "255081416802538",
    "hire_date": "2024-03-01",
    "post": "Caissière",
    "pcs_code": "552A",
    "contract": "CDI",
}
ODD = {
    "last_name": "Bernard",
    "first_names": "Luc",
    "sex": "M",
    "birth_date": "1986-02-10",
    "birth_commune": "2A004",
    "nir": "186022A21532523",
    "hire_date": "2024-03-01",
    "post": "Factotum",
    "pcs_code": "999z",
    "contract": "CDD",
}
CASHIER_LABEL = "Caissiers de magasin"


def hire(service, person) -> dict:
    response = service.client().post("/api/workforce/employees", json=person, headers=service.headers(ADMIN))
    assert response.status_code == 201, response.json
    return response.json


def text_of(response) -> str:
    return html.unescape(response.text)


def test_a_known_code_gets_its_label_and_an_unknown_well_formed_code_is_kept_without_one(service):
    cashier, odd = hire(service, CASHIER), hire(service, ODD)
    assert (cashier["pcs_code"], cashier["pcs_label"]) == ("552a", CASHIER_LABEL)
    assert (odd["pcs_code"], odd["pcs_label"]) == ("999z", None)
    client, headers = service.client(), service.headers(READER)
    detail = text_of(client.get(f"/salaries/{cashier['id']}", headers=headers))
    assert f"Caissière (PCS-ESE 552a — {CASHIER_LABEL})" in detail
    assert "(PCS-ESE 999z)" in text_of(client.get(f"/salaries/{odd['id']}", headers=headers))
    listing = text_of(client.get("/salaries", headers=headers))
    assert f"(552a — {CASHIER_LABEL})" in listing and "(999z)" in listing
    assert f"(552a — {CASHIER_LABEL})" in text_of(client.get("/salaries/impression", headers=headers))


def test_the_csv_and_xlsx_exports_carry_the_label_beside_the_code(service):
    hire(service, CASHIER)
    hire(service, ODD)
    client, headers = service.client(), service.headers(READER)
    rows = list(
        csv.reader(
            io.StringIO(client.get("/salaries/export.csv", headers=headers).data.decode("utf-8-sig")), delimiter=";"
        )
    )
    code = rows[0].index("Code PCS-ESE")
    assert rows[0][code + 1] == "Libellé PCS-ESE"
    assert {row[0]: row[code : code + 2] for row in rows[1:]} == {
        "BERNARD": ["999z", ""],
        "DUPONT": ["552a", CASHIER_LABEL],
    }
    sheet = load_workbook(io.BytesIO(client.get("/salaries/export.xlsx", headers=headers).data)).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[code : code + 2] == ("Code PCS-ESE", "Libellé PCS-ESE")
    assert {line[0]: line[code + 1] for line in lines} == {"BERNARD": None, "DUPONT": CASHIER_LABEL}
    stranger = service.headers(make_principal(member_id=OTHER, roles=("admin",)))
    assert CASHIER_LABEL not in client.get("/salaries/export.csv", headers=stranger).data.decode("utf-8-sig")


def test_the_forms_offer_the_reference_list_and_show_the_label_of_the_saved_code(service):
    cashier = hire(service, CASHIER)
    client, headers = service.client(), service.headers(ADMIN)
    hiring = client.get("/salaries/nouveau", headers=headers).text
    assert 'list="pcs-codes"' in hiring and '<option value="389a">' in hiring
    correction = text_of(client.get(f"/salaries/{cashier['id']}/modifier", headers=headers))
    assert f'id="f-pcs_code-label">Libellé PCS-ESE : {CASHIER_LABEL}</p>' in correction
    form_page = client.get(f"/salaries/{cashier['id']}/nouveau-poste", headers=headers)
    token = form_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    version = form_page.text.split('name="version" value="')[1].split('"')[0]
    form = {"post": "Chef d'équipe", "pcs_code": "621A", "from_date": "2025-01-06", "csrf_token": token}
    form["version"] = version
    saved = client.post(f"/salaries/{cashier['id']}/nouveau-poste", data=form, headers=headers, follow_redirects=True)
    assert saved.status_code == 200 and saved.request.path == f"/salaries/{cashier['id']}"
    assert "Chef d'équipe (PCS-ESE 621a — Chefs d'équipe du gros œuvre et des travaux publics)" in text_of(saved)
    assert f"(552a — {CASHIER_LABEL})" in text_of(saved)  # the history keeps the former post with its label
    reopened = client.get(f"/salaries/{cashier['id']}/nouveau-poste", headers=headers).text
    form["version"] = reopened.split('name="version" value="')[1].split('"')[0]  # the record moved on: read again
    refused = client.post(
        f"/salaries/{cashier['id']}/nouveau-poste", headers=headers, data={**form, "pcs_code": "55D2"}
    )
    assert refused.status_code == 422 and 'id="f-pcs_code-error">' in refused.text
    assert "f-pcs_code-label" not in refused.text
    stranger = service.headers(make_principal(member_id=OTHER, roles=("admin",)))
    assert client.get(f"/salaries/{cashier['id']}/modifier", headers=stranger).status_code == 404
