"""Keeping the employee list from the monthly DSN, on PostgreSQL: upload (API and pages), the worker's reading
and preview, one all-or-nothing apply with the manual forms' events, and bad files refused line by line."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.dsn_factory import Establishment, dsn_bytes, dsn_text, people
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from workforce.dsn import use_cases as dsn_service
from workforce.imports import use_cases as import_service
from workforce.models import Employee, EmployeeImport, EmployeeImportRow, MemberDirectoryEntry

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SIREN, NIC = "732829320", "00074"
# Payroll software calls the API with a token (the session_ref the gateway gives a token's principal).
ADMIN = make_principal(member_id=COMPANY, roles=("admin",), session_ref="token:payroll-software")
OTHER_ADMIN = make_principal(member_id=OTHER, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture
def company(service):
    with service.portal.uow() as tx:
        for member_id, number, siret in ((COMPANY, "1000001", SIREN + NIC), (OTHER, "1000003", "55210055400013")):
            tx.session.add(
                MemberDirectoryEntry(
                    member_id=member_id, member_number=number, name="Boulangerie Martin", siret=siret,
                    status="active", version=1,
                )
            )  # fmt: skip
        tx.commit()
    return service


def upload(service, *files: tuple[str, bytes], principal=ADMIN, **headers):
    client = service.client()
    return client.post(
        "/api/workforce/dsn-imports",
        headers=service.headers(principal) | headers,
        content_type="multipart/form-data",
        data={"files": [(io.BytesIO(raw), name) for name, raw in files]},
    )


def work(service) -> None:
    """What the workforce worker does: every queued step until none is left."""
    with service.app.app_context():
        while import_service.process_pending(service.portal):
            pass


def status(service, import_id: str, principal=ADMIN) -> dict:
    answer = service.client().get(f"/api/workforce/dsn-imports/{import_id}", headers=service.headers(principal))
    assert answer.status_code == 200, answer.text
    return answer.json


def preview(service, import_id: str) -> list[dict]:
    answer = service.client().get(
        f"/api/workforce/dsn-imports/{import_id}/preview?page_size=1000", headers=service.headers(ADMIN)
    )
    assert answer.status_code == 200, answer.text
    return answer.json


def apply(service, import_id: str):
    return service.client().post(f"/api/workforce/dsn-imports/{import_id}/apply", headers=service.headers(ADMIN))


def employees(service) -> list[Employee]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Employee).order_by(Employee.last_name, Employee.first_names)))


def staged(service, import_id: str) -> EmployeeImport:
    with service.portal.db.session_factory() as session:
        return session.get(EmployeeImport, import_id)


def imported(service, *files) -> str:
    answer = upload(service, *files)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == f"/api/workforce/dsn-imports/{answer.json['id']}"
    work(service)
    return answer.json["id"]


def test_payroll_software_uploads_a_dsn_polls_its_status_reads_the_preview_and_applies_it(company):
    service = company
    staff = people(4)
    staff[3].end, staff[3].end_reason = date(2026, 3, 20), "031"  # hired and gone within the files' history
    answer = upload(service, ("dsn_2026_03.txt", dsn_bytes(SIREN, NIC, MARCH, staff)))
    assert answer.status_code == 202 and answer.json["status"] == "received"
    import_id = answer.json["id"]
    work(service)
    state = status(service, import_id)
    assert (state["status"], state["error_rows"]) == ("ready", 0)
    assert state["summary"]["hire"] == 4 and state["summary"]["exit"] == 1
    rows = preview(service, import_id)
    assert [row["actions"] for row in rows] == [["hire"], ["hire"], ["hire"], ["hire", "exit"]]
    assert rows[0]["file"] == "dsn_2026_03.txt" and rows[0]["line"] > 20
    assert rows[0][
        "nir_masked"
    ] == f"{staff[0].nir[0]} {staff[0].nir[1:3]} {staff[0].nir[3:5]} ** *** *** {staff[0].nir[13:]}" and staff[
        0
    ].nir not in str(rows)
    assert employees(service) == []  # nothing written before the apply
    applied = apply(service, import_id)
    assert applied.status_code == 202 and applied.json["status"] == "confirmed"
    work(service)
    state = status(service, import_id)
    assert (state["status"], state["changed_employees"]) == ("done", 4)
    listed = employees(service)
    assert len(listed) == 4
    gone = next(e for e in listed if e.exit_date is not None)
    assert (gone.exit_date, gone.exit_reason) == (date(2026, 3, 20), "fin_cdd")
    first = next(e for e in listed if e.first_names == staff[0].first_names and e.birth_date == staff[0].birth_date)
    assert (first.post, first.pcs_code, first.contract) == (staff[0].job_label, staff[0].pcs_code, "CDI")
    assert first.birth_commune == staff[0].nir[5:10]
    events = service.events()
    assert sorted(e.type for e in events) == ["workforce.employee.exited.v1"] + ["workforce.employee.hired.v1"] * 4
    for event in events:
        catalogue.validate(event)
        assert not any(person.nir in event.to_json() or person.nir[:13] in event.to_json() for person in staff)
    record = staged(service, import_id)
    assert record.content_sealed == b""  # the files are erased once applied
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).where(EmployeeImportRow.import_id == import_id)) == 0


def test_the_next_months_dsn_exits_changes_posts_and_corrects_names_without_duplicating_anyone(company):
    service = company
    staff = people(5)
    first = imported(service, ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff)))
    assert apply(service, first).status_code == 202
    work(service)
    hired = {event.id for event in service.events()}
    april = [
        staff[0].but(end=date(2026, 4, 10), end_reason="059"),  # resigned
        staff[1].but(pcs_code="621a", job_label="Chef d'équipe"),  # new post
        staff[2].but(family_name="DUPUIS-" + staff[2].family_name),  # name corrected
        staff[3],  # unchanged
    ]  # staff[4] is missing from April: listed as absent, never exited
    second = imported(service, ("avril.dsn", dsn_bytes(SIREN, NIC, APRIL, april)))
    state = status(service, second)
    assert {k: v for k, v in state["summary"].items() if v} == {
        "exit": 1,
        "post_change": 1,
        "identity": 1,
        "unchanged": 1,
        "absent": 1,
    }
    rows = {tuple(row["actions"]): row for row in preview(service, second)}
    assert "Chef d'équipe (621a) à partir du 01/04/2026" in rows[("post_change",)]["changes"]["Poste"]
    assert "DUPUIS-" in rows[("identity",)]["changes"]["Nom de naissance"]
    assert "absent de la DSN de 04/2026" in rows[("absent",)]["warnings"][0]
    assert apply(service, second).status_code == 202
    work(service)
    assert status(service, second)["changed_employees"] == 3
    listed = employees(service)
    assert len(listed) == 5  # matched by NIR, never duplicated
    by_birth = {e.birth_date: e for e in listed}
    assert by_birth[staff[0].birth_date].exit_reason == "demission"
    assert (by_birth[staff[1].birth_date].post, by_birth[staff[1].birth_date].post_since) == ("Chef d'équipe", APRIL)
    assert by_birth[staff[2].birth_date].birth_name.startswith("DUPUIS-")
    assert by_birth[staff[4].birth_date].exit_date is None
    types = sorted(e.type for e in service.events() if e.id not in hired)
    assert types == [
        "workforce.employee.exited.v1",
        "workforce.employee.post_changed.v1",
        "workforce.employee.updated.v1",
        "workforce.employee.updated.v1",
    ]


def test_several_months_and_establishments_in_one_upload_the_latest_month_wins(company):
    service = company
    staff = people(3)
    march = dsn_text(SIREN, [Establishment(NIC, staff), Establishment("00099", people(2, first=50))], MARCH)
    april = dsn_bytes(SIREN, NIC, APRIL, [staff[0].but(job_label="Caissière", pcs_code="552a"), staff[1]])
    # Uploaded out of order: April is still the month that counts.
    import_id = imported(service, ("avril.dsn", april), ("mars.dsn", march.encode("iso-8859-1")))
    rows = preview(service, import_id)
    ignored = [row for row in rows if row["actions"] == ["ignored"] and row["file"] == "mars.dsn"]
    assert len(ignored) == 1 and "Établissement 73282932000099" in ignored[0]["warnings"][0]
    hires = [row for row in rows if row["actions"] == ["hire"]]
    assert len(hires) == 3
    assert {row["file"] for row in hires} == {"avril.dsn", "mars.dsn"}  # staff[2] is only in March
    assert any("Caissière" in row["changes"]["Embauche"] for row in hires)
    assert apply(service, import_id).status_code == 202
    work(service)
    assert len(employees(service)) == 3


def test_a_dsn_of_another_company_is_refused_line_by_line_and_cannot_be_applied(company):
    service = company
    import_id = imported(service, ("autre.dsn", dsn_bytes("552100554", "00013", MARCH, people(2))))
    state = status(service, import_id)
    assert state["error_rows"] == 1
    [row] = [row for row in preview(service, import_id) if row["errors"]]
    assert row["errors"]["siren"].startswith("Cette DSN est celle d'une autre entreprise (SIREN 552100554)")
    assert (row["file"], row["line"]) == ("autre.dsn", 17)
    refused = apply(service, import_id)
    assert refused.status_code == 409 and refused.json["reason"] == "dsn_import_not_applicable"
    assert "1 ligne en erreur" in refused.json["message"]
    assert employees(service) == [] and service.events() == []


def test_a_truncated_file_a_bad_nir_key_and_an_end_before_its_start_are_each_listed_with_their_line(company):
    service = company
    staff = people(3)
    staff[1].end = date(2001, 1, 1)  # before its start
    text = dsn_text(SIREN, [Establishment(NIC, staff)], MARCH, nir_with_key=True)
    bad_key = staff[0].nir[:13] + f"{(int(staff[0].nir[13:]) + 1) % 97:02d}"
    text = text.replace(staff[0].nir, bad_key)
    text = text.replace("S21.G00.40.001,", "S21.G00.30.099,'ignorée'\nS21.G00.40.001,", 1)  # an unknown rubric
    full = imported(service, ("mars.dsn", text.encode("iso-8859-1")))
    rows = [row for row in preview(service, full) if row["errors"]]
    lines = text.splitlines()
    nir_line = next(i for i, line in enumerate(lines, start=1) if bad_key in line)
    end_line = next(i for i, line in enumerate(lines, start=1) if line.startswith("S21.G00.62.001"))
    found = {(row["line"], " ".join(row["errors"].values())) for row in rows}
    assert (nir_line, "La clé du numéro de sécurité sociale est incorrecte.") in found
    assert any(line == end_line and "précède son début" in message for line, message in found)
    assert not any("S21.G00.30.099" in message for _, message in found)  # unknown rubrics are ignored
    assert "Fichier incomplet" in " ".join(message for _, message in found)  # one rubric more than announced
    truncated = imported(service, ("tronque.dsn", dsn_bytes(SIREN, NIC, MARCH, people(3), truncate=True)))
    messages = [" ".join(row["errors"].values()) for row in preview(service, truncated) if row["errors"]]
    assert any(message.startswith("Fichier tronqué : la rubrique de fin S90.G00.90.001 manque") for message in messages)
    for import_id in (full, truncated):
        assert apply(service, import_id).status_code == 409
    assert employees(service) == []


def test_a_file_in_another_encoding_or_not_a_dsn_is_refused_in_french_and_erased(company):
    service = company
    text = dsn_text(SIREN, [Establishment(NIC, people(2))], MARCH)
    utf16 = imported(service, ("mars.dsn", text.encode("utf-16")))
    state = status(service, utf16)
    assert state["status"] == "refused" and "UTF-16" in state["failure"]
    cp1252 = imported(
        service, ("mars.dsn", text.replace("ÉPOUSE", "Œ").encode("cp1252", errors="replace") + "’".encode("cp1252"))
    )
    state = status(service, cp1252)
    assert state["status"] == "refused" and "ni en UTF-8 ni en ISO-8859-1" in state["failure"]
    csv = imported(service, ("salaries.csv", b"Nom;Prenom\nDupont;Marie\n"))
    assert "ce n'est pas une DSN" in status(service, csv)["failure"]
    assert all(staged(service, i).content_sealed == b"" for i in (utf16, cp1252, csv))


def test_an_upload_belongs_to_its_company_is_idempotent_and_needs_a_file(company):
    service = company
    raw = dsn_bytes(SIREN, NIC, MARCH, people(1))
    first = upload(service, ("mars.dsn", raw), **{"Idempotency-Key": "dsn-mars-1"})
    again = upload(service, ("mars.dsn", raw), **{"Idempotency-Key": "dsn-mars-1"})
    assert first.status_code == again.status_code == 202
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    client = service.client()
    other = client.get(f"/api/workforce/dsn-imports/{first.json['id']}", headers=service.headers(OTHER_ADMIN))
    assert other.status_code == 404
    reader = client.get(f"/api/workforce/dsn-imports/{first.json['id']}", headers=service.headers(READER))
    assert reader.status_code == 403
    # A CSV import's routes do not reach a DSN import.
    assert client.get(f"/api/workforce/imports/{first.json['id']}", headers=service.headers(ADMIN)).status_code == 404
    empty = upload(service)
    assert empty.status_code == 422 and "Choisissez" in empty.json["errors"]["json"]["files"]
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(EmployeeImport)) == 1


def test_the_pages_upload_preview_apply_and_abandon(company):
    service = company
    client, headers = service.client(), service.headers(ADMIN)
    form = client.get("/salaries/dsn", headers=headers)
    assert form.status_code == 200 and "Importer la DSN" in form.text
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    missing = client.post("/salaries/dsn", headers=headers, data={"csrf_token": token})
    assert missing.status_code == 422 and "Choisissez le ou les fichiers DSN" in missing.text
    sent = client.post(
        "/salaries/dsn",
        headers=headers,
        content_type="multipart/form-data",
        data={"csrf_token": token, "files": [(io.BytesIO(dsn_bytes(SIREN, NIC, MARCH, people(2))), "mars.dsn")]},
    )
    assert sent.status_code == 302
    page_url = sent.headers["Location"]
    waiting = client.get(page_url, headers=headers)
    assert 'http-equiv="refresh"' in waiting.text
    work(service)
    shown = client.get(page_url, headers=headers)
    assert "Importer la DSN : aperçu" in shown.text and "Embauche : 2" in shown.text
    token = shown.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(f"{page_url}/appliquer", headers=headers, data={"csrf_token": token})
    work(service)
    done = client.get(page_url, headers=headers)
    assert "La DSN est appliquée : 2 salariés mis à jour dans la liste." in done.text
    # Another upload, abandoned: its files are erased and nothing changes.
    other = dsn_service.stage(
        service.portal, COMPANY, [("avril.dsn", dsn_bytes(SIREN, NIC, APRIL, people(1, first=9)))], actor="u"
    )
    work(service)
    shown = client.get(f"/salaries/dsn/{other.id}", headers=headers)
    token = shown.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post(f"/salaries/dsn/{other.id}/abandonner", headers=headers, data={"csrf_token": token})
    assert staged(service, other.id).status == "cancelled" and staged(service, other.id).content_sealed == b""
    assert len(employees(service)) == 2
