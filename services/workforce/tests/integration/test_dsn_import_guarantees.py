"""The DSN import is documented in the OpenAPI for payroll software, shows its progress while the worker reads,
never half-applies and never logs the file: an apply that fails midway writes nothing, an apply that finds the
list changed since the preview goes back to the preview, and after uploads, refusals, previews and an apply no log
line holds a NIR, a name or a rubric of the files (on PostgreSQL)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bench.dsn_factory import Establishment, dsn_bytes, dsn_text, people
from workforce.dsn import neodes
from workforce.dsn import use_cases as dsn_service
from workforce.employees import use_cases as employee_use_cases
from workforce.imports import use_cases as import_service
from workforce.models import EmployeeImport, EmployeeImportRow

from .test_dsn_imports import (
    ADMIN,
    MARCH,
    NIC,
    SIREN,
    apply,
    company,
    employees,
    imported,
    preview,
    staged,
    status,
    upload,
    work,
)
from .test_no_nir_leaks import log_lines

pytestmark = pytest.mark.integration
__all__ = ["company", "log_lines"]  # fixtures shared with test_dsn_imports and test_no_nir_leaks


def preview_count(service, import_id: str) -> int:
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).where(EmployeeImportRow.import_id == import_id))


def test_an_apply_that_fails_midway_writes_no_employee_and_no_event_and_says_so_in_french(company, monkeypatch):
    service = company
    staff = people(4)
    staff[3].end, staff[3].end_reason = date(2026, 3, 20), "031"  # its exit is written after the four hires
    import_id = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff)))
    assert status(service, import_id)["summary"]["hire"] == 4

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(employee_use_cases, "record_exit", broken)
    assert apply(service, import_id).status_code == 202
    work(service)
    state = status(service, import_id)
    assert state["status"] == "failed"
    assert state["failure"] == "La DSN n'a pas pu être appliquée : rien n'a été changé. Importez-la à nouveau."
    assert employees(service) == [] and service.events() == []  # the hires written before the failure are gone too
    page = service.client().get(f"/salaries/dsn/{import_id}", headers=service.headers(ADMIN)).text
    assert "rien n&#39;a été changé" in page and "Abandonner cet import" in page


def test_an_apply_that_finds_the_list_changed_since_the_preview_goes_back_to_it_and_writes_nothing(company):
    service = company
    staff = [p for p in people(12) if p.nir[5:7] not in ("99", "2A")][:2]
    staff[0].end, staff[0].end_reason = date(2026, 3, 20), "031"
    import_id = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff)))
    assert [row["actions"] for row in preview(service, import_id)] == [["hire", "exit"], ["hire"]]
    # Meanwhile someone hires the first one by hand, from after the end of contract the DSN declares.
    person = staff[0]
    hired = service.client().post(
        "/api/workforce/employees",
        headers=service.headers(ADMIN),
        json={
            "last_name": person.family_name,
            "first_names": person.first_names,
            "sex": person.sex,
            "birth_date": person.birth_date.isoformat(),
            "nir": person.nir,
            "birth_commune": person.nir[5:10],
            "hire_date": "2026-03-25",
            "post": "Vendeuse",
            "contract": "CDI",
        },
    )
    assert hired.status_code == 201, hired.json
    before = len(service.events())
    assert apply(service, import_id).status_code == 202
    work(service)
    state = status(service, import_id)
    assert state["status"] == "ready" and state["error_rows"] == 1
    assert state["failure"].startswith("La liste des salariés a changé depuis l'aperçu")
    [row] = [row for row in preview(service, import_id) if row["errors"]]
    assert row["line"] > 20 and "exit_date" in row["errors"]
    assert len(employees(service)) == 1 and len(service.events()) == before  # the second hire was not written


def test_no_log_line_holds_a_nir_a_name_or_a_rubric_of_the_dsn_files(company, log_lines):
    service = company
    staff = people(5)
    staff[4].end, staff[4].end_reason = date(2026, 3, 27), "059"
    good = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff)))
    client = service.client()
    client.get(f"/salaries/dsn/{good}", headers=service.headers(ADMIN))
    assert apply(service, good).status_code == 202
    work(service)
    assert status(service, good)["status"] == "done"
    # Refused and faulty files take the other paths: a bad key, another company, another encoding.
    faulty = people(2, first=40)
    text = dsn_text(SIREN, [Establishment(NIC, faulty)], MARCH, nir_with_key=True)
    text = text.replace(faulty[0].nir, faulty[0].nir[:13] + f"{(int(faulty[0].nir[13:]) + 1) % 97:02d}")
    listed = imported(service, ("faux.dsn", text.encode("iso-8859-1")))
    assert status(service, listed)["error_rows"] >= 1
    other = imported(service, ("autre.dsn", dsn_bytes("552100554", "00013", MARCH, people(1, first=60))))
    client.get(f"/salaries/dsn/{other}", headers=service.headers(ADMIN))
    utf16 = imported(
        service, ("utf16.dsn", dsn_text(SIREN, [Establishment(NIC, people(1, first=70))], MARCH).encode("utf-16"))
    )
    assert status(service, utf16)["status"] == "refused"

    logged = log_lines.getvalue()
    assert "dsn import staged" in logged and "dsn import read" in logged and "dsn import applied" in logged
    every = staff + faulty + people(1, first=60) + people(1, first=70)
    for person in every:
        for secret in (person.nir, person.nir[:13], person.family_name, person.birth_place):
            assert secret not in logged, secret
    assert "S21.G00" not in logged and "S10.G00" not in logged


def test_the_worker_writes_the_lines_read_as_progress_which_the_status_resource_and_page_show(company, monkeypatch):
    service = company
    monkeypatch.setattr(neodes, "PROGRESS_EVERY", 100)
    raw = dsn_bytes(SIREN, NIC, MARCH, people(30))
    total = neodes.count_lines([("mars.dsn", raw)])
    answer = upload(service, ("mars.dsn", raw))
    import_id = answer.json["id"]
    seen: list[tuple[str, int, int]] = []
    real = dsn_service._reading_progress

    def watched(portal, watched_id, lines):
        report = real(portal, watched_id, lines)

        def told(done: int) -> None:
            report(done)
            # What another process (the status resource, the page) reads meanwhile: committed already.
            record = staged(service, watched_id)
            seen.append((record.status, record.processed_rows, record.total_rows))

        return told

    monkeypatch.setattr(dsn_service, "_reading_progress", watched)
    work(service)
    assert len(seen) >= total // 100 - 1
    assert all(state == "reading" and lines == total for state, _, lines in seen)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen) and seen[-1][1] <= total
    state = status(service, import_id)
    assert state["status"] == "ready" and state["total_rows"] == len(preview(service, import_id)) == 30
    # The page shows the lines read while the worker reads.
    with service.portal.db.session_factory() as session:
        record = session.get(EmployeeImport, import_id)
        record.status, record.processed_rows, record.total_rows = "reading", 200, total
        session.commit()
    page = service.client().get(f"/salaries/dsn/{import_id}", headers=service.headers(ADMIN)).text
    assert "Lecture et comparaison avec la liste en cours : 200 lignes lues sur" in page
    assert f'<progress aria-label="Lecture et comparaison avec la liste" max="{total}" value="200">' in page


def test_the_openapi_documents_the_upload_the_status_resource_the_preview_the_apply_and_the_abandon(service):
    document = service.client().get("/api/workforce/openapi.json").json
    paths = document["paths"]
    upload_operation = paths["/api/workforce/dsn-imports"]["post"]
    assert "multipart/form-data" in upload_operation["requestBody"]["content"]
    assert "202" in upload_operation["responses"]
    by_id = paths["/api/workforce/dsn-imports/{import_id}"]
    assert {"get", "delete"} <= set(by_id)
    reference = by_id["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    state = document["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]
    assert {"status", "processed_rows", "total_rows", "error_rows", "summary", "failure"} <= set(state)
    assert "get" in paths["/api/workforce/dsn-imports/{import_id}/preview"]
    assert "202" in paths["/api/workforce/dsn-imports/{import_id}/apply"]["post"]["responses"]


def test_a_preview_left_unapplied_for_seven_days_has_its_sealed_files_and_rows_erased(company):
    service = company
    import_id = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, people(2))))
    assert staged(service, import_id).content_sealed != b""  # kept sealed while the preview needs it
    with service.portal.db.session_factory() as session:
        record = session.get(EmployeeImport, import_id)
        record.updated_at -= timedelta(days=8)
        session.commit()
    assert import_service.expire_abandoned(service.portal) == 1
    record = staged(service, import_id)
    assert (record.status, record.content_sealed) == ("cancelled", b"")
    assert "non confirmé dans les 7 jours" in record.failure
    assert preview_count(service, import_id) == 0
