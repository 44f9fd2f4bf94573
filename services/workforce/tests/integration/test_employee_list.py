"""The employee list (API and 'Mes salariés' page), the hiring form, the consumer and the demo loader."""

import html
import re
from datetime import date

import jsonschema
import pytest
from sqlalchemy import func, select, update

from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer
from portal_common.testing import make_principal
from workforce import demo
from workforce.models import Employee, MemberDirectoryEntry
from workforce.worker import subscriptions

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
PEOPLE = [
    {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_names": "Marie Claire",
        "sex": "F",
        "birth_date": "1955-08-14",
        "nir": "255081416802538",
        "post": "Vendeuse",
        "multi_employer": True,
        "birth_commune": "14118",
    },
    {
        "last_name": "Lefèvre",
        "first_names": "Élodie",
        "sex": "F",
        "birth_date": "1995-10-01",
        "nir": "295109912611193",
        "post": "Boulangère",
        "birth_country": "Maroc",
    },
    {
        "last_name": "Bernard",
        "first_names": "Luc",
        "sex": "M",
        "birth_date": "1986-02-10",
        "nir": "186022A21532523",
        "post": "Livreur",
        "contract": "CDD",
        "determinants": ["amiante"],
        "birth_commune": "2A004",
    },
]
COMMON = {"hire_date": "2024-03-01", "contract": "CDI"}


@pytest.fixture
def staffed(service):
    ids = []
    for person in PEOPLE:
        response = service.client().post(
            "/api/workforce/employees", json={**COMMON, **person}, headers=service.headers(ADMIN)
        )
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def names(response) -> list[str]:
    return [e["last_name"] for e in response.json]


def test_the_list_filters_by_letter_status_and_accent_insensitive_search(service, staffed):
    client, headers = service.client(), service.headers(READER)
    assert names(client.get("/api/workforce/employees", headers=headers)) == ["BERNARD", "DUPONT", "LEFÈVRE"]
    assert names(client.get("/api/workforce/employees?letter=l", headers=headers)) == ["LEFÈVRE"]
    assert names(client.get("/api/workforce/employees?q=elodie", headers=headers)) == ["LEFÈVRE"]
    assert names(client.get("/api/workforce/employees?q=LEFEVRE", headers=headers)) == ["LEFÈVRE"]
    assert names(client.get("/api/workforce/employees?q=martin", headers=headers)) == ["DUPONT"]  # birth name
    assert names(client.get("/api/workforce/employees?q=%25", headers=headers)) == []  # no LIKE wildcard
    # NUL characters are refused by the shared input guard before any query runs.
    assert client.get("/api/workforce/employees?q=elo%00die", headers=headers).status_code == 400
    assert client.get("/api/workforce/employees/not-an-id%00", headers=headers).status_code == 400
    with service.portal.db.session_factory() as session:
        session.execute(update(Employee).where(Employee.id == staffed[2]).values(exit_date=date(2024, 12, 31)))
        session.commit()
    assert names(client.get("/api/workforce/employees", headers=headers)) == ["DUPONT", "LEFÈVRE"]
    left = client.get("/api/workforce/employees?status=left", headers=headers)
    assert names(left) == ["BERNARD"] and left.json[0]["status"] == "left"
    assert len(client.get("/api/workforce/employees?status=all", headers=headers).json) == 3
    assert client.get("/api/workforce/employees?status=gone", headers=headers).status_code == 422


def test_the_employee_page_renders_in_french_with_letters_present_and_a_count(service, staffed):
    page = service.client().get("/salaries", headers=service.headers(READER))
    assert page.status_code == 200
    text = page.text
    assert "<h1>Mes salariés</h1>" in text and "3 salariés" in text
    assert "DUPONT née MARTIN" in text and "14/08/1955" in text and "01/03/2024" in text
    assert 'scope="col">Né(e) le</th>' in text and "Catégorie de suivi" in text
    assert ">D</a>" in text and ">L</a>" in text and ">B</a>" in text and ">A</a>" not in text
    assert ">Tous</span>" in text
    assert "2 55 08" not in text and "255081416802538" not in text
    assert "Ajouter un salarié" not in text  # a read-only user cannot hire


def test_each_row_of_the_page_shows_the_names_birth_date_category_and_multi_employer_mark(service, staffed):
    page = service.client().get("/salaries", headers=service.headers(READER)).text
    rows = {}
    for row in re.findall(r"<tr>\s*<td><a href=\"/salaries/[^\"]+\">(.*?)</tr>", page, re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", "<td>" + row, re.S)
        ]
        rows[cells[0]] = (cells[2], cells[5], cells[6])
    assert rows == {
        "BERNARD": ("10/02/1986", "SIR", "Non"),
        "DUPONT née MARTIN": ("14/08/1955", "SI", "✓Oui"),
        "LEFÈVRE": ("01/10/1995", "SI", "Non"),
    }


def test_the_employee_page_filters_by_letter_and_search(service, staffed):
    client, headers = service.client(), service.headers(READER)
    by_letter = client.get("/salaries?letter=D", headers=headers).text
    assert "1 salarié<" in by_letter and "DUPONT" in by_letter and "BERNARD" not in by_letter
    assert ">Tous</a>" in by_letter
    searched = client.get("/salaries?q=elodie", headers=headers).text
    assert "LEFÈVRE" in searched and "DUPONT" not in searched


def initials_of(page: str) -> str:
    return page.split('aria-label="Filtrer par initiale du nom"')[1].split("</nav>")[0]


def test_the_page_counts_what_its_filters_keep_and_links_every_initial_of_its_status(service, staffed):
    client, headers = service.client(), service.headers(READER)
    for query, count, shown in (
        ("letter=D", "1 salarié<", ["DUPONT"]),
        ("category=SIR", "1 salarié<", ["BERNARD"]),
        ("contract=CDD&q=luc", "1 salarié<", ["BERNARD"]),
        ("q=personne", "0 salarié<", []),
        ("status=left", "0 salarié<", []),
    ):
        text = client.get(f"/salaries?{query}", headers=headers).text
        assert count in text, query
        assert [n for n in ("BERNARD", "DUPONT", "LEFÈVRE") if n in text.split("<tbody>")[1]] == shown, query
        letters = re.findall(r"<li>(?:<a [^>]*>|<span aria-current=\"page\">)([A-Z])<", initials_of(text))
        # The letters of the status (present or left), whatever the other filters keep.
        assert letters == ([] if query == "status=left" else ["B", "D", "L"]), query


def test_a_link_past_the_last_page_shows_the_last_page(service, staffed):
    text = service.client().get("/salaries?page=7", headers=service.headers(READER)).text
    assert "3 salariés<" in text and all(name in text for name in ("BERNARD", "DUPONT", "LEFÈVRE"))


def test_the_hiring_form_creates_the_employee_and_confirms_in_french(service):
    client, headers = service.client(), service.headers(ADMIN)
    form_page = client.get("/salaries/nouveau", headers=headers)
    assert form_page.status_code == 200 and "N° de sécurité sociale" in form_page.text
    token = form_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {**COMMON, **PEOPLE[1], "pcs_code": "512B", "multi_employer": "on", "csrf_token": token}
    response = client.post("/salaries/nouveau", data=form, headers=headers, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/salaries"
    assert "Salarié Élodie LEFÈVRE ajouté." in response.text
    [event] = service.events()
    catalogue.validate(event)
    assert "295109912611193" not in event.to_json()


def test_the_hiring_form_shows_french_errors_next_to_the_fields_and_keeps_the_values(service):
    client, headers = service.client(), service.headers(ADMIN)
    token = client.get("/salaries/nouveau", headers=headers).text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {
        **COMMON,
        **PEOPLE[0],
        "nir": "255081416802539",
        "birth_date": "",
        "multi_employer": "on",
        "csrf_token": token,
    }
    response = client.post("/salaries/nouveau", data=form, headers=headers)
    assert response.status_code == 422
    assert 'id="f-nir-error">La clé du numéro de sécurité sociale est incorrecte' in response.text
    assert 'id="f-birth_date-error">La date de naissance est obligatoire (jj/mm/aaaa).' in response.text
    assert 'value="Dupont"' in response.text and 'value="CDI" selected' in response.text
    assert service.events() == []


def test_a_page_form_without_a_valid_csrf_token_is_refused_without_effect(service):
    client, headers = service.client(), service.headers(ADMIN)
    form = {**COMMON, **PEOPLE[0]}
    assert client.post("/salaries/nouveau", data=form, headers=headers).status_code == 403
    assert client.post("/salaries/nouveau", data=dict(form, csrf_token="0" * 64), headers=headers).status_code == 403
    assert service.events() == []


def test_only_admin_and_declaration_users_open_the_hiring_form(service):
    client = service.client()
    assert client.get("/salaries/nouveau", headers=service.headers(READER)).status_code == 403
    declarant = make_principal(member_id=COMPANY, roles=("declaration",))
    assert client.get("/salaries/nouveau", headers=service.headers(declarant)).status_code == 200
    staff_only = make_principal(staff_roles=("secretariat",))
    assert client.get("/salaries", headers=service.headers(staff_only)).status_code == 403
    assert client.get("/salaries").status_code == 302  # to the login page


def test_the_member_directory_applies_a_registration_once_and_ignores_stale_versions(service):
    consumer = Consumer(
        service="workforce",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )
    queue = "workforce.member-directory"
    newer = catalogue.example_envelope("members.member.registered.v1", member_id=COMPANY, name="Nouveau nom", version=2)
    older = catalogue.example_envelope("members.member.registered.v1", member_id=COMPANY, name="Ancien nom", version=1)
    assert consumer.process(queue, newer) is True
    assert consumer.process(queue, newer) is False
    assert consumer.process(queue, older) is True  # a different event, delivered late
    with service.portal.db.session_factory() as session:
        [entry] = session.scalars(select(MemberDirectoryEntry)).all()
    assert (entry.member_id, entry.name, entry.version, entry.member_number) == (COMPANY, "Nouveau nom", 2, "1000001")


def test_the_demo_loader_hires_through_the_use_case_and_is_idempotent(service):
    employee_id = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"
    dataset = {
        "employees": [
            {
                "id": employee_id,
                "member_id": COMPANY,
                "last_name": "DUPONT",
                "birth_name": "MARTIN",
                "first_names": "Marie",
                "sex": "F",
                "birth_date": "1955-08-14",
                "nir": "255081416802538",
                "hire_date": "2020-01-06",
                "post": "Vendeuse",
                "pcs_code": "552a",
                "contract": "CDI",
                "multi_employer": False,
                "monitoring_category": "SI",
            }
        ],
        "members": [{"ignored": True}],
    }
    demo.load(service.portal, dataset)
    demo.load(service.portal, dataset)
    with service.portal.db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Employee)) == 1
        assert session.get(Employee, employee_id).nir_masked == "2 55 08 ** *** *** 38"
        # No place of birth in the dataset: the one the NIR encodes (Calvados, commune 168).
        assert session.get(Employee, employee_id).birth_commune == "14168"
    [event] = service.events()
    assert event.subject == employee_id


def test_the_list_links_each_present_employee_to_a_visit_request_for_users_who_may_ask(service, staffed):
    client = service.client()
    page = client.get("/salaries", headers=service.headers(ADMIN)).text
    for employee_id in staffed:
        assert f'href="/rendez-vous/demande?salarie={employee_id}"' in page
    assert "Demander une visite" not in client.get("/salaries", headers=service.headers(READER)).text
    convocation = make_principal(member_id=COMPANY, roles=("convocation",))
    assert "Demander une visite" in client.get("/salaries", headers=service.headers(convocation)).text


@pytest.mark.parametrize(
    "query, total, rows",
    [
        ("", 3, 3),
        ("?page=1&page_size=2", 3, 2),
        ("?page=2&page_size=2", 3, 1),
        ("?letter=l&page=1", 1, 1),
        ("?page=9", 3, 0),
    ],
)
def test_the_employee_list_sends_its_pagination_header_exactly_as_the_served_openapi_declares(
    service, staffed, query, total, rows
):
    client, headers = service.client(), service.headers(READER)
    document = client.get("/api/workforce/openapi.json").json
    declared = document["paths"]["/api/workforce/employees"]["get"]["responses"]["200"]["headers"]
    assert set(declared) == {"X-Total-Count"}
    answer = client.get(f"/api/workforce/employees{query}", headers=headers)
    assert answer.status_code == 200
    for name, declaration in declared.items():
        # Always sent, so declared required; OpenAPI's `simple` style reads the integer from its decimal digits.
        assert declaration["required"] is True and name in answer.headers
        assert re.fullmatch(r"[0-9]+", answer.headers[name])
        jsonschema.validate(int(answer.headers[name]), declaration["schema"])
    assert int(answer.headers["X-Total-Count"]) == total and len(answer.json) == rows
    sent = {name for name, _ in answer.headers.items() if name.lower().startswith(("x-total", "x-pagination", "link"))}
    assert sent <= set(declared)


def test_each_row_offers_sortir_to_whom_may_record_an_exit_and_the_visit_columns_say_when_scheduling_is_away(
    service, staffed
):
    """Scheduling does not run beside this service's tests: its two columns read « indisponible », the list
    still answers (the dates themselves: scheduling's test_batch_reads and tests/integration/test_portfolio.py)."""
    admin_page = service.client().get("/salaries", headers=service.headers(ADMIN)).text
    assert "Dernière visite</th>" in admin_page and "Prochaine visite due</th>" in admin_page
    assert 'colspan="2" class="muted">indisponible</td>' in admin_page
    sortir = re.findall(r'<a href="/salaries/([^"/]+)/sortie" aria-label="Sortir ([^"]+)">Sortir</a>', admin_page)
    assert len(sortir) == 3 and len({employee for employee, _ in sortir}) == 3  # every present employee
    reader_page = service.client().get("/salaries", headers=service.headers(READER)).text
    assert "/sortie" not in reader_page  # a read-only user records no exit
