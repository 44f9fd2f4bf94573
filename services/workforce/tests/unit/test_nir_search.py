"""Telling a NIR typed into a search box from a name, and what to look up: pure rules, no database."""

import pytest

from portal_common.validators import nir_in
from workforce.employees.rules import NIR_SEARCH_INCOMPLETE, nir_to_find


@pytest.mark.parametrize(
    "typed, run",
    [
        ("255081416802538", "255081416802538"),
        ("2 55 08 14 168 025 38", "255081416802538"),
        ("2.55.08.14.168.025.38", "255081416802538"),
        ("2-55-08-14-168-025", "2550814168025"),
        ("dupont 1 86 02 2a 215 325 23", "186022A21532523"),
        ("1 86 02 2 A 215 325", "186022A215325"),
        ("12345678901234567890", "12345678901234567890"),
    ],
)
def test_a_run_of_13_or_more_nir_characters_is_a_nir_search(typed, run):
    assert nir_in(typed) == run


@pytest.mark.parametrize("typed", ["Dupont", "élodie lefèvre", "abbé 0612345678", "123456789012", "2A 2B", "", None])
def test_names_dates_and_short_numbers_are_not_a_nir_search(typed):
    assert nir_in(typed) is None


def test_thirteen_characters_get_their_key_and_fifteen_are_checked():
    assert nir_to_find("2550814168025") == ("255081416802538", None)
    assert nir_to_find("186022A215325") == ("186022A21532523", None)
    assert nir_to_find("255081416802538") == ("255081416802538", None)
    assert nir_to_find("255081416802539") == (
        None,
        "La clé du numéro de sécurité sociale est incorrecte : vérifiez le numéro.",
    )
    assert nir_to_find("25508141680253") == (None, NIR_SEARCH_INCOMPLETE)
    assert nir_to_find("1234567890123456") == (None, NIR_SEARCH_INCOMPLETE)


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("2 55 08 14 168 025 39", "2 55 08 ** *** *** 39"),
        ("25508141680", "25508****80"),
        ("1234", "****"),
        ("", None),
        (None, None),
    ],
)
def test_a_number_typed_in_a_file_is_shown_masked_whatever_its_length(typed, shown):
    from workforce.employees.rules import mask_typed_nir

    assert mask_typed_nir(typed) == shown
