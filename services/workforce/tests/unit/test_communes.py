"""The birthplace typed by commune name or INSEE code against the shipped INSEE list: suggestions, ambiguous names,
postal codes never taken for INSEE codes (many postal codes are also another commune's INSEE code)."""

from datetime import date

import pytest

from portal_common.testing.identities import nir_for
from workforce.employees.communes import commune_label, communes
from workforce.employees.rules import HireCommand, HireRejected, check_hire, check_nir_agreement

TODAY = date(2026, 12, 7)


def test_the_list_holds_the_current_communes_and_the_arrondissements_of_paris_lyon_and_marseille():
    directory = communes()
    assert len(directory.by_code) > 34000
    assert directory.by_code["68224"].name == "Mulhouse"
    assert directory.by_code["68224"].postal_codes == ("68100", "68200")
    assert directory.by_code["75115"].name == "Paris 15e Arrondissement"
    assert {"69381", "13201", "2A004", "2B033", "97411", "97608"} <= directory.by_code.keys()


def test_suggestions_start_with_the_most_populated_commune_and_stop_at_ten():
    found = communes().suggest("mul")
    assert found[0].label == "Mulhouse (68224)"
    assert len(found) == 10
    assert [c.label for c in communes().suggest("68224")] == ["Mulhouse (68224)"]
    assert communes().suggest("sainte marie aux mines")[0].code == "68298"
    assert communes().suggest("  ") == []


@pytest.mark.parametrize("typed", ["Mulhouse", "mulhouse", "MULHOUSE ", "Mulhouse (68224)", "68224", "68 224"])
def test_mulhouse_is_found_by_its_name_its_label_or_its_code(typed):
    assert communes().resolve(typed) == ("68224", None)


def test_a_postal_code_is_refused_with_the_commune_s_insee_code():
    # 68100 is also Fulleren's INSEE code: the NIR (born in 68224) says which one was meant.
    assert communes().resolve("68100", nir_place="68224") == (
        None,
        "68100 est un code postal ; le code INSEE de la commune est 68224 (Mulhouse).",
    )
    assert communes().resolve("Mulhouse (68100)") == (
        None,
        "68100 est un code postal ; le code INSEE de la commune est 68224 (Mulhouse).",
    )


def test_a_postal_code_that_is_no_commune_s_code_is_refused_even_without_a_nir():
    assert communes().resolve("68410") == (
        None,
        "68410 est un code postal ; le code INSEE de la commune est 68005 (Ammerschwihr).",
    )
    code, message = communes().resolve("68390")
    assert code is None
    assert message == (
        "68390 est un code postal, commun à plusieurs communes : Baldersheim (68015), Battenheim (68022), "
        "Sausheim (68300). Saisissez le code INSEE de la commune de naissance, ou choisissez-la dans la liste "
        "proposée."
    )


def test_a_code_both_postal_and_insee_is_taken_only_when_the_nir_or_the_label_says_which():
    code, message = communes().resolve("68100")
    assert code is None and message.startswith("68100 est le code INSEE de Fulleren, mais aussi un code postal")
    assert communes().resolve("68100", nir_place="68100") == ("68100", None)
    assert communes().resolve("Fulleren (68100)") == ("68100", None)


def test_an_ambiguous_name_lists_its_communes_to_choose_from():
    code, message = communes().resolve("Saint-Denis")
    assert code is None
    assert message == (
        "Plusieurs communes s'appellent « Saint-Denis » : Saint-Denis (11339), Saint-Denis (30247), "
        "Saint-Denis (93066), Saint-Denis (97411). Choisissez la bonne dans la liste proposée, ou saisissez son "
        "code INSEE."
    )
    assert communes().resolve("Saint-Denis (93066)") == ("93066", None)


def test_an_unknown_name_or_code_is_refused_unless_it_is_the_record_s_own_code():
    assert communes().resolve("Mulhousse")[1].startswith("Aucune commune ne s'appelle « Mulhousse »")
    assert communes().resolve("12345")[1].startswith("Aucune commune ne porte le code INSEE 12345")
    assert communes().resolve("12345", keep="12345") == ("12345", None)
    assert communes().resolve("6822")[1].startswith("Le code INSEE de la commune de naissance comporte 5 caractères")


def test_the_code_of_a_merged_commune_stays_as_the_civil_record_has_it():
    # 68048 (Dornach) joined Mulhouse: the NIR of someone born there still says 68048.
    assert communes().former["68048"].code == "68224"
    assert communes().resolve("68048") == ("68048", None)


def command(**overrides) -> HireCommand:
    values = dict(
        last_name="Keller",
        first_names="Anne",
        sex="F",
        birth_date=date(1990, 4, 12),
        nir=nir_for("F", date(1990, 4, 12), "68224"),
        hire_date=date(2026, 11, 2),
        post="Cariste",
        contract="CDI",
        birth_commune="Mulhouse",
    )
    values.update(overrides)
    return HireCommand(**values)


def test_the_hire_rule_stores_the_insee_code_of_a_commune_typed_by_name():
    hire = check_nir_agreement(check_hire(command(), today=TODAY, communes=communes()))
    assert hire.birth_commune == "68224"


def test_the_hire_rule_refuses_mulhouse_s_postal_code_next_to_the_birthplace_field():
    with pytest.raises(HireRejected) as refused:
        check_hire(command(birth_commune="68100"), today=TODAY, communes=communes())
    assert refused.value.errors == {
        "birth_commune": "68100 est un code postal ; le code INSEE de la commune est 68224 (Mulhouse)."
    }


def test_a_commune_of_another_department_than_the_nir_s_is_refused_at_entry():
    with pytest.raises(HireRejected) as refused:
        check_nir_agreement(check_hire(command(birth_commune="Caen"), today=TODAY, communes=communes()))
    assert list(refused.value.errors) == ["birth_commune"]
    assert "département 68" in refused.value.errors["birth_commune"]


def test_imports_without_the_list_keep_the_code_check_alone():
    assert check_hire(command(birth_commune="68100"), today=TODAY).birth_commune == "68100"


def test_a_stored_commune_is_shown_by_its_name_and_an_unlisted_code_as_a_code():
    assert commune_label("14118") == "Caen (14118)"
    assert commune_label("68048") == "Commune 68048 (code INSEE)"
    assert commune_label(None) == ""
