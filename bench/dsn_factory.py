"""Realistic monthly DSN files (NEODeS text format, cahier technique P26V01) for the tests and the benchmark.

Fake people with valid NIRs (their key computed, their sex, birth year, month, department and commune agreeing
with the civil status), one company with one or several establishments, one file per month. Besides the blocks
the portal reads, each employee carries the pay blocks a real DSN has (S21.G00.50 versement, S21.G00.51
rémunérations, S21.G00.78 bases assujetties, S21.G00.81 cotisations), which the reader must skip: a DSN of
10 000 employees weighs about 10 MB, as real ones do.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from portal_common.validators import nir_key

FAMILY_NAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
    "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
    "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MÜLLER", "FAURE", "ANDRÉ", "MERCIER",
    "GUÉRIN", "GARNIER", "CHEVALIER", "FRANÇOIS", "NGUYEN", "QUÉRÉ", "HOARAU", "KERVELLA", "ZIMMERMANN",
)  # fmt: skip
FIRST_NAMES = {
    "F": ("Marie", "Élodie", "Camille", "Chloé", "Léa", "Hélène", "Françoise", "Inès", "Zoé", "Anaïs"),
    "M": ("Jean", "Luc", "Paul", "Hugo", "Nicolas", "Jérôme", "François", "Noé", "Loïc", "Théo"),
}
# (department, commune number, commune name) of birth, and two born abroad (department 99, INSEE country code).
BIRTH_PLACES = (
    ("68", "224", "MULHOUSE", "FR"),
    ("67", "482", "STRASBOURG", "FR"),
    ("75", "056", "PARIS", "FR"),
    ("14", "118", "CAEN", "FR"),
    ("2A", "004", "AJACCIO", "FR"),
    ("974", "11", "SAINT-DENIS", "FR"),
    ("99", "350", "CASABLANCA", "MA"),
    ("99", "109", "FRIBOURG-EN-BRISGAU", "DE"),
)
# (PCS-ESE code, job label, contract nature, public scheme): the DSN codes of S21.G00.40.
POSTS = (
    ("552a", "Vendeuse", "01", "99"),
    ("652a", "Cariste", "01", "99"),
    ("623a", "Soudeur", "02", "99"),
    ("431f", "Infirmière de nuit", "01", "99"),
    ("543a", "Comptable", "01", "99"),
    ("621a", "Couvreur", "03", "99"),
    ("636d", "Apprenti boulanger", "02", "64"),
)


def make_nir(sex: str, birth: date, department: str, commune: str, order: int) -> str:
    """A valid 15-character NIR agreeing with the sex, birth year/month and place (its key computed)."""
    place = f"{department}{commune}"
    first13 = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{place}{order % 1000:03d}"
    return f"{first13}{nir_key(first13):02d}"


@dataclass
class Person:
    nir: str
    family_name: str
    first_names: str
    sex: str
    birth_date: date
    birth_place: str
    birth_department: str
    birth_country: str
    pcs_code: str
    job_label: str
    nature: str
    scheme: str
    start: date
    number: str
    usage_name: str = ""
    end: date | None = None
    end_reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    workplace: str = ""  # S21.G00.40.019; empty: the establishment's SIRET

    def but(self, **changes) -> Person:  # type: ignore[no-untyped-def]
        return replace(self, **changes)


def people(
    count: int, rng: random.Random | None = None, *, first: int = 1, hired_before: date | None = None
) -> list[Person]:
    """`count` different people (distinct NIRs: `first` numbers their order), hired before `hired_before`."""
    rng = rng or random.Random(15)
    latest = hired_before or date(2026, 1, 1)
    made = []
    for index in range(first, first + count):
        sex = "F" if index % 2 else "M"
        birth = date(1960 + index % 40, 1 + index % 12, 1 + index % 28)
        department, commune, place, country = BIRTH_PLACES[index % len(BIRTH_PLACES)]
        # Thousands of people born the same month in the same commune differ by their order number.
        order = 1 + (index // len(BIRTH_PLACES)) % 999
        nir = make_nir(sex, birth, department, commune, order)
        pcs, label, nature, scheme = POSTS[index % len(POSTS)]
        start = date(max(birth.year + 18, 2000) + rng.randrange(0, 6), 1 + rng.randrange(12), 1 + rng.randrange(28))
        if start >= latest:
            start = date(latest.year - 1, 1 + index % 12, 1)
        made.append(
            Person(
                nir=nir,
                family_name=FAMILY_NAMES[index % len(FAMILY_NAMES)],
                first_names=FIRST_NAMES[sex][index % 10],
                sex=sex,
                birth_date=birth,
                birth_place=place,
                birth_department="" if department == "99" else department[:2],
                birth_country=country,
                pcs_code=pcs,
                job_label=label,
                nature=nature,
                scheme=scheme,
                start=start,
                number=f"C{index:06d}",
                usage_name=("ÉPOUSE " + FAMILY_NAMES[(index + 7) % len(FAMILY_NAMES)]) if index % 9 == 0 else "",
            )
        )
    return made


def _day(value: date) -> str:
    return value.strftime("%d%m%Y")


def _q(value: str) -> str:
    return value.replace("'", "''")


@dataclass
class Establishment:
    nic: str
    staff: list[Person]


def dsn_text(
    siren: str,
    establishments: Iterable[Establishment],
    month: date,
    *,
    nir_with_key: bool = False,
    truncate: bool = False,
    extra_rubrics: bool = True,
) -> str:
    """One monthly DSN (nature 01, type 01 normale) for `month`, with one declaration per establishment."""
    establishments = list(establishments)
    lines: list[tuple[str, str]] = [
        ("S10.G00.00.001", "Logiciel de paie"),
        ("S10.G00.00.002", "Éditeur"),
        ("S10.G00.00.003", "2026.1"),
        ("S10.G00.00.005", "01"),
        ("S10.G00.00.006", "P26V01"),
        ("S10.G00.00.008", "01"),
        ("S10.G00.01.001", siren),
        ("S10.G00.01.002", "00012"),
        ("S10.G00.01.003", "Cabinet Fiducia"),
    ]
    for establishment in establishments:
        lines += [
            ("S20.G00.05.001", "01"),
            ("S20.G00.05.002", "01"),
            ("S20.G00.05.003", "11"),
            ("S20.G00.05.004", "1"),
            ("S20.G00.05.005", _day(month.replace(day=1))),
            ("S20.G00.05.007", _day(month.replace(day=1))),
            ("S20.G00.05.010", "01"),
            ("S21.G00.06.001", siren),
            ("S21.G00.06.002", "00012"),
            ("S21.G00.06.003", "1071C"),
            ("S21.G00.11.001", establishment.nic),
            ("S21.G00.11.002", "1071C"),
            ("S21.G00.11.003", "12 rue de la Gare"),
            ("S21.G00.11.004", "68100"),
            ("S21.G00.11.005", "MULHOUSE"),
        ]
        for person in establishment.staff:
            nir = person.nir if nir_with_key else person.nir[:13]
            lines += [("S21.G00.30.001", nir), ("S21.G00.30.002", person.family_name)]
            if person.usage_name:
                lines.append(("S21.G00.30.003", person.usage_name))
            lines += [
                ("S21.G00.30.004", person.first_names),
                ("S21.G00.30.005", "01" if person.sex == "M" else "02"),
                ("S21.G00.30.006", _day(person.birth_date)),
                ("S21.G00.30.007", person.birth_place),
            ]
            if extra_rubrics:
                lines += [
                    ("S21.G00.30.008", "3 rue des Fleurs"),
                    ("S21.G00.30.009", "68100"),
                    ("S21.G00.30.010", "MULHOUSE"),
                ]
            if person.birth_department:
                lines.append(("S21.G00.30.014", person.birth_department))
            lines.append(("S21.G00.30.015", person.birth_country))
            for rubric, value in person.extra.items():
                lines.append((rubric, value))
            lines += [
                ("S21.G00.40.001", _day(person.start)),
                ("S21.G00.40.002", "04"),
                ("S21.G00.40.003", "04"),
                ("S21.G00.40.004", person.pcs_code),
                ("S21.G00.40.006", person.job_label),
                ("S21.G00.40.007", person.nature),
                ("S21.G00.40.008", person.scheme),
                ("S21.G00.40.009", person.number),
                ("S21.G00.40.010", "31122099" if person.nature == "01" else _day(date(month.year, 12, 31))),
                ("S21.G00.40.011", "10"),
                ("S21.G00.40.012", "151.67"),
                ("S21.G00.40.013", "151.67"),
                ("S21.G00.40.014", "10"),
                ("S21.G00.40.016", "01"),
                ("S21.G00.40.017", "1747"),
                ("S21.G00.40.019", person.workplace or f"{siren}{establishment.nic}"),
            ]
            if person.end is not None:
                lines += [("S21.G00.62.001", _day(person.end)), ("S21.G00.62.002", person.end_reason or "031")]
            if extra_rubrics:
                lines += [
                    ("S21.G00.50.001", _day(month.replace(day=28))),
                    ("S21.G00.50.002", "1834.12"),
                    ("S21.G00.50.004", "1412.27"),
                    ("S21.G00.51.001", _day(month.replace(day=1))),
                    ("S21.G00.51.002", _day(month.replace(day=28))),
                    ("S21.G00.51.010", person.number),
                    ("S21.G00.51.011", "001"),
                    ("S21.G00.51.013", "1834.12"),
                    ("S21.G00.78.001", "02"),
                    ("S21.G00.78.002", _day(month.replace(day=1))),
                    ("S21.G00.78.003", _day(month.replace(day=28))),
                    ("S21.G00.78.004", "1834.12"),
                    ("S21.G00.81.001", "075"),
                    ("S21.G00.81.002", "78861779300013"),
                    ("S21.G00.81.003", "1834.12"),
                    ("S21.G00.81.004", "126.55"),
                ]
    count = len(lines) + 2
    lines += [("S90.G00.90.001", str(count)), ("S90.G00.90.002", str(len(establishments)))]
    if truncate:
        lines = lines[: len(lines) * 2 // 3]
    return "".join(f"{rubric},'{_q(value)}'\n" for rubric, value in lines)


def dsn_bytes(
    siren: str, nic: str, month: date, staff: list[Person], *, encoding: str = "iso-8859-1", **options
) -> bytes:  # type: ignore[no-untyped-def]
    """One establishment's DSN for `month`, encoded as payroll software writes it (ISO-8859-1 by default)."""
    return dsn_text(siren, [Establishment(nic, staff)], month, **options).encode(encoding)
