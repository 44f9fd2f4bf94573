"""docs/security.md VAL-04 through the pages and the API: a zip bomb, a million blank rows and ten thousand
columns are refused in French before parsing (nothing staged), and a big file is never parsed in the request:
it is queued, read by the worker within the same bounds, and refused there in French when it passes one."""

import base64
import html
import io
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal_common.testing import make_principal
from workforce.imports import rules as import_rules
from workforce.imports import use_cases as import_service
from workforce.imports import workbook
from workforce.models import EmployeeImport

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
SHEET = "xl/worksheets/sheet1.xml"
HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HEADER = (
    "Nom d'usage;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;Poste de travail;Contrat;"
    "Code commune de naissance"
)
DUPONT = "Dupont;Marie;F;14/08/1955;255081416802538;01/03/2024;Vendeuse;CDI;14118"
LINES_REFUSAL = (
    "Le fichier dépasse 25\u202f000 lignes, lignes vides comprises : supprimez les lignes vides ou découpez-le en "
    "plusieurs fichiers."
)
COLUMNS_REFUSAL = "Le fichier compte plus de 60 colonnes : gardez celles des salariés."


def xlsx(sheet_xml: str | None = None, *, extra: dict[str, bytes] | None = None) -> bytes:
    book = Workbook()
    book.active.append(["Nom", "Prénom"])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            target.writestr(member.filename, sheet_xml.encode() if member.filename == SHEET and sheet_xml else content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return rebuilt.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


ZIP_BOMB = xlsx(extra={"xl/media/image1.png": b"\0" * (20 * 1024 * 1024)})
MILLION_BLANK_ROWS = xlsx(
    f'{HEAD}<dimension ref="A1:B1000000"/><sheetData><row r="1">{cell("A1", "Nom")}</row>'
    '<row r="1000000"/></sheetData></worksheet>'
)
TEN_THOUSAND_COLUMNS = xlsx(
    f'{HEAD}<dimension ref="A1:NTP2"/><sheetData><row r="1">{cell("A1", "Nom")}{cell("NTP1", "X")}</row>'
    f'<row r="2">{cell("A2", "Dupont")}</row></sheetData></worksheet>'
)


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the request if the workbook or the CSV is parsed: what is refused must be refused before."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was parsed in the request")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr(import_rules, "read_table", refuse)
    return monkeypatch


def staged_count(service) -> int:
    with service.portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(EmployeeImport))


def page_upload(service, content: bytes, name: str):
    client, headers = service.client(), service.headers(ADMIN)
    return client.post(
        "/salaries/import",
        headers=headers,
        content_type="multipart/form-data",
        data={
            "csrf_token": token_of(client.get("/salaries/import", headers=headers)),
            "file": (io.BytesIO(content), name),
        },
    )


def api_upload(service, content: bytes, name: str):
    return service.client().post(
        "/api/workforce/imports",
        headers=service.headers(ADMIN),
        json={"file_name": name, "content_base64": base64.b64encode(content).decode()},
    )


@pytest.mark.parametrize(
    ("content", "refusal"),
    [(ZIP_BOMB, workbook.BOMB), (MILLION_BLANK_ROWS, LINES_REFUSAL), (TEN_THOUSAND_COLUMNS, COLUMNS_REFUSAL)],
    ids=["zip bomb", "a million blank rows", "ten thousand columns"],
)
def test_a_hostile_workbook_is_refused_in_french_before_parsing_on_the_page_and_the_api(
    service, no_parsing, content, refusal
):
    assert len(content) < 40_000  # a few kilobytes each
    page = page_upload(service, content, "salaries.xlsx")
    assert page.status_code == 422
    assert f'id="f-file-error">{refusal}' in html.unescape(page.text)
    api = api_upload(service, content, "salaries.xlsx")
    assert api.status_code == 422 and api.json["errors"]["json"] == {"file": refusal}
    assert staged_count(service) == 0


def test_a_big_file_is_queued_unparsed_and_read_by_the_worker(service, no_parsing):
    no_parsing.setattr(service.portal.settings, "import_inline_bytes", 1000)
    content = "\r\n".join([HEADER] + [DUPONT.replace("Dupont", f"Dupont{index}") for index in range(20)])
    created = api_upload(service, content.encode("cp1252"), "paie.csv")
    assert created.status_code == 202, created.json
    assert (created.json["status"], created.json["columns"], created.json["total_rows"]) == ("received", [], 0)
    client, headers = service.client(), service.headers(ADMIN)
    waiting = client.get(f"/salaries/import/{created.json['id']}", headers=headers)
    assert "Lecture du fichier en cours" in waiting.text and '<meta http-equiv="refresh" content="2">' in waiting.text
    no_parsing.undo()  # the worker parses
    with service.app.app_context():
        assert import_service.process_pending(service.portal) is True
    read = client.get(f"/api/workforce/imports/{created.json['id']}", headers=headers).json
    assert (read["status"], read["total_rows"], read["mapping"]["nir"]) == ("mapping", 20, 4)
    assert "Correspondance des colonnes" in client.get(f"/salaries/import/{read['id']}", headers=headers).text


def test_a_big_file_passing_a_bound_is_refused_by_the_worker_in_french_and_erased(service, no_parsing):
    no_parsing.setattr(service.portal.settings, "import_inline_bytes", 100)
    # The sheet claims two rows and holds a million: only streaming can tell.
    lying = xlsx(
        f'{HEAD}<dimension ref="A1:B2"/><sheetData><row r="1">{cell("A1", "Nom")}</row>'
        '<row r="1000000"/></sheetData></worksheet>'
    )
    created = page_upload(service, lying, "salaries.xlsx")
    assert created.status_code == 302
    import_id = created.headers["Location"].rsplit("/", 1)[1]
    no_parsing.undo()
    with service.app.app_context():
        assert import_service.process_pending(service.portal) is True
    with service.portal.db.session_factory() as session:
        staged = session.get(EmployeeImport, import_id)
        assert (staged.status, staged.failure, staged.content_sealed) == ("refused", LINES_REFUSAL, b"")
    page = html.unescape(service.client().get(f"/salaries/import/{import_id}", headers=service.headers(ADMIN)).text)
    assert f"{LINES_REFUSAL} Aucun salarié n'a été ajouté." in page and "refresh" not in page
