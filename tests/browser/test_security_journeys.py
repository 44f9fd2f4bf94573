"""Second factor, step-up, API tokens and the security log in Chromium through the real gateway
(docs/security.md SESS-07, AUTH-23; docs/decisions/0007 and 0008). The demo stack leaves MFA optional
(IDENTITY_MFA_MANDATORY=false): the user enrols by choice, then turns it off again so the demo account stays
as the other journeys expect it."""

from __future__ import annotations

import re

import pyotp
import pytest

from portal_stack.demo_data import DEMO_PASSWORD
from tests.browser.test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_member_enrols_an_app_signs_in_with_a_recovery_code_creates_and_revokes_an_api_token(page):
    log_in(page, "1000002")
    page.wait_for_url("**/accueil")
    page.goto("/compte/double-authentification")
    assert_accessible(page)
    page.get_by_role("link", name="Activer la double authentification").click()
    # A sensitive change: the password is asked again first.
    page.wait_for_url("**/compte/verification?next=/compte/double-authentification/activation")
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url("**/compte/double-authentification/activation")
    assert page.locator("svg[role=img]").is_visible()
    assert_accessible(page)
    secret = page.locator("#cle-manuelle").inner_text().replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer", exact=True).click()
    codes = re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", page.inner_text("main"))
    assert len(set(codes)) == 10
    assert_accessible(page)

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")
    log_in(page, "1000002")
    page.wait_for_url("**/connexion/double-authentification")
    assert_accessible(page)
    page.get_by_label("Code de l'application ou code de secours").fill(codes[0])
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/accueil")

    page.goto("/compte/jetons-api")
    assert_accessible(page)
    page.get_by_role("button", name="Créer le jeton").click()
    page.wait_for_url("**/compte/verification?next=/compte/jetons-api")
    page.get_by_label("Code de l'application ou code de secours").fill(codes[1])
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url("**/compte/jetons-api")
    page.get_by_role("button", name="Créer le jeton").click()
    assert "Donnez un nom au jeton" in page.locator("#f-name-error").inner_text()
    page.get_by_label("Nom du jeton").fill("Logiciel de paie")
    page.get_by_label("Salariés : lecture", exact=True).check()
    page.get_by_role("button", name="Créer le jeton").click()
    token = page.locator("#jeton").inner_text()
    assert token.startswith("spsti_pat_")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("revenir à la liste")).click()
    assert token not in page.content()
    page.get_by_role("button", name="Révoquer le jeton Logiciel de paie").click()
    assert "révoqué" in page.inner_text(".flash-success")

    page.goto("/compte/journal-securite")
    assert_accessible(page)
    main = page.inner_text("main")
    assert "Création de jeton API" in main and "Code de secours utilisé" in main and token not in main

    page.goto("/compte/double-authentification")
    page.get_by_role("button", name="Désactiver la double authentification").click()
    assert "désactivée" in page.inner_text(".flash-success")
