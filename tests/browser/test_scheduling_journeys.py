"""Scheduling in Chromium through the real gateway: from a hire to a convocation e-mail and a cancellation too late to ask online."""

from __future__ import annotations

import time
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
# The time step of the last code given: identity accepts each step once.
TOTP_STEP_USED: dict[str, int] = {"step": 0}


def pass_second_factor(page) -> None:  # type: ignore[no-untyped-def]
    """When identity asks for it: enrol the staff account's authenticator at its first login, or give its code."""
    page.wait_for_url(lambda url: "/double-authentification" in url or url.endswith("/gestion/accueil"))
    if "/double-authentification" not in page.url:
        return
    if "/activation" in page.url:
        STAFF_TOTP["key"] = page.locator("#cle-manuelle").inner_text().replace(" ", "")
        page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(STAFF_TOTP["key"]).now())
        page.get_by_role("button", name="Activer").click()
        page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    else:
        # Identity accepts each code's time step once: a second login within the same 30 s waits for the next code.
        while int(time.time()) // 30 <= TOTP_STEP_USED["step"]:
            page.wait_for_timeout(500)
        page.get_by_label("Code").first.fill(pyotp.TOTP(STAFF_TOTP["key"]).now())
        page.get_by_role("button", name="Valider").click()
    TOTP_STEP_USED["step"] = int(time.time()) // 30


def hire(  # type: ignore[no-untyped-def]
    page, today: date, last_name: str = LAST_NAME, first_names: str = FIRST_NAMES, serial: str = "123"
) -> None:
    """The employer adds an employee through the workforce pages (no exposure: SI)."""
    page.goto("/salaries/nouveau")
    page.get_by_label("Nom d'usage").fill(last_name)
    page.get_by_label("Prénoms").fill(first_names)
    page.get_by_label("Sexe").select_option("M")
    page.get_by_label("Date de naissance").fill("1990-05-17")
    first13 = f"1900568224{serial}"
    # The birthplace by its name: the field suggests the communes as it is typed.
    page.get_by_label("Commune de naissance").fill("Mulh")
    page.locator('#birth-communes option[value="Mulhouse (68224)"]').wait_for(state="attached")
    page.get_by_label("Commune de naissance").fill("Mulhouse (68224)")
    page.get_by_label("N° de sécurité sociale").fill(f"{first13}{nir_key(first13):02d}")
    page.get_by_label("Date d'embauche").fill(today.isoformat())
    page.get_by_label("Poste de travail").fill("Boulanger")
    page.get_by_label("Contrat").select_option("CDI")
    page.get_by_role("button", name="Ajouter le salarié").click()
    page.wait_for_url("**/salaries")
    assert last_name in page.inner_text(".flash-success")


def wait_for_obligation(page, last_name: str = LAST_NAME) -> str:  # type: ignore[no-untyped-def]
    """The hire reaches scheduling through workforce's event: the employer's page shows the visit due."""
    for _ in range(100):
        page.goto("/rendez-vous")
        due = page.locator("section[aria-labelledby=obligations] tr", has_text=last_name)
        if due.count():
            return due.first.inner_text()
        page.wait_for_timeout(200)
    raise AssertionError("the hire never showed up in the visits due")


def test_a_hire_becomes_a_visit_due_requested_convoked_by_email_and_too_late_to_cancel_online(page, portal_env):
    today = datetime.now(PARIS).date()
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
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
    page.wait_for_url("**/gestion/accueil")
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
    page.wait_for_url("**/accueil")
    page.goto("/rendez-vous")
    upcoming = page.locator("section[aria-labelledby=a-venir] tr", has_text=LAST_NAME)
    assert "Convoquée" in upcoming.inner_text() and "Convocation (PDF)" in upcoming.inner_text()
    assert upcoming.get_by_role("link", name="Demander l'annulation").count() == 0
    assert "Annulation en ligne close depuis le" in upcoming.inner_text()
    assert "contactez le service" in upcoming.inner_text()
    assert_accessible(page)


def wait_for(page, path: str, found) -> None:  # type: ignore[no-untyped-def]
    """Events travel through the relays and workers: open the page again until it shows what they bring."""
    for _ in range(150):
        page.goto(path)
        if found():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{path} never showed what was expected")


def test_a_member_cancels_a_convocation_and_an_exit_proposes_cancelling_the_other(page, portal_env):
    today = datetime.now(PARIS).date()
    cancelled, leaver = ("KESSLER", "Paul", "131"), ("WALTER", "Hugo", "132")
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    for last_name, first_names, serial in (cancelled, leaver):
        hire(page, today, last_name, first_names, serial)
        wait_for_obligation(page, last_name)
        page.get_by_role("link", name=f"Demander la visite de {last_name} {first_names}").click()
        page.wait_for_url("**/rendez-vous/demande**")
        page.get_by_role("button", name="Envoyer la demande").click()
        page.wait_for_url("**/rendez-vous")
    log_out(page)

    # Staff convoke both into a slot a month ahead: well before the cancellation limit.
    log_in(page, "secretariat@spsti-demo.fr")
    pass_second_factor(page)
    page.wait_for_url("**/gestion/accueil")
    page.goto("/gestion/rendez-vous")
    visit_day = today + timedelta(days=30)
    slot_form = page.locator("form[action='/gestion/rendez-vous/creneaux']")
    slot_form.get_by_label("Centre").first.fill("Centre de santé au travail de Colmar")
    slot_form.get_by_label("Adresse du centre").fill("2 rue Golbéry, 68000 Colmar")
    slot_form.get_by_label("Professionnel de santé").select_option("medecin")
    slot_form.get_by_label("Nom du professionnel").fill("Anne Schaller")
    slot_form.get_by_label("Jour").fill(visit_day.isoformat())
    slot_form.get_by_label("Heure").fill("09:00")
    slot_form.get_by_label("Nombre de rendez-vous").fill("2")
    page.get_by_role("button", name="Ouvrir le créneau").click()
    page.wait_for_url("**/gestion/rendez-vous")
    for last_name, _, _ in (cancelled, leaver):
        row = page.locator("section[aria-labelledby=demandes] tr", has_text=last_name)
        slot_id = row.locator("option", has_text="Anne Schaller").get_attribute("value")
        row.locator("select[name=slot_id]").select_option(slot_id)
        row.get_by_role("button", name="Convoquer").click()
        page.wait_for_url("**/gestion/rendez-vous")
    log_out(page)

    # The member cancels the first: the button is there before the limit, and an e-mail confirms it.
    log_in(page, "1000001")
    page.wait_for_url("**/accueil")
    wait_for(page, "/adherent/documents", lambda: page.get_by_text(f"Convocation — {cancelled[0]}").count() > 0)
    page.goto("/rendez-vous")
    row = page.locator("section[aria-labelledby=a-venir] tr", has_text=cancelled[0])
    assert "Convoquée" in row.inner_text() and "Possible jusqu'au" in row.inner_text()
    row.get_by_role("link", name="Demander l'annulation").click()
    # A confirmation page asks why (AMSN asks for a reason); « Autre » without its text is refused there.
    page.wait_for_url("**/annulation")
    page.get_by_label("Autre (préciser)").check()
    page.get_by_role("button", name="Confirmer l'annulation").click()
    assert page.locator(".field-error").count() > 0
    page.get_by_label("Salarié absent/malade").check()
    page.get_by_label("Précisions").fill("En formation ce jour-là")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    page.wait_for_url("**/rendez-vous")
    assert "Le rendez-vous est annulé" in page.inner_text(".flash-success")
    mail = portal_env.smtp.wait_for(
        lambda m: "Annulation de la visite" in str(m["Subject"]) and cancelled[0] in str(m["Subject"]), timeout=60
    )
    assert mail["To"] == COMPANY_EMAIL and french(visit_day) in str(mail["Subject"])
    assert "Salarié absent/malade" in mail.get_content()

    # « Mes documents »: its convocation is listed apart, marked cancelled; the other one still holds.
    wait_for(page, "/adherent/documents", lambda: page.locator("section[aria-labelledby=annulees]").count() > 0)
    apart = page.locator("section[aria-labelledby=annulees]").inner_text()
    assert cancelled[0] in apart and "Annulée le " + french(today) in apart and leaver[0] not in apart
    listed = page.locator("section[aria-labelledby=liste]").inner_text()
    assert leaver[0] in listed and cancelled[0] not in listed
    assert_accessible(page)

    # The second employee leaves the company: his convocation is not cancelled, the member is offered to.
    page.goto("/salaries")
    page.get_by_role("link", name=leaver[0]).first.click()
    page.wait_for_url("**/salaries/*")
    page.goto(page.url.rstrip("/") + "/sortie")
    page.get_by_label("Date de sortie").fill(today.isoformat())
    page.get_by_label("Motif de sortie").select_option("demission")
    page.get_by_role("button", name="Enregistrer la sortie").click()
    page.wait_for_url("**/salaries/*")
    cue = f"Salarié sorti le {french(today)}"
    upcoming = page.locator("section[aria-labelledby=a-venir]")
    wait_for(page, "/rendez-vous", lambda: cue in upcoming.inner_text())
    row = upcoming.locator("tr", has_text=leaver[0])
    assert "Convoquée" in row.inner_text() and cue in row.inner_text()
    assert "si la visite n'a plus lieu d'être, annulez ce rendez-vous" in row.inner_text()
    assert row.get_by_role("link", name="Demander l'annulation").count() == 1
    assert "1 rendez-vous à venir concerne un salarié sorti des effectifs" in upcoming.inner_text()
    assert_accessible(page)

    # Staff see both on their desk: the leaver's convocation flagged apart, the member's cancellation with its reason.
    log_out(page)
    log_in(page, "secretariat@spsti-demo.fr")
    pass_second_factor(page)
    page.wait_for_url("**/gestion/accueil")
    page.goto("/gestion/rendez-vous")
    flagged = page.locator("section[aria-labelledby=sortis]")
    assert leaver[0] in flagged.inner_text() and cue in flagged.inner_text()
    assert cancelled[0] not in flagged.inner_text()
    recent = page.locator("section[aria-labelledby=annulations] tr", has_text=cancelled[0])
    assert "par l'adhérent" in recent.inner_text() and "Salarié absent/malade" in recent.inner_text()
    assert_accessible(page)
