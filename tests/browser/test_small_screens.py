"""Every page each persona (an employer, an accounting firm, its collaborator, staff) reaches from its menus
and home, at 390 px (a phone) and 1280 px (a small window): axe-core finds no violation, no page scrolls
sideways (wide tables scroll inside their box on a phone) and at 1280 px no table is cut. One browser, one
context per persona, a loop; the number of pages checked is printed."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

from tests.browser.test_journeys import log_in
from tests.browser.test_scheduling_journeys import pass_second_factor

pytestmark = pytest.mark.browser

axe = Axe()
WIDTHS = (390, 1280)
# Links that download a file, leave the session or change something on GET are not pages to look at.
NOT_A_PAGE = re.compile(r"[./](pdf|csv|xlsx|png|xml|ics)$|/export|/deconnexion|/telecharger|/api/|\?")
LINKS = "header a[href^='/'], nav a[href^='/'], main a[href^='/'], footer a[href^='/']"
# One page of each shape: the 50 employees of a list share one template, so /salaries/<id> is looked at once.
AN_ID = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+|[A-Z]{1,3}-?[0-9][0-9-]*)(?=/|$)")


def shape(path: str) -> str:
    return AN_ID.sub("/{id}", path)


def visit(page, path: str) -> bool:  # type: ignore[no-untyped-def]
    """Opens `path`; False when it is not a page this persona may look at (an error, or a file download)."""
    try:
        answer = page.goto(path)
    except PlaywrightError as exc:  # a link to a file the pattern above did not foresee
        if "Download is starting" in str(exc):
            return False
        raise
    # A page the menus offer but this persona may not open is the access matrix's concern; a file is no page.
    if answer is None or answer.status >= 400:
        return False
    return "text/html" in (answer.header_value("content-type") or "")


# Boxes whose content is wider than themselves: they scroll (fine on a phone), a column is cut (not at 1280 px).
CUT = """() => [...document.querySelectorAll('.table-wrapper, .card')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.getAttribute('aria-label') || e.id || e.className) + ' by ' + (e.scrollWidth - e.clientWidth) + ' px')"""


def problems_here(page, label: str, *, wide: bool) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"{label}: scrolls sideways by {overflow} px")
    if wide:
        found += [f"{label}: columns cut in « {box} »" for box in page.evaluate(CUT)]
    for violation in axe.run(page).response["violations"]:
        targets = [node["target"] for node in violation["nodes"]][:2]
        found.append(f"{label}: axe {violation['id']} {targets}")
    return found


def check_persona(page, start: str, limit: int = 45) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    """Breadth first from the persona's home at 1280 px, each page checked as it is found (one page per shape);
    then the same pages at 390 px. Answers the number of page views checked and the problems."""
    page.set_viewport_size({"width": WIDTHS[1], "height": 900})
    seen, queue, checked, found = {shape(start)}, [start], [], []
    while queue:
        path = queue.pop(0)
        if not visit(page, path):
            continue
        checked.append(path)
        found += problems_here(page, f"{WIDTHS[1]}px {path}", wide=True)
        for href in page.eval_on_selector_all(LINKS, "els => els.map(e => e.getAttribute('href'))"):
            link = href.split("#")[0]
            if link and shape(link) not in seen and not NOT_A_PAGE.search(link) and len(seen) < limit:
                seen.add(shape(link))
                queue.append(link)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    for path in checked:
        if visit(page, path):
            found += problems_here(page, f"{WIDTHS[0]}px {path}", wide=False)
    return len(checked) * len(WIDTHS), found


PERSONAS = (
    ("employer", "1000001", "/accueil", False),
    ("accounting firm", "cabinet@fiducia-expertise.fr", "/portefeuille", False),
    ("firm collaborator", "lea.klein@fiducia-expertise.fr", "/portefeuille", False),
    ("staff", "secretariat@spsti-demo.fr", "/gestion/accueil", True),
)


def test_no_page_of_any_persona_scrolls_sideways_or_fails_axe_at_390_and_1280_px(browser, portal_url):
    checked, problems = 0, []
    for name, login, home, second_factor in PERSONAS:
        context = browser.new_context(base_url=portal_url, locale="fr-FR")
        page = context.new_page()
        try:
            log_in(page, login)
            if second_factor:
                pass_second_factor(page)
            page.wait_for_load_state()
            if "/changer-adherent" in page.url:
                page.get_by_role("button").filter(has_text="Choisir").first.click()
                page.wait_for_load_state()
            views, found = check_persona(page, home)
            problems += [f"{name}: {p}" for p in found]
            checked += views
            print(f"\n{name}: {views} page views checked", *found, sep="\n  ", flush=True)
        finally:
            context.close()
    print(f"\nsmall screens: {checked} page views checked ({len(PERSONAS)} personas, {WIDTHS} px)")
    for problem in problems:
        print("  " + problem)
    assert problems == []
