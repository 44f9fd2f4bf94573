"""The portfolio's table: each service's columns composed per client, sorted, filtered, exported, and the next
client to declare."""

from __future__ import annotations

from decimal import Decimal

from identity.portfolio.rules import Client, Row, Show, SortKey, compose, next_to_declare, table, to_csv


def _client(number: str, name: str) -> Client:
    return Client(f"id-{number}", number, name, ("Déclaration",))


CLIENTS = [_client("1000001", "Boulangerie Martin"), _client("1000002", "=Garage"), _client("1000003", "Alpha")]
COLUMNS = {
    "workforce": {
        "id-1000001": {"campaign_year": 2026, "declaration_status": "to_enter", "declaration_label": "À saisir",
                       "deadline": "2026-03-31", "to_declare": True, "declaration_page": "/salaries/declarations/2026"},
        "id-1000002": {"campaign_year": 2026, "declaration_status": "confirmed", "declaration_label": "Confirmée",
                       "deadline": "2026-03-31", "to_declare": False, "declaration_page": "//evil.example/"},
        "id-1000003": {"campaign_year": 2026, "declaration_status": "to_enter", "declaration_label": "À saisir",
                       "deadline": "2026-03-31", "to_declare": True, "declaration_page": "/salaries/declarations/2026"},
    },
    "billing": {"id-1000001": {"balance_due": "1458.22"}, "id-1000002": {"balance_due": "0.00"}},
    "scheduling": {"id-1000002": {"overdue_visits": 3, "first_due_on": "2025-11-02"}},
    "members": None,  # members did not answer
}  # fmt: skip


def rows() -> list[Row]:
    return compose(CLIENTS, COLUMNS)


def test_each_client_gets_each_service_s_columns_and_an_unanswered_service_leaves_its_column_unknown():
    by_number = {row.client.member_number: row for row in rows()}
    martin = by_number["1000001"]
    assert martin.to_declare and martin.balance_due == Decimal("1458.22") and martin.pending_requests is None
    assert martin.missing == frozenset({"members"})
    assert by_number["1000002"].overdue_visits == 3
    # A link to another site is never kept, whatever a service answers.
    assert by_number["1000002"].declaration_page is None
    assert by_number["1000003"].balance_due is None  # billing answered but does not know the company yet


def test_the_table_sorts_on_any_column_with_unknown_values_last_and_filters_what_needs_doing():
    by_balance = table(rows(), sort=SortKey.BALANCE, descending=True, show=Show.ALL)
    assert [row.client.member_number for row in by_balance] == ["1000001", "1000002", "1000003"]
    by_name = table(rows(), sort=SortKey.NAME, descending=False, show=Show.ALL)
    assert [row.client.name for row in by_name] == ["=Garage", "Alpha", "Boulangerie Martin"]
    to_declare = table(rows(), sort=SortKey.NAME, descending=False, show=Show.TO_DECLARE)
    assert [row.client.member_number for row in to_declare] == ["1000003", "1000001"]
    assert [r.client.member_number for r in table(rows(), sort=SortKey.NAME, descending=False, show=Show.OVERDUE)] == [
        "1000002"
    ]
    found = table(rows(), sort=SortKey.NAME, descending=False, show=Show.ALL, query="boulang")
    assert [row.client.member_number for row in found] == ["1000001"]


def test_declaring_for_clients_goes_from_one_undeclared_client_to_the_next_and_stops_when_all_have_declared():
    assert next_to_declare(rows()).client.name == "Alpha"
    assert next_to_declare(rows(), after="id-1000003").client.name == "Boulangerie Martin"
    # The one just declared has left the list: the next one by name after it, wrapping round.
    assert next_to_declare(rows(), after="id-1000002").client.name == "Alpha"
    done = compose(CLIENTS, {**COLUMNS, "workforce": {}})
    assert next_to_declare(done) is None


def test_the_csv_is_for_french_excel_and_keeps_a_formula_as_text():
    text = to_csv(table(rows(), sort=SortKey.NUMBER, descending=False, show=Show.ALL)).decode("utf-8")
    assert text.startswith("\ufeffN° adhérent;Raison sociale;")
    lines = text.splitlines()
    assert lines[1] == "1000001;Boulangerie Martin;2026;À saisir;31/03/2026;1458,22;indisponible;;indisponible"
    assert lines[2].startswith("1000002;'=Garage;2026;Confirmée;31/03/2026;0,00;3;02/11/2025;")
