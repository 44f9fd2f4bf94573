"""The employee's workplace (DSN S21.G00.40.019): a valid SIRET kept without its spaces, or nothing, refused in
French otherwise; the DSN reconciliation hires with it, and a listed employee declared at another workplace gets a
new workplace in the preview, described in French."""

import re

import pytest

from bench.dsn_factory import dsn_bytes, people
from portal_common.formats import siret_fr
from workforce.dsn.rules import WORKPLACE_UNREADABLE, Action
from workforce.employees.rules import HireRejected, check_workplace

from .test_dsn import APRIL, NIC, SIREN, listed_from, plan_of

OTHER_SITE = "73282932000082"  # the same company's other establishment (a valid SIRET)


def test_a_workplace_is_a_valid_siret_kept_without_its_spaces_dots_or_dashes():
    assert check_workplace("732 829 320 00074") == "73282932000074"
    assert check_workplace("732.829.320-00082") == OTHER_SITE


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_workplace_is_not_known_rather_than_refused(empty):
    assert check_workplace(empty) is None


@pytest.mark.parametrize("typed", ["7328293200007", "732829320000740", "7328293200007A", "ETAB-PARIS-12"])
def test_a_workplace_that_is_not_14_digits_is_refused_in_french_next_to_its_field(typed):
    with pytest.raises(HireRejected) as refused:
        check_workplace(typed)
    assert refused.value.errors == {
        "workplace_siret": "Le lieu de travail est le SIRET de l'établissement où travaille le salarié : "
        "14 chiffres, par exemple 732 829 320 00074."
    }


def test_a_workplace_siret_with_a_wrong_check_key_is_refused_in_french():
    with pytest.raises(HireRejected) as refused:
        check_workplace("73282932000075")
    assert "clé de contrôle" in refused.value.errors["workplace_siret"]


def test_a_siret_is_shown_as_its_siren_by_threes_then_its_nic():
    assert siret_fr("73282932000074") == "732 829 320 00074"
    assert siret_fr(None) == "" and siret_fr("ETAB-PARIS") == "ETAB-PARIS"


def test_a_dsn_hire_carries_the_declared_workplace_and_says_so_in_the_preview():
    [row] = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [people(1)[0].but(workplace=OTHER_SITE)]))]).rows
    assert row.actions == [Action.HIRE] and row.workplace == OTHER_SITE
    assert row.details["Lieu de travail"] == "732 829 320 00082"


def test_a_listed_employee_declared_at_another_workplace_gets_a_new_workplace_described_in_french():
    person = people(1)[0]
    [row] = plan_of(
        [("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person.but(workplace=OTHER_SITE)]))], [listed_from(person)]
    ).rows
    assert row.actions == [Action.WORKPLACE] and row.changes and row.workplace == OTHER_SITE
    assert row.details == {"Lieu de travail": "732 829 320 00074 → 732 829 320 00082"}


def test_a_listed_employee_without_a_workplace_gets_the_declared_one():
    person = people(1)[0]
    [row] = plan_of(
        [("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person]))], [listed_from(person, workplace_siret=None)]
    ).rows
    assert row.actions == [Action.WORKPLACE]
    assert row.details == {"Lieu de travail": "non renseigné → 732 829 320 00074"}


def test_the_same_workplace_changes_nothing():
    person = people(1)[0]
    [row] = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [person]))], [listed_from(person)]).rows
    assert row.actions == [Action.UNCHANGED] and row.workplace is None


def test_a_workplace_that_is_not_a_siret_is_warned_of_without_being_quoted_and_changes_nothing():
    person = people(1)[0]
    declared = person.but(workplace="ETAB-PARIS-12")
    [hire] = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [declared]))]).rows
    assert hire.actions == [Action.HIRE] and hire.workplace is None and "Lieu de travail" not in hire.details
    assert hire.warnings == [WORKPLACE_UNREADABLE] and "ETAB-PARIS-12" not in str(hire.warnings)
    [known] = plan_of([("a.dsn", dsn_bytes(SIREN, NIC, APRIL, [declared]))], [listed_from(person)]).rows
    assert known.actions == [Action.UNCHANGED] and known.warnings == [WORKPLACE_UNREADABLE]


def test_a_dsn_that_declares_no_workplace_leaves_the_listed_one_as_it_is():
    person = people(1)[0]
    raw = dsn_bytes(SIREN, NIC, APRIL, [person]).replace(b"S21.G00.40.019,'73282932000074'\n", b"")
    count = re.search(rb"S90\.G00\.90\.001,'(\d+)'", raw)
    assert count is not None and b"S21.G00.40.019" not in raw
    raw = raw.replace(count[0], b"S90.G00.90.001,'%d'" % (int(count[1]) - 1))  # one rubric less, announced
    [row] = plan_of([("a.dsn", raw)], [listed_from(person, workplace_siret=OTHER_SITE)]).rows
    assert row.actions == [Action.UNCHANGED] and row.workplace is None and not row.warnings
