"""The table of visit-obligation rules, with dates (leap years, month ends, a hire on 31 January)."""

from dataclasses import replace
from datetime import date

import pytest

from scheduling.obligations.rules import (
    RULES,
    EmployeeFacts,
    Obligation,
    Periods,
    VisitHistory,
    add_months,
    compute_obligations,
    needs_visit_before_assignment,
    urgency,
)

ADULT = date(1990, 6, 15)  # turns 45 in 2035


def facts(**overrides) -> EmployeeFacts:
    values = dict(birth_date=ADULT, hire_date=date(2025, 3, 10), category="SI", category_since=date(2025, 3, 10))
    values.update(overrides)
    return EmployeeFacts(**values)


def due(f: EmployeeFacts, periods: Periods = Periods()) -> dict[str, date]:
    return {o.rule: o.due_on for o in compute_obligations(f, periods)}


@pytest.mark.parametrize(
    "hired, expected",
    [
        (date(2025, 3, 10), date(2025, 6, 10)),
        (date(2025, 11, 30), date(2026, 2, 28)),  # month end, across a year
        (date(2023, 11, 30), date(2024, 2, 29)),  # … into a leap February
        (date(2025, 1, 31), date(2025, 4, 30)),  # hired on 31 January: 30 April
    ],
)
def test_the_initial_vip_is_due_within_three_months_of_taking_up_the_post(hired, expected):
    assert due(facts(hire_date=hired, category_since=hired))["vip_initiale"] == expected


@pytest.mark.parametrize(
    "hired, expected",
    [
        (date(2025, 1, 31), date(2025, 3, 31)),
        (date(2023, 12, 31), date(2024, 2, 29)),  # leap year
        (date(2024, 12, 31), date(2025, 2, 28)),
    ],
)
def test_an_apprentice_is_seen_within_two_months(hired, expected):
    found = due(facts(hire_date=hired, category_since=hired, apprentice=True))
    assert found["vip_apprenti"] == expected and "vip_initiale" not in found


def test_night_workers_and_other_before_assignment_cases_are_seen_before_the_post():
    [vip, _] = compute_obligations(facts(category="SIA", before_assignment=True))
    assert vip == Obligation("vip_avant_affectation", "embauche", date(2025, 3, 10), before_post=True)


@pytest.mark.parametrize(
    "birth, minor",
    [
        (date(2007, 3, 11), True),  # 18 the day after the hire
        (date(2007, 3, 10), False),  # 18 on the hire day
        (date(2008, 2, 29), True),  # born on 29 February: 18 on 28 February 2026
    ],
)
def test_a_worker_under_18_at_hire_is_seen_before_the_post(birth, minor):
    found = due(facts(birth_date=birth))
    assert ("vip_avant_affectation" in found) is minor
    assert ("vip_initiale" in found) is not minor


def test_a_minor_apprentice_is_still_seen_before_the_post():
    found = due(facts(birth_date=date(2009, 1, 1), apprentice=True))
    assert found["vip_avant_affectation"] == date(2025, 3, 10) and "vip_apprenti" not in found


def test_a_sir_worker_needs_the_aptitude_exam_before_the_post_instead_of_a_vip():
    obligations = compute_obligations(facts(category="SIR"))
    assert obligations[0] == Obligation("examen_aptitude", "aptitude", date(2025, 3, 10), before_post=True)
    assert {o.rule for o in obligations} == {"examen_aptitude", "mi_carriere"}


@pytest.mark.parametrize(
    "category, rule, expected",
    [
        ("SI", "periodique_si", date(2029, 2, 28)),  # 29 February + 5 years
        ("SIA", "periodique_sia", date(2027, 2, 28)),  # + 3 years
    ],
)
def test_the_periodic_renewal_follows_the_last_visit(category, rule, expected):
    seen = VisitHistory(last_follow_up_on=date(2024, 2, 29))
    found = due(facts(category=category, history=seen))
    assert found[rule] == expected
    assert not {"vip_initiale", "vip_avant_affectation"} & set(found)


def test_a_sir_worker_is_renewed_at_four_years_with_an_intermediate_visit_at_two():
    seen = VisitHistory(last_follow_up_on=date(2025, 3, 3), last_medical_on=date(2025, 3, 3))
    found = due(facts(category="SIR", history=seen))
    assert found["periodique_sir"] == date(2029, 3, 3)
    assert found["intermediaire_sir"] == date(2027, 3, 3)
    assert "examen_aptitude" not in found
    # Once a nurse has done the intermediate visit only the médecin's renewal stays due.
    after = replace(seen, last_follow_up_on=date(2027, 2, 1))
    found = due(facts(category="SIR", history=after))
    assert found["periodique_sir"] == date(2029, 3, 3) and "intermediaire_sir" not in found


def test_a_change_of_category_recomputes_the_obligations():
    seen = VisitHistory(last_follow_up_on=date(2024, 5, 2), last_medical_on=date(2024, 5, 2))
    as_si = due(facts(category="SI", history=seen))
    assert as_si["periodique_si"] == date(2029, 5, 2)
    # Moved to a SIR post on 1 September 2025: an aptitude exam before that post, the SI renewal disappears.
    as_sir = due(facts(category="SIR", category_since=date(2025, 9, 1), history=seen))
    assert as_sir["examen_aptitude"] == date(2025, 9, 1) and "periodique_si" not in as_sir
    # Back to SIA: renewal within 3 years of the last visit.
    assert due(facts(category="SIA", history=seen))["periodique_sia"] == date(2027, 5, 2)


def test_an_aptitude_exam_shortly_before_the_hire_counts_one_long_before_does_not():
    just_before = VisitHistory(last_follow_up_on=date(2025, 2, 20), last_medical_on=date(2025, 2, 20))
    assert "examen_aptitude" not in due(facts(category="SIR", history=just_before))
    long_before = VisitHistory(last_follow_up_on=date(2024, 11, 1), last_medical_on=date(2024, 11, 1))
    assert due(facts(category="SIR", history=long_before))["examen_aptitude"] == date(2025, 3, 10)


def test_the_mid_career_visit_is_due_by_the_end_of_the_calendar_year_of_the_45th_birthday():
    assert due(facts())["mi_carriere"] == date(2035, 12, 31)
    assert due(facts(birth_date=date(1980, 12, 31)))["mi_carriere"] == date(2025, 12, 31)
    # Already past that year when hired, or already done: none.
    assert "mi_carriere" not in due(facts(birth_date=date(1970, 1, 1)))
    assert "mi_carriere" not in due(facts(history=VisitHistory(mid_career_done_on=date(2025, 4, 1))))
    # A branch agreement may set another age.
    assert due(facts(), replace(Periods(), mid_career_age=50))["mi_carriere"] == date(2040, 12, 31)


def test_a_sir_worker_who_leaves_is_due_a_post_exposure_visit_and_nothing_else():
    seen = VisitHistory(last_follow_up_on=date(2024, 1, 8), last_medical_on=date(2024, 1, 8))
    left = facts(category="SIR", exit_date=date(2025, 10, 31), was_reinforced=True, history=seen)
    assert compute_obligations(left) == [Obligation("post_exposition", "post_exposition", date(2025, 10, 31))]
    assert compute_obligations(left, replace(Periods(), post_exposure_days=30))[0].due_on == date(2025, 11, 30)
    done = replace(left, history=replace(seen, post_exposure_done_on=date(2025, 10, 15)))
    assert compute_obligations(done) == []


def test_a_worker_who_was_never_in_sir_leaves_with_no_obligation():
    assert compute_obligations(facts(exit_date=date(2025, 5, 1))) == []


def test_the_periods_are_configuration_with_the_legal_defaults():
    assert Periods() == Periods(
        vip_months=3,
        vip_apprentice_months=2,
        si_renewal_years=5,
        sia_renewal_years=3,
        sir_renewal_years=4,
        sir_intermediate_years=2,
        mid_career_age=45,
    )
    shorter = replace(Periods(), vip_months=1, si_renewal_years=4)
    assert due(facts(), shorter)["vip_initiale"] == date(2025, 4, 10)
    assert due(facts(history=VisitHistory(last_follow_up_on=date(2025, 1, 1))), shorter)["periodique_si"] == date(
        2029, 1, 1
    )


def test_each_rule_has_a_unique_code_and_a_french_label():
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert all(rule.label[0].isupper() for rule in RULES)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 2) == date(2026, 2, 15)


@pytest.mark.parametrize(
    "due_on, expected",
    [
        (date(2025, 6, 9), "en_retard"),
        (date(2025, 6, 10), "a_planifier"),
        (date(2025, 9, 8), "a_planifier"),
        (date(2025, 9, 9), "a_venir"),
    ],
)
def test_an_obligation_is_overdue_the_day_after_its_due_date(due_on, expected):
    assert urgency(due_on, today=date(2025, 6, 10)) == expected


def test_a_sir_worker_moved_to_a_post_out_of_sir_is_due_a_post_exposure_visit():
    seen = VisitHistory(last_follow_up_on=date(2024, 1, 8), last_medical_on=date(2024, 1, 8))
    moved = facts(category="SIA", category_since=date(2026, 2, 2), sir_ended_on=date(2026, 2, 2), history=seen)
    found = due(moved)
    assert found["post_exposition"] == date(2026, 2, 2) and found["periodique_sia"] == date(2027, 1, 8)
    # Done in the month before the move, or back in SIR: nothing more.
    done = replace(moved, history=replace(seen, post_exposure_done_on=date(2026, 1, 5)))
    assert "post_exposition" not in due(done)
    assert "post_exposition" not in due(replace(moved, category="SIR"))
    # Leaves later, no longer in SIR: the visit for the earlier exposure is still due.
    assert due(replace(moved, exit_date=date(2026, 6, 30)))["post_exposition"] == date(2026, 2, 2)


@pytest.mark.parametrize(
    "determinants, before",
    [
        (["travail_nuit"], True),
        (["champs_electromagnetiques"], True),
        (["biologique_2"], True),
        (["autorisation_conduite"], False),
        ([], False),
    ],
)
def test_night_work_emf_and_biological_group_2_call_for_the_visit_before_the_post(determinants, before):
    assert needs_visit_before_assignment(determinants) is before


@pytest.mark.parametrize(
    "seen_on, rule, expected",
    [
        (date(2024, 2, 29), "periodique_sir", date(2028, 2, 29)),  # leap day + 4 years: a leap day again
        (date(2024, 2, 29), "intermediaire_sir", date(2026, 2, 28)),  # + 2 years: 28 February
        (date(2025, 1, 31), "periodique_sir", date(2029, 1, 31)),
        (date(2023, 8, 31), "intermediaire_sir", date(2025, 8, 31)),
    ],
)
def test_the_sir_renewals_keep_the_day_or_clamp_a_leap_day(seen_on, rule, expected):
    seen = VisitHistory(last_follow_up_on=seen_on, last_medical_on=seen_on)
    assert due(facts(category="SIR", category_since=date(2023, 1, 2), history=seen))[rule] == expected


@pytest.mark.parametrize(
    "hired, category, rule, expected",
    [
        (date(2024, 1, 31), "SI", "vip_initiale", date(2024, 4, 30)),  # leap year: still 30 April
        (date(2024, 1, 31), "SIA", "vip_initiale", date(2024, 4, 30)),
        (date(2025, 1, 31), "SIR", "examen_aptitude", date(2025, 1, 31)),  # SIR: before the post, the hire day
        (date(2024, 12, 31), "SI", "vip_initiale", date(2025, 3, 31)),  # across the year, a 31-day month
        (date(2025, 8, 31), "SI", "vip_initiale", date(2025, 11, 30)),  # into a 30-day month
    ],
)
def test_a_hire_on_a_month_end_gets_the_clamped_due_date(hired, category, rule, expected):
    assert due(facts(hire_date=hired, category_since=hired, category=category))[rule] == expected


def test_a_worker_born_on_29_february_is_due_the_mid_career_visit_in_the_year_of_his_45th_birthday():
    # Born 29 February 1980: 45 in 2025 (a common year), visit by 31 December 2025.
    assert due(facts(birth_date=date(1980, 2, 29)))["mi_carriere"] == date(2025, 12, 31)
    # Hired after that year: none.
    assert "mi_carriere" not in due(
        facts(birth_date=date(1980, 2, 29), hire_date=date(2026, 1, 1), category_since=date(2026, 1, 1))
    )
