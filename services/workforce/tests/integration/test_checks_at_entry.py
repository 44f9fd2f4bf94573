"""Checks at entry: a NIR that contradicts the sex, birth date or birthplace typed beside it is refused at hire and
on correction (page and API, the French message next to the field, nothing written); the birthplace is typed by
commune name or INSEE code with suggestions, and a postal code is never taken for an INSEE code."""

import html
from datetime import date

import pytest
from sqlalchemy import func, select

from portal_common.testing import make_principal
from portal_common.testing.identities import identity, nir_for
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
BORN = date(1990, 4, 12)
HIRE = {
    "last_name": "Keller",
    "first_names": "Anne",
    **identity("F", BORN, "68224"),
    "hire_date": "2026-01-05",
    "post": "Cariste",
    "contract": "CDI",
}
POSTAL = "68100 est un code postal ; le code INSEE de la commune est 68224 (Mulhouse)."
SEX = (
    "Le numéro de sécurité sociale commence par 2 (1 ou 7 pour un homme, 2 ou 8 pour une femme) : il ne correspond "
    "pas au sexe déclaré. Corrigez le sexe ou le numéro."
)
MONTH = (
    "Le numéro de sécurité sociale indique le mois 04 (4e et 5e chiffres) : il ne correspond pas au mois de "
    "naissance. Corrigez la date ou le numéro."
)


def employees_count(service) -> int:
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Employee))


def api_hire(service, body):
    return service.client().post("/api/workforce/employees", json=body, headers=service.headers(ADMIN))


def form_post(service, path, values):
    client, headers = service.client(), service.headers(ADMIN)
    page = client.get(path, headers=headers)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    data = {k: v for k, v in values.items() if v is not None}
    return client.post(path, data=dict(data, csrf_token=token), headers=headers)


def field_error(page_text: str, name: str) -> str:
    text = html.unescape(page_text)
    return text.split(f'<p class="field-error" id="f-{name}-error">')[1].split("</p>")[0]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"sex": "M"}, "sex", SEX),
        ({"birth_date": "1990-05-12"}, "birth_date", MONTH),
        ({"birth_commune": "68100"}, "birth_commune", POSTAL),
    ],
)
def test_the_api_refuses_a_hire_whose_nir_or_birthplace_contradicts_the_form_and_writes_nothing(
    service, changes, field, message
):
    response = api_hire(service, dict(HIRE, **changes))
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {field: message}
    assert employees_count(service) == 0 and service.events() == []


def test_the_hire_form_puts_the_contradiction_next_to_its_field_and_writes_nothing(service):
    refused = form_post(service, "/salaries/nouveau", dict(HIRE, sex="M"))
    assert refused.status_code == 422
    assert field_error(refused.text, "sex") == SEX
    assert employees_count(service) == 0 and service.events() == []


def test_the_hire_form_refuses_mulhouse_s_postal_code_with_its_insee_code_and_takes_its_name(service):
    refused = form_post(service, "/salaries/nouveau", dict(HIRE, birth_commune="68100"))
    assert refused.status_code == 422 and field_error(refused.text, "birth_commune") == POSTAL
    assert 'value="68100"' in refused.text  # what was typed stays in the field
    assert employees_count(service) == 0
    saved = form_post(service, "/salaries/nouveau", dict(HIRE, birth_commune="Mulhouse"))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/salaries")
    labelled = api_hire(service, dict(HIRE, nir=nir_for("F", BORN, "68224", order=2), birth_commune="Mulhouse (68224)"))
    assert labelled.status_code == 201
    with service.portal.db.session_factory() as session:
        assert sorted(session.scalars(select(Employee.birth_commune))) == ["68224", "68224"]


def test_an_ambiguous_commune_name_asks_to_choose_among_its_communes(service):
    body = {**HIRE, **identity("F", BORN, "93066"), "birth_commune": "Saint-Denis"}
    response = api_hire(service, body)
    assert response.status_code == 422
    message = response.json["errors"]["json"]["birth_commune"]
    assert message.startswith("Plusieurs communes s'appellent « Saint-Denis » : Saint-Denis (11339)")
    assert "Saint-Denis (93066)" in message and "Saint-Denis (97411)" in message
    assert api_hire(service, dict(body, birth_commune="Saint-Denis (93066)")).json["birth_commune"] == "93066"


def test_a_correction_that_makes_the_nir_contradict_the_record_is_refused_and_the_record_kept(service):
    hired = api_hire(service, HIRE)
    employee_id = hired.json["id"]
    put = service.client().put(
        f"/api/workforce/employees/{employee_id}",
        headers={**service.headers(ADMIN), "If-Match": '"1"'},
        json={**{k: v for k, v in HIRE.items() if k != "nir"}, "birth_date": "1991-04-12"},
    )
    assert put.status_code == 422
    assert put.json["errors"]["json"]["birth_date"].startswith(
        "Le numéro de sécurité sociale indique une naissance en 90"
    )
    values = dict(HIRE, nir="", birth_commune="Caen", version="1")
    page = form_post(service, f"/salaries/{employee_id}/modifier", values)
    assert page.status_code == 422
    assert field_error(page.text, "birth_commune").startswith("Le numéro de sécurité sociale indique le département 68")
    with service.portal.db.session_factory() as session:
        employee = session.get(Employee, employee_id)
        assert (employee.version, employee.birth_commune, employee.birth_date) == (1, "68224", BORN)
    form = service.client().get(f"/salaries/{employee_id}/modifier", headers=service.headers(ADMIN))
    assert 'name="birth_commune" type="text" value="Mulhouse (68224)"' in html.unescape(form.text)


def test_the_commune_suggestions_answer_names_and_codes_to_employee_keepers_only(service):
    client = service.client()
    answer = client.get("/salaries/communes?q=mul", headers=service.headers(ADMIN))
    assert answer.status_code == 200 and len(answer.json) == 10
    assert answer.json[0] == {"code": "68224", "name": "Mulhouse", "label": "Mulhouse (68224)"}
    by_code = client.get("/salaries/communes?q=2A004", headers=service.headers(ADMIN)).json
    assert by_code == [{"code": "2A004", "name": "Ajaccio", "label": "Ajaccio (2A004)"}]
    assert client.get("/salaries/communes?q=", headers=service.headers(ADMIN)).json == []
    assert client.get("/salaries/communes?q=mul", headers=service.headers(READER)).status_code == 403
    assert client.get("/salaries/communes?q=mul").status_code in (302, 401)


def test_the_hire_form_offers_the_suggestions_on_the_birthplace_field(service):
    page = service.client().get("/salaries/nouveau", headers=service.headers(ADMIN)).text
    assert '<script src="/static/communes.js" defer></script>' in page
    assert 'list="birth-communes"' in page and 'data-suggest="/salaries/communes"' in page
    assert '<datalist id="birth-communes"></datalist>' in page
