"""PDF letters of the members service (fpdf2): the shared page set-up and the welcome letter; no Flask, no SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from portal_common.formats import date_fr
from portal_common.pdf_text import pdf_text

from .declarant import grouped


def latin1(text: str) -> str:
    # The PDF core fonts are Latin-1: typographic signs outside it are replaced, accents stay.
    return pdf_text(text, "latin-1")


def new_document(title: str) -> FPDF:
    doc = FPDF(format="A4")
    doc.set_title(latin1(title))
    doc.add_page()
    return doc


def write_lines(doc: FPDF, lines: list[str], height: float = 7) -> None:
    doc.set_font("Helvetica", "", 11)
    for line in lines:
        doc.multi_cell(0, height, latin1(line), new_x="LMARGIN", new_y="NEXT")


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
    doc = new_document(f"Bienvenue - adhérent {letter.member_number}")
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, latin1(letter.service_name), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    write_lines(doc, [letter.company_name, *letter.address_lines], height=6)
    doc.ln(8)
    doc.set_font("Helvetica", "B", 16)
    doc.cell(
        0,
        12,
        latin1("Bienvenue dans votre service de prévention et de santé au travail"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    write_lines(
        doc,
        [
            "Madame, Monsieur,",
            f"Votre adhésion a pris effet le {date_fr(letter.adhesion_date)}. Votre espace adhérent vous permet de "
            "déclarer vos salariés, de suivre leurs rendez-vous, de consulter vos factures et de tenir à jour les "
            "informations de votre entreprise.",
            "Pour créer le premier compte de votre entreprise, rendez-vous sur le portail et choisissez « Créer mon "
            "compte », puis saisissez les deux codes ci-dessous :",
        ],
    )
    doc.ln(4)
    doc.set_font("Helvetica", "B", 13)
    doc.cell(0, 9, latin1(f"Code adhérent : {letter.member_number}"), new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 9, latin1(f"N° télédéclarant : {grouped(letter.declarant_code)}"), new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    write_lines(
        doc,
        [
            f"Portail : {letter.portal_url.rstrip('/')}",
            "Le n° télédéclarant se saisit sans espace. Conservez ce courrier en lieu sûr : ces codes permettent "
            "d'ouvrir un compte au nom de votre entreprise. Ne les communiquez qu'à la personne chargée de vos "
            "déclarations (par exemple votre cabinet comptable).",
            "",
            "Nous vous remercions de votre confiance.",
            f"Le service adhérents - {letter.service_name}",
        ],
    )
    return bytes(doc.output())
