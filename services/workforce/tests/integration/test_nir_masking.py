"""docs/security.md DP-02: a stored NIR never goes back to an employer or an accounting firm; the correction
form shows its mask and keeps it when left empty; staff see one in clear with a reason, recorded, within a cap."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal_common.testing import make_principal
from portal_common.validators import nir_key
from workforce.employees.rules.reveals import cap_reached
from workforce.models import Employee, NirReveal

pytestmark = pytest.mark.integration

COMPANY = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
EMPLOYER = make_principal(member_id=COMPANY, roles=("admin",))
# An accounting firm's user: a declarant of several companies, this one current.
FIRM = make_principal(member_id=COMPANY, roles=("declaration",), member_count=3, display_name="Cabinet Lebrun")
STAFF = make_principal(staff_roles=("secretariat",), display_name="Agnès Secrétariat")
BILLING_STAFF = make_principal(staff_roles=("billing",))
# Ids, hashes and CSRF tokens are hexadecimal: taken out first, so a run of their digits is no false alarm.
HEX_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-fA-F]{24,}")


def nir_of(index: int) -> str:
    first13 = f"{1 + index % 2}8{index % 10}0{1 + index % 9}75{100 + index:03d}{index + 1:03d}"
    return f"{first13}{nir_key(first13):02d}"


def forms_of(nir: str) -> tuple[str, ...]:
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    return nir, spaced, spaced.replace(" ", "."), nir[:13]


def hire(service, index: int) -> str:
    nir = nir_of(index)
    body = {
        "last_name": f"Salarie{index:02d}",
        "first_names": "Camille",
        "sex": "M" if nir[0] == "1" else "F",
        "birth_date": f"198{index % 10}-0{1 + index % 9}-15",
        "nir": nir,
        "hire_date": "2024-03-01",
        "post": "Vendeur",
        "contract": "CDI",
        "birth_commune": "75056",
    }
    response = service.client().post("/api/workforce/employees", json=body, headers=service.headers(EMPLOYER))
    assert response.status_code == 201, response.json
    return response.json["id"]


def token_of(page) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_eighteen_correction_forms_opened_by_the_employer_and_by_its_firm_never_hold_a_full_nir(service):
    ids = [hire(service, index) for index in range(18)]
    client = service.client()
    opened = 0
    for principal in (EMPLOYER, FIRM):
        for index, employee_id in enumerate(ids):
            answers = [
                client.get(f"/salaries/{employee_id}/modifier", headers=service.headers(principal)),
                client.get(f"/salaries/{employee_id}", headers=service.headers(principal)),
                client.get(f"/api/workforce/employees/{employee_id}", headers=service.headers(principal)),
            ]
            for answer in answers:
                assert answer.status_code == 200
                text = HEX_RE.sub(" ", answer.get_data(as_text=True))
                assert [form for form in forms_of(nir_of(index)) if form in text] == []
            form = html.unescape(answers[0].text)
            assert f'N° de sécurité sociale enregistré : <strong class="nowrap">{answers[2].json["nir_masked"]}' in form
            assert 'id="f-nir" name="nir" type="text" value=""' in answers[0].text
            opened += 1
    assert opened == 36


def test_a_correction_with_the_nir_left_empty_keeps_the_stored_one_and_a_typed_one_replaces_it(service):
    employee_id = hire(service, 1)
    client, headers = service.client(), service.headers(EMPLOYER)
    form = client.get(f"/salaries/{employee_id}/modifier", headers=headers)
    values = {
        "last_name": "Salarie01",
        "first_names": "Camille Jeanne",
        "sex": "F",
        "birth_date": "1981-02-15",
        "nir": "",
        "hire_date": "2024-03-01",
        "post": "Vendeuse",
        "contract": "CDI",
        "birth_commune": "75056",
        "version": "1",
        "csrf_token": token_of(form),
    }
    kept = client.post(f"/salaries/{employee_id}/modifier", data=values, headers=headers)
    assert kept.status_code == 302
    vault = service.portal.settings.nir_vault
    with service.portal.db.session_factory() as session:
        stored = session.get(Employee, employee_id)
        assert (stored.first_names, vault.decrypt(stored.nir_encrypted, stored.id)) == ("Camille Jeanne", nir_of(1))
    replaced = client.put(
        f"/api/workforce/employees/{employee_id}",
        # nir_of(21) says born in April: the birth date typed beside it agrees.
        json={k: v for k, v in values.items() if k not in ("csrf_token", "version")}
        | {"nir": nir_of(21), "birth_date": "1981-04-15"},
        headers={**headers, "If-Match": '"2"'},
    )
    assert (
        replaced.status_code == 200
        and replaced.json["nir_masked"] == f"2 81 {nir_of(21)[3:5]} ** *** *** {nir_of(21)[13:]}"
    )
    assert "nir" not in replaced.json
    with service.portal.db.session_factory() as session:
        stored = session.get(Employee, employee_id)
        assert vault.decrypt(stored.nir_encrypted, stored.id) == nir_of(21)


def test_staff_see_one_nir_in_clear_with_a_reason_and_the_reveal_is_recorded_without_the_number(service, caplog):
    employee_id = hire(service, 3)
    client, headers = service.client(), service.headers(STAFF)
    form = client.get(f"/salaries/{employee_id}/numero-securite-sociale", headers=headers)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert nir_of(3) not in form.text and "fait 0 aujourd'hui, sur 50 autorisées" in html.unescape(form.text)
    without = client.post(
        f"/salaries/{employee_id}/numero-securite-sociale",
        data={"reason": " ", "csrf_token": token_of(form)},
        headers=headers,
    )
    assert without.status_code == 422 and nir_of(3) not in without.text
    assert "Indiquez le motif de la consultation (10 caractères au moins)." in html.unescape(without.text)
    with caplog.at_level("INFO"):
        shown = client.post(
            f"/salaries/{employee_id}/numero-securite-sociale",
            data={"reason": "Vérification demandée par la CPAM", "csrf_token": token_of(form)},
            headers=headers,
        )
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert forms_of(nir_of(3))[1] in shown.text
    with service.portal.db.session_factory() as session:
        reveals = list(session.scalars(select(NirReveal)))
    assert [(r.employee_id, r.member_id, r.revealed_by, r.revealed_by_name, r.reason) for r in reveals] == [
        (employee_id, COMPANY, STAFF.user_id, "Agnès Secrétariat", "Vérification demandée par la CPAM")
    ]
    assert datetime.now(UTC) - reveals[0].revealed_at < timedelta(minutes=5)
    logged = [r for r in caplog.records if r.getMessage() == "NIR revealed to staff"]
    assert [(r.user_id, r.employee_id) for r in logged] == [(STAFF.user_id, employee_id)]
    assert all(nir_of(3) not in r.getMessage() + str(r.__dict__) for r in caplog.records)


def test_employers_firms_and_billing_staff_cannot_reveal_a_nir(service):
    employee_id = hire(service, 4)
    client = service.client()
    path = f"/salaries/{employee_id}/numero-securite-sociale"
    for principal in (EMPLOYER, FIRM, BILLING_STAFF):
        assert client.get(path, headers=service.headers(principal)).status_code == 403
    form = client.get("/salaries", headers=service.headers(EMPLOYER))
    refused = client.post(
        path,
        data={"reason": "Je veux le voir en clair", "csrf_token": token_of(form)},
        headers=service.headers(EMPLOYER),
    )
    assert refused.status_code == 403 and nir_of(4) not in refused.text
    with service.portal.db.session_factory() as session:
        assert list(session.scalars(select(NirReveal))) == []


def test_past_the_daily_cap_a_staff_user_is_refused_in_french_and_nothing_is_recorded(service, monkeypatch):
    monkeypatch.setattr(service.portal.settings, "nir_reveals_per_day", 3)
    ids = [hire(service, index) for index in range(5)]
    client = service.client()

    def reveal(principal, employee_id: str):
        headers = service.headers(principal)
        path = f"/salaries/{employee_id}/numero-securite-sociale"
        token = token_of(client.get(path, headers=headers))
        return client.post(path, data={"reason": "Contrôle de l'état civil", "csrf_token": token}, headers=headers)

    answers = [reveal(STAFF, employee_id) for employee_id in ids[:4]]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert cap_reached(3) in html.unescape(answers[3].text)
    assert [form for form in forms_of(nir_of(3)) if form in answers[3].text] == []
    # Another staff user has a cap of their own.
    assert reveal(make_principal(staff_roles=("administration",)), ids[4]).status_code == 200
    with service.portal.db.session_factory() as session:
        mine = list(session.scalars(select(NirReveal).where(NirReveal.revealed_by == STAFF.user_id)))
    assert sorted(r.employee_id for r in mine) == sorted(ids[:3])
