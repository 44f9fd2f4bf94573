"""From login to each « À faire » item of « Accueil » and back, and staff from their home to each queue, in
Chromium through the real gateway (its server-side includes compose the pages), each page checked with axe-core."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import assert_accessible, log_in
from tests.browser.test_scheduling_journeys import log_out, pass_second_factor

pytestmark = pytest.mark.browser


def follow_each_link(page, selector: str, home: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open every link of the home's lists, check the page it leads to, come back; the paths followed."""
    hrefs = [a.get_attribute("href") for a in page.locator(selector).all()]
    for href in hrefs:
        page.goto(home)
        page.locator(f'{selector}[href="{href}"]').first.click()
        page.wait_for_url(re.compile(".*" + re.escape(href.split("#")[0]) + "(#.*)?$"))
        assert page.get_by_role("heading", level=1).is_visible()
        assert "Accès refusé" not in page.inner_text("main")
        page.go_back()
        page.wait_for_url(f"**{home}")
    return hrefs


def test_an_employer_lands_on_accueil_and_follows_each_item_to_do_and_comes_back(page):
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    assert page.get_by_role("heading", level=1).inner_text() == "Accueil"
    main = page.inner_text("main")
    assert "momentanément indisponible" not in main and "Synthèse d'activité" in main
    for title in ("Mon entreprise", "Effectifs et déclaration", "Rendez-vous", "Factures"):
        assert page.get_by_role("heading", level=2, name=title).is_visible()
    assert_accessible(page)
    followed = follow_each_link(page, ".todo-list a", "/accueil")
    print(f"\nAccueil: {len(followed)} « À faire » items followed: {followed}")
    # « Mon compte » opens without JavaScript and lists identity's pages.
    page.locator(".account-menu summary").click()
    page.get_by_role("navigation", name="Mon compte").get_by_role("link", name="Sessions ouvertes").click()
    page.wait_for_url("**/compte/sessions")
    page.goto("/contact")
    assert_accessible(page)
    page.goto("/aide")
    assert "3 jours ouvrés" in page.inner_text("main")
    assert_accessible(page)


def test_staff_land_on_their_home_and_follow_each_queue(page):
    log_in(page, "secretariat@spsti-demo.fr")
    pass_second_factor(page)
    page.wait_for_url("**/gestion/accueil")
    assert "momentanément indisponible" not in page.inner_text("main")
    assert_accessible(page)
    followed = follow_each_link(page, ".todo-list a", "/gestion/accueil")
    assert "/gestion/adherents/demandes" in followed and "/gestion/rendez-vous#demandes" in followed
    print(f"\nstaff home: {len(followed)} queues followed: {followed}")
    log_out(page)
