"""The accounting firm's portfolio through the real gateway: identity lists the firm's clients and asks each
service's batch read once for all of them; the table sorts, filters and exports; one click opens a client on the
right page; « Déclarer pour mes clients » goes from one undeclared client to the next (docs/architecture.md
« Portfolio of an accounting firm »)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape

import pytest

from portal_common import clock
from portal_stack.demo_data import demo_id
from tests.integration.portal_personas import COMPANY_A, Browser, Stack, add_accounts, personas, running_portal

pytestmark = pytest.mark.integration

GARAGE = demo_id("member", "1000002")
ROW = re.compile(r'<tr id="client-(\d{7})"')


@pytest.fixture(scope="module")
def portfolio(portal_env) -> Iterator[tuple[Stack, Browser]]:
    with running_portal(portal_env, "portfolio") as stack:
        office = next(p for p in personas() if p.name == "personnel:secretariat")
        add_accounts(stack, [office])
        staff = Browser(stack, office)
        staff.log_in()
        year = clock.today().year
        opened = staff.request(
            "POST",
            "/gestion/salaries/campagnes",
            data={
                "year": str(year),
                "opens_on": f"{year}-01-01",
                "closes_on": f"{year}-12-31",
                "deadline": f"{year}-12-31",
                "csrf_token": staff.token,
            },
        )
        assert opened.status_code in (302, 303), opened.text[:500]
        browser = Browser(stack, next(p for p in personas() if p.name == "cabinet comptable"))
        browser.log_in()
        yield stack, browser


def _numbers(html: str) -> list[str]:
    return ROW.findall(html)


def test_the_firm_sees_every_client_with_each_service_s_columns_in_one_table(portfolio):
    stack, firm = portfolio
    assert "/portefeuille" in firm.request("GET", "/accueil").text  # offered in the main menu
    page = firm.request("GET", "/portefeuille")
    assert page.status_code == 200
    text = unescape(page.text)
    assert _numbers(text) == ["1000001", "1000002"]  # Boulangerie Martin, Garage du Centre, by name
    assert "momentanément indisponibles" not in text and "indisponible" not in text
    balance = stack.first(
        "billing", "SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE member_id = %s", COMPANY_A
    )
    overdue = stack.first(
        "scheduling", "SELECT COUNT(*) FROM visit_obligation WHERE member_id = %s AND due_on < CURRENT_DATE", COMPANY_A
    )
    row_a = text.split('id="client-1000001"', 1)[1].split("</tr>", 1)[0]
    assert f">{overdue}<" in row_a or (overdue == "0" and '<td class="number">0</td>' in row_a)
    assert balance is not None and "€" in row_a


def test_the_table_sorts_filters_and_exports_what_it_shows(portfolio):
    _, firm = portfolio
    descending = unescape(firm.request("GET", "/portefeuille?tri=numero&ordre=desc").text)
    assert _numbers(descending) == ["1000002", "1000001"]
    assert 'aria-sort="descending"' in descending
    searched = unescape(firm.request("GET", "/portefeuille?q=garage").text)
    assert _numbers(searched) == ["1000002"]
    # The caption agrees with what it counts: one client shown, sorted.
    assert "1 client affiché, trié par raison sociale" in searched
    assert "2 clients affichés, triés par n° adhérent (décroissant)" in descending
    export = firm.request("GET", "/portefeuille/export.csv?tri=numero&ordre=desc")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    lines = export.content.decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("N° adhérent;Raison sociale;Campagne;Déclaration;Date limite;Solde dû (€)")
    assert [line.split(";")[0] for line in lines[1:]] == ["1000002", "1000001"]


def test_one_click_opens_a_client_on_the_right_page(portfolio):
    _, firm = portfolio
    opened = firm.request(
        "POST", "/portefeuille/ouvrir", data={"member_id": GARAGE, "page": "/factures", "csrf_token": firm.token}
    )
    assert opened.status_code == 303 and opened.headers["Location"] == "/factures"
    firm.refresh_token()
    assert "Garage du Centre" in unescape(firm.request("GET", "/factures").text)
    # Another site is never a landing page; a company the firm does not reach is refused.
    elsewhere = firm.request(
        "POST", "/portefeuille/ouvrir", data={"member_id": GARAGE, "page": "//evil.example/", "csrf_token": firm.token}
    )
    assert elsewhere.headers["Location"] == "/accueil"
    firm.refresh_token()
    stranger = demo_id("member", "1000003")
    refused = firm.request("POST", "/portefeuille/ouvrir", data={"member_id": stranger, "csrf_token": firm.token})
    assert refused.status_code == 404


def test_declaring_for_clients_opens_the_next_undeclared_client_s_declaration(portfolio):
    _, firm = portfolio
    year = clock.today().year
    page = unescape(firm.request("GET", "/portefeuille?afficher=a-declarer").text)
    assert _numbers(page) == ["1000001", "1000002"] and "Déclarer pour mes clients (2 à faire)" in page
    first = firm.request("POST", "/portefeuille/declarer", data={"csrf_token": firm.token})
    assert first.status_code == 303 and first.headers["Location"] == f"/salaries/declarations/{year}"
    firm.refresh_token()
    assert "Boulangerie Martin" in unescape(firm.request("GET", first.headers["Location"]).text)
    # From this client's declaration, « Client suivant » opens the next one still to make.
    following = firm.request("POST", "/portefeuille/declarer", data={"after": COMPANY_A, "csrf_token": firm.token})
    assert following.status_code == 303
    firm.refresh_token()
    assert "Garage du Centre" in unescape(firm.request("GET", following.headers["Location"]).text)


def test_the_employee_list_shows_each_employee_s_last_visit_and_next_visit_due_and_offers_sortir(portfolio):
    stack, firm = portfolio
    opened = firm.request(
        "POST", "/portefeuille/ouvrir", data={"member_id": COMPANY_A, "page": "/salaries", "csrf_token": firm.token}
    )
    assert opened.headers["Location"] == "/salaries"
    firm.refresh_token()
    present = {
        str(row[0])
        for row in stack.rows(
            "workforce", "SELECT id FROM employee WHERE member_id = %s AND exit_date IS NULL", COMPANY_A
        )
    }
    visits = stack.rows(
        "scheduling",
        "SELECT employee_id, MAX(starts_at) FROM appointment WHERE member_id = %s AND status = 'realisee' "
        "GROUP BY employee_id ORDER BY employee_id",
        COMPANY_A,
    )
    employee, visited = next((e, v) for e, v in visits if e in present)
    due = stack.first("scheduling", "SELECT MIN(due_on) FROM visit_obligation WHERE employee_id = %s", employee)
    text = unescape(firm.request("GET", "/salaries?status=all").text)
    assert '<th scope="col">Dernière visite</th>' in text and "indisponible" not in text
    row = text.split(f'href="/salaries/{employee}"', 1)[1].split("</tr>", 1)[0]
    day = visited if isinstance(visited, date) else date.fromisoformat(str(visited)[:10])
    assert day.strftime("%d/%m/%Y") in row
    if due is not None:
        assert date.fromisoformat(due).strftime("%d/%m/%Y") in row
    assert f'href="/salaries/{employee}/sortie"' in row and ">Sortir</a>" in row
