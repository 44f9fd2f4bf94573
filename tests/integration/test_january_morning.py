"""The January-morning load test's scenario, end to end with a handful of users, so that it does not rot.

It starts what `bench/january_morning.py` starts (the portal on PostgreSQL behind its gateway on 18180, billing's
rush pipeline beside it), seeds a few companies, runs employers, an accounting firm and staff for a few seconds
and stops everything. No timing is asserted: only that every page of the scenario was reached without an error
and that billing issued invoices from the rush's confirmations meanwhile.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.timeout(900)
def test_the_january_morning_scenario_runs_end_to_end_with_a_handful_of_users() -> None:
    from bench import january_morning

    results = january_morning.morning([10], seconds=15, rush_rate=20, keep_going=True)

    assert len(results) == 1
    pages = results[0]["pages"]
    reached = {
        "/connexion",
        "/connexion (POST)",
        "/accueil",
        "/salaries",
        "/salaries/declarations/[année]",
        "/salaries/declarations/[année] (confirmer)",
        "/factures",
        "/portefeuille",
        "/changer-adherent (POST)",
        "/gestion/accueil",
        "/gestion/salaries/campagnes",
        "/gestion/factures/campagne",
    }
    assert reached <= set(pages), sorted(reached - set(pages))
    assert {name: page["errors"] for name, page in pages.items() if page["errors"]} == {}, results[0]["error_samples"]
    assert results[0]["rush_issued_per_s"] > 0
