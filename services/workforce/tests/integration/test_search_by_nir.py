"""The list's search: posted, so that a NIR typed in it never reaches a URL (docs/security.md DP-02); a name search
still comes back as a bookmarkable address; a NIR is found by its blind index, never through the query string."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
OTHER = "0b7f4c1e-3a8d-4e2b-9c65-7d1f2e3a4b5c"
ADMIN = make_principal(member_id=COMPANY, roles=("admin",))
READER = make_principal(member_id=COMPANY, roles=("read",))
NIR = "255081416802538"
SPACED = "2 55 08 14 168 025 38"
CORSICA = "186022A21532523"
COMMON = {"hire_date": "2024-03-01", "contract": "CDI", "post": "Vendeuse"}
DUPONT = {
    "last_name": "Dupont",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": NIR,
    "birth_commune": "14118",
}
LEFEVRE = {
    "last_name": "Lefèvre",
    "first_names": "Élodie",
    "sex": "F",
    "birth_date": "1995-10-01",
    "nir": "295109912611193",
    "birth_country": "Maroc",
}
BERNARD = {
    "last_name": "Bernard",
    "first_names": "Luc",
    "sex": "M",
    "birth_date": "1986-02-10",
    "nir": CORSICA,
    "birth_commune": "2A004",
}


def hire(service, person: dict, principal=ADMIN) -> str:
    response = service.client().post(
        "/api/workforce/employees", json={**COMMON, **person}, headers=service.headers(principal)
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def staffed(service):
    return [hire(service, person) for person in (DUPONT, LEFEVRE, BERNARD)]


def search(service, term: str, principal=READER, **form):
    client, headers = service.client(), service.headers(principal)
    page = client.get("/salaries", headers=headers)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/salaries/recherche", headers=headers, data={"csrf_token": token, "q": term, **form})


def digits_of(nir: str) -> str:
    return nir.replace(" ", "")[:13]


def no_nir_in(text: str, nir: str) -> bool:
    """Neither the number nor its 13 first characters, with or without separators."""
    return digits_of(nir) not in re.sub(r"[\s.\-]", "", text)


def test_the_list_search_form_posts_with_a_csrf_token(service, staffed):
    page = service.client().get("/salaries", headers=service.headers(READER)).text
    form = re.search(r'<form [^>]*class="search-form"[^>]*>\s*<input type="hidden" name="csrf_token"', page)
    assert form is not None and 'method="post" action="/salaries/recherche"' in form.group()


def test_a_name_search_is_redirected_to_a_bookmarkable_list_address(service, staffed):
    response = search(service, " élodie ", status="all", sort="-name")
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/salaries"
    assert parse_qs(location.query) == {"q": ["élodie"], "status": ["all"], "sort": ["-name"]}
    listed = service.client().get(response.headers["Location"], headers=service.headers(READER))
    assert listed.status_code == 200 and "LEFÈVRE" in listed.text and "DUPONT" not in listed.text


@pytest.mark.parametrize("typed", [NIR, SPACED, "2.55.08.14.168.025.38", digits_of(NIR), f"dupont {SPACED}"])
def test_a_nir_search_goes_to_the_one_employee_with_it_and_never_into_a_url(service, staffed, typed):
    response = search(service, typed)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/salaries/{staffed[0]}"
    assert no_nir_in(response.headers["Location"], NIR)


def test_a_corsican_nir_typed_without_its_key_is_found_too(service, staffed):
    response = search(service, "1 86 02 2a 215 325")
    assert response.status_code == 303 and response.headers["Location"] == f"/salaries/{staffed[2]}"


def test_a_nir_held_by_several_employees_is_answered_with_the_list_itself(service, staffed):
    # She left, then came back: two records with the same NIR, one present and one left.
    client, admin = service.client(), service.headers(ADMIN)
    assert (
        client.post(
            f"/api/workforce/employees/{staffed[0]}/exit",
            headers=admin,
            json={"exit_date": "2024-06-30", "reason": "fin_cdd"},
        ).status_code
        == 200
    )
    back = hire(service, dict(DUPONT, first_names="Marie Claire"))
    response = search(service, SPACED)
    assert response.status_code == 200  # answered in place: no redirect, so no URL carries the number
    text = html.unescape(response.text)
    assert "2 salariés avec ce numéro de sécurité sociale (présents et sortis)" in text
    assert f'href="/salaries/{staffed[0]}"' in text and f'href="/salaries/{back}"' in text
    assert "LEFÈVRE" not in text and no_nir_in(text, NIR)


def test_a_nir_nobody_of_the_company_has_finds_nobody_even_if_another_company_has_it(service, staffed):
    other = make_principal(member_id=OTHER, roles=("admin",))
    hire(
        service,
        dict(
            LEFEVRE, nir="155081416802588", sex="M", birth_date="1955-08-14", birth_commune="14118", birth_country=None
        ),
        principal=other,
    )
    response = search(service, "1 55 08 14 168 025 88")
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "Aucun salarié ne porte ce numéro de sécurité sociale." in text
    assert no_nir_in(text, "155081416802588")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("2 55 08 14 168 025 39", "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."),
        (
            "25508141680253",
            "Saisissez le numéro de sécurité sociale complet : ses 13 premiers caractères, ou les 15 avec la clé.",
        ),
    ],
)
def test_a_nir_that_cannot_be_right_is_answered_with_a_french_message_next_to_the_search_field(
    service, staffed, typed, message
):
    response = search(service, typed)
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert f'<p class="field-error" id="q-error">{message}</p>' in text
    assert 'aria-describedby="q-error"' in text and no_nir_in(text, typed)


def test_the_search_form_without_its_csrf_token_is_refused(service, staffed):
    response = service.client().post("/salaries/recherche", headers=service.headers(READER), data={"q": SPACED})
    assert response.status_code == 403


@pytest.mark.parametrize("query", [NIR, SPACED.replace(" ", "+"), digits_of(NIR)])
def test_the_list_address_refuses_to_search_by_a_nir_and_says_so_in_french(service, staffed, query):
    response = service.client().get(f"/salaries?q={query}", headers=service.headers(READER))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert (
        "Pour rechercher un salarié par son numéro de sécurité sociale, saisissez-le dans ce champ puis cliquez "
        "sur « Rechercher » : le numéro n'est jamais placé dans l'adresse de la page."
    ) in text
    assert "3 salariés" in text  # the search is ignored, not run
    assert no_nir_in(text, NIR)  # not even echoed back into the search field or the paging links


def test_the_exports_ignore_a_nir_in_their_address(service, staffed):
    csv = service.client().get(f"/salaries/export.csv?q={NIR}", headers=service.headers(READER))
    assert csv.status_code == 200 and len(csv.data.decode("utf-8-sig").splitlines()) == 4


def test_the_api_list_refuses_a_nir_in_its_query_string(service, staffed):
    response = service.client().get(f"/api/workforce/employees?q={SPACED}", headers=service.headers(READER))
    assert response.status_code == 422
    assert "POST /api/workforce/employees/search" in response.json["errors"]["query"]["q"][0]
    names = service.client().get("/api/workforce/employees?q=dupont", headers=service.headers(READER)).json
    assert [e["last_name"] for e in names] == ["DUPONT"]


def test_the_api_finds_employees_by_a_nir_sent_in_the_body(service, staffed):
    client, reader = service.client(), service.headers(READER)
    for typed in (SPACED, digits_of(NIR)):
        found = client.post("/api/workforce/employees/search", json={"nir": typed}, headers=reader)
        assert found.status_code == 200
        assert [e["id"] for e in found.json] == [staffed[0]] and "nir" not in found.json[0]
    stranger = service.headers(make_principal(member_id=OTHER, roles=("admin",)))
    assert client.post("/api/workforce/employees/search", json={"nir": NIR}, headers=stranger).json == []
    staff = service.headers(make_principal(staff_roles=("secretariat",)))
    assert len(client.post("/api/workforce/employees/search", json={"nir": NIR}, headers=staff).json) == 1
    wrong = client.post("/api/workforce/employees/search", json={"nir": "255081416802539"}, headers=reader)
    assert wrong.status_code == 422 and wrong.json["errors"]["json"]["nir"] == [
        "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro."
    ]
    assert client.post("/api/workforce/employees/search", json={"nir": NIR}).status_code == 401
