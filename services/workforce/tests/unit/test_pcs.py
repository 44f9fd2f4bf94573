"""The shipped PCS-ESE 2017 reference list: its size, a few known professions, the lookup rules."""

import re
from importlib.resources import files

from workforce.employees.pcs import pcs_label, pcs_labels, pcs_reference
from workforce.employees.rules import PCS_CODE_RE


def test_the_list_holds_the_four_hundred_or_so_professions_each_a_well_formed_code():
    labels = pcs_labels()
    assert 380 <= len(labels) <= 500
    assert all(PCS_CODE_RE.match(code) for code in labels)
    assert all(label and label == label.strip() and not label.endswith(("*", ".")) for label in labels.values())


def test_known_professions_have_their_insee_label_with_accents_and_apostrophes():
    assert pcs_label("552a") == "Caissiers de magasin"
    assert pcs_label("389a") == "Ingénieurs et cadres techniques de l'exploitation des transports"
    assert pcs_label("621a") == "Chefs d'équipe du gros œuvre et des travaux publics"
    assert pcs_label("546d") == "Hôtesses de l'air et stewards"
    assert pcs_label("431d") == "Infirmiers spécialisés (autres qu'infirmiers psychiatriques et puéricultrices)"


def test_no_label_keeps_a_space_where_an_apostrophe_belongs():
    elided = re.compile(r"\b(d|l|qu) [aeiouyhéèêàâîôû]", re.I)
    assert [label for label in pcs_labels().values() if elided.search(label)] == []


def test_the_lookup_ignores_case_and_surrounding_spaces():
    assert pcs_label("552A") == pcs_label(" 552a ") == "Caissiers de magasin"


def test_an_unknown_or_empty_code_has_no_label():
    assert pcs_label("999z") is None
    assert pcs_label("512b") is None
    assert pcs_label("") is None and pcs_label(None) is None


def test_the_reference_pairs_follow_the_file_order_for_the_form_datalist():
    pairs = pcs_reference()
    assert pairs[0][0] < pairs[-1][0] and ("552a", "Caissiers de magasin") in pairs
    assert len(pairs) == len(pcs_labels())


def test_the_data_file_names_its_source_and_licence():
    first_line = files("workforce").joinpath("data/pcs_ese_2017.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("#") and "INSEE" in first_line and "Licence Ouverte" in first_line
