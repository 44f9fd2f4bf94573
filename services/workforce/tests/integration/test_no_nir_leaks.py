"""docs/security.md DP-02: after hiring, correcting, importing and exporting employees with known NIRs, a scan of the
logs, the events and every employer page, export and API answer finds no NIR, formatted or not."""

import base64
import io
import logging
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal_common.logging import JsonFormatter
from portal_common.testing import make_principal
from workforce.imports import use_cases as import_service

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
# Valid NIRs (one of Corsica) and a NIA; the last one has a wrong key, typed by mistake and refused.
NIRS = (
    "255081416802538",
    "295109912611193",
    "186022A21532523",
    "155081416802588",
    "755081416802579",
    "255081416802539",
)
# DP-02's deliberately broad pattern, with or without spaces, dots or dashes between the groups.
SEP = r"[\s.\-]?"
NIR_RE = re.compile(
    rf"(?<![0-9A-Za-z])[1-478]{SEP}[0-9]{{2}}{SEP}(?:0[1-9]|1[0-2]|[2-9][0-9]){SEP}"
    rf"(?:[0-9]{{2}}|2A|2B){SEP}[0-9]{{3}}{SEP}[0-9]{{3}}{SEP}[0-9]{{2}}(?![0-9A-Za-z])"
)
# Ids, hashes and CSRF tokens are hexadecimal: taken out first, so a run of their digits is no false alarm.
HEX_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-fA-F]{24,}")
HEADER = (
    "Nom d'usage;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;Poste de travail;"
    "Contrat;Salarié multi-employeurs;Code commune de naissance"
)


def spaced(nir: str) -> str:
    return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"


def leaks(text: str) -> list[str]:
    found = [form for nir in NIRS for form in (nir, spaced(nir), spaced(nir).replace(" ", ".")) if form in text]
    return found + NIR_RE.findall(HEX_RE.sub(" ", text))


@pytest.fixture
def log_lines():
    """Every log record of the run, formatted as the services write them (JSON with all extras)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("workforce"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = [(name, logging.getLogger(name).level) for name in ("sqlalchemy", "pika", "asyncio")]
    for name, _ in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    for name, old in quiet:
        logging.getLogger(name).setLevel(old)


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_no_nir_in_logs_events_employer_pages_exports_or_api_answers(service, log_lines):
    client, headers = service.client(), service.headers(ADMIN)
    base = {
        "sex": "F",
        "birth_date": "1955-08-14",
        "hire_date": "2024-03-01",
        "post": "Vendeuse",
        "contract": "CDI",
        "multi_employer": True,
        "birth_commune": "14118",
    }
    first = client.post(
        "/api/workforce/employees",
        headers=headers,
        json=dict(base, last_name="Dupont", birth_name="Martin", first_names="Marie", nir=spaced(NIRS[0])),
    ).json
    refused = client.post(
        "/api/workforce/employees", headers=headers, json=dict(base, last_name="Erreur", first_names="Clé", nir=NIRS[5])
    )
    assert refused.status_code == 422
    form_page = client.get("/salaries/nouveau", headers=headers)
    client.post(
        "/salaries/nouveau",
        headers=headers,
        data=dict(
            base,
            multi_employer="on",
            last_name="Lefèvre",
            first_names="Élodie",
            birth_date="1995-10-01",
            nir=NIRS[1],
            birth_commune="",
            birth_country="99126",  # Greece, as the NIR says
            csrf_token=token_of(form_page),
        ),
    )
    # A correction through its form (which shows the NIR masked only) and through the API.
    edit = client.get(f"/salaries/{first['id']}/modifier", headers=headers)
    client.post(
        f"/salaries/{first['id']}/modifier",
        headers=headers,
        data=dict(
            base,
            last_name="Dupont",
            birth_name="Martin",
            first_names="Marie Claire",
            nir=NIRS[0],
            version="1",
            csrf_token=token_of(edit),
        ),
    )
    client.put(
        f"/api/workforce/employees/{first['id']}",
        headers={**headers, "If-Match": '"2"'},
        json=dict(base, last_name="Dupont", birth_name="Martin", first_names="Marie Claire", nir=NIRS[0]),
    )
    client.post(
        f"/api/workforce/employees/{first['id']}/post-changes",
        headers=headers,
        json={"post": "Responsable", "from_date": "2025-01-06"},
    )
    # An import through the pages, one through the API (written by the worker's code), one with a bad key.
    lines = [
        HEADER,
        f"Bernard;Luc;M;10/02/1986;{spaced(NIRS[2])};01/03/2024;Livreur;CDI;oui;2A004",
        f"Martin;Paul;M;14/08/1955;{NIRS[3]};01/03/2024;Vendeur;CDD;non;14118",
    ]
    page_import = client.post(
        "/salaries/import",
        headers=headers,
        content_type="multipart/form-data",
        data={
            "csrf_token": token_of(client.get("/salaries/import", headers=headers)),
            "file": (io.BytesIO("\n".join(lines).encode("cp1252")), f"salaries {NIRS[2]}.csv"),
        },
    )
    page_id = page_import.headers["Location"].rsplit("/", 1)[1]
    with service.app.app_context():
        mapping = import_service.get_import(service.portal, page_id, None).mapping
    mapping_page = client.get(f"/salaries/import/{page_id}", headers=headers)
    client.post(
        f"/salaries/import/{page_id}/colonnes",
        headers=headers,
        data={**{f"col-{k}": str(v) for k, v in mapping.items()}, "csrf_token": token_of(mapping_page)},
    )
    preview = client.get(f"/salaries/import/{page_id}?lignes=toutes", headers=headers)
    client.post(f"/salaries/import/{page_id}/confirmer", headers=headers, data={"csrf_token": token_of(preview)})
    nia = "\n".join([HEADER, f"Petit;Léa;F;14/08/1955;{NIRS[4]};01/03/2024;Vendeuse;CDI;non;14118"]).encode()
    api_import = client.post(
        "/api/workforce/imports",
        headers=headers,
        json={"file_name": "paie.csv", "content_base64": base64.b64encode(nia).decode()},
    ).json
    client.put(
        f"/api/workforce/imports/{api_import['id']}/mapping", headers=headers, json={"mapping": api_import["mapping"]}
    )
    client.post(f"/api/workforce/imports/{api_import['id']}/confirm", headers=headers, json={})
    bad = "\n".join([HEADER, f"Faux;Jean;M;14/08/1955;{NIRS[5]};01/03/2024;Vendeur;CDI;non;14118"]).encode()
    bad_import = client.post(
        "/api/workforce/imports",
        headers=headers,
        json={"file_name": "faux.csv", "content_base64": base64.b64encode(bad).decode()},
    ).json
    client.put(
        f"/api/workforce/imports/{bad_import['id']}/mapping", headers=headers, json={"mapping": bad_import["mapping"]}
    )
    people = client.get("/api/workforce/employees?status=all", headers=headers).json
    assert len(people) == 5, people

    reader = service.headers(READER)
    answers = {}
    for path in (
        "/salaries",
        "/salaries?status=all",
        "/salaries/impression",
        "/salaries/controle",
        "/salaries/effectifs",
        "/salaries/multi-employeurs",
        "/salaries/export.csv",
        "/salaries/multi-employeurs/export.csv",
        "/api/workforce/employees?status=all",
        *(f"/salaries/{p['id']}" for p in people),
        *(f"/api/workforce/employees/{p['id']}" for p in people),
        f"/api/workforce/employees/{first['id']}/history",
    ):
        response = client.get(path, headers=reader)
        assert response.status_code == 200, path
        answers[path] = response.get_data(as_text=True)
    # Searches by NIR: the page's form posts it, the API takes it in the body; a crafted list address is refused.
    by_page = client.post(
        "/salaries/recherche",
        headers=reader,
        data={"q": spaced(NIRS[1]), "csrf_token": token_of(client.get("/salaries", headers=reader))},
    )
    assert by_page.status_code == 303
    answers["POST /salaries/recherche"] = by_page.headers["Location"] + by_page.get_data(as_text=True)
    by_api = client.post("/api/workforce/employees/search", headers=reader, json={"nir": NIRS[1]})
    assert by_api.status_code == 200 and len(by_api.json) == 1
    answers["POST /api/workforce/employees/search"] = by_api.get_data(as_text=True)
    crafted = client.get(f"/salaries?q={NIRS[1]}", headers=reader)
    assert crafted.status_code == 422
    answers["/salaries?q=…"] = crafted.get_data(as_text=True)
    for path in (
        f"/salaries/import/{page_id}",
        "/salaries/import",
        f"/salaries/import/{bad_import['id']}",
        f"/salaries/import/{bad_import['id']}?lignes=toutes",
        f"/api/workforce/imports/{page_id}",
        f"/api/workforce/imports/{bad_import['id']}",
        f"/api/workforce/imports/{bad_import['id']}/rows",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        answers[path] = response.get_data(as_text=True)
    for path in ("/salaries/export.xlsx", "/salaries/multi-employeurs/export.xlsx"):
        sheet = load_workbook(io.BytesIO(client.get(path, headers=reader).data)).active
        answers[path] = "\n".join(
            ";".join(str(v) for v in row if v is not None) for row in sheet.iter_rows(values_only=True)
        )
    assert "1 86 02 ** *** *** 23" in answers["/salaries/export.csv"]  # the masked form is there instead
    assert "La clé du numéro de sécurité sociale est incorrecte" in answers[f"/salaries/import/{bad_import['id']}"]

    # The scan does find a NIR where one is (the clear text of a revealed number), and none on the correction form.
    assert leaks(f"... {spaced(NIRS[0])} ...") != []
    assert leaks(edit.get_data(as_text=True)) == []
    found = {path: leaks(text) for path, text in answers.items() if leaks(text)}
    assert found == {}
    outbox = service.portal.outbox.table
    with service.portal.db.session_factory() as session:
        bodies = list(session.scalars(select(outbox.c.body)))
    assert len(bodies) >= 7  # hires, corrections, post change, imports
    assert [leaks(body) for body in bodies if leaks(body)] == []
    logged = log_lines.getvalue()
    assert "employee import written" in logged
    assert logged.count("employees searched by NIR") == 2
    assert leaks(logged) == []
