"""PDF letters of the members service (fpdf2): the welcome letter and the SEPA mandate; no Flask, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from portal_common.formats import date_fr

from .declarant import grouped


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1: typographic signs outside it are replaced, accents stay.
    text = text.replace("\u2019", "'").replace("\u2014", "-").replace("\u202f", " ").replace("\u00a0", " ")
    return text.encode("latin-1", "replace").decode("latin-1")


def _document(title: str) -> FPDF:
    doc = FPDF(format="A4")
    doc.set_title(_latin1(title))
    doc.add_page()
    return doc


def _lines(doc: FPDF, lines: list[str], height: float = 7) -> None:
    doc.set_font("Helvetica", "", 11)
    for line in lines:
        doc.multi_cell(0, height, _latin1(line), new_x="LMARGIN", new_y="NEXT")


@dataclass(frozen=True)
class WelcomeLetter:
    service_name: str
    company_name: str
    address_lines: tuple[str, ...]
    member_number: str
    declarant_code: str
    adhesion_date: date
    portal_url: str


def welcome_letter(letter: WelcomeLetter) -> bytes:
    """The courrier d'adhésion: the code adhérent and the n° télédéclarant that open the first account."""
    doc = _document(f"Bienvenue - adhérent {letter.member_number}")
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, _latin1(letter.service_name), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    _lines(doc, [letter.company_name, *letter.address_lines], height=6)
    doc.ln(8)
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 12, _latin1("Bienvenue dans votre service de prévention et de santé au travail"),
             new_x="LMARGIN", new_y="NEXT")
    _lines(doc, [
        "Madame, Monsieur,",
        f"Votre adhésion a pris effet le {date_fr(letter.adhesion_date)}. Votre espace adhérent vous permet de "
        "déclarer vos salariés, de suivre leurs rendez-vous, de consulter vos factures et de tenir à jour les "
        "informations de votre entreprise.",
        "Pour créer le premier compte de votre entreprise, rendez-vous sur le portail et choisissez « Créer mon "
        "compte », puis saisissez les deux codes ci-dessous :",
    ])
    doc.ln(4)
    doc.set_font("Helvetica", "B", 13)
    doc.cell(0, 9, _latin1(f"Code adhérent : {letter.member_number}"), new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 9, _latin1(f"N° télédéclarant : {grouped(letter.declarant_code)}"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    _lines(doc, [
        f"Portail : {letter.portal_url.rstrip('/')}",
        "Le n° télédéclarant se saisit sans espace. Conservez ce courrier en lieu sûr : ces codes permettent "
        "d'ouvrir un compte au nom de votre entreprise. Ne les communiquez qu'à la personne chargée de vos "
        "déclarations (par exemple votre cabinet comptable).",
        "",
        "Nous vous remercions de votre confiance.",
        f"Le service adhérents - {letter.service_name}",
    ])
    return bytes(doc.output())


@dataclass(frozen=True)
class MandateDocument:
    creditor_name: str
    creditor_id: str
    reference: str
    debtor_name: str
    debtor_address: tuple[str, ...]
    holder: str
    iban_masked: str
    bic: str | None
    signed_on: date
    status_label: str
    revoked_on: date | None


def mandate_pdf(mandate: MandateDocument) -> bytes:
    """The SEPA core direct-debit mandate (recurrent), the IBAN masked: the company keeps it for its records."""
    m = mandate
    doc = _document(f"Mandat de prélèvement SEPA {m.reference}")
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 12, _latin1("Mandat de prélèvement SEPA"), new_x="LMARGIN", new_y="NEXT")
    _lines(doc, [
        f"Référence unique du mandat (RUM) : {m.reference}",
        f"Identifiant créancier SEPA (ICS) : {m.creditor_id}",
        f"Créancier : {m.creditor_name}",
        "Type de paiement : récurrent",
        "",
        f"Débiteur : {m.debtor_name}",
        *m.debtor_address,
        f"Titulaire du compte : {m.holder}",
        f"IBAN : {m.iban_masked}",
        f"BIC : {m.bic or '-'}",
        "",
        f"Signé électroniquement le {date_fr(m.signed_on)} - état : {m.status_label}"
        + (f" (révoqué le {date_fr(m.revoked_on)})" if m.revoked_on else ""),
        "",
        f"En signant ce formulaire de mandat, vous autorisez {m.creditor_name} à envoyer des instructions à votre "
        "banque pour débiter votre compte, et votre banque à débiter votre compte conformément aux instructions "
        f"de {m.creditor_name}. Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions "
        "décrites dans la convention que vous avez passée avec elle. Une demande de remboursement doit être "
        "présentée dans les 8 semaines suivant la date de débit de votre compte pour un prélèvement autorisé.",
        "Vous pouvez révoquer ce mandat à tout moment depuis votre espace adhérent.",
    ])
    return bytes(doc.output())
