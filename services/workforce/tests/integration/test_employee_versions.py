"""docs/security.md DP-02 and the optimistic lock of employees: the API answers an ETag and needs If-Match on a
correction (428 without it, 412 when stale); the correction form carries the version, and a stale save shows the
other person's values beside what the user typed, in French, and changes nothing."""

import html

import pytest
from sqlalchemy import select

from portal_common.testing import make_principal
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
VALID = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": "255081416802538",
    "hire_date": "2024-03-01",
    "post": "Cariste",
    "contract": "CDI",
    "birth_commune": "14118",
}


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def stored(service) -> Employee:
    with service.portal.db.session_factory() as session:
        return session.scalars(select(Employee)).one()


def test_a_correction_through_the_api_needs_the_etag_it_read_and_a_stale_one_changes_nothing(service):
    client, headers = service.client(), service.headers(ADMIN)
    employee_id = client.post("/api/workforce/employees", json=VALID, headers=headers).json["id"]
    path = f"/api/workforce/employees/{employee_id}"
    read = client.get(path, headers=headers)
    assert read.headers["ETag"] == '"1"'
    missing = client.put(path, json=dict(VALID, post="Magasinier"), headers=headers)
    assert missing.status_code == 428
    assert missing.json["message"] == "En-tête If-Match obligatoire : renvoyez l'ETag de la fiche que vous avez lue."
    first = client.put(path, json=dict(VALID, post="Magasinier"), headers={**headers, "If-Match": read.headers["ETag"]})
    assert (first.status_code, first.headers["ETag"], first.json["version"]) == (200, '"2"', 2)
    for stale_tag in ('"1"', '"abc"', "W/1"):
        stale = client.put(path, json=dict(VALID, post="Cariste de nuit"), headers={**headers, "If-Match": stale_tag})
        assert stale.status_code == 412, stale_tag
        assert stale.json["message"].startswith("La fiche du salarié a été modifiée depuis que vous l'avez lue")
    assert (stored(service).post, stored(service).version) == ("Magasinier", 2)
    assert [e.type for e in service.events()] == ["workforce.employee.hired.v1", "workforce.employee.updated.v1"]
    again = client.put(path, json=dict(VALID, post="Cariste de nuit"), headers={**headers, "If-Match": '"2"'})
    assert (again.status_code, again.headers["ETag"]) == (200, '"3"')


def test_two_tabs_editing_one_employee_the_second_save_shows_both_versions_and_changes_nothing(service):
    client, headers = service.client(), service.headers(ADMIN)
    employee_id = client.post("/api/workforce/employees", json=VALID, headers=headers).json["id"]
    path = f"/salaries/{employee_id}/modifier"
    first_tab, second_tab = client.get(path, headers=headers), client.get(path, headers=headers)
    assert 'name="version" value="1"' in first_tab.text and 'name="version" value="1"' in second_tab.text
    form = dict(VALID, nir="", version="1")
    saved = client.post(path, data=dict(form, post="Magasinier", csrf_token=token_of(first_tab)), headers=headers)
    assert saved.status_code == 302
    stale = client.post(
        path,
        data=dict(form, post="Cariste de nuit", first_names="Marie-Claire", csrf_token=token_of(second_tab)),
        headers=headers,
    )
    assert stale.status_code == 409
    page = html.unescape(stale.text)
    assert (
        "La fiche a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte : rien n'a été enregistré" in page
    )
    assert '<th scope="row">Poste de travail</th><td>Magasinier</td><td>Cariste de nuit</td>' in page
    assert '<th scope="row">Prénoms</th><td>Marie</td><td>Marie-Claire</td>' in page
    # What the user typed stays in the form, with the version now current: saving again is a knowing choice.
    assert 'id="f-post" name="post" type="text" value="Cariste de nuit"' in page
    assert 'name="version" value="2"' in page
    assert (stored(service).post, stored(service).first_names, stored(service).version) == ("Magasinier", "Marie", 2)
    assert len(service.events()) == 2
    kept = client.post(
        path, data=dict(form, post="Cariste de nuit", version="2", csrf_token=token_of(stale)), headers=headers
    )
    assert kept.status_code == 302 and stored(service).post == "Cariste de nuit"


def test_a_form_without_its_version_is_never_taken_for_the_latest(service):
    client, headers = service.client(), service.headers(ADMIN)
    employee_id = client.post("/api/workforce/employees", json=VALID, headers=headers).json["id"]
    path = f"/salaries/{employee_id}/modifier"
    token = token_of(client.get(path, headers=headers))
    for version in (None, "", "abc", "99999999999999"):
        data = dict(VALID, nir="", post="Magasinier", csrf_token=token)
        if version is not None:
            data["version"] = version
        assert client.post(path, data=data, headers=headers).status_code == 409, version
    assert (stored(service).post, stored(service).version) == ("Cariste", 1)
