"""Reading NEODeS DSN files and reconciling them with the list, on generated files (no database)."""

from datetime import date

import pytest

from bench.dsn_factory import Establishment, dsn_bytes, dsn_text, people
from workforce.dsn import neodes
from workforce.dsn.neodes import SPECIFICATION, DsnRefused, count_lines, decode, dsn_date, full_nir, read_dsn
from workforce.dsn.rules import Action, Listed, birth_place, contract_of, exit_reason, reconcile

SIREN, NIC = "732829320", "00074"
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
TODAY = date(2026, 4, 20)


def blind(nir: str) -> str:
    return f"h:{nir}"


def plan_of(files, listed=(), siret=SIREN + NIC):
    return reconcile(
        read_dsn(files), list(listed), siret=siret, member_name="Boulangerie Martin", today=TODAY, blind_index=blind
    )


def line_of(text: str, start: str, nth: int = 1) -> int:
    found = [i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(start)]
    return found[nth - 1]


def test_the_specification_followed_is_named():
    assert SPECIFICATION == "cahier technique DSN P26V01 (norme NEODeS)"


def test_every_block_read_is_read_from_a_generated_file():
    staff = people(3)
    staff[2].end, staff[2].end_reason = date(2026, 3, 27), "059"
    staff[0].usage_name = "ÉPOUSE MOREAU"
    reading = read_dsn([("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, staff))])
    assert reading.problems == []
    [declaration] = reading.declarations
    assert (declaration.nature, declaration.month, declaration.siren, declaration.nic) == ("01", MARCH, SIREN, NIC)
    first, _, last = declaration.individuals
    person = staff[0]
    assert (first.nir, first.family_name, first.usage_name, first.first_names, first.sex, first.birth_date) == (
        person.nir,
        person.family_name,
        "ÉPOUSE MOREAU",
        person.first_names,
        person.sex,
        person.birth_date,
    )
    assert (first.birth_place, first.birth_department, first.birth_country) == (
        person.birth_place,
        person.birth_department,
        person.birth_country,
    )
    [contract] = first.contracts
    assert (contract.start, contract.status, contract.pcs_code, contract.nature, contract.number) == (
        person.start,
        "04",
        person.pcs_code,
        person.nature,
        person.number,
    )
    assert (contract.job_label, contract.workplace) == (person.job_label, SIREN + NIC)
    assert (last.contracts[0].end, last.contracts[0].end_reason) == (date(2026, 3, 27), "059")


def test_a_nir_of_13_characters_gets_its_key_and_one_of_15_must_have_the_right_one():
    nir = people(1)[0].nir
    assert full_nir(nir[:13]) == (nir, None)
    assert full_nir(nir) == (nir, None)
    wrong = nir[:13] + f"{(int(nir[13:]) + 1) % 97:02d}"
    assert full_nir(wrong) == (None, "la clé du numéro de sécurité sociale est incorrecte.")
    assert full_nir("12345")[1] == "numéro de sécurité sociale mal formé (13 caractères attendus, sans la clé)."


def test_dates_are_read_as_ddmmyyyy_and_impossible_ones_refused():
    assert dsn_date("29022024") == date(2024, 2, 29)
    assert dsn_date("29022025") is None and dsn_date("2025-01-01") is None


def test_malformed_lines_are_listed_with_their_line_and_unknown_rubrics_are_ignored():
    text = dsn_text(SIREN, [Establishment(NIC, people(2))], MARCH)
    broken = text.replace("S21.G00.11.002,'1071C'", "S21.G00.11.002 1071C", 1)
    lines = broken.splitlines()
    lines.insert(line_of(broken, "S21.G00.40.019"), "S21.G00.40.098,'rubrique inconnue'")  # after .40.019
    reading = read_dsn(
        [("mars.dsn", "\n".join(lines[:-2] + [f"S90.G00.90.001,'{len(lines) - 1}'", lines[-1]]).encode())]
    )
    assert [(p.line, p.message) for p in reading.problems] == [
        (line_of(broken, "S21.G00.11.002 1071C"), "Ligne illisible : une rubrique s'écrit S21.G00.30.001,'valeur'.")
    ]
    assert len(reading.declarations[0].individuals) == 2


def test_a_truncated_file_and_a_wrong_count_are_said_so():
    truncated = read_dsn([("t.dsn", dsn_bytes(SIREN, NIC, MARCH, people(2), truncate=True))])
    assert any(p.message.startswith("Fichier tronqué : la rubrique de fin S90.G00.90.001") for p in truncated.problems)
    text = dsn_text(SIREN, [Establishment(NIC, people(2))], MARCH)
    cut = "\n".join(line for line in text.splitlines() if not line.startswith("S21.G00.81")) + "\n"
    [problem] = read_dsn([("c.dsn", cut.encode())]).problems
    assert problem.message.startswith("Fichier incomplet :") and problem.line == line_of(cut, "S90.G00.90.001")


def test_iso_8859_1_and_utf_8_are_read_and_other_encodings_refused():
    text = dsn_text(SIREN, [Establishment(NIC, people(2))], MARCH)
    assert decode(text.encode("iso-8859-1"), "a.dsn") == text == decode(text.encode("utf-8"), "a.dsn")
    with pytest.raises(DsnRefused, match="UTF-16"):
        decode(text.encode("utf-16"), "a.dsn")
    with pytest.raises(DsnRefused, match=r"a.dsn, ligne 3 : caractère illisible"):
        decode(b"S10.G00.00.001,'x'\nS10.G00.00.002,'y'\nS21.G00.30.002,'\x9cUVRARD'\n", "a.dsn")
    with pytest.raises(DsnRefused, match="ce n'est pas une DSN"):
        read_dsn([("liste.csv", b"Nom;Prenom\nDupont;Marie\n")])


def test_an_end_before_the_start_and_a_missing_contract_are_listed():
    staff = people(2)
    staff[0].end = date(1999, 1, 1)
    text = dsn_text(SIREN, [Establishment(NIC, staff)], MARCH)
    problems = read_dsn([("m.dsn", text.encode())]).problems
    assert [p.line for p in problems] == [line_of(text, "S21.G00.62.001")]
    assert "précède son début" in problems[0].message


def test_new_employees_are_hires_with_the_portals_post_contract_and_birth_place():
    staff = people(7)
    staff[6].end = date(2026, 3, 31)
    plan = plan_of([("m.dsn", dsn_bytes(SIREN, NIC, MARCH, staff))])
    assert [row.actions for row in plan.rows] == [[Action.HIRE]] * 6 + [[Action.HIRE, Action.EXIT]]
    apprentice = next(row for row in plan.rows if row.hire and row.hire.post == "Apprenti boulanger")
    assert (apprentice.hire.contract, apprentice.hire.pcs_code) == ("apprentissage", "636d")
    born_abroad = next(row.hire for row in plan.rows if row.hire and row.hire.birth_country)
    assert born_abroad.birth_country.startswith("99") and born_abroad.birth_commune is None
    assert plan.rows[-1].exit.reason == "fin_cdd"
    assert all(not row.errors and not row.warnings for row in plan.rows)


def test_contract_natures_and_end_reasons_map_to_the_portals_codes():
    from workforce.dsn.neodes import Contract

    assert [contract_of(Contract(1, nature=n, scheme="99")) for n in ("01", "02", "03", "29", "90")] == [
        "CDI",
        "CDD",
        "interim",
        "stage",
        "autre",
    ]
    assert contract_of(Contract(1, nature="02", scheme="61")) == "professionnalisation"
    assert [exit_reason(c) for c in ("059", "043", "039", "034", "999")] == [
        "demission",
        "rupture_conventionnelle",
        "retraite",
        "fin_periode_essai",
        "autre",
    ]


def test_corsica_before_1976_needs_the_department_of_birth():
    person = read_dsn([("m.dsn", dsn_bytes(SIREN, NIC, MARCH, people(1)))]).declarations[0].individuals[0]
    person.birth_department = "2B"
    nir = "1750120004012" + "00"
    assert birth_place(person, nir)[:2] == ("2B004", None)
    person.birth_department = ""
    assert birth_place(person, nir)[:2] == (None, None)


def listed_from(person, **changes) -> Listed:
    values = dict(
        id="e-1",
        nir_hash=blind(person.nir),
        last_name=person.family_name,
        birth_name=person.family_name,
        first_names=person.first_names,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_commune=person.nir[5:10],
        birth_country=None,
        hire_date=person.start,
        post=person.job_label,
        pcs_code=person.pcs_code,
        post_since=person.start,
        contract="CDI",
        multi_employer=False,
        determinants=(),
        sir_justification=None,
        adapted_undisclosed=False,
        convocation_constraints=None,
        comment=None,
        exit_date=None,
        workplace_siret=SIREN + NIC,  # listed by an earlier DSN of the same establishment
    )
    return Listed(**(values | changes))


def test_a_listed_employee_is_matched_by_nir_and_its_changes_described_in_french():
    person = people(2)[1]
    listed = listed_from(person, first_names="Jeanne", post="Magasinier", pcs_code="652b")
    [row] = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person]))], [listed]).rows
    assert row.actions == [Action.IDENTITY, Action.POST_CHANGE] and row.employee_id == "e-1"
    assert row.details["Prénoms"] == f"Jeanne → {person.first_names}"
    assert row.details["Poste"] == f"Magasinier (652b) → {person.job_label} ({person.pcs_code}) à partir du 01/04/2026"
    assert row.post.from_date == APRIL and row.correction.first_names == person.first_names
    unchanged = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person]))], [listed_from(person)]).rows
    assert [r.actions for r in unchanged] == [[Action.UNCHANGED]]


def test_an_employee_listed_but_not_declared_is_shown_absent_never_exited():
    person, other = people(2)
    plan = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person]))], [listed_from(other, id="e-2")])
    absent = [row for row in plan.rows if row.actions == [Action.ABSENT]]
    assert len(absent) == 1 and absent[0].employee_id == "e-2" and absent[0].exit is None


def test_the_latest_month_wins_whatever_the_order_of_the_files():
    person = people(1)[0]
    march = dsn_bytes(SIREN, NIC, MARCH, [person.but(job_label="Vendeur")])
    april = dsn_bytes(SIREN, NIC, APRIL, [person.but(job_label="Chef de rayon")])
    for files in ([("m", march), ("a", april)], [("a", april), ("m", march)]):
        [row] = plan_of(files).rows
        assert row.hire.post == "Chef de rayon" and row.file == "a"


def test_several_establishments_only_the_companys_one_is_imported_and_another_siren_is_an_error():
    text = dsn_text(SIREN, [Establishment(NIC, people(2)), Establishment("00099", people(3, first=10))], MARCH)
    plan = plan_of([("m.dsn", text.encode())])
    assert plan.count(Action.HIRE) == 2 and plan.count(Action.IGNORED) == 1 and plan.errors == 0
    ignored = next(row for row in plan.rows if row.actions == [Action.IGNORED])
    assert (
        ignored.line == line_of(text, "S21.G00.11.001", 2)
        and "ses 3 salariés ne sont pas importés" in ignored.warnings[0]
    )
    other = plan_of([("m.dsn", dsn_bytes("552100554", "00013", MARCH, people(2)))])
    assert other.errors == 1 and other.count(Action.HIRE) == 0
    assert plan_of([("m.dsn", text.encode())], siret=None).errors == 2  # the member's SIRET not known yet


def test_the_same_person_twice_in_one_month_is_an_error():
    person = people(1)[0]
    plan = plan_of([("m.dsn", dsn_bytes(SIREN, NIC, MARCH, [person, person]))])
    assert plan.errors == 1 and "déjà déclaré pour ce mois" in next(r for r in plan.rows if r.errors).errors["nir"]


def test_the_reader_tells_its_progress_in_lines_counting_on_across_the_files(monkeypatch):
    monkeypatch.setattr(neodes, "PROGRESS_EVERY", 40)
    files = [
        ("mars.dsn", dsn_bytes(SIREN, NIC, MARCH, people(3))),
        ("avril.dsn", dsn_bytes(SIREN, NIC, APRIL, people(4))),
    ]
    told: list[int] = []
    read_dsn(files, told.append)
    first, total = count_lines(files[:1]), count_lines(files)
    assert told == sorted(told) and len(told) == len(set(told)) and told[-1] <= total
    assert told[0] == 40 and any(done > first for done in told)  # the second file counts on from the first
    assert len(told) >= total // 40 - 2  # one report every 40 lines of each file
    assert read_dsn(files).problems == []  # reading without a listener is the same reading
