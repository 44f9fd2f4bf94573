"""'Contrôler la liste': the anomalies of an employee list, each with the page that fixes it (plain Python)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ..employees.rules import MINIMUM_HIRING_AGE, add_years, sir_for_authorisations_only


@dataclass(frozen=True)
class Checked:
    """What the check needs of one employee; `nir_problem` is the French message of a bad NIR, or None."""

    id: str
    name: str
    birth_date: date
    hire_date: date
    exit_date: date | None
    nir_missing: bool
    nir_problem: str | None
    nir_consistent: bool
    nir_hash: str
    folded_name: str
    post: str
    determinants: tuple[str, ...]
    stored_category: str
    reviewed: bool
    birth_place_missing: bool = False  # neither commune nor country (employees listed before it was asked)


@dataclass(frozen=True)
class Anomaly:
    kind: str
    title: str
    employee_id: str
    name: str
    detail: str
    fix_path: str
    fix_label: str


KIND_TITLES = {
    "nir_invalid": "N° de sécurité sociale incorrect",
    "nir_inconsistent": "N° de sécurité sociale incohérent avec le sexe, la date ou le lieu de naissance",
    "duplicate": "Doublon probable",
    "missing": "Information obligatoire manquante",
    "exit_before_hire": "Sortie avant l'embauche",
    "under_15": "Salarié de moins de 15 ans à l'embauche",
    "sir_2025": "Classé SIR pour la seule conduite ou habilitation (réforme 2025)",
    "no_review": "Catégorie de suivi jamais vérifiée",
}


def _anomaly(kind: str, e: Checked, detail: str, fix: str = "modifier", label: str = "Corriger la fiche") -> Anomaly:
    return Anomaly(kind, KIND_TITLES[kind], e.id, e.name, detail, f"/salaries/{e.id}/{fix}".rstrip("/"), label)


def check_list(employees: list[Checked], today: date) -> list[Anomaly]:
    """Every anomaly, grouped in the order of KIND_TITLES; leavers are checked only for their dates."""
    found: list[Anomaly] = []
    present = [e for e in employees if e.exit_date is None or e.exit_date >= today]
    for e in employees:
        if e.exit_date is not None and e.exit_date < e.hire_date:
            found.append(
                _anomaly(
                    "exit_before_hire", e, f"Sortie le {e.exit_date:%d/%m/%Y}, embauche le {e.hire_date:%d/%m/%Y}."
                )
            )
        if e.hire_date < add_years(e.birth_date, MINIMUM_HIRING_AGE):
            found.append(
                _anomaly("under_15", e, f"Né(e) le {e.birth_date:%d/%m/%Y}, embauché(e) le {e.hire_date:%d/%m/%Y}.")
            )
    for e in present:
        if e.nir_missing:
            found.append(_anomaly("missing", e, "Le numéro de sécurité sociale est à saisir."))
        elif e.nir_problem:
            found.append(_anomaly("nir_invalid", e, e.nir_problem))
        elif not e.nir_consistent:
            found.append(
                _anomaly("nir_inconsistent", e, "Vérifiez le numéro, le sexe, la date et le lieu de naissance.")
            )
        if not e.post:
            found.append(_anomaly("missing", e, "Le poste de travail est à saisir."))
        if e.birth_place_missing:
            found.append(
                _anomaly(
                    "missing",
                    e,
                    "Lieu de naissance manquant : commune de naissance (code INSEE) ou pays de naissance à saisir.",
                )
            )
        if sir_for_authorisations_only(e.determinants, e.stored_category):
            found.append(
                _anomaly(
                    "sir_2025",
                    e,
                    "Depuis le 1er octobre 2025, la conduite d'équipements et "
                    "l'habilitation électrique ne relèvent plus du SIR.",
                    "modifier",
                    "Revoir les déterminants",
                )
            )
        if not e.reviewed:
            found.append(
                _anomaly(
                    "no_review",
                    e,
                    "Aucun déterminant n'a jamais été déclaré pour ce salarié.",
                    "modifier",
                    "Déclarer les déterminants",
                )
            )
    groups: dict[tuple, list[Checked]] = defaultdict(list)
    for e in present:
        groups[("nir", e.nir_hash)].append(e)
        groups[("name", e.folded_name, e.birth_date)].append(e)
    reported: set[frozenset] = set()
    for key, members in groups.items():
        ids = frozenset(e.id for e in members)
        if len(members) < 2 or ids in reported:
            continue
        reported.add(ids)
        reason = "même numéro de sécurité sociale" if key[0] == "nir" else "même nom et même date de naissance"
        for e in members:
            others = ", ".join(o.name for o in members if o.id != e.id)
            found.append(
                _anomaly("duplicate", e, f"Probablement la même personne que {others} ({reason}).", "", "Voir la fiche")
            )
    order = list(KIND_TITLES)
    return sorted(found, key=lambda a: (order.index(a.kind), a.name))
