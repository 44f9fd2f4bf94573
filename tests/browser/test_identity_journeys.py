"""Identity in Chromium through the real gateway: an accounting firm's first account, a second company, switching."""

from __future__ import annotations

import re
import uuid

import pyotp
import pytest

from .test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser

PASSWORD = "notre cabinet tient les comptes depuis 1987"


def type_company_codes(page, member_number: str, code: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#f-member_number", member_number)
    page.fill("#f-declarant_code", code)
    page.get_by_label("Je suis tiers déclarant de l'entreprise").check()


def enrol_if_mandatory(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Accounting-firm users enrol a TOTP app at their first login when IDENTITY_MFA_MANDATORY (the local demo
    stack turns it off): then the recovery codes shown once, else none."""
    page.wait_for_url(lambda url: not url.endswith("/connexion"))
    if "/connexion/double-authentification/activation" not in page.url:
        return []
    secret = page.inner_text("#cle-manuelle").replace(" ", "")
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) >= 2
    page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    return codes


def test_an_accounting_firm_opens_its_account_adds_a_second_company_and_switches(page, portal_env):
    email = f"e.durand.{uuid.uuid4().hex[:8]}@cabinet-durand.fr"
    page.goto("/connexion")
    page.get_by_role("link", name="Première connexion : se connecter avec son code adhérent").click()
    page.wait_for_url("**/connexion/premier-compte")
    assert_accessible(page)
    # The demo codes are on the welcome letters: n° télédéclarant DEMO + member number, typed as printed.
    for _ in range(20):  # identity learns the code's digest from members' event, asynchronously
        type_company_codes(page, "1000001", "demo1000001")
        page.get_by_role("button", name="Continuer").click()
        if page.get_by_role("heading", name="Créer votre compte").count():
            break
        page.wait_for_timeout(1000)
    assert "Boulangerie Martin" in page.inner_text("main")
    assert_accessible(page)
    page.fill("#f-last_name", "Durand")
    page.fill("#f-first_name", "Élise")
    page.fill("#f-job_title", "Expert-comptable")
    page.fill("#f-email", email)
    page.fill("#f-email_confirmation", email)
    page.get_by_role("button", name="Créer le compte").click()
    assert page.get_by_role("heading", name="Vérifiez votre messagerie").is_visible()

    mail = portal_env.smtp.wait_for(lambda m: m["To"] == email, timeout=60)
    assert mail["Subject"] == "Activez votre compte de l'espace adhérent"
    link = re.search(r"https?://\S+(/connexion/activation/\S+)", mail.get_content()).group(1)
    page.goto(link)
    assert_accessible(page)
    page.fill("#f-new_password", PASSWORD)
    page.fill("#f-confirmation", PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url("**/connexion")
    assert "Votre compte est activé" in page.inner_text("main")

    page.get_by_label("N° adhérent ou adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    recovery_codes = enrol_if_mandatory(page)
    page.wait_for_load_state()
    assert "Boulangerie Martin" in page.inner_text("header")

    # "Ajouter une entreprise": a sensitive change (confirmed with a recovery code or the password), then the codes.
    page.goto("/changer-adherent")
    page.get_by_role("link", name="Ajouter une entreprise").click()
    page.wait_for_url("**/compte/verification**")
    if recovery_codes:
        page.get_by_label("Code de l'application ou code de secours").fill(recovery_codes[0])
    else:
        page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url("**/compte/entreprises/ajouter")
    assert_accessible(page)
    for _ in range(20):
        type_company_codes(page, "1000003", "DEMO1000003")
        page.get_by_role("button", name="Ajouter l'entreprise").click()
        if "/changer-adherent" in page.url:
            break
        page.wait_for_timeout(1000)
    page.wait_for_url("**/changer-adherent")
    assert "Transports Keller SAS" in page.inner_text(".flash-success")
    assert_accessible(page)

    page.get_by_role("button", name="Choisir Transports Keller SAS").click()
    page.wait_for_load_state()
    assert "Transports Keller SAS" in page.inner_text("header")
    page.goto("/changer-adherent")
    page.get_by_role("button", name="Choisir Boulangerie Martin").click()
    page.wait_for_load_state()
    assert "Boulangerie Martin" in page.inner_text("header")
    page.goto("/compte")
    main = page.inner_text("main")
    assert "Boulangerie Martin" in main and "Transports Keller SAS" in main and "Garage du Centre" not in main


def test_a_company_administrator_sees_the_firms_delegation_invites_a_user_and_keeps_an_administrator(page, portal_env):
    log_in(page, "1000002")
    page.wait_for_url("**/accueil")
    page.goto("/compte")
    page.get_by_role("link", name="Utilisateurs de l'entreprise Garage du Centre").click()
    page.wait_for_url("**/compte/utilisateurs")
    assert_accessible(page)
    delegations = page.locator("section", has=page.get_by_role("heading", name="Délégations (tiers déclarants)"))
    assert "cabinet@fiducia-expertise.fr" in delegations.inner_text()
    assert delegations.get_by_role("button", name="Révoquer la délégation de Cabinet Fiducia Expertise").is_visible()

    email = f"atelier.{uuid.uuid4().hex[:8]}@garage-centre.fr"
    invite = page.locator("section", has=page.get_by_role("heading", name="Inviter un utilisateur"))
    invite.locator("#f-last_name").fill("Weber")
    invite.locator("#f-first_name").fill("Hugo")
    invite.locator("#f-email").fill(email)
    invite.get_by_label("Convocation").check()
    invite.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_url("**/compte/utilisateurs")
    assert email in page.inner_text(".flash-success")
    assert email in page.locator("section", has=page.get_by_role("heading", name="Invitations en attente")).inner_text()
    mail = portal_env.smtp.wait_for(lambda m: m["To"] == email, timeout=60)
    assert "Garage du Centre" in mail.get_content() and "/connexion/activation/" in mail.get_content()

    # The only administrator cannot step down: the French message stands next to his roles.
    row = page.locator("tr", has_text="(vous)")
    row.get_by_label("Administrateur").uncheck()
    row.get_by_label("Lecture").check()
    row.get_by_role("button", name=re.compile("Enregistrer les rôles")).click()
    assert (
        "garder au moins un administrateur"
        in page.locator("tr", has_text="(vous)").locator(".field-error").inner_text()
    )
    assert_accessible(page)
