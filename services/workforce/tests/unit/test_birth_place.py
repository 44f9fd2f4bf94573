"""The place of birth: the INSEE commune code or the country, and how it agrees with the NIR (no database)."""

from datetime import date

import pytest

from workforce.employees.rules import HireCommand, HireRejected, birth_department, birth_place_warnings, check_hire

TODAY = date(2025, 6, 2)
MISSING = (
    "Le lieu de naissance est obligatoire : indiquez la commune de naissance (son nom ou son code INSEE), ou le "
    "pays de naissance si le salarié est né à l'étranger."
)
BAD_COMMUNE = (
    "Le code INSEE de la commune de naissance comporte 5 caractères, par exemple 14118 (Caen) ou 2A004 (Ajaccio)."
)
BOTH = (
    "Indiquez soit la commune de naissance (né en France), soit le pays de naissance (né à l'étranger), pas les deux."
)


def command(**overrides):
    values = dict(
        last_name="Dupont",
        first_names="Marie",
        sex="F",
        birth_date=date(1955, 8, 14),
        nir="255081416802538",
        hire_date=date(2024, 3, 1),
        post="Vendeuse",
        contract="CDI",
    )
    values.update(overrides)
    return HireCommand(**values)


def refusal(**overrides) -> dict:
    with pytest.raises(HireRejected) as refused:
        check_hire(command(**overrides), today=TODAY)
    return refused.value.errors


@pytest.mark.parametrize(
    "given, kept",
    [
        ("14118", "14118"),
        ("2A004", "2A004"),
        ("2b033", "2B033"),
        (" 97411 ", "97411"),
        ("98735", "98735"),
        ("75 056", "75056"),
    ],
)
def test_a_commune_code_of_five_characters_corsica_and_overseas_included_is_accepted(given, kept):
    hire = check_hire(command(birth_commune=given), today=TODAY)
    assert (hire.birth_commune, hire.birth_country) == (kept, None)


@pytest.mark.parametrize("given", ["1411", "141180", "2C004", "Caen", "2A0O4", "A2004"])
def test_a_commune_that_is_not_an_insee_code_is_refused_with_a_french_message(given):
    assert refusal(birth_commune=given) == {"birth_commune": BAD_COMMUNE}


@pytest.mark.parametrize(
    "given, kept",
    [("Maroc", "Maroc"), ("  Côte   d'Ivoire ", "Côte d'Ivoire"), ("99350", "99350"), ("99 350", "99350")],
)
def test_someone_born_abroad_gives_the_country_by_name_or_insee_code(given, kept):
    hire = check_hire(command(nir="295109912611193", birth_date=date(1995, 10, 1), birth_country=given), today=TODAY)
    assert (hire.birth_commune, hire.birth_country) == (None, kept)


def test_the_place_of_birth_is_required_and_only_one_of_commune_and_country():
    assert refusal() == {"birth_commune": MISSING}
    assert refusal(birth_commune="  ", birth_country=" ") == {"birth_commune": MISSING}
    assert refusal(birth_commune="14118", birth_country="Maroc") == {"birth_country": BOTH}


@pytest.mark.parametrize(
    "given, message",
    [
        (
            "France",
            "Pour un salarié né en France, indiquez le code INSEE de sa commune de naissance plutôt que le pays.",
        ),
        (
            "99100",
            "Pour un salarié né en France, indiquez le code INSEE de sa commune de naissance plutôt que le pays.",
        ),
        (
            "12345",
            "Le code INSEE d'un pays comporte 5 chiffres commençant par 99, par exemple 99350 (Maroc) ; vous "
            "pouvez aussi écrire le nom du pays.",
        ),
        ("X" * 101, "Le pays de naissance ne doit pas dépasser 100 caractères."),
    ],
)
def test_a_country_that_cannot_be_right_is_refused(given, message):
    assert refusal(birth_country=given) == {"birth_country": message}


@pytest.mark.parametrize(
    "commune, department",
    [("14118", "14"), ("2A004", "2A"), ("2B033", "2B"), ("97411", "974"), ("98735", "987"), ("01053", "01")],
)
def test_the_department_of_a_commune_has_three_digits_overseas(commune, department):
    assert birth_department(commune) == department


@pytest.mark.parametrize(
    "nir, commune, country",
    [
        ("255081416802538", "14118", None),  # Calvados
        ("186022A21532523", "2A004", None),  # Corse-du-Sud in the NIR and the commune
        ("186022021532523", "2B033", None),  # born in Corsica before 1976: '20' in the NIR
        ("285089741100000", "97411", None),  # La Réunion: 974 in the NIR
        ("295109912611193", None, "Maroc"),  # born abroad: 99
        ("785059912345695", None, "99350"),  # a NIA, born abroad
    ],
)
def test_a_place_of_birth_that_agrees_with_the_nir_gives_no_warning(nir, commune, country):
    assert birth_place_warnings(nir, commune, country) == []


def test_a_commune_in_another_department_than_the_nir_is_a_warning():
    assert birth_place_warnings("255081416802538", "75056", None) == [
        "Le département de naissance du numéro de sécurité sociale (14) ne correspond pas à la commune de "
        "naissance (75056)."
    ]
    assert birth_place_warnings("186022A21532523", "2B033", None) == [
        "Le département de naissance du numéro de sécurité sociale (2A) ne correspond pas à la commune de "
        "naissance (2B033)."
    ]
    assert birth_place_warnings("285089741100000", "97209", None) == [
        "Le département de naissance du numéro de sécurité sociale (974) ne correspond pas à la commune de "
        "naissance (97209)."
    ]


def test_a_commune_while_the_nir_says_born_abroad_and_a_country_while_it_says_france_are_warnings():
    assert birth_place_warnings("295109912611193", "14118", None) == [
        "Le numéro de sécurité sociale indique une naissance à l'étranger, mais une commune de naissance en France "
        "est déclarée."
    ]
    assert birth_place_warnings("255081416802538", None, "Maroc") == [
        "Le numéro de sécurité sociale indique une naissance en France, mais un pays de naissance étranger est déclaré."
    ]


def test_a_disagreement_with_the_nir_is_never_a_refusal():
    hire = check_hire(command(birth_commune="75056"), today=TODAY)
    assert hire.birth_commune == "75056"
