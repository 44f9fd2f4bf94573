"""The list exports read plain rows (no ORM object per employee, a category classified once per kind of employee):
they must say exactly what the record says, employee by employee, for every filter and sort."""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from portal_common.clock import today
from portal_common.testing import make_principal
from portal_common.validators import nir_key
from workforce.employees import queries as employees
from workforce.reports import exports
from workforce.web import list_filters

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))


def person(rank: int, sex: str, born: str, **fields) -> dict:
    first13 = f"{1 if sex == 'M' else 2}{born[2:4]}{born[5:7]}68224{rank:03d}"
    return {
        "last_name": f"Salarié{chr(65 + rank)}",
        "first_names": "Prénom",
        "sex": sex,
        "birth_date": born,
        "birth_commune": "68224",
        "nir": f"{first13}{nir_key(first13):02d}",
        "hire_date": "2024-03-01",
        "post": "Boulanger",
        "pcs_code": "683a",
        "contract": "CDI",
        **fields,
    }


PEOPLE = [  # the fourth is a minor (SIA until 18)
    person(1, "F", "1971-04-12"),
    person(2, "M", "1980-06-01", determinants=["travail_nuit"], contract="CDD"),
    person(3, "M", "1985-09-30", determinants=["cmr"], multi_employer=True),
    person(4, "F", f"{today().year - 16}-02-15", contract="apprentissage", hire_date=f"{today().year - 1}-06-01"),
    person(5, "M", "1990-01-20", determinants=["travail_nuit"]),
]


@pytest.mark.parametrize("query", ["", "?contract=CDD", "?sort=-birth_date", "?category=SIA", "?q=salariéc"])
def test_the_exports_say_what_each_employees_record_says(service, query):
    for item in PEOPLE:
        answer = service.client().post("/api/workforce/employees", json=item, headers=service.headers(ADMIN))
        assert answer.status_code == 201, answer.json
    client, headers = service.client(), service.headers(READER)
    csv_answer = client.get(f"/salaries/export.csv{query}", headers=headers)
    xlsx_answer = client.get(f"/salaries/export.xlsx{query}", headers=headers)
    assert csv_answer.status_code == xlsx_answer.status_code == 200

    with service.app.test_request_context(f"/salaries{query}"):
        from flask import request

        day = today()
        records = employees.list_employees(COMPANY, list_filters(request.args), day, limit=employees.EXPORT_LIMIT)
        expected = [exports.row_of(employees.employee_as_dict(e, day)) for e in records]
    assert expected, "the filter should keep someone"
    assert csv_answer.data == exports.to_csv(expected)
    sheet = load_workbook(io.BytesIO(xlsx_answer.data)).active
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header == exports.COLUMNS
    read_back = [[v.date() if isinstance(v, datetime) else "" if v is None else v for v in line] for line in lines]
    assert read_back == [["" if v is None else v for v in row] for row in expected]
    assert {sheet.cell(row=2, column=5).number_format, sheet.cell(row=2, column=9).number_format} == {"DD/MM/YYYY"}
