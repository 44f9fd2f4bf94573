"""French formats and the identifier checks, with the test vectors of docs/domain.md §7."""

from datetime import UTC, date, datetime

import pytest

from portal_common.formats import date_fr, money_fr, time_fr
from portal_common.validators import (
    is_valid_iban,
    is_valid_nir,
    is_valid_siren,
    is_valid_siret,
    luhn_ok,
    nir_key,
    vat_number_for,
)


def test_dates_and_amounts_are_shown_the_french_way():
    assert date_fr(date(1970, 3, 22)) == "22/03/1970"
    assert money_fr("1458.22") == "1\u202f458,22\u00a0€"
    assert money_fr("-833.76") == "-833,76\u00a0€"
    assert money_fr("0") == "0,00\u00a0€"


def test_times_are_shown_in_paris_time():
    assert time_fr(datetime(2026, 1, 15, 8, 30, tzinfo=UTC)) == "09:30"
    assert time_fr(datetime(2026, 7, 15, 8, 30, tzinfo=UTC)) == "10:30"


@pytest.mark.parametrize("nir", ["255081416802538", "186022A21532523", "295109912611193", "2 55 08 14 168 025 38"])
def test_valid_nirs_are_accepted_including_corsica(nir):
    assert is_valid_nir(nir)


@pytest.mark.parametrize("nir", ["255081416802539", "295109912611199", "25508141680253", "2550814168025AB"])
def test_invalid_nirs_are_refused(nir):
    assert not is_valid_nir(nir)


def test_the_nir_key_substitutes_corsican_departments():
    assert nir_key("186022A215325") == 23


@pytest.mark.parametrize("siret", ["73282932000074", "55210055400013", "44306184100047", "732 829 320 00074"])
def test_a_siret_outside_la_poste_is_accepted_by_its_luhn_key(siret):
    assert is_valid_siret(siret)


@pytest.mark.parametrize("siret", ["73282932000075", "73282932000072", "7328293200007", "7328293200007A"])
def test_a_siret_outside_la_poste_failing_luhn_is_refused_even_with_a_digit_sum_multiple_of_5(siret):
    assert not is_valid_siret(siret)


@pytest.mark.parametrize("siret", ["35600000049837", "35600000009075", "35600000000001", "35600000000015"])
def test_a_la_poste_siret_whose_digit_sum_is_a_multiple_of_5_is_accepted_without_luhn(siret):
    assert is_valid_siret(siret)


@pytest.mark.parametrize("siret", ["35600000000014", "35600000000022", "35600000049838"])
def test_a_la_poste_siret_is_refused_when_its_digit_sum_is_not_a_multiple_of_5_even_if_luhn_passes(siret):
    assert not is_valid_siret(siret)


def test_la_postes_luhn_valid_35600000000048_is_refused_by_la_postes_digit_sum_rule():
    # Luhn passes (the head office's number for INSEE and python-stdnum), the digit sum is 26: refused, as asked.
    assert luhn_ok("35600000000048") and sum(int(c) for c in "35600000000048") % 5 == 1
    assert not is_valid_siret("35600000000048")


def test_a_siret_whose_siren_fails_its_own_luhn_key_is_refused():
    assert not is_valid_siret("10000000000008")


def test_siren_and_vat_number():
    assert is_valid_siren("732829320") and not is_valid_siren("732829321")
    assert vat_number_for("732829320") == "FR44732829320"


def test_iban_mod_97():
    assert is_valid_iban("GB82 WEST 1234 5698 7654 32")
    assert is_valid_iban("FR76 3000 6000 0112 3456 7890 189")
    assert not is_valid_iban("FR76 3000 6000 0112 3456 7890 188")


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/salaries?q=1%2085%2008%2014%20168%20025%2088", "/salaries"),  # a NIR typed with spaces, URL-encoded
        ("/salaries?q=185082A141680&page=2", "/salaries"),  # Corsica, 13 characters
        ("/salaries?q=DUPONT&page=2", "/salaries?q=DUPONT&page=2"),
        ("/factures?annee=2026", "/factures?annee=2026"),
        ("/salaries/1850814168025", "/salaries/1850814168025"),  # only the query string is judged
    ],
)
def test_a_query_string_carrying_a_nir_is_dropped_from_a_path_kept_for_later(path, kept):
    from portal_common.validators import without_nir_query

    assert without_nir_query(path) == kept
