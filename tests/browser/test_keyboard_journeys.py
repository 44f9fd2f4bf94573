"""Keyboard-only journeys in Chromium through the real gateway: an employer declares its headcount from « Accueil »
and requests a visit for an employee, with Tab, Shift+Tab, Enter, Space and the arrow keys only (no mouse, no
`.click()`). At each step the focused element shows its :focus-visible outline, and the final confirmation is in
the page's role="status" region.

The employer is the Garage du Centre (1000002), whom no other journey declares for; the campaign is this year's,
opened by whichever journey of this stack comes first."""

from __future__ import annotations

import pytest

from portal_common import clock
from tests.browser.test_journeys import assert_accessible, log_in
from tests.browser.test_workforce_journeys import open_campaign_as_staff

pytestmark = pytest.mark.browser

EMPLOYER = "1000002"
# The focused element, and whether it shows a focus ring: :focus-visible applies and draws an outline. A date
# field's calendar button takes the focus inside Chromium's own control (the field itself no longer matches :focus)
# and draws the browser's own focus ring: that step counts as visible.
FOCUS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const picker = e.type === 'date' && !e.matches(':focus');
  return {
    ring: picker || (e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0),
    text: (e.innerText || e.value || e.getAttribute('aria-label') || e.tagName).trim().slice(0, 80),
  };
}"""


def tab_to(page, target, *, backwards: bool = False, limit: int = 150) -> None:  # type: ignore[no-untyped-def]
    """Press Tab (or Shift+Tab) until `target` (a locator) has the focus; every element passed on the way shows
    its focus ring."""
    target = target.first
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = page.evaluate(FOCUS)
        assert focus["ring"], f"no visible focus on « {focus['text']} » ({page.url})"
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{target} never reached with the keyboard on {page.url}")


def press(page, key: str, *, url: str) -> None:  # type: ignore[no-untyped-def]
    """Press a key on the focused link or button, then wait for the page it opens."""
    with page.expect_navigation(url=url):
        page.keyboard.press(key)
    page.wait_for_load_state()


def confirmation(page) -> str:  # type: ignore[no-untyped-def]
    status = page.locator('[role="status"]', has=page.locator(".flash-success"))
    status.wait_for()
    return status.inner_text()


def test_an_employer_declares_its_headcount_from_accueil_with_the_keyboard_only(page):
    year = clock.today().year
    open_campaign_as_staff(page, year)
    log_in(page, EMPLOYER)
    page.wait_for_url("**/accueil")

    # « Déclarer mes effectifs » in the main menu while the campaign is open: reached from the top of the page.
    entry = page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Déclarer mes effectifs"
    )
    # The gateway keeps workforce's menu entry for up to 30 s (the same for everyone): a page shown by another
    # journey just before the opening may still be served without it, as a user would see for those seconds.
    for _ in range(45):
        if entry.count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    tab_to(page, entry)
    press(page, "Enter", url=f"**/salaries/declarations/{year}")
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page)

    # The declaration is prefilled from the employee list; back up from « Confirmer » to the first count and back.
    confirm = page.get_by_role("button", name="Confirmer la déclaration")
    tab_to(page, confirm)
    first_count = page.locator("main form input[type=number], main form input[inputmode=numeric]").first
    tab_to(page, first_count, backwards=True)
    before = first_count.input_value()
    page.keyboard.press("ArrowUp")  # a number field steps with the arrows
    page.keyboard.press("ArrowDown")
    assert first_count.input_value() == before
    tab_to(page, confirm)
    press(page, "Space", url=f"**/salaries/declarations/{year}")
    assert f"Votre déclaration des effectifs {year} est confirmée." in confirmation(page)
    assert page.get_by_role("button", name="Confirmer la déclaration").count() == 0
    assert_accessible(page)


def test_an_employer_requests_a_visit_for_an_employee_with_the_keyboard_only(page):
    log_in(page, EMPLOYER)
    page.wait_for_url("**/accueil")

    menu = page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mes rendez-vous")
    tab_to(page, menu)
    press(page, "Enter", url="**/rendez-vous")
    ask = page.locator("main a[href^='/rendez-vous/demande?salarie=']")
    assert ask.count() > 0, "no visit due to request in the demo"
    last_name = ask.first.text_content().split("la visite de", 1)[1].split()[0]
    tab_to(page, ask)
    press(page, "Enter", url="**/rendez-vous/demande**")
    assert_accessible(page)

    constraints = page.get_by_label("Contraintes de convocation")
    tab_to(page, constraints)
    page.keyboard.type("Absent le vendredi")
    send = page.get_by_role("button", name="Envoyer la demande")
    tab_to(page, send)
    press(page, "Enter", url="**/rendez-vous")
    assert "demande de rendez-vous est enregistrée" in confirmation(page)
    requests = page.locator("section[aria-labelledby=demandes]").inner_text()
    assert last_name in requests
    assert_accessible(page)
