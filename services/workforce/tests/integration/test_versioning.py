"""The optimistic lock is SQLAlchemy's version counter: one more at each write, a write from a stale read refused."""

import pytest
from sqlalchemy.orm.exc import StaleDataError

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


def test_each_write_of_an_employee_raises_its_version_by_one_and_its_events_carry_it(service):
    client, headers = service.client(), service.headers(ADMIN)
    hired = client.post("/api/workforce/employees", json=VALID, headers=headers).json
    corrected = client.put(
        f"/api/workforce/employees/{hired['id']}",
        json=dict(VALID, post="Magasinier"),
        headers={**headers, "If-Match": '"1"'},
    ).json
    left = client.post(
        f"/api/workforce/employees/{hired['id']}/exit",
        json={"exit_date": "2025-01-31", "reason": "demission"},
        headers=headers,
    ).json
    assert (hired["version"], corrected["version"], left["version"]) == (1, 2, 3)
    assert [event.data["version"] for event in service.events()] == [1, 2, 3]


def test_a_write_from_a_stale_read_is_refused(service):
    client, headers = service.client(), service.headers(ADMIN)
    employee_id = client.post("/api/workforce/employees", json=VALID, headers=headers).json["id"]
    session_factory = service.portal.db.session_factory
    with session_factory() as first, session_factory() as second:
        mine, theirs = first.get(Employee, employee_id), second.get(Employee, employee_id)
        theirs.post = "Magasinier"
        second.commit()
        mine.post = "Cariste de nuit"
        with pytest.raises(StaleDataError):
            first.commit()
    with session_factory() as session:
        assert (session.get(Employee, employee_id).post, session.get(Employee, employee_id).version) == (
            "Magasinier",
            2,
        )
