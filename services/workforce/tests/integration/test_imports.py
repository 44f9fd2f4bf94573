"""Importing employees from a file, on PostgreSQL: pages and API, preview, all or nothing, 5,000 lines."""

import base64
import html
import io
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from portal_common.validators import nir_key
from workforce import worker
from workforce.imports import use_cases as import_service
from workforce.models import Employee, EmployeeImport, EmployeeImportRow

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
OTHER_ADMIN = make_principal(member_id=OTHER, roles=("admin",))
HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Lieu de naissance"
)
DUPONT = "Dupont;Martin;Marie Claire;F;14/08/1955;2 55 08 14 168 025 38;01/03/2024;Vendeuse;552a;CDI;oui;14118"
LEFEVRE = "Lefèvre;;Élodie;F;01/10/1995;295109912611193;01/03/2024;Boulangère;;CDD;non;99350"
BERNARD = "Bernard;;Luc;M;10/02/1986;186022A21532523;01/03/2024;Livreur;;Intérim;non;2A004"
CLEAR_NIRS = ("255081416802538", "295109912611193", "186022A21532523")


def csv_file(*lines: str, encoding: str = "cp1252") -> bytes:
    return "\r\n".join((HEADER, *lines)).encode(encoding)


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def upload_page(service, content: bytes, name: str = "salaries.csv", principal=ADMIN):
    client, headers = service.client(), service.headers(principal)
    token = token_of(client.get("/salaries/import", headers=headers))
    return client.post(
        "/salaries/import",
        headers=headers,
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
    )


def import_id_of(response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def choose_guessed_columns(service, import_id: str, principal=ADMIN, **changes):
    client, headers = service.client(), service.headers(principal)
    page = client.get(f"/salaries/import/{import_id}", headers=headers)
    with service.app.app_context():
        staged = import_service.get_import(service.portal, import_id, None)
        form = {f"col-{name}": str(column) for name, column in staged.mapping.items()}
    form.update(changes, csrf_token=token_of(page))
    return client.post(f"/salaries/import/{import_id}/colonnes", data=form, headers=headers)


def employees(service) -> list[Employee]:
    with service.portal.db.session_factory() as session:
        return list(session.scalars(select(Employee).order_by(Employee.last_name)))


def staged_import(service, import_id: str) -> EmployeeImport:
    with service.portal.db.session_factory() as session:
        return session.get(EmployeeImport, import_id)


def test_an_upload_shows_the_guessed_columns_and_a_preview_with_the_nir_masked(service):
    import_id = import_id_of(upload_page(service, csv_file(DUPONT, LEFEVRE)))
    page = service.client().get(f"/salaries/import/{import_id}", headers=service.headers(ADMIN))
    assert page.status_code == 200 and "Correspondance des colonnes" in page.text
    assert '<option value="5" selected>Colonne 6 : N° de sécurité sociale' in page.text
    assert "2 55 08 ** *** *** 38" in page.text and "Élodie" in page.text  # Windows-1252 read right
    for nir in CLEAR_NIRS:
        assert nir not in page.text
    assert employees(service) == [] and service.events() == []
    with service.portal.db.session_factory() as session:
        stored = session.execute(select(EmployeeImport.content_sealed, EmployeeImport.header)).one()
    assert b"255081416802538" not in stored.content_sealed and b"Dupont" not in stored.content_sealed


def test_a_file_with_bad_rows_lists_each_rows_errors_and_writes_nothing(service):
    bad = "Durand;;;F;31/02/1980;255081416802539;01/03/2024;Vendeuse;;CDI;non;14118"
    import_id = import_id_of(upload_page(service, csv_file(DUPONT, bad, LEFEVRE)))
    assert choose_guessed_columns(service, import_id).status_code == 302
    page = service.client().get(f"/salaries/import/{import_id}", headers=service.headers(ADMIN))
    assert "1 ligne en erreur" in page.text and "aucun salarié ne sera ajouté" in page.text
    assert "<strong>Prénoms</strong> : Le prénom est obligatoire." in page.text
    assert (
        "<strong>Date de naissance</strong> : Date de naissance illisible : écrivez-la jj/mm/aaaa, par exemple "
        "22/03/1970."
    ) in page.text
    assert "<strong>N° de sécurité sociale</strong> : La clé du numéro de sécurité sociale est incorrecte" in page.text
    # The refused line shows its number masked, so the user can find it in the file; never in clear.
    assert "2 55 08 ** *** *** 39" in page.text and "255081416802539" not in page.text
    assert "Confirmer l'ajout" not in page.text
    token = token_of(page)
    refused = service.client().post(
        f"/salaries/import/{import_id}/confirmer",
        data={"csrf_token": token},
        headers=service.headers(ADMIN),
        follow_redirects=True,
    )
    assert "1 ligne en erreur : corrigez le fichier et importez-le à nouveau." in refused.text
    assert employees(service) == [] and service.events() == []
    assert "255081416802539" not in page.text
    # The columns can be chosen again from the preview.
    again = service.client().get(f"/salaries/import/{import_id}/colonnes", headers=service.headers(ADMIN))
    assert again.status_code == 200 and '<option value="5" selected>Colonne 6 : N° de sécurité sociale' in again.text


def test_columns_posted_for_an_abandoned_import_lead_back_to_its_page_in_french(service):
    """Found by the access matrix (security.md AZ-01): a second tab's columns form after « Abandonner » answered 500."""
    import_id = import_id_of(upload_page(service, csv_file(DUPONT)))
    client, headers = service.client(), service.headers(ADMIN)
    token = token_of(client.get(f"/salaries/import/{import_id}", headers=headers))
    assert (
        client.post(f"/salaries/import/{import_id}/abandonner", data={"csrf_token": token}, headers=headers).status_code
        == 302
    )
    late = client.post(f"/salaries/import/{import_id}/colonnes", data={"csrf_token": token}, headers=headers)
    assert late.status_code == 302 and late.headers["Location"] == f"/salaries/import/{import_id}"
    shown = client.get(late.headers["Location"], headers=headers)
    assert shown.status_code == 200 and "Cet import a été abandonné." in shown.text


def test_a_confirmed_import_hires_everyone_in_one_go_with_a_hired_event_each(service):
    import_id = import_id_of(upload_page(service, csv_file(DUPONT, LEFEVRE, BERNARD)))
    choose_guessed_columns(service, import_id)
    client, headers = service.client(), service.headers(ADMIN)
    preview = client.get(f"/salaries/import/{import_id}", headers=headers)
    assert "Confirmer l'ajout de 3 salariés" in preview.text
    done = client.post(
        f"/salaries/import/{import_id}/confirmer",
        data={"csrf_token": token_of(preview)},
        headers=headers,
        follow_redirects=True,
    )
    assert "3 salariés ajoutés à la liste." in done.text
    hired = employees(service)
    assert [(e.last_name, e.birth_name, e.contract, e.multi_employer) for e in hired] == [
        ("BERNARD", "BERNARD", "interim", False),
        ("DUPONT", "MARTIN", "CDI", True),
        ("LEFÈVRE", "LEFÈVRE", "CDD", False),
    ]
    assert {e.nir_masked for e in hired} == {"2 55 08 ** *** *** 38", "2 95 10 ** *** *** 93", "1 86 02 ** *** *** 23"}
    events = service.events()
    assert sorted(e.subject for e in events) == sorted(e.id for e in hired)
    for event in events:
        catalogue.validate(event)
        assert event.type == "workforce.employee.hired.v1" and event.member_id == COMPANY
        assert not any(nir in event.to_json() for nir in CLEAR_NIRS)
    staged = staged_import(service, import_id)
    assert (staged.status, staged.imported_rows, staged.content_sealed) == ("done", 3, b"")
    # Confirming twice adds nobody.
    again = client.post(
        f"/salaries/import/{import_id}/confirmer",
        data={"csrf_token": token_of(preview)},
        headers=headers,
        follow_redirects=True,
    )
    assert "Cet import est terminé." in again.text and len(employees(service)) == 3


def test_probable_duplicates_are_flagged_and_must_be_acknowledged(service):
    client, headers = service.client(), service.headers(ADMIN)
    client.post(
        "/api/workforce/employees",
        headers=headers,
        json={
            "last_name": "Dupont",
            "birth_name": "Martin",
            "first_names": "Marie Claire",
            "sex": "F",
            "birth_date": "1955-08-14",
            "nir": "255081416802538",
            "hire_date": "2020-01-06",
            "post": "Vendeuse",
            "contract": "CDI",
            "birth_commune": "14118",
        },
    )
    homonym = "Dupont;Martin;Marie Claire;F;14/08/1955;1 55 08 14 168 025 88;01/03/2024;Vendeuse;552a;CDI;oui;14118"
    import_id = import_id_of(upload_page(service, csv_file(homonym, DUPONT)))
    choose_guessed_columns(service, import_id)
    preview = client.get(f"/salaries/import/{import_id}", headers=headers)
    text = html.unescape(preview.text)
    # The same NIR as a present employee is refused as on the hire form; the same name is only flagged.
    assert (
        "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale (DUPONT Marie Claire)." in text
    )
    assert "Doublon probable : Même nom de naissance, prénoms et date de naissance que DUPONT Marie Claire" in text
    token = token_of(preview)
    cancelled = client.post(f"/salaries/import/{import_id}/abandonner", data={"csrf_token": token}, headers=headers)
    assert cancelled.status_code == 302 and staged_import(service, import_id).status == "cancelled"

    import_id = import_id_of(upload_page(service, csv_file(homonym, LEFEVRE)))
    choose_guessed_columns(service, import_id)
    preview = client.get(f"/salaries/import/{import_id}", headers=headers)
    assert 'name="duplicates_acknowledged"' in preview.text
    unacknowledged = client.post(
        f"/salaries/import/{import_id}/confirmer", data={"csrf_token": token_of(preview)}, headers=headers
    )
    assert unacknowledged.status_code == 422
    assert (
        'id="f-duplicates_acknowledged-error">Vérifiez les doublons probables signalés, puis cochez la case pour '
        "confirmer l'import."
    ) in html.unescape(unacknowledged.text)
    assert len(employees(service)) == 1
    client.post(
        f"/salaries/import/{import_id}/confirmer",
        headers=headers,
        data={"csrf_token": token_of(preview), "duplicates_acknowledged": "on"},
    )
    assert len(employees(service)) == 3


def test_the_columns_can_be_changed_and_a_missing_mandatory_one_is_reported_on_its_field(service):
    import_id = import_id_of(upload_page(service, csv_file(DUPONT)))
    response = choose_guessed_columns(service, import_id, **{"col-post": "", "col-birth_name": "0"})
    assert response.status_code == 422
    assert 'id="col-post-error">Choisissez la colonne « Poste de travail » : ce champ est obligatoire.' in response.text
    assert 'id="col-birth_name-error">Cette colonne est déjà choisie pour « Nom d\'usage »' in html.unescape(
        response.text
    )
    assert staged_import(service, import_id).status == "mapping"


def test_an_unreadable_file_gets_its_french_message_next_to_the_field(service):
    response = upload_page(service, b"\xd0\xcf\x11\xe0" + b"\x00" * 100, name="salaries.xls")
    assert response.status_code == 422
    assert "id=\"f-file-error\">L'ancien format Excel (.xls) n'est pas lu" in html.unescape(response.text)
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(EmployeeImport)) == 0


def test_an_import_changed_under_it_between_preview_and_confirmation_writes_nothing(service):
    client, headers = service.client(), service.headers(ADMIN)
    import_id = import_id_of(upload_page(service, csv_file(DUPONT, LEFEVRE)))
    choose_guessed_columns(service, import_id)
    preview = client.get(f"/salaries/import/{import_id}", headers=headers)
    # Meanwhile someone hires Élodie Lefèvre by hand: the import must not add her twice, nor Dupont alone.
    assert (
        client.post(
            "/api/workforce/employees",
            headers=headers,
            json={
                "last_name": "Lefèvre",
                "first_names": "Élodie",
                "sex": "F",
                "birth_date": "1995-10-01",
                "nir": "295109912611193",
                "hire_date": "2024-03-01",
                "post": "Boulangère",
                "contract": "CDD",
                "birth_country": "Maroc",
            },
        ).status_code
        == 201
    )
    after = client.post(
        f"/salaries/import/{import_id}/confirmer",
        data={"csrf_token": token_of(preview)},
        headers=headers,
        follow_redirects=True,
    )
    assert "La liste des salariés a changé depuis la vérification" in html.unescape(after.text)
    assert "1 ligne en erreur" in after.text
    assert [e.last_name for e in employees(service)] == ["LEFÈVRE"] and len(service.events()) == 1


def test_an_import_belongs_to_its_company_and_to_its_editors(service):
    import_id = import_id_of(upload_page(service, csv_file(DUPONT)))
    client = service.client()
    other, reader = service.headers(OTHER_ADMIN), service.headers(READER)
    token = token_of(client.get("/salaries/import", headers=other))
    for path in ("", "/colonnes"):
        assert client.get(f"/salaries/import/{import_id}{path}", headers=other).status_code == 404
    for action in ("colonnes", "confirmer", "abandonner"):
        assert (
            client.post(f"/salaries/import/{import_id}/{action}", data={"csrf_token": token}, headers=other).status_code
            == 404
        )
    assert client.get(f"/salaries/import/{import_id}", headers=reader).status_code == 403
    assert client.get("/salaries/import", headers=reader).status_code == 403
    for method, path in (("get", ""), ("delete", ""), ("get", "/rows")):
        assert getattr(client, method)(f"/api/workforce/imports/{import_id}{path}", headers=other).status_code == 404
    assert (
        client.put(f"/api/workforce/imports/{import_id}/mapping", json={"mapping": {}}, headers=other).status_code
        == 404
    )
    assert client.post(f"/api/workforce/imports/{import_id}/confirm", json={}, headers=other).status_code == 404
    assert "salaries.csv" not in client.get("/salaries/import", headers=other).text
    assert staged_import(service, import_id).status == "mapping"


def api_upload(service, content: bytes, name: str, principal=ADMIN):
    return service.client().post(
        "/api/workforce/imports",
        headers=service.headers(principal),
        json={"file_name": name, "content_base64": base64.b64encode(content).decode()},
    )


def test_payroll_software_imports_an_xlsx_file_through_the_api(service):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "Nom",
            "Prénom",
            "Sexe",
            "Date de naissance",
            "NIR",
            "Date d'embauche",
            "Emploi",
            "Contrat",
            "Commune de naissance",
        ]
    )
    sheet.append(
        ["Bernard", "Luc", "M", date(1986, 2, 10), "186022A21532523", date(2024, 3, 1), "Livreur", "CDI", "2A004"]
    )
    sheet.append(["Petit", "Léa", "F", date(2015, 1, 1), "255081416802538", date(2024, 3, 1), "Vendeuse", "CDI", 14118])
    out = io.BytesIO()
    workbook.save(out)
    client, headers = service.client(), service.headers(ADMIN)
    created = api_upload(service, out.getvalue(), "paie.xlsx")
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["status"], body["file_format"], body["total_rows"]) == ("mapping", "xlsx", 2)
    assert body["mapping"] == {
        "last_name": 0,
        "first_names": 1,
        "sex": 2,
        "birth_date": 3,
        "nir": 4,
        "hire_date": 5,
        "post": 6,
        "contract": 7,
        "birth_commune": 8,
    }
    checked = client.put(
        f"/api/workforce/imports/{body['id']}/mapping", json={"mapping": body["mapping"]}, headers=headers
    )
    assert checked.status_code == 200 and (checked.json["status"], checked.json["error_rows"]) == ("ready", 1)
    rows = client.get(f"/api/workforce/imports/{body['id']}/rows?problems_only=true", headers=headers)
    assert rows.headers["X-Total-Count"] == "1"
    assert rows.json[0]["line"] == 3 and rows.json[0]["errors"] == {
        "hire_date": "Le salarié doit avoir au moins 15 ans à l'embauche."
    }
    refused = client.post(f"/api/workforce/imports/{body['id']}/confirm", json={}, headers=headers)
    assert refused.status_code == 422 and employees(service) == []
    # The corrected file goes through.
    sheet.delete_rows(3)
    out = io.BytesIO()
    workbook.save(out)
    second = api_upload(service, out.getvalue(), "paie.xlsx").json
    client.put(f"/api/workforce/imports/{second['id']}/mapping", json={"mapping": second["mapping"]}, headers=headers)
    confirmed = client.post(f"/api/workforce/imports/{second['id']}/confirm", json={}, headers=headers)
    assert confirmed.status_code == 200 and (confirmed.json["status"], confirmed.json["imported_rows"]) == ("done", 1)
    assert [e.last_name for e in employees(service)] == ["BERNARD"]
    again = client.post(f"/api/workforce/imports/{second['id']}/confirm", json={}, headers=headers)
    assert again.status_code == 409


def test_the_api_refuses_bad_uploads_and_mappings_with_field_errors(service):
    headers = service.headers(ADMIN)
    client = service.client()
    not_base64 = client.post(
        "/api/workforce/imports", headers=headers, json={"file_name": "a.csv", "content_base64": "%%%"}
    )
    assert not_base64.status_code == 422 and "content_base64" in not_base64.json["errors"]["json"]
    empty = api_upload(service, b"\n\n", "a.csv")
    assert empty.status_code == 422 and empty.json["errors"]["json"] == {"file": "Le fichier est vide."}
    created = api_upload(service, csv_file(DUPONT), "a.csv").json
    wrong = client.put(
        f"/api/workforce/imports/{created['id']}/mapping", headers=headers, json={"mapping": {"last_name": 0}}
    )
    assert wrong.status_code == 422 and "nir" in wrong.json["errors"]["json"]
    assert client.post("/api/workforce/imports", json={}, headers=service.headers(READER)).status_code == 403
    assert client.post("/api/workforce/imports", json={}).status_code == 401


def valid_nir(index: int) -> tuple[str, date]:
    birth = date(1960 + index % 40, 1 + index % 12, 1 + index % 28)
    first13 = f"{1 + index % 2}{birth.year % 100:02d}{birth.month:02d}75{100 + index // 999:03d}{index % 999 + 1:03d}"
    return f"{first13}{nir_key(first13):02d}", birth


def big_file(count: int) -> bytes:
    lines = [HEADER]
    for index in range(count):
        nir, birth = valid_nir(index)
        sex = "M" if index % 2 == 0 else "F"
        lines.append(f"Nom{index:05d};;Prénom;{sex};{birth:%d/%m/%Y};{nir};01/03/2024;Poste {index % 7};;CDI;non;75056")
    return "\n".join(lines).encode()


def test_a_5000_row_file_is_checked_and_written_by_the_worker_with_its_progress_shown(service):
    client, headers = service.client(), service.headers(ADMIN)
    created = api_upload(service, big_file(5000), "5000.csv").json
    import_id = created["id"]
    assert created["total_rows"] == 5000
    queued = client.put(
        f"/api/workforce/imports/{import_id}/mapping", json={"mapping": created["mapping"]}, headers=headers
    )
    assert (queued.status_code, queued.json["status"]) == (202, "queued")  # above the in-request size: the worker
    waiting = client.get(f"/salaries/import/{import_id}", headers=headers)
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert '<progress id="progression" max="5000" value="0">' in waiting.text
    with service.app.app_context():
        assert import_service.process_pending(service.portal) is True
    ready = client.get(f"/api/workforce/imports/{import_id}", headers=headers).json
    assert (ready["status"], ready["processed_rows"], ready["error_rows"]) == ("ready", 5000, 0)
    confirmed = client.post(f"/api/workforce/imports/{import_id}/confirm", json={}, headers=headers)
    assert (confirmed.status_code, confirmed.json["status"]) == (202, "confirmed")
    assert "Enregistrement des salariés" in client.get(f"/salaries/import/{import_id}", headers=headers).text
    with service.app.app_context():
        assert import_service.process_pending(service.portal) is True
        assert import_service.process_pending(service.portal) is False  # nothing left to do
    done = client.get(f"/api/workforce/imports/{import_id}", headers=headers).json
    assert (done["status"], done["imported_rows"]) == ("done", 5000)
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Employee)) == 5000
        assert session.scalar(select(func.count()).select_from(EmployeeImportRow)) == 0
    assert len(service.events()) == 5000
    assert client.get("/api/workforce/employees?page=1&page_size=1", headers=headers).headers["X-Total-Count"] == "5000"


def test_the_worker_thread_picks_up_a_queued_import_and_carries_on_after_it(service):
    service.app.extensions["portal"].settings  # the same app the worker builds, here in-process  # noqa: B018
    created = api_upload(service, csv_file(DUPONT, LEFEVRE), "petit.csv").json
    with service.portal.db.session_factory() as session:  # queued as a big file would be
        session.get(EmployeeImport, created["id"]).status = "queued"
        session.commit()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_imports, args=(service.app, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while staged_import(service, created["id"]).status != "ready" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert staged_import(service, created["id"]).status == "ready" and not thread.is_alive()


def test_a_file_left_unconfirmed_for_a_week_is_erased(service):
    old = import_id_of(upload_page(service, csv_file(DUPONT)))
    recent = import_id_of(upload_page(service, csv_file(LEFEVRE)))
    with service.portal.db.session_factory() as session:
        session.get(EmployeeImport, old).updated_at = datetime.now(UTC) - timedelta(days=8)
        session.commit()
    with service.app.app_context():
        assert import_service.expire_abandoned(service.portal) == 1
    erased, kept = staged_import(service, old), staged_import(service, recent)
    assert (erased.status, erased.content_sealed) == ("cancelled", b"")
    assert kept.status == "mapping" and kept.content_sealed != b""
    page = service.client().get(f"/salaries/import/{old}", headers=service.headers(ADMIN))
    assert "Cet import a été abandonné : aucun salarié n" in html.unescape(page.text)
