"""The place of birth through the API, the hire and correction forms, the detail, the exports and an import."""

import base64
import csv
import html
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from portal_common.testing import make_principal
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
ADMIN_B = make_principal(member_id=COMPANY_B, roles=("admin",))
VALID = {
    "last_name": "Dupont",
    "birth_name": "Martin",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": "255081416802538",
    "hire_date": "2024-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_commune": "14118",
}
ABROAD = dict(
    VALID,
    last_name="Lefèvre",
    birth_name=None,
    first_names="Élodie",
    birth_date="1995-10-01",
    nir="295109912611193",
    birth_commune=None,
    birth_country="Maroc",
)
MISSING = (
    "Le lieu de naissance est obligatoire : indiquez la commune de naissance (son nom ou son code INSEE), ou le "
    "pays de naissance si le salarié est né à l'étranger."
)
UNKNOWN_COMMUNE = (
    "Aucune commune ne s'appelle « {} ». Choisissez la commune dans la liste proposée en tapant le début de son nom, "
    "ou saisissez son code INSEE (5 caractères)."
)


def api_hire(service, body, principal=ADMIN_A):
    return service.client().post("/api/workforce/employees", json=body, headers=service.headers(principal))


def stored(service) -> list[Employee]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Employee).order_by(Employee.last_name)))


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_api_keeps_a_commune_or_a_country_of_birth_and_shows_it(service):
    born_here = api_hire(service, dict(VALID, birth_commune="14 118"))
    born_abroad = api_hire(service, ABROAD)
    assert born_here.status_code == born_abroad.status_code == 201
    assert (born_here.json["birth_commune"], born_here.json["birth_country"], born_here.json["warnings"]) == (
        "14118",
        None,
        [],
    )
    assert (born_abroad.json["birth_commune"], born_abroad.json["birth_country"]) == (None, "Maroc")
    shown = (
        service.client()
        .get(f"/api/workforce/employees/{born_abroad.json['id']}", headers=service.headers(ADMIN_A))
        .json
    )
    assert shown["birth_country"] == "Maroc"
    corsican = api_hire(
        service,
        dict(
            VALID,
            last_name="Bernard",
            birth_name=None,
            first_names="Luc",
            sex="M",
            birth_date="1986-02-10",
            nir="186022A21532523",
            birth_commune="2a004",
        ),
    )
    assert corsican.status_code == 201 and corsican.json["birth_commune"] == "2A004"
    assert corsican.json["warnings"] == []


@pytest.mark.parametrize(
    "changes, errors",
    [
        ({"birth_commune": None}, {"birth_commune": MISSING}),
        ({"birth_commune": "Caan"}, {"birth_commune": UNKNOWN_COMMUNE.format("Caan")}),
        (
            {"birth_country": "Maroc"},
            {
                "birth_country": "Indiquez soit la commune de naissance (né en France), soit le "
                "pays de naissance (né à l'étranger), pas les deux."
            },
        ),
    ],
)
def test_a_hire_without_one_valid_place_of_birth_is_refused_in_french_and_nothing_is_saved(service, changes, errors):
    response = api_hire(service, dict(VALID, **changes))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == errors
    assert stored(service) == [] and service.events() == []


def test_a_place_of_birth_the_nir_contradicts_is_refused_at_hire_and_nothing_is_saved(service):
    response = api_hire(service, dict(ABROAD, birth_country=None, birth_commune="14118"))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "birth_commune": "Le numéro de sécurité sociale indique une naissance à l'étranger (99, 6e et 7e "
        "chiffres) : indiquez le pays de naissance plutôt qu'une commune française."
    }
    assert stored(service) == [] and service.events() == []


def test_the_hire_form_shows_the_french_error_next_to_the_field_and_saves_nothing(service):
    client, headers = service.client(), service.headers(ADMIN_A)
    form = client.get("/salaries/nouveau", headers=headers)
    assert 'id="f-birth_commune"' in form.text and 'id="f-birth_country"' in form.text
    values = dict(VALID, birth_commune="", birth_name="Martin", csrf_token=token_of(form))
    refused = client.post("/salaries/nouveau", data=values, headers=headers)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert f'<p class="field-error" id="f-birth_commune-error">{MISSING}</p>' in text
    assert 'id="f-birth_commune" name="birth_commune" type="text" value=""' in text
    assert stored(service) == []
    wrong = client.post("/salaries/nouveau", data=dict(values, birth_commune="2C004"), headers=headers)
    assert wrong.status_code == 422 and UNKNOWN_COMMUNE.format("2C004") in html.unescape(wrong.text)
    contradicted = client.post("/salaries/nouveau", data=dict(values, birth_commune="75056"), headers=headers)
    assert contradicted.status_code == 422
    assert (
        '<p class="field-error" id="f-birth_commune-error">Le numéro de sécurité sociale indique le département 14 '
        "(à partir du 6e chiffre) : il ne correspond pas à la commune de naissance 75056.</p>"
    ) in html.unescape(contradicted.text)
    assert stored(service) == []
    saved = client.post("/salaries/nouveau", data=dict(values, birth_commune="Caen"), headers=headers)
    assert saved.status_code == 302 and [e.birth_commune for e in stored(service)] == ["14118"]


def test_the_correction_form_is_prefilled_and_requires_the_place_of_birth_of_an_employee_listed_before(service):
    employee_id = api_hire(service, VALID).json["id"]
    with service.portal.db.session_factory() as session:  # as the migration leaves the employees listed before
        session.execute(update(Employee).where(Employee.id == employee_id).values(birth_commune=None))
        session.commit()
    client, headers = service.client(), service.headers(ADMIN_A)
    detail = html.unescape(client.get(f"/salaries/{employee_id}", headers=headers).text)
    assert "Non renseigné" in detail and f'href="/salaries/{employee_id}/modifier">à compléter' in detail
    form = client.get(f"/salaries/{employee_id}/modifier", headers=headers)
    values = dict(VALID, birth_commune="", version="1", csrf_token=token_of(form))
    refused = client.post(f"/salaries/{employee_id}/modifier", data=values, headers=headers)
    assert refused.status_code == 422 and MISSING in html.unescape(refused.text)
    assert stored(service)[0].birth_commune is None and stored(service)[0].version == 1
    saved = client.post(
        f"/salaries/{employee_id}/modifier",
        data=dict(values, birth_commune="14118"),
        headers=headers,
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "La fiche du salarié a été mise à jour." in saved.text
    assert "<dt>Lieu de naissance</dt><dd>Caen (14118)</dd>" in saved.text
    again = client.get(f"/salaries/{employee_id}/modifier", headers=headers)
    assert 'id="f-birth_commune" name="birth_commune" type="text" value="Caen (14118)"' in again.text
    put = client.put(
        f"/api/workforce/employees/{employee_id}",
        headers={**headers, "If-Match": '"2"'},
        json=dict(VALID, birth_commune=None),
    )
    assert put.status_code == 422 and put.json["errors"]["json"] == {"birth_commune": MISSING}


def test_the_detail_shows_the_country_of_someone_born_abroad(service):
    employee_id = api_hire(service, ABROAD).json["id"]
    page = html.unescape(service.client().get(f"/salaries/{employee_id}", headers=service.headers(ADMIN_A)).text)
    assert "<dt>Lieu de naissance</dt><dd>Maroc (né(e) à l'étranger)</dd>" in page


def test_the_csv_and_xlsx_exports_carry_the_place_of_birth(service):
    api_hire(service, VALID)
    api_hire(service, ABROAD)
    client, headers = service.client(), service.headers(ADMIN_A)
    rows = list(
        csv.reader(
            io.StringIO(client.get("/salaries/export.csv", headers=headers).data.decode("utf-8-sig")), delimiter=";"
        )
    )
    commune, country = rows[0].index("Code commune de naissance"), rows[0].index("Pays de naissance")
    assert [(r[0], r[commune], r[country]) for r in rows[1:]] == [("DUPONT", "14118", ""), ("LEFÈVRE", "", "Maroc")]
    sheet = load_workbook(io.BytesIO(client.get("/salaries/export.xlsx", headers=headers).data)).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert [
        (r[0], r[header.index("Code commune de naissance")], r[header.index("Pays de naissance")]) for r in lines
    ] == [("DUPONT", "14118", None), ("LEFÈVRE", None, "Maroc")]


def test_an_import_maps_the_commune_and_country_columns_by_their_french_names(service):
    content = "\r\n".join(
        [
            "Nom;Prénom;Sexe;Né le;NIR;Date d'entrée;Emploi;Contrat;Code commune de naissance;Pays de naissance",
            "Dupont;Marie;F;14/08/1955;255081416802538;01/03/2024;Vendeuse;CDI;14118;",
            "Lefèvre;Élodie;F;01/10/1995;295109912611193;01/03/2024;Boulangère;CDD;;99350",
        ]
    ).encode("cp1252")
    client, headers = service.client(), service.headers(ADMIN_A)
    created = client.post(
        "/api/workforce/imports",
        headers=headers,
        json={"file_name": "paie.csv", "content_base64": base64.b64encode(content).decode()},
    ).json
    assert created["mapping"]["birth_commune"] == 8 and created["mapping"]["birth_country"] == 9
    checked = client.put(
        f"/api/workforce/imports/{created['id']}/mapping", json={"mapping": created["mapping"]}, headers=headers
    )
    assert checked.status_code == 200 and checked.json["error_rows"] == 0
    done = client.post(f"/api/workforce/imports/{created['id']}/confirm", json={}, headers=headers)
    assert done.status_code == 200 and done.json["imported_rows"] == 2
    assert [(e.last_name, e.birth_commune, e.birth_country) for e in stored(service)] == [
        ("DUPONT", "14118", None),
        ("LEFÈVRE", None, "99350"),
    ]


def test_another_company_never_reads_nor_corrects_the_place_of_birth(service):
    employee_id = api_hire(service, VALID).json["id"]
    client, stranger = service.client(), service.headers(ADMIN_B)
    assert client.get(f"/api/workforce/employees/{employee_id}", headers=stranger).status_code == 404
    assert (
        client.put(
            f"/api/workforce/employees/{employee_id}", headers=stranger, json=dict(VALID, birth_commune="75056")
        ).status_code
        == 404
    )
    assert client.get(f"/salaries/{employee_id}", headers=stranger).status_code == 404
    form = client.get("/salaries/nouveau", headers=stranger)
    assert (
        client.post(
            f"/salaries/{employee_id}/modifier",
            headers=stranger,
            data=dict(VALID, birth_commune="75056", csrf_token=token_of(form)),
        ).status_code
        == 404
    )
    their_csv = client.get("/salaries/export.csv", headers=stranger).data.decode("utf-8-sig").splitlines()
    assert len(their_csv) == 1
    assert stored(service)[0].birth_commune == "14118"


def test_an_import_without_a_place_of_birth_column_is_refused_at_the_column_choice(service):
    content = "\r\n".join(
        [
            "Nom;Prénom;Sexe;Né le;NIR;Date d'entrée;Emploi;Contrat",
            "Dupont;Marie;F;14/08/1955;255081416802538;01/03/2024;Vendeuse;CDI",
        ]
    ).encode("cp1252")
    client, headers = service.client(), service.headers(ADMIN_A)
    created = client.post(
        "/api/workforce/imports",
        headers=headers,
        json={"file_name": "paie.csv", "content_base64": base64.b64encode(content).decode()},
    ).json
    refused = client.put(
        f"/api/workforce/imports/{created['id']}/mapping", json={"mapping": created["mapping"]}, headers=headers
    )
    assert refused.status_code == 422
    assert (
        "Choisissez la colonne « Code commune de naissance » ou « Pays de naissance » : le lieu de naissance est "
        "obligatoire."
    ) in str(refused.json["errors"])
    assert stored(service) == []
