"""Rules of the headcount declaration and its campaign: window, statuses, prefill, justifications."""

from datetime import UTC, date, datetime, timedelta

import pytest

from workforce.declarations.rules import (
    CAMPAIGN_CLOSED,
    CAMPAIGN_OPEN,
    CONFIRMED,
    DRAFT,
    INVOICED,
    Campaign,
    CampaignCommand,
    CampaignRejected,
    Counts,
    DeclarationEntry,
    DeclarationRejected,
    check_campaign,
    check_declaration,
    is_ceased,
    is_late,
    is_present_on,
    late_explanation,
    refusal,
    shown_status,
    tally,
)

JANUARY = Campaign(
    year=2027, opens_on=date(2027, 1, 1), closes_on=date(2027, 1, 31), deadline=date(2027, 2, 15), status=CAMPAIGN_OPEN
)
EXPECTED = Counts({"SI": 10, "SIA": 2, "SIR": 1}, {"SI": 0, "SIA": 0, "SIR": 3})


def entry(si=10, sia=2, sir=1, multi_sir=3, **justifications):
    return DeclarationEntry({"SI": si, "SIA": sia, "SIR": sir}, {"SI": 0, "SIA": 0, "SIR": multi_sir}, justifications)


def test_a_campaign_defaults_to_the_january_window_closing_at_its_end():
    campaign = check_campaign(CampaignCommand(year=2027), today=date(2026, 12, 1), existing_years=[2026])
    assert (campaign.opens_on, campaign.closes_on, campaign.deadline) == (
        date(2027, 1, 1),
        date(2027, 1, 31),
        date(2027, 1, 31),
    )


def test_a_configured_window_keeps_its_dates_and_the_deadline_follows_the_window_end():
    campaign = check_campaign(
        CampaignCommand(year=2027, opens_on=date(2027, 1, 6), closes_on=date(2027, 2, 21)),
        today=date(2026, 12, 1),
        existing_years=[],
    )
    assert (campaign.opens_on, campaign.closes_on, campaign.deadline) == (
        date(2027, 1, 6),
        date(2027, 2, 21),
        date(2027, 2, 21),
    )


def test_a_second_campaign_of_the_same_year_is_refused():
    with pytest.raises(CampaignRejected) as refused:
        check_campaign(CampaignCommand(year=2027), today=date(2026, 12, 1), existing_years=[2027])
    assert refused.value.errors == {"year": "La campagne 2027 est déjà ouverte : une seule campagne par année."}


def test_a_window_in_the_wrong_order_or_year_and_an_early_deadline_are_refused_field_by_field():
    with pytest.raises(CampaignRejected) as refused:
        check_campaign(
            CampaignCommand(
                year=2027, opens_on=date(2026, 12, 15), closes_on=date(2026, 12, 10), deadline=date(2026, 12, 1)
            ),
            today=date(2026, 12, 1),
            existing_years=[],
        )
    assert set(refused.value.errors) == {"opens_on", "closes_on", "deadline"}
    with pytest.raises(CampaignRejected) as far:
        check_campaign(CampaignCommand(year=2031), today=date(2026, 12, 1), existing_years=[])
    assert far.value.errors == {"year": "Ouvrez une campagne pour 2025 à 2028."}


def test_the_headcount_counts_those_under_contract_on_1_january_with_multi_employer_workers_apart():
    day = date(2027, 1, 1)
    assert is_present_on(date(2026, 3, 1), None, day)
    assert is_present_on(date(2027, 1, 1), date(2027, 1, 1), day)
    assert not is_present_on(date(2027, 1, 2), None, day)
    assert not is_present_on(date(2020, 1, 1), date(2026, 12, 31), day)
    counts = tally([("SI", False), ("SI", False), ("SIR", True), ("SIA", False)])
    assert counts.as_dict() == {
        "headcount": {"SI": 2, "SIA": 1, "SIR": 0},
        "multi_employer": {"SI": 0, "SIA": 0, "SIR": 1},
    }
    assert counts.total == 4


@pytest.mark.parametrize(
    "today, stored, ceased, expected",
    [
        (date(2027, 1, 15), None, False, "to_enter"),
        (date(2027, 1, 15), DRAFT, False, "in_progress"),
        (date(2027, 1, 15), CONFIRMED, False, "confirmed"),
        (date(2027, 3, 15), INVOICED, False, "invoiced"),
        (date(2027, 2, 1), None, False, "not_enterable"),
        (date(2027, 2, 1), DRAFT, False, "not_enterable"),
        (date(2026, 12, 31), None, False, "not_enterable"),
        (date(2027, 1, 15), None, True, "not_enterable"),
    ],
)
def test_the_five_statuses_of_the_seed_portal(today, stored, ceased, expected):
    assert shown_status(JANUARY, stored, today=today, ceased=ceased) == expected


def test_each_refusal_gives_its_reason_in_french():
    assert (
        refusal(JANUARY, None, today=date(2026, 12, 20), ceased=False)
        == "La saisie de la déclaration 2027 ouvrira le 01/01/2027."
    )
    assert refusal(JANUARY, DRAFT, today=date(2027, 2, 1), ceased=False) == (
        "La saisie de la déclaration 2027 était ouverte jusqu'au 31/01/2027 : elle n'est plus possible."
    )
    assert "déjà confirmée" in refusal(JANUARY, CONFIRMED, today=date(2027, 1, 15), ceased=False)
    assert "déjà facturée" in refusal(JANUARY, INVOICED, today=date(2027, 1, 15), ceased=False)
    closed = Campaign(2027, date(2027, 1, 1), date(2027, 1, 31), date(2027, 1, 31), CAMPAIGN_CLOSED)
    assert refusal(closed, None, today=date(2027, 6, 15), ceased=False) is None  # a late declaration
    assert "déjà confirmée" in refusal(closed, CONFIRMED, today=date(2027, 6, 15), ceased=False)
    assert "cessé" in refusal(closed, None, today=date(2027, 6, 15), ceased=True)
    assert "cessé" in refusal(JANUARY, None, today=date(2027, 1, 15), ceased=True)
    assert refusal(JANUARY, DRAFT, today=date(2027, 1, 31), ceased=False) is None


def test_a_declaration_entered_or_confirmed_after_the_closing_is_late_and_one_confirmed_before_never():
    closed_at = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    closed = Campaign(2027, date(2027, 1, 1), date(2027, 1, 31), date(2027, 1, 31), CAMPAIGN_CLOSED, closed_at)
    assert not is_late(JANUARY, None) and not is_late(None, None)
    assert is_late(closed, None)  # being entered now
    assert is_late(closed, closed_at + timedelta(days=3))
    assert not is_late(closed, closed_at - timedelta(minutes=1))
    assert shown_status(closed, None, today=date(2027, 6, 15), ceased=False) == "to_enter"
    assert shown_status(closed, DRAFT, today=date(2027, 6, 15), ceased=False) == "in_progress"
    assert "annulée par un avoir" in late_explanation(2027)


def test_a_company_has_ceased_from_the_effective_date_of_a_ceasing_situation_only():
    assert is_ceased("cessation_activite", date(2026, 12, 31), date(2027, 1, 1))
    assert not is_ceased("cessation_activite", date(2027, 6, 30), date(2027, 1, 1))
    assert not is_ceased("redressement_judiciaire", date(2026, 1, 1), date(2027, 1, 1))


def test_counts_equal_to_the_list_need_no_justification():
    checked = check_declaration(entry(), EXPECTED, confirming=True)
    assert checked.counts == EXPECTED and checked.justifications == {"SI": None, "SIA": None, "SIR": None}


def test_a_difference_needs_a_justification_to_confirm_but_not_to_save_a_draft():
    draft = check_declaration(entry(si=12), EXPECTED, confirming=False)
    assert draft.counts.headcount["SI"] == 12
    with pytest.raises(DeclarationRejected) as refused:
        check_declaration(entry(si=12, multi_sir=2), EXPECTED, confirming=True)
    assert set(refused.value.errors) == {"justification_SI", "justification_SIR"}
    assert "10 salarié(s) et 0 salarié(s) multi-employeurs dans la liste" in refused.value.errors["justification_SI"]
    confirmed = check_declaration(entry(si=12, SI="  Deux  embauches le 01/01 "), EXPECTED, confirming=False)
    assert confirmed.justifications["SI"] == "Deux embauches le 01/01"


def test_counts_must_be_whole_numbers_from_zero():
    with pytest.raises(DeclarationRejected) as refused:
        check_declaration(entry(si=None, sia=-1, sir=True), EXPECTED, confirming=True)
    assert set(refused.value.errors) == {"headcount_SI", "headcount_SIA", "headcount_SIR"}
    assert refused.value.errors["headcount_SI"].startswith("Salariés en SI : saisissez un nombre entier")
    with pytest.raises(DeclarationRejected) as too_long:
        check_declaration(entry(si=11, SI="x" * 501), EXPECTED, confirming=False)
    assert too_long.value.errors == {"justification_SI": "La justification ne doit pas dépasser 500 caractères."}
