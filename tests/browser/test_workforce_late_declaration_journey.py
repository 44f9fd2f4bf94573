"""A late declaration in Chromium through the real gateway, workers and broker: staff close a campaign after its
confirmation page announced the factures d'office; a member billed one declares late, sees the credit note and
the real invoice, pays it by card at the local provider, and « Mes factures », « Mon échéancier » and its PDF
show the same balance.

The campaign is next year's, so the other journeys (this year's campaign) are untouched; its invoices are issued
today, so « Mes factures » lists them under this year, beside the demo's. The file runs after the other journeys.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from portal_common import clock

from .test_journeys import assert_accessible, log_in
from .test_workforce_journeys import open_campaign_as_staff

pytestmark = pytest.mark.browser

NBSP, NNBSP = "\u00a0", "\u202f"


def amount(text: str) -> str:
    """« 1 458,22 € » with whichever spaces the page or the PDF uses, as « 1458,22 € »."""
    return re.sub(r"[\s\u00a0\u202f]", "", text)


def poll(page, path: str, found, what: str, tries: int = 90) -> str:  # type: ignore[no-untyped-def]
    """Reloads `path` until `found(main text)` holds: the events travel through RabbitMQ and the workers."""
    text = ""
    for _ in range(tries):
        page.goto(path)
        text = page.inner_text("main")
        if found(text):
            return text
        page.wait_for_timeout(1000)
    raise AssertionError(f"{what}: never seen on {path}, which last read:\n{text}")


def staff_set_the_tariff(page, year: int) -> None:  # type: ignore[no-untyped-def]
    """Fields found by their accessible name: Playwright's get_by_label reads the label's whole text, the
    required marker « * » (aria-hidden, not announced) included."""
    page.goto(f"/gestion/factures/tarifs?annee={year}")
    for label, value in (
        ("Cotisation par salarié suivi (€ HT)", "112,00"),
        ("Coût moyen national (€ HT)", "116,00"),
        ("Droit d'entrée (€ HT)", "30,00"),
        ("Cotisation minimale (€ HT)", "80,00"),
        ("Embauche après la déclaration (€ HT)", "112,00"),
        ("Absence non excusée (€ HT)", "50,00"),
    ):
        page.get_by_role("textbox", name=label, exact=True).fill(value)
    page.get_by_role("button", name="Enregistrer le tarif").click()
    page.wait_for_url(f"**/gestion/factures/tarifs?annee={year}")
    assert f"Tarif {year} enregistré." in page.inner_text(".flash-success")


def test_a_member_billed_a_facture_d_office_declares_late_pays_the_real_invoice_and_every_page_agrees(page):
    issued = clock.today().year
    year = issued + 1
    open_campaign_as_staff(page, year)

    # Staff: the year's tariff, then the closing, which asks for confirmation and announces its count.
    log_in(page, "secretariat@spsti-demo.fr")
    page.wait_for_url(re.compile(r".*/gestion/(accueil|adherents)$"))
    staff_set_the_tariff(page, year)
    page.goto(f"/gestion/salaries/campagnes/{year}")
    page.get_by_role("link", name="Clôturer la campagne").click()
    page.wait_for_url(f"**/gestion/salaries/campagnes/{year}/cloture")
    assert page.get_by_role("heading", level=1).inner_text() == f"Clôturer la campagne {year}"
    assert_accessible(page)
    announced = int(page.locator('[data-count="estimates"]').inner_text())
    assert announced >= 1 and "Garage du Centre" in page.inner_text("main")
    page.get_by_role("button", name=f"Confirmer la clôture de la campagne {year}").click()
    page.wait_for_url(f"**/gestion/salaries/campagnes/{year}")
    assert f"Campagne {year} clôturée" in page.inner_text(".flash-success")
    # Billing issues exactly what the confirmation page announced.
    poll(
        page,
        f"/gestion/factures/campagne?annee={year}",
        lambda _: page.locator('[data-counter="estimated"]').inner_text() == str(announced),
        f"{announced} factures d'office",
    )
    page.context.clear_cookies()

    # The member: its facture d'office says a declaration, even late, cancels it. « Mes factures » lists and
    # numbers invoices by the year they are issued in (today's, on the stack's real clock), not by their period.
    log_in(page, "1000002")
    page.wait_for_url("**/accueil")
    listing = poll(page, f"/factures?annee={issued}", lambda text: "Facture d'office" in text, "the facture d'office")
    estimate = re.search(rf"Facture d'office (F{issued}-\d{{6}}) : établie faute de déclaration", listing).group(1)
    assert_accessible(page)
    page.get_by_role("link", name=f"déclarer vos effectifs {year}").click()
    page.wait_for_url(f"**/salaries/declarations/{year}")
    assert "Déclaration tardive" in page.inner_text("main")
    assert "annulée par un avoir" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer la déclaration tardive").click()
    page.wait_for_url(f"**/salaries/declarations/{year}")
    assert f"Votre déclaration des effectifs {year} est confirmée." in page.inner_text(".flash-success")
    assert "Déclaration tardive" in page.inner_text("main")

    # The credit note cancelling it and the real invoice of the period, side by side in « Mes factures » (beside
    # this year's demo invoices).
    unpaid = page.locator("section", has=page.get_by_role("heading", name="Factures non réglées"))
    paid_section = page.locator("section", has=page.get_by_role("heading", name="Factures acquittées"))
    real = (
        unpaid.get_by_role("row")
        .filter(has_text="Cotisation annuelle")
        .filter(has=page.get_by_role("cell", name=str(year), exact=True))
    )
    credit_note = (
        paid_section.get_by_role("row")
        .filter(has_text="Avoir")
        .filter(has=page.get_by_role("cell", name=str(year), exact=True))
    )
    listing = poll(
        page,
        f"/factures?annee={issued}",
        lambda _: real.count() == 1 and credit_note.count() == 1,
        "the credit note and the real invoice",
    )
    assert "établie faute de déclaration" not in listing
    assert estimate in paid_section.inner_text()
    number = real.locator("td").first.inner_text()
    assert re.fullmatch(rf"F{issued}-\d{{6}}", number) and number != estimate
    assert_accessible(page)

    # Paid by card at the local provider; only its signed notification settles the invoice.
    unpaid.get_by_role("button", name=f"Payer par carte la facture {number}").click()
    page.wait_for_url(re.compile(r".*/paiement-carte/CB[0-9A-F]{20}$"))
    attempt_url = page.url
    page.get_by_role("link", name="Continuer vers le paiement sécurisé").click()
    page.wait_for_url(re.compile(r".*/payer\?.*"))
    page.get_by_role("button", name="Payer", exact=True).click()
    page.wait_for_url(attempt_url)
    assert "Paiement reçu" in page.inner_text("main")

    # One balance: « Mes factures », « Mon échéancier » and its PDF.
    page.goto(f"/factures?annee={issued}")
    assert number in page.locator("section", has=page.get_by_role("heading", name="Factures acquittées")).inner_text()
    summary = page.locator(".account-summary").inner_text()
    label, shown = re.match(r"(Solde restant dû|Solde créditeur) : (.*€)", summary).groups()
    page.get_by_role("link", name="Voir mon échéancier").click()
    page.wait_for_url("**/factures/echeancier")
    assert estimate in page.inner_text("main") and number in page.inner_text("main")
    footer = page.locator("tfoot tr").inner_text()
    assert label in footer and amount(shown) in amount(footer)
    assert_accessible(page)
    printed = page.request.get("/factures/echeancier.pdf")
    assert printed.status == 200 and printed.headers["content-type"].startswith("application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.body())).pages)
    assert number in text and estimate in text
    assert amount(f"{label} : {shown}") in amount(text)
