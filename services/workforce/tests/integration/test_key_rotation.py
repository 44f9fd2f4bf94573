"""docs/security.md DP-03, KEY-03: `workforce.keys rotate` re-seals every NIR at rest (employees and staged import files)
with the first key of WORKFORCE_NIR_ENCRYPTION_KEY; values sealed with an older key still open meanwhile, no row
gets a new version (nothing is published), and a second run changes nothing."""

import uuid

import pytest
from sqlalchemy import select, text

from portal_common import clock
from portal_common.keyring import new_key_setting
from workforce.app import create_app
from workforce.employees.use_cases.rotation import rotate_nir_keys
from workforce.imports.queries import table_of
from workforce.imports.rules import Table
from workforce.imports.use_cases import _seal as seal_import
from workforce.keys import main as keys_command
from workforce.models import Employee, EmployeeImport

from .test_records import COMPANY_A, hire

pytestmark = pytest.mark.integration

# Three NIRs and the sex, birth date and place of birth each one carries.
NIRS = {
    "255081416802538": {},
    "186022A21532523": {"sex": "M", "birth_date": "1986-02-10", "birth_commune": "2A215"},
    "295109912611193": {"birth_date": "1995-10-01", "birth_commune": None, "birth_country": "99126"},
}


@pytest.fixture
def rotated_app(portal_env, service):
    """The same database, with a new key put first in front of the test key (which stays, read-only)."""
    old = portal_env.environ("workforce", service.database_url)["WORKFORCE_NIR_ENCRYPTION_KEY"]
    environ = portal_env.environ(
        "workforce", service.database_url, WORKFORCE_NIR_ENCRYPTION_KEY=f"{new_key_setting('k2')},{old}"
    )
    app = create_app(environ=environ)
    yield app, environ
    app.extensions["portal"].db.dispose()


def staged_import(service) -> str:
    import_id, now = str(uuid.uuid4()), clock.utcnow()
    table = Table(header=["NIR"], rows=[["255081416802538"]], line_numbers=[2])
    with service.portal.uow() as tx:
        tx.session.add(
            EmployeeImport(
                id=import_id,
                member_id=COMPANY_A,
                status="staged",
                file_name="salaries.csv",
                file_format="csv",
                content_sealed=seal_import(service.portal, import_id, table),
                header=["NIR"],
                mapping={},
                total_rows=1,
                created_by="test",
                created_at=now,
                updated_at=now,
            )
        )
        tx.commit()
    return import_id


def stored(service) -> dict[str, tuple[str, int]]:
    with service.portal.db.engine.connect() as conn:
        return {
            row[0]: (row[1], row[2]) for row in conn.execute(text("SELECT id, nir_encrypted, version FROM employee"))
        }


def test_every_nir_and_staged_file_is_resealed_with_the_new_key_in_batches_and_a_second_run_changes_nothing(
    service, rotated_app
):
    hired = {hire(service, nir=nir, last_name=f"Salarié{n}", **NIRS[nir])["id"]: nir for n, nir in enumerate(NIRS)}
    import_id = staged_import(service)
    before = stored(service)
    assert all(value.startswith("test1:") for value, _ in before.values())
    app, _ = rotated_app
    portal = app.extensions["portal"]
    events_before = len(service.events())

    first = rotate_nir_keys(portal, batch_size=2)
    assert (first.checked, first.rotated, first.unreadable) == (4, 4, 0)
    after = stored(service)
    assert all(value.startswith("k2:") for value, _ in after.values())
    assert {k: v for k, (_, v) in after.items()} == {k: v for k, (_, v) in before.items()}  # versions unchanged
    assert len(service.events()) == events_before
    with portal.db.session_factory() as db:
        for employee in db.scalars(select(Employee)):
            assert portal.settings.nir_vault.decrypt(employee.nir_encrypted, employee.id) == hired[employee.id]
        staged = db.get(EmployeeImport, import_id)
        assert staged.content_sealed.startswith(b"k2:") and table_of(portal, staged).rows == [["255081416802538"]]

    second = rotate_nir_keys(portal, batch_size=2)
    assert (second.checked, second.rotated) == (4, 0) and stored(service) == after


def test_the_rotation_command_prints_its_counts(service, rotated_app, monkeypatch, capsys):
    hire(service)
    _, environ = rotated_app
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert keys_command(["rotate"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Valeurs chiffrées (NIR, fichiers d'import) : 1 examinée(s), 1 rechiffrée(s) avec la clé k2, 0 illisible(s)."
    )
    assert keys_command(["rotate"]) == 0 and ", 0 rechiffrée(s)" in capsys.readouterr().out
