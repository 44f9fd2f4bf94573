"""The INSEE commune list behind the birthplace field: a commune typed by name or by code, suggestions, and a postal
code never taken for an INSEE code (68100 is Mulhouse's postal code, 68224 its INSEE code).

Plain Python (no Flask): the list is read once from `data/communes.csv.gz`, which
`services/workforce/scripts/make_communes.py` writes from Etalab's `@etalab/decoupage-administratif` (INSEE's
Code officiel géographique and La Poste's postal codes, Licence Ouverte): current communes and the arrondissements
municipaux of Paris, Lyon and Marseille, with the codes of the communes merged into each.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from .rules.names import fold

DATA_FILE = "data/communes.csv.gz"
SUGGESTIONS = 10
LISTED = 8  # candidates named in a message; more are summed up as « … »
CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# « Mulhouse (68224) », as a suggestion reads: the code in brackets decides.
LABELLED_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[0-9A-Za-z ]{5,7})\)$")


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    postal_codes: tuple[str, ...]
    population: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def _folded_name(text: str) -> str:
    """Case, accents, hyphens and apostrophes ignored: « saint denis » finds Saint-Denis, « l'hay » L'Haÿ."""
    return " ".join(fold(re.sub(r"[-'’]", " ", text)).split())


def _listing(communes: list[Commune]) -> str:
    shown = ", ".join(c.label for c in communes[:LISTED])
    return shown + (", …" if len(communes) > LISTED else "")


def _postal_message(code: str, communes: list[Commune]) -> str:
    if len(communes) == 1:
        return f"{code} est un code postal ; le code INSEE de la commune est {communes[0].code} ({communes[0].name})."
    return (
        f"{code} est un code postal, commun à plusieurs communes : {_listing(communes)}. Saisissez le code INSEE "
        "de la commune de naissance, ou choisissez-la dans la liste proposée."
    )


class CommuneDirectory:
    """Lookups of the commune list: by INSEE code (current or of a commune merged since), postal code and name."""

    def __init__(self, rows: list[tuple[str, str, tuple[str, ...], tuple[str, ...], int]]):
        self.by_code: dict[str, Commune] = {}
        self.former: dict[str, Commune] = {}  # the code of a merged commune → the commune it belongs to now
        self.by_postal: dict[str, list[Commune]] = defaultdict(list)
        self.by_name: dict[str, list[Commune]] = defaultdict(list)
        for code, name, postal_codes, former_codes, population in rows:
            commune = Commune(code, name, postal_codes, population)
            self.by_code[code] = commune
            for postal in postal_codes:
                self.by_postal[postal].append(commune)
            for old in former_codes:
                self.former.setdefault(old, commune)
            self.by_name[_folded_name(name)].append(commune)
        # Most populated first: what « mul » most likely means comes first.
        self._ranked = sorted(self.by_code.values(), key=lambda c: (-c.population, c.name))
        self._folded = [(_folded_name(c.name), c) for c in self._ranked]
        self._by_code_order = sorted(self.by_code.values(), key=lambda c: c.code)

    def suggest(self, typed: str, limit: int = SUGGESTIONS) -> list[Commune]:
        """Up to `limit` communes for what is being typed: a code's first digits, or a name's beginning (then any
        word's beginning, then anywhere), the most populated first."""
        text = " ".join(typed.split())
        if not text:
            return []
        code = text.upper()
        if code[:1].isdigit() or CODE_RE.match(code.ljust(5, "0")):
            return [c for c in self._by_code_order if c.code.startswith(code)][:limit]
        wanted = _folded_name(text)
        if not wanted:
            return []
        start = [c for name, c in self._folded if name.startswith(wanted)]
        word = [c for name, c in self._folded if f" {wanted}" in f" {name}" and not name.startswith(wanted)]
        found = start + word
        if len(found) < limit:
            found += [c for name, c in self._folded if wanted in name and c not in found]
        return found[:limit]

    def resolve(
        self, typed: str, *, nir_place: str | None = None, keep: str | None = None
    ) -> tuple[str | None, str | None]:
        """(INSEE code, None) or (None, the French message) for a birthplace typed as « Mulhouse »,
        « Mulhouse (68224) » or « 68224 ».

        Many postal codes are also the INSEE code of another commune (68100: Mulhouse's postal code, Fulleren's
        INSEE code). Such a code alone is taken only when `nir_place` (characters 6 to 10 of the NIR: the commune
        of birth) says which one is meant; « Fulleren (68100) », as a suggestion reads, is never ambiguous.
        `keep` is a stored code accepted as it is though not in the list (a record written before it)."""
        text = " ".join(typed.split())
        labelled = LABELLED_RE.match(text)
        name = labelled["name"] if labelled else None
        code = (labelled["code"] if labelled else text).replace(" ", "").upper()
        if CODE_RE.match(code):
            return self._by_code(code, name=name, nir_place=nir_place, keep=keep)
        if code.isdigit():
            return None, (
                "Le code INSEE de la commune de naissance comporte 5 caractères, par exemple 68224 (Mulhouse) ou "
                "2A004 (Ajaccio) ; vous pouvez aussi saisir le nom de la commune."
            )
        found = self.by_name.get(_folded_name(text), [])
        if len(found) == 1:
            return found[0].code, None
        if found:
            return None, (
                f"Plusieurs communes s'appellent « {text} » : {_listing(found)}. Choisissez la bonne dans la "
                "liste proposée, ou saisissez son code INSEE."
            )
        return None, (
            f"Aucune commune ne s'appelle « {text} ». Choisissez la commune dans la liste proposée en tapant le "
            "début de son nom, ou saisissez son code INSEE (5 caractères)."
        )

    def _by_code(
        self, code: str, *, name: str | None, nir_place: str | None, keep: str | None
    ) -> tuple[str | None, str | None]:
        known = self.by_code.get(code) or self.former.get(code)
        postal = [c for c in self.by_postal.get(code, []) if c.code != code]
        if name is not None and postal:
            # « Mulhouse (68100) »: the name tells which commune the code was meant for.
            named = [c for c in postal if _folded_name(c.name) == _folded_name(name)]
            if named and (known is None or _folded_name(known.name) != _folded_name(name)):
                return None, _postal_message(code, named)
            if known is not None:
                return code, None
        if known is not None and (not postal or nir_place == code):
            # A merged commune's code is the one of the civil record (and of the NIR): kept as typed.
            return code, None
        if postal:
            meant = [c for c in postal if c.code == nir_place]
            if meant or known is None:
                return None, _postal_message(code, meant or postal)
            return None, (
                f"{code} est le code INSEE de {known.name}, mais aussi un code postal ({_listing(postal)}). "
                f"Choisissez « {known.name} ({code}) » dans la liste proposée si le salarié y est né, sinon "
                "saisissez le code INSEE de sa commune de naissance."
            )
        if keep is not None and code == keep:
            return code, None
        return None, (
            f"Aucune commune ne porte le code INSEE {code}. Vérifiez le code, ou saisissez le nom de la commune "
            "pour la choisir dans la liste proposée."
        )

    def label_of(self, code: str | None) -> str | None:
        """« Mulhouse (68224) » for a current commune's code, as the form shows it back; None otherwise."""
        commune = self.by_code.get(code or "")
        return commune.label if commune is not None else None


def parse(text: str) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...], int]]:
    rows = []
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("code;"):
            continue
        code, name, postal, former, population = line.split(";")
        rows.append((code, name, tuple(postal.split()), tuple(former.split()), int(population or 0)))
    return rows


@lru_cache(maxsize=1)
def communes() -> CommuneDirectory:
    """The directory, read once per process from the file shipped with the service."""
    raw = files("workforce").joinpath(DATA_FILE).read_bytes()
    return CommuneDirectory(parse(gzip.decompress(raw).decode("utf-8")))


def commune_label(code: str | None) -> str:
    """« Caen (14118) » for a stored commune of birth; « Commune 12345 (code INSEE) » when the list lacks it."""
    if not code:
        return ""
    return communes().label_of(code) or f"Commune {code} (code INSEE)"
