"""The employee pages: detail, correction form (the only place with the NIR), new post, exit, list tools."""

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from portal_common.testing import make_principal
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
NIR = "255081416802538"
NIR_RE = re.compile(r"[1-478][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])([0-9]{2}|2A|2B)[0-9]{6}[0-9]{2}")
# CSRF tokens and ids are hexadecimal: a run of their digits can look like a NIR, so they are taken out first.
HEX_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-fA-F]{24,}")


def has_nir(text: str) -> bool:
    return NIR_RE.search(HEX_RE.sub("", text)) is not None


VALID = {
    "last_name": "Dupont",
    "birth_name": "Martin",
    "first_names": "Élodie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": NIR,
    "hire_date": "2024-03-01",
    "post": "Cariste",
    "contract": "CDI",
    "determinants": ["autorisation_conduite"],
    "birth_commune": "14118",
}


def hire(service, principal=ADMIN, **overrides):
    response = service.client().post(
        "/api/workforce/employees", json=dict(VALID, **overrides), headers=service.headers(principal)
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_detail_shows_the_masked_nir_the_category_reasons_and_the_history(service):
    employee_id = hire(service)
    page = service.client().get(f"/salaries/{employee_id}", headers=service.headers(READER))
    assert page.status_code == 200
    assert "2 55 08 ** *** *** 38" in page.text and not has_nir(page.text)
    assert "Conduite d'équipements nécessitant une autorisation de conduite (art. R4323-56)" in html.unescape(page.text)
    assert "01/03/2024" in page.text and "Embauche" in page.text
    assert "Modifier la fiche" not in page.text  # a reader has no edit actions


def test_only_editors_open_the_correction_form_which_shows_the_nir_masked_and_is_never_cached(service):
    employee_id = hire(service)
    client = service.client()
    assert client.get(f"/salaries/{employee_id}/modifier", headers=service.headers(READER)).status_code == 403
    form = client.get(f"/salaries/{employee_id}/modifier", headers=service.headers(ADMIN))
    assert form.status_code == 200 and not has_nir(form.text) and "2 55 08 ** *** *** 38" in form.text
    assert 'name="version" value="1"' in form.text
    assert form.headers["Cache-Control"] == "no-store"
    assert (
        'id="det-autorisation_conduite" name="determinants" type="checkbox" value="autorisation_conduite" checked'
        in form.text
    )
    values = {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_names": "Élodie",
        "sex": "F",
        "birth_date": "1955-08-14",
        "nir": NIR,
        "hire_date": "2024-03-01",
        "post": "Cariste",
        "contract": "CDI",
        "determinants": ["autorisation_conduite", "travail_nuit"],
        "adapted_undisclosed": "on",
        "birth_commune": "14118",
        "version": "1",
        "csrf_token": token_of(form),
    }
    saved = client.post(
        f"/salaries/{employee_id}/modifier", data=values, headers=service.headers(ADMIN), follow_redirects=True
    )
    assert saved.status_code == 200 and "La fiche du salarié a été mise à jour." in saved.text
    assert "Suivi adapté déclaré par l'employeur, motif non communiqué" in html.unescape(saved.text)
    assert service.events()[-1].type == "workforce.employee.updated.v1"


def test_the_correction_form_refuses_a_nir_contradicting_the_sex_and_a_bad_key_next_to_their_fields(service):
    employee_id = hire(service)
    client, headers = service.client(), service.headers(ADMIN)
    token = token_of(client.get(f"/salaries/{employee_id}/modifier", headers=headers))
    values = {
        "last_name": "Dupont",
        "first_names": "Élodie",
        "sex": "M",
        "birth_date": "1955-08-14",
        "nir": NIR,
        "hire_date": "2024-03-01",
        "post": "Cariste",
        "contract": "CDI",
        "birth_commune": "14118",
        "version": "1",
        "csrf_token": token,
    }
    contradicted = client.post(f"/salaries/{employee_id}/modifier", data=values, headers=headers)
    assert contradicted.status_code == 422
    assert (
        'id="f-sex-error">Le numéro de sécurité sociale commence par 2 (1 ou 7 pour un homme, 2 ou 8 pour une '
        "femme) : il ne correspond pas au sexe déclaré. Corrigez le sexe ou le numéro.</p>"
    ) in html.unescape(contradicted.text)
    refused = client.post(
        f"/salaries/{employee_id}/modifier", data=dict(values, sex="F", nir="255081416802539"), headers=headers
    )
    assert refused.status_code == 422
    assert 'id="f-nir-error">La clé du numéro de sécurité sociale est incorrecte' in refused.text
    assert len(service.events()) == 1  # the hire alone: nothing was corrected


def test_the_hiring_form_offers_the_determinants_and_requires_the_sir_justification(service):
    client, headers = service.client(), service.headers(ADMIN)
    page = client.get("/salaries/nouveau", headers=headers)
    assert "Travail de nuit" in page.text and "art. R4544-10" in page.text
    form = {
        **{k: v for k, v in VALID.items() if k != "determinants"},
        "determinants": ["sir_employeur"],
        "csrf_token": token_of(page),
    }
    refused = client.post("/salaries/nouveau", data=form, headers=headers)
    assert refused.status_code == 422
    assert 'id="f-sir_justification-error">Justifiez l&#39;ajout du poste' in refused.text
    form["sir_justification"] = "Travail isolé sur toiture"
    assert client.post("/salaries/nouveau", data=form, headers=headers).status_code == 302
    assert service.events()[0].data["monitoring_category"] == "SIR"


def test_a_new_post_and_an_exit_through_the_pages(service):
    employee_id = hire(service, determinants=["cmr"])
    client, headers = service.client(), service.headers(ADMIN)
    page = client.get(f"/salaries/{employee_id}/nouveau-poste", headers=headers)
    assert page.status_code == 200 and "actuellement <strong>Cariste</strong> depuis le 01/03/2024" in page.text
    moved = client.post(
        f"/salaries/{employee_id}/nouveau-poste",
        headers=headers,
        follow_redirects=True,
        data={
            "post": "Magasinier",
            "from_date": "2025-02-03",
            "csrf_token": token_of(page),
            "version": page.text.split('name="version" value="')[1].split('"')[0],
        },
    )
    assert "Le nouveau poste est enregistré." in moved.text and "Nouveau poste" in moved.text
    page = client.get(f"/salaries/{employee_id}/sortie", headers=headers)
    bad = client.post(
        f"/salaries/{employee_id}/sortie",
        headers=headers,
        data={"exit_date": "", "reason": "", "csrf_token": token_of(page)},
    )
    assert bad.status_code == 422 and "La date de sortie est obligatoire (jj/mm/aaaa)." in bad.text
    done = client.post(
        f"/salaries/{employee_id}/sortie",
        headers=headers,
        follow_redirects=True,
        data={"exit_date": "2025-06-30", "reason": "fin_cdd", "csrf_token": token_of(page)},
    )
    assert "La sortie de Élodie DUPONT est enregistrée." in done.text and "Fin de CDD" in done.text
    assert [e.type for e in service.events()] == [
        "workforce.employee.hired.v1",
        "workforce.employee.updated.v1",
        "workforce.employee.post_changed.v1",
        "workforce.employee.exited.v1",
    ]
    assert service.events()[-1].data["was_reinforced"] is False  # the new post left SIR


def test_the_list_filters_by_category_and_pages(service):
    for index in range(52):
        hire(service, last_name=f"Nom{index:02d}", nir=_nir(index), determinants=[] if index else ["amiante"])
    client, headers = service.client(), service.headers(READER)
    first = client.get("/salaries", headers=headers)
    assert "52 salariés, page 1 sur 2" in first.text and 'rel="next"' in first.text
    second = client.get("/salaries?page=2", headers=headers)
    assert "NOM51" in second.text and "NOM00" not in second.text
    sir = client.get("/salaries?category=SIR", headers=headers)
    assert "1 salarié" in sir.text and "NOM00" in sir.text and "NOM01" not in sir.text


def _nir(index: int) -> str:
    from portal_common.validators import nir_key

    first13 = f"2550814{index:03d}025"
    return f"{first13}{nir_key(first13):02d}"


def test_the_exports_hold_the_filtered_list_in_french_formats_without_the_nir(service):
    hire(service)
    hire(
        service,
        last_name="Bernard",
        birth_name=None,
        first_names="Luc",
        sex="M",
        nir="186022A21532523",
        birth_date="1986-02-10",
        contract="CDD",
        determinants=[],
        birth_commune="2A215",
    )
    client, headers = service.client(), service.headers(READER)
    response = client.get("/salaries/export.csv?contract=CDD", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="salaries-')
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][:5] == ["BERNARD", "BERNARD", "Luc", "M", "10/02/1986"]
    assert not has_nir(response.data.decode("utf-8-sig"))
    sheet = load_workbook(io.BytesIO(client.get("/salaries/export.xlsx", headers=headers).data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["BERNARD", "DUPONT"]
    printed = client.get("/salaries/impression?q=dupont", headers=headers)
    assert printed.status_code == 200 and "DUPONT née MARTIN" in printed.text and "BERNARD" not in printed.text
    assert not has_nir(printed.text)
    stranger = service.headers(make_principal(member_id=OTHER, roles=("admin",)))
    their_csv = client.get("/salaries/export.csv", headers=stranger).data.decode("utf-8-sig").splitlines()
    assert len(their_csv) == 1 and their_csv[0].startswith("Nom d'usage;")
    their_sheet = load_workbook(io.BytesIO(client.get("/salaries/export.xlsx", headers=stranger).data)).active
    assert list(their_sheet.iter_rows(min_row=2, values_only=True)) == []
    their_print = client.get("/salaries/impression", headers=stranger).text
    assert "DUPONT" not in their_print and "BERNARD" not in their_print


def test_the_list_check_reports_anomalies_with_links_to_their_fix(service):
    clean = hire(service, determinants=[])
    legacy = hire(
        service,
        last_name="Ancien",
        birth_name=None,
        nir="186022A21532523",
        sex="M",
        birth_date="1986-02-10",
        determinants=[],
        birth_commune="2A004",
    )
    odd = hire(
        service,
        last_name="Durand",
        birth_name=None,
        nir="295109912611193",
        birth_date="1995-10-01",
        determinants=[],
        birth_commune=None,
        birth_country="Maroc",
    )
    with service.portal.db.session_factory() as session:
        # A row written before the NIR was checked against the sex at entry.
        session.execute(update(Employee).where(Employee.id == odd).values(sex="M", nir_consistent=False))
        # A row from before the 2025 reform, before determinants existed and before the place of birth was asked.
        session.execute(
            update(Employee)
            .where(Employee.id == legacy)
            .values(
                monitoring_category="SIR",
                determinants="habilitation_electrique",
                category_reviewed_on=None,
                birth_commune=None,
                birth_country=None,
            )
        )
        session.commit()
    page = service.client().get("/salaries/controle", headers=service.headers(READER))
    assert page.status_code == 200
    assert "N° de sécurité sociale incohérent avec le sexe, la date ou le lieu de naissance (1)" in page.text
    assert f'href="/salaries/{odd}/modifier"' in page.text
    assert "Classé SIR pour la seule conduite ou habilitation (réforme 2025) (1)" in page.text
    assert "Catégorie de suivi jamais vérifiée (1)" in page.text
    text = html.unescape(page.text)
    assert "Information obligatoire manquante (1)" in text
    assert "Lieu de naissance manquant : commune de naissance (code INSEE) ou pays de naissance à saisir." in text
    assert f'href="/salaries/{legacy}/modifier"' in page.text
    assert f"/salaries/{clean}/" not in page.text
    other = make_principal(member_id=OTHER, roles=("admin",))
    assert "Aucune anomalie" in service.client().get("/salaries/controle", headers=service.headers(other)).text


def test_the_list_tools_are_for_signed_in_members_only(service):
    client = service.client()
    staff = make_principal(staff_roles=("secretariat",))
    for path in ("/salaries/export.csv", "/salaries/export.xlsx", "/salaries/impression", "/salaries/controle"):
        assert client.get(path, headers=service.headers(staff)).status_code == 403
        assert client.get(path).status_code in (302, 401)
