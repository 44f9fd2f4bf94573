"""An accounting firm and its collaborator, in Chromium through the real gateway: the firm's portfolio lists its
clients in their different states; its collaborator sees only the client the firm gave her, then a second one the
firm adds, and loses one the firm takes back at her next request. Each page checked with axe-core."""

from __future__ import annotations

import pytest

from tests.browser.test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser

FIRM = "cabinet@fiducia-expertise.fr"
COLLABORATOR = "lea.klein@fiducia-expertise.fr"


def portfolio_clients(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.goto("/portefeuille")
    page.get_by_role("heading", level=1, name="Portefeuille clients").wait_for()
    return sorted(
        name
        for name in ("Boulangerie Martin", "Garage du Centre", "Transports Keller")
        if page.get_by_role("table").first.get_by_text(name).count()
    )


def give(page, collaborator: str, clients: dict[str, bool]) -> None:  # type: ignore[no-untyped-def]
    """On the firm's page: tick or untick each client (with « Déclaration ») for the collaborator, then save."""
    page.goto("/portefeuille/collaborateurs")
    page.get_by_role("link", name=f"Modifier les clients de {collaborator}").click()
    for name, given in clients.items():
        box = page.get_by_label(f"Confier {name}")
        box.set_checked(given)
        if given:
            page.get_by_role("group", name=f"Rôles chez {name}").get_by_label("Déclaration").check()
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/portefeuille/collaborateurs")


def test_a_firm_gives_its_collaborator_some_clients_and_she_sees_only_those(browser, portal_url):
    firm_context = browser.new_context(base_url=portal_url, locale="fr-FR")
    lea_context = browser.new_context(base_url=portal_url, locale="fr-FR")
    firm, lea = firm_context.new_page(), lea_context.new_page()
    try:
        log_in(firm, FIRM)
        firm.wait_for_url("**/changer-adherent")
        firm.get_by_role("button", name="Choisir Boulangerie Martin").click()
        firm.wait_for_url("**/accueil")
        assert portfolio_clients(firm) == ["Boulangerie Martin", "Garage du Centre"]
        rows = firm.locator("table tbody tr")
        assert rows.count() == 2
        statuses = {rows.nth(i).inner_text() for i in range(2)}
        print(f"\nfirm portfolio rows: {statuses}")
        assert_accessible(firm)
        firm.get_by_role("link", name="Collaborateurs du cabinet : inviter, confier des clients").click()
        firm.wait_for_url("**/portefeuille/collaborateurs")
        row = firm.locator("tr", has_text="Léa Klein")
        assert "Garage du Centre (Déclaration)" in row.inner_text() and "Boulangerie" not in row.inner_text()
        assert_accessible(firm)

        log_in(lea, COLLABORATOR)
        lea.wait_for_url(lambda url: url.endswith("/accueil") or url.endswith("/changer-adherent"))
        assert portfolio_clients(lea) == ["Garage du Centre"]
        assert_accessible(lea)
        assert lea.goto("/portefeuille/collaborateurs").status == 404  # a collaborator manages nobody

        give(firm, "Léa Klein", {"Boulangerie Martin": True})
        assert portfolio_clients(lea) == ["Boulangerie Martin", "Garage du Centre"]  # her next request
        lea.goto("/changer-adherent")
        lea.get_by_role("button", name="Choisir Garage du Centre").click()
        lea.wait_for_url("**/accueil")

        give(firm, "Léa Klein", {"Garage du Centre": False})
        # The garage is no longer reachable: identity's session check drops it — within 2 s, since the gateway
        # keeps a session check's answer for 1 s (docs/security.md SESS-05).
        for _ in range(6):
            lea.goto("/salaries")
            if "Garage du Centre" not in lea.locator("header").inner_text():
                break
            lea.wait_for_timeout(500)
        assert "Garage du Centre" not in lea.locator("header").inner_text()
        assert portfolio_clients(lea) == ["Boulangerie Martin"]
    finally:
        # The demo as it was, for the other journeys of this stack.
        give(firm, "Léa Klein", {"Garage du Centre": True, "Boulangerie Martin": False})
        firm_context.close()
        lea_context.close()
