"""The monitoring category computed from determinants and age, with the configurable 2025 classes."""

from datetime import date

import pytest

from workforce.employees.rules.categories import (
    DETERMINANTS,
    CategoryPolicy,
    base_category,
    check_determinants,
    classify,
    sir_for_authorisations_only,
)

ON = date(2026, 1, 15)
ADULT = date(1980, 5, 4)
SIA_POLICY, SI_POLICY, SIH_POLICY = CategoryPolicy("SIA"), CategoryPolicy("SI"), CategoryPolicy("SIA", "SIH")

# determinants, policy, expected (category, label)
CASES = [
    ((), SIA_POLICY, ("SI", "SI")),
    (("amiante",), SIA_POLICY, ("SIR", "SIR")),
    (("plomb",), SIA_POLICY, ("SIR", "SIR")),
    (("cmr",), SIA_POLICY, ("SIR", "SIR")),
    (("biologique_3_4",), SIA_POLICY, ("SIR", "SIR")),
    (("rayonnements_a",), SIA_POLICY, ("SIR", "SIR")),
    (("rayonnements_b",), SIA_POLICY, ("SIR", "SIR")),
    (("hyperbare",), SIA_POLICY, ("SIR", "SIR")),
    (("echafaudages",), SIA_POLICY, ("SIR", "SIR")),
    (("jeunes_derogation",), SIA_POLICY, ("SIR", "SIR")),
    (("sir_employeur",), SIA_POLICY, ("SIR", "SIR")),
    (("travail_nuit",), SIA_POLICY, ("SIA", "SIA")),
    (("champs_electromagnetiques",), SIA_POLICY, ("SIA", "SIA")),
    (("biologique_2",), SIA_POLICY, ("SIA", "SIA")),
    (("autorisation_conduite",), SIA_POLICY, ("SIA", "SIA")),
    (("habilitation_electrique",), SIA_POLICY, ("SIA", "SIA")),
    (("autorisation_conduite",), SI_POLICY, ("SI", "SI")),
    (("habilitation_electrique",), SI_POLICY, ("SI", "SI")),
    (("habilitation_electrique",), SIH_POLICY, ("SIA", "SIH")),
    (("autorisation_conduite", "habilitation_electrique"), SIH_POLICY, ("SIA", "SIH")),
    (("autorisation_conduite",), CategoryPolicy("SI", "SIH"), ("SI", "SIH")),
    # Another SIA reason beside the authorisation: the local label no longer applies.
    (("habilitation_electrique", "travail_nuit"), SIH_POLICY, ("SIA", "SIA")),
    (("habilitation_electrique", "amiante"), SIH_POLICY, ("SIR", "SIR")),
    (("travail_nuit", "cmr"), SIA_POLICY, ("SIR", "SIR")),
]


@pytest.mark.parametrize(("determinants", "policy", "expected"), CASES)
def test_the_category_follows_the_determinants_and_the_local_policy(determinants, policy, expected):
    result = classify(determinants, birth_date=ADULT, on=ON, policy=policy)
    assert (result.category, result.label) == expected


def test_every_determinant_of_the_list_is_in_the_table():
    assert {d.code for d in DETERMINANTS} == {codes[0] for codes, _, _ in CASES if len(codes) == 1}


def test_the_reasons_are_shown_from_the_highest_category_with_their_legal_reference():
    result = classify(("travail_nuit", "amiante"), birth_date=date(2009, 3, 1), on=ON, adapted_undisclosed=True)
    assert [(r.category, r.reference) for r in result.reasons] == [
        ("SIR", "art. R4624-23 I"),
        ("SIA", "art. L3122-5 et R4624-18"),
        ("SIA", "art. R4624-18"),
        ("SIA", "art. R4624-17"),
    ]
    assert result.reasons[2].label == "Salarié de moins de 18 ans"
    assert classify((), birth_date=ADULT, on=ON).reasons[0].label.startswith("Aucun déterminant")


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [
        (date(2008, 1, 16), "SIA"),  # 18 tomorrow
        (date(2008, 1, 15), "SI"),  # 18 today
        (date(2007, 2, 28), "SI"),
    ],
)
def test_under_18_comes_from_the_birth_date(birth_date, expected):
    assert classify((), birth_date=birth_date, on=ON).category == expected


def test_someone_born_on_29_february_comes_of_age_on_1_march():
    assert classify((), birth_date=date(2008, 2, 29), on=date(2026, 2, 28)).category == "SIA"
    assert classify((), birth_date=date(2008, 2, 29), on=date(2026, 3, 1)).category == "SI"


def test_the_employer_may_declare_adapted_monitoring_without_a_reason():
    result = classify((), birth_date=ADULT, on=ON, adapted_undisclosed=True)
    assert result.category == "SIA"
    assert result.reasons[0].label == "Suivi adapté déclaré par l'employeur, motif non communiqué"
    assert classify(("cmr",), birth_date=ADULT, on=ON, adapted_undisclosed=True).category == "SIR"


def test_the_stored_base_category_ignores_age():
    assert base_category((), adapted_undisclosed=False, policy=SIA_POLICY) == "SI"
    assert base_category(("autorisation_conduite",), adapted_undisclosed=False, policy=SI_POLICY) == "SI"
    assert base_category((), adapted_undisclosed=True, policy=SI_POLICY) == "SIA"


def test_a_post_added_to_sir_by_the_employer_needs_its_justification():
    assert check_determinants(("sir_employeur",), "  ") == {
        "sir_justification": "Justifiez l'ajout du poste à la liste SIR (motif lié au poste, jamais médical)."
    }
    assert check_determinants(("sir_employeur",), "Travail isolé en hauteur") == {}
    assert check_determinants(("radon",), None) == {
        "determinants": "Déterminant inconnu : choisissez dans la liste proposée."
    }


def test_sir_for_conduite_or_habilitation_only_is_spotted():
    assert sir_for_authorisations_only(("autorisation_conduite",), "SIR")
    assert sir_for_authorisations_only(("autorisation_conduite", "habilitation_electrique"), "SIR")
    assert not sir_for_authorisations_only(("autorisation_conduite", "cmr"), "SIR")
    assert not sir_for_authorisations_only(("autorisation_conduite",), "SIA")
    assert not sir_for_authorisations_only((), "SIR")


def test_a_policy_cannot_class_the_2025_determinants_in_sir():
    with pytest.raises(ValueError):
        CategoryPolicy("SIR")
