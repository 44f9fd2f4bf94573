"""The text areas of the hire form accept line breaks (declared beside the route with `@accepts`), a one-line
field holding one is refused in French naming it, and nothing is stored (docs/security.md VAL-03)."""

import pytest
from sqlalchemy import select

from portal_common.testing import make_principal
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
FORM = {
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


def _post(service, **fields):
    client, headers = service.client(), service.headers(ADMIN)
    page = client.get("/salaries/nouveau", headers=headers)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/salaries/nouveau", data=dict(FORM, csrf_token=token, **fields), headers=headers)


def _stored(service) -> list[Employee]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Employee)))


def test_the_hire_forms_text_areas_accept_line_breaks(service):
    saved = _post(
        service,
        convocation_constraints="Le matin seulement\nPas le mercredi",
        sir_justification="",
        comment="Première ligne\r\nDeuxième ligne",
    )
    assert saved.status_code in (302, 303), saved.text[:400]
    [employee] = _stored(service)
    # Accepted at the boundary; the record's own rule then writes the constraints on one line.
    assert employee.convocation_constraints.split() == ["Le", "matin", "seulement", "Pas", "le", "mercredi"]


def test_a_line_break_in_a_one_line_field_is_refused_in_french_and_nothing_is_stored(service):
    refused = _post(service, post="Vendeuse\nCaissière")
    assert refused.status_code == 400
    assert "Le champ « post » ne peut pas contenir de retour à la ligne ni de tabulation." in refused.text
    assert _stored(service) == []
