"""Scheduling in Chromium through the real gateway: from a hire to a convocation e-mail and a cancellation too late to ask online."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest

from portal_common.validators import nir_key
from tests.browser.test_journeys import assert_accessible, log_in

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
LAST_NAME, FIRST_NAMES = "ZIMMERMANN", "Léon"
COMPANY_EMAIL = "contact@boulangerie-martin.fr"  # Boulangerie Martin has no convocation contact in the demo


def french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def add_months(day: date, months: int) -> date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def log_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")


# Staff must use a second factor: the TOTP key enrolled in this stack, kept for a later login.
STAFF_TOTP: dict[str, str] = {}


def pass_second_factor(page) -> None:  # type: ignore[no-untyped-def]
    """When identity asks for it: enrol the staff account's authenticator at its first login, or give its code."""
    page.wait_for_url(lambda url: "/double-authentification" in url or url.endswith("/gestion/adherents"))
    if "/double-authentification" not in page.url:
        return
    if "/activation" in page.url:
        STAFF_TOTP["key"] = page.locator("#cle-manuelle").inner_text().replace(" ", "")
        page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(STAFF_TOTP["key"]).now())
        page.get_by_role("button", name="Activer").click()
        page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    else:
        page.get_by_label("Code").first.fill(pyotp.TOTP(STAFF_TOTP["key"]).now())
        page.get_by_role("button", name="Valider").click()


def hire(page, today: date) -> None:  # type: ignore[no-untyped-def]
    """The employer adds an employee through the workforce pages (no exposure: SI)."""
    page.goto("/salaries/nouveau")
    page.get_by_label("Nom d'usage").fill(LAST_NAME)
    page.get_by_label("Prénoms").fill(FIRST_NAMES)
    page.get_by_label("Sexe").select_option("M")
    page.get_by_label("Date de naissance").fill("1990-05-17")
    first13 = "1900568224123"
    page.get_by_label("Code INSEE de la commune de naissance").fill("68224")
    page.get_by_label("N° de sécurité sociale").fill(f"{first13}{nir_key(first13):02d}")
    page.get_by_label("Date d'embauche").fill(today.isoformat())
    page.get_by_label("Poste de travail").fill("Boulanger")
    page.get_by_label("Contrat").select_option("CDI")
    page.get_by_role("button", name="Ajouter le salarié").click()
    page.wait_for_url("**/salaries")
    assert LAST_NAME in page.inner_text(".flash-success")


def wait_for_obligation(page) -> str:  # type: ignore[no-untyped-def]
    """The hire reaches scheduling through workforce's event: the employer's page shows the visit due."""
    for _ in range(100):
        page.goto("/rendez-vous")
        due = page.locator("section[aria-labelledby=obligations] tr", has_text=LAST_NAME)
        if due.count():
            return due.first.inner_text()
        page.wait_for_timeout(200)
    raise AssertionError("the hire never showed up in the visits due")


def test_a_hire_becomes_a_visit_due_requested_convoked_by_email_and_too_late_to_cancel_online(page, portal_env):
    today = datetime.now(PARIS).date()
    log_in(page, "1000001")
    page.wait_for_url("**/adherent")
    hire(page, today)

    row = wait_for_obligation(page)
    assert "VIP initiale (3 mois)" in row and french(add_months(today, 3)) in row
    assert_accessible(page)

    # The employer requests the initial visit from the row of the visit due.
    page.get_by_role("link", name=f"Demander la visite de {LAST_NAME} {FIRST_NAMES}").click()
    page.wait_for_url("**/rendez-vous/demande**")
    assert_accessible(page)
    assert LAST_NAME in page.get_by_label("Salarié").locator("option:checked").inner_text()
    assert page.get_by_label("Type de visite").input_value() == "embauche"
    page.get_by_label("Contraintes de convocation").fill("Absent le mercredi")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_url("**/rendez-vous")
    assert "demande de rendez-vous est enregistrée" in page.inner_text(".flash-success")
    requests = page.locator("section[aria-labelledby=demandes]").inner_text()
    assert LAST_NAME in requests and "Visite d'information et de prévention initiale" in requests
    log_out(page)

    # Staff open a slot tomorrow — inside the 3 jours ouvrés limit — and convoke the request into it.
    log_in(page, "secretariat@spsti-demo.fr")
    pass_second_factor(page)
    page.wait_for_url("**/gestion/adherents")
    page.get_by_role("link", name="Gestion des rendez-vous").click()
    page.wait_for_url("**/gestion/rendez-vous")
    assert_accessible(page)
    tomorrow = today + timedelta(days=1)
    slot_form = page.locator("form[action='/gestion/rendez-vous/creneaux']")
    slot_form.get_by_label("Centre").first.fill("Centre de santé au travail de Mulhouse")
    slot_form.get_by_label("Adresse du centre").fill("5 avenue Kennedy, 68100 Mulhouse")
    slot_form.get_by_label("Professionnel de santé").select_option("infirmier")
    slot_form.get_by_label("Nom du professionnel").fill("Marc Rothenbach")
    slot_form.get_by_label("Jour").fill(tomorrow.isoformat())
    slot_form.get_by_label("Heure").fill("10:00")
    page.get_by_role("button", name="Ouvrir le créneau").click()
    page.wait_for_url("**/gestion/rendez-vous")
    assert "Créneau ouvert." in page.inner_text(".flash-success")
    request_row = page.locator("section[aria-labelledby=demandes] tr", has_text=LAST_NAME)
    assert "Absent le mercredi" in request_row.inner_text()
    slot_id = request_row.locator("option", has_text="Marc Rothenbach").get_attribute("value")
    request_row.locator("select[name=slot_id]").select_option(slot_id)
    request_row.get_by_role("button", name="Convoquer").click()
    page.wait_for_url("**/gestion/rendez-vous")
    assert "convocation est envoyée au contact de l'entreprise" in page.inner_text(".flash-success")

    # The relay delivers the convocation to the real SMTP server of the run.
    mail = portal_env.smtp.wait_for(lambda m: LAST_NAME in str(m["Subject"]), timeout=60)
    assert mail["To"] == COMPANY_EMAIL
    assert mail["Subject"] == f"Convocation du {french(tomorrow)} — {LAST_NAME} {FIRST_NAMES}"
    body = mail.get_content()
    assert "le " + french(tomorrow) + " à 10:00" in body and "Centre de santé au travail de Mulhouse" in body
    log_out(page)

    # The employer sees the convocation, too late to cancel online: no button, the page says why; it stays.
    log_in(page, "1000001")
    page.wait_for_url("**/adherent")
    page.goto("/rendez-vous")
    upcoming = page.locator("section[aria-labelledby=a-venir] tr", has_text=LAST_NAME)
    assert "Convoquée" in upcoming.inner_text() and "Convocation (PDF)" in upcoming.inner_text()
    assert upcoming.get_by_role("button", name="Demander l'annulation").count() == 0
    assert "Annulation en ligne close depuis le" in upcoming.inner_text()
    assert "contactez le service" in upcoming.inner_text()
    assert_accessible(page)
