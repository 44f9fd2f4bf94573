"""The French every page shows: words testers found misspelt, unaccented or out of agreement never come back.

Only the text a reader sees is read (between tags, and the labels, titles and hints of attributes and macro
calls), so a path such as `/salaries` or a field name such as `reference` is not a word of the page.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Known-bad spellings (whole words, case as written) and what they should read.
KNOWN_BAD = {
    "Adresses enregistrés": "Adresses enregistrées",
    "adresses enregistrés": "adresses enregistrées",
    "Numero": "Numéro",
    "numero": "numéro",
    "Telephone": "Téléphone",
    "telephone": "téléphone",
    "Desole": "Désolé",
    "desole": "désolé",
    "Prenom": "Prénom",
    "prenom": "prénom",
    "Prenoms": "Prénoms",
    "Societe": "Société",
    "Echeance": "Échéance",
    "echeance": "échéance",
    "Etes-vous": "Êtes-vous",
    "Reference": "Référence",
    "Parametres": "Paramètres",
    "Deconnexion": "Déconnexion",
    "Securite": "Sécurité",
    "Categorie": "Catégorie",
    "Periode": "Période",
    "Creer": "Créer",
    "Donnees": "Données",
    "Salaries": "Salariés",
    "Adherent": "Adhérent",
    "deja": "déjà",
    "apres": "après",
    "Apres": "Après",
    "jusqu'a": "jusqu'à",
    "a partir": "à partir",
    "a compter": "à compter",
    "A partir": "À partir",
    "Redirecting": "a French text (Werkzeug's English redirect body)",
}
_BAD = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(word) for word in KNOWN_BAD) + r")(?![\w/-])")
_SHOWN_ATTRIBUTES = re.compile(r'(?:aria-label|title|placeholder|alt)="([^"]*)"')
_STRING_LITERAL = re.compile(r'"([^"]*)"|\'([^\']*)\'')


def shown_text(template: str) -> str:
    """What a reader may see of a Jinja template: text between tags, shown attributes, string literals."""
    template = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    literals = []
    for block in re.findall(r"\{[{%](.*?)[%}]\}", template, flags=re.S):
        literals += [a or b for a, b in _STRING_LITERAL.findall(block)]
    text = re.sub(r"\{[{%].*?[%}]\}", " ", template, flags=re.S)
    attributes = _SHOWN_ATTRIBUTES.findall(text)
    text = re.sub(r"<[^>]*>", " ", text)
    # A path or a code in a literal ("/adherent/documents", "contact_convocation") is not shown as a word.
    words = [literal for literal in literals if " " in literal.strip() or literal[:1].isupper()]
    return "\n".join([text, *attributes, *words])


def known_bad_words(text: str) -> list[str]:
    return sorted({match.group(1) for match in _BAD.finditer(text)})


def _templates() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "services/*/*/templates/*.html", "libs/portal_common/*.html", "gateway/static/errors/*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [ROOT / line for line in out.splitlines() if line.endswith(".html")]


@pytest.mark.contract
def test_no_template_shows_a_word_testers_found_misspelt_or_out_of_agreement():
    found = {}
    for path in _templates():
        bad = known_bad_words(shown_text(path.read_text("utf-8")))
        if bad:
            found[str(path.relative_to(ROOT))] = [f"{word} → {KNOWN_BAD[word]}" for word in bad]
    assert len(_templates()) > 50  # the templates of the five services, the layout and the gateway's pages
    assert not found, found


@pytest.mark.contract
def test_the_wording_check_sees_shown_text_and_ignores_paths_and_field_names():
    page = (
        '<h2>Adresses enregistrés</h2><a href="/salaries" title="Numero adhérent">x</a>'
        '{{ field("telephone", "Telephone", values.telephone) }}{{ "/adherent/documents" }}'
        '<p>Possible jusqu\'a demain, a partir de lundi.</p><input name="reference">'
    )
    assert known_bad_words(shown_text(page)) == [
        "Adresses enregistrés",
        "Numero",
        "Telephone",
        "a partir",
        "jusqu'a",
    ]
