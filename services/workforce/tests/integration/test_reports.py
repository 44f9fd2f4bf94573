"""Headcount by category (an accessible chart with its table) and the multi-employer workers at 31 January."""

import csv
import html
import io
import re
from datetime import UTC, date

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from portal_common import clock as services
from portal_common.testing import make_principal
from portal_common.validators import nir_key
from workforce.models import Employee
from workforce.reports.rules import headcount_bars, reference_year

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
OTHER_READER = make_principal(member_id=OTHER, roles=("read",))
BASE = {
    "sex": "F",
    "birth_date": "1955-08-14",
    "hire_date": "2020-03-01",
    "post": "Vendeuse",
    "contract": "CDI",
    "birth_commune": "14118",
}


def hire(service, last_name: str, nir: str, **fields) -> str:
    # The place of birth the NIR carries (characters 6 to 10): a commune, or 99 and a country.
    place = nir[5:10]
    born = {"birth_commune": None, "birth_country": place} if place.startswith("99") else {"birth_commune": place}
    response = service.client().post(
        "/api/workforce/employees",
        headers=service.headers(ADMIN),
        json=dict(BASE, last_name=last_name, first_names="Prénom", nir=nir, **born) | fields,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def leave(service, employee_id: str, on: date) -> None:
    with service.portal.db.session_factory() as session:
        session.execute(update(Employee).where(Employee.id == employee_id).values(exit_date=on))
        session.commit()


def cells(text: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html.unescape(text), re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def test_the_headcount_is_a_labelled_chart_with_the_same_numbers_in_a_table(service):
    today = services.today()
    minor_birth = date(today.year - 16, 1, 1)
    hire(service, "Simple", "255081416802538", multi_employer=True)
    hire(service, "Amiante", "295109912611193", birth_date="1995-10-01", determinants=["amiante"])
    hire(service, "Nuit", "186022A21532523", sex="M", birth_date="1986-02-10", determinants=["travail_nuit"])
    first13 = f"2{minor_birth:%y}0175115001"
    hire(
        service,
        "Jeune",
        f"{first13}{nir_key(first13):02d}",
        birth_date=minor_birth.isoformat(),
        hire_date=date(today.year, 1, 2).isoformat(),
    )
    gone = hire(service, "Parti", "155081416802588", sex="M")
    leave(service, gone, date(2024, 12, 31))
    page = service.client().get("/salaries/effectifs", headers=service.headers(READER))
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in text
    assert (
        '<desc id="chart-desc">SI, Suivi individuel : 1 salarié, 25\xa0% ; SIA, Suivi individuel adapté : '
        "2 salariés, 50\xa0% ; SIR, Suivi individuel renforcé : 1 salarié, 25\xa0%.</desc>"
    ) in text
    assert "<script" not in text and 'style="' not in text  # no JS library, nothing the CSP would block
    table = cells(text.split('id="tableau"')[1])
    assert table[1:] == [
        ["SI — Suivi individuel", "1", "25\xa0%", "1"],
        ["SIA — Suivi individuel adapté", "2", "50\xa0%", "0"],
        ["SIR — Suivi individuel renforcé", "1", "25\xa0%", "0"],
        ["Total", "4", "100\xa0%", "1"],
    ]
    assert 'href="/salaries?category=SIA"' in text
    others = html.unescape(service.client().get("/salaries/effectifs", headers=service.headers(OTHER_READER)).text)
    assert "Salariés présents au" in others and cells(others.split('id="tableau"')[1])[-1] == ["Total", "0", "—", "0"]


def test_the_bars_are_proportional_to_the_largest_category():
    bars = headcount_bars({"SI": (30, 2), "SIA": (15, 0), "SIR": (0, 0)})
    assert [(b.category, b.count, round(b.share)) for b in bars] == [("SI", 30, 67), ("SIA", 15, 33), ("SIR", 0, 0)]
    assert bars[0].width == 2 * bars[1].width and bars[2].width == 0
    assert all(b.width == 0 and b.share == 0 for b in headcount_bars({}))


def test_the_reference_year_is_the_latest_31_january_passed():
    assert reference_year(None, date(2026, 11, 30)) == 2026
    assert reference_year(None, date(2027, 1, 15)) == 2026
    assert reference_year("2024", date(2026, 11, 30)) == 2024
    assert reference_year("2027", date(2026, 12, 7)) == 2027  # the next 31 January, prepared in December
    assert reference_year("2028", date(2026, 12, 7)) == 2026  # not further than the next one
    assert reference_year("1999", date(2026, 11, 30)) == 2026  # before the décret


def test_the_multi_employer_list_holds_the_flagged_employees_of_31_january_and_exports_them(service):
    year = reference_year(None, services.today())
    hire(service, "Double", "255081416802538", multi_employer=True, pcs_code="552a")
    hire(service, "Seul", "295109912611193", birth_date="1995-10-01")
    hire(
        service,
        "Tardif",
        "186022A21532523",
        sex="M",
        birth_date="1986-02-10",
        multi_employer=True,
        hire_date=date(year, 2, 1).isoformat(),
    )
    gone = hire(service, "Parti", "155081416802588", sex="M", multi_employer=True)
    leave(service, gone, date(year, 1, 30))
    stays = hire(service, "Reste", "255081416802637", multi_employer=True)
    leave(service, stays, date(year, 1, 31))  # still employed on 31 January
    client, headers = service.client(), service.headers(READER)
    page = client.get("/salaries/multi-employeurs", headers=headers)
    text = html.unescape(page.text)
    assert f"Liste au 31/01/{year}, à transmettre avant le 28/02/{year}" in text
    assert "2 salariés multi-employeurs" in text
    assert "DOUBLE" in text and "RESTE" in text and "2 55 08 ** *** *** 38" in text
    assert "SEUL" not in text and "TARDIF" not in text and "PARTI" not in text
    exported = client.get("/salaries/multi-employeurs/export.csv", headers=headers)
    assert exported.headers["Content-Disposition"] == f'attachment; filename="multi-employeurs-{year}-01-31.csv"'
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nom d'usage", "Nom de naissance", "Prénoms"]
    code, label, multi = (
        rows[0].index(name) for name in ("Code PCS-ESE", "Libellé PCS-ESE", "Salarié multi-employeurs")
    )
    assert [(r[0], r[code], r[label], r[multi]) for r in rows[1:]] == [
        ("DOUBLE", "552a", "Caissiers de magasin", "Oui"),
        ("RESTE", "", "", "Oui"),
    ]
    sheet = load_workbook(io.BytesIO(client.get("/salaries/multi-employeurs/export.xlsx", headers=headers).data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["DOUBLE", "RESTE"]
    earlier = html.unescape(client.get(f"/salaries/multi-employeurs?annee={year - 1}", headers=headers).text)
    assert f"Liste au 31/01/{year - 1}" in earlier and "DOUBLE" in earlier and "RESTE" in earlier
    other = html.unescape(client.get("/salaries/multi-employeurs", headers=service.headers(OTHER_READER)).text)
    assert "Aucun salarié multi-employeurs" in other and "DOUBLE" not in other
    other_csv = client.get("/salaries/multi-employeurs/export.csv", headers=service.headers(OTHER_READER))
    assert len(other_csv.data.decode("utf-8-sig").splitlines()) == 1


def test_the_reports_are_for_signed_in_member_users_only(service):
    client = service.client()
    staff = make_principal(staff_roles=("secretariat",))
    for path in (
        "/salaries/effectifs",
        "/salaries/multi-employeurs",
        "/salaries/multi-employeurs/export.csv",
        "/salaries/multi-employeurs/export.xlsx",
    ):
        assert client.get(path, headers=service.headers(staff)).status_code == 403
        assert client.get(path).status_code in (302, 401)
        assert client.get(path, headers=service.headers(READER)).status_code == 200


def test_in_december_the_list_of_the_next_31_january_is_offered_as_a_forecast(service, monkeypatch):
    from datetime import datetime

    from portal_common import clock

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 7, 9, tzinfo=UTC))
    headers = service.headers(ADMIN)
    page = service.client().get("/salaries/multi-employeurs?annee=2027", headers=headers).text
    assert "Liste prévisionnelle au 31/01/2027" in page and "n'est pas encore passé" in page
    assert '<option value="2027" selected>' in page
    refused = service.client().get("/salaries/multi-employeurs?annee=2030", headers=headers).text
    assert "Aucune liste pour l'année demandée" in refused and "Liste au 31/01/2026" in refused


def test_one_multi_employer_employee_is_counted_in_the_same_words_as_the_list_and_its_checkbox(service):
    hire(service, "Double", "255081416802538", multi_employer=True, pcs_code="552a")
    text = html.unescape(service.client().get("/salaries/multi-employeurs", headers=service.headers(READER)).text)
    # « multi-employeurs » describes the employee's several employers: it keeps its s for one employee too.
    assert "1 salarié multi-employeurs" in text and "multi-employeur<" not in text
