"""Reconciling what monthly DSN files declare with a company's employee list (plain Python).

The files are read by `neodes.read_dsn`; here each declared employee is matched with the list by the blind
index of the NIR (never by name), the latest month declared winning, and becomes one preview row: a hire, an
exit, a new post, a new workplace, an identity correction, nothing to change, or an error. Each change goes
through the rules of the manual forms (`check_hire`, `check_post_change`, `check_exit`, `check_workplace`), so an
import writes exactly what a user could have typed. Whatever cannot be read or matched is an error row with its
file and line, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from portal_common.formats import siret_fr

from ..employees.pcs import pcs_label
from ..employees.rules import (
    ExitCommand,
    HireCommand,
    HireRejected,
    PostChange,
    birth_place_warnings,
    check_exit,
    check_hire,
    check_post_change,
    check_workplace,
    fold,
    is_present,
    mask_nir,
    nir_warnings,
)
from ..employees.rules.labels import CONTRACT_LABELS, EXIT_REASON_LABELS, SEX_LABELS
from .neodes import Contract, Individual, Reading

# S21.G00.40.007 nature du contrat → the portal's contract; a public scheme (.008) says apprenticeship first.
CONTRACT_NATURES = {
    "01": "CDI",  # contrat de travail à durée indéterminée de droit privé
    "02": "CDD",  # contrat de travail à durée déterminée de droit privé
    "03": "interim",  # contrat de mission (travail temporaire)
    "07": "CDI",  # CDI intermittent
    "08": "CDI",  # CDI intérimaire
    "09": "CDI",  # CDI de droit public
    "10": "CDD",  # CDD de droit public
    "29": "stage",  # convention de stage
}
SCHEMES = {
    "61": "professionnalisation",  # contrat de professionnalisation
    "64": "apprentissage",  # apprentissage, entreprise artisanale ou de moins de 11 salariés
    "65": "apprentissage",  # apprentissage, entreprise de 11 salariés et plus
    "81": "apprentissage",  # apprentissage, secteur public
}
# S21.G00.62.002 motif de la rupture → the portal's exit reason; any other code is « autre ».
END_REASONS = {
    "031": "fin_cdd",
    "081": "fin_cdd",  # fin de contrat d'apprentissage
    "032": "fin_mission",
    "059": "demission",
    "037": "demission",  # rupture anticipée d'un CDD à l'initiative du salarié
    "014": "licenciement",
    "015": "licenciement",
    "020": "licenciement",
    "025": "licenciement",
    "026": "licenciement",
    "036": "licenciement",  # rupture anticipée d'un CDD à l'initiative de l'employeur
    "087": "licenciement",
    "088": "licenciement",
    "091": "licenciement",
    "043": "rupture_conventionnelle",
    "038": "retraite",
    "039": "retraite",
    "034": "fin_periode_essai",
    "035": "fin_periode_essai",
}
ABROAD = "99"


class Action(StrEnum):
    """What a preview row does (the stored value; a row may hold several, comma-separated)."""

    HIRE = "hire"
    EXIT = "exit"
    POST_CHANGE = "post_change"
    WORKPLACE = "workplace"
    IDENTITY = "identity"
    UNCHANGED = "unchanged"
    IGNORED = "ignored"
    ABSENT = "absent"
    ERROR = "error"


ACTION_LABELS = {
    Action.HIRE: "Embauche",
    Action.EXIT: "Sortie",
    Action.POST_CHANGE: "Nouveau poste",
    Action.WORKPLACE: "Nouveau lieu de travail",
    Action.IDENTITY: "Correction d'identité",
    Action.UNCHANGED: "Inchangé",
    Action.IGNORED: "Non importé",
    Action.ABSENT: "Absent de la DSN",
    Action.ERROR: "Erreur",
}
CHANGING = (Action.HIRE, Action.EXIT, Action.POST_CHANGE, Action.WORKPLACE, Action.IDENTITY)
# The preview's line of the workplace: only SIRETs checked by `check_workplace` are written there, so it is shown
# as it is (a SIRET is not a NIR, though 14 digits look like one to `imports.rules.scrub_nir`).
WORKPLACE_LABEL = "Lieu de travail"
WORKPLACE_UNREADABLE = (
    "Le lieu de travail déclaré (S21.G00.40.019) n'est pas un SIRET valide : il n'est pas repris sur la fiche."
)


@dataclass(frozen=True)
class Listed:
    """What the reconciliation needs of an employee already listed (no NIR in clear: its blind index)."""

    id: str
    nir_hash: str
    last_name: str
    birth_name: str
    first_names: str
    sex: str
    birth_date: date
    birth_commune: str | None
    birth_country: str | None
    hire_date: date
    post: str
    pcs_code: str | None
    post_since: date | None
    contract: str
    multi_employer: bool
    determinants: tuple[str, ...]
    sir_justification: str | None
    adapted_undisclosed: bool
    convocation_constraints: str | None
    comment: str | None
    exit_date: date | None
    workplace_siret: str | None = None


@dataclass
class Row:
    """One preview row: where it comes from, what it does, and the commands that do it."""

    file: str
    line: int
    name: str
    actions: list[Action]
    nir_masked: str | None = None
    employee_id: str | None = None
    details: dict[str, str] = field(default_factory=dict)  # French label → what changes
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    hire: HireCommand | None = None
    correction: HireCommand | None = None
    post: PostChange | None = None
    exit: ExitCommand | None = None
    nir_hash: str | None = None
    workplace: str | None = None  # the SIRET a hire or a new workplace writes

    @property
    def changes(self) -> bool:
        return any(action in CHANGING for action in self.actions)


@dataclass
class Plan:
    """The whole preview: its rows, in file order, and what it would do."""

    rows: list[Row]
    latest_month: date | None = None

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    def count(self, action: Action) -> int:
        return sum(1 for row in self.rows if action in row.actions)


def contract_of(contract: Contract) -> str:
    return SCHEMES.get(contract.scheme) or CONTRACT_NATURES.get(contract.nature, "autre")


def exit_reason(code: str) -> str:
    return END_REASONS.get(code, "autre")


def birth_place(person: Individual, nir: str) -> tuple[str | None, str | None, list[str]]:
    """(INSEE commune code, INSEE country code, warnings): the DSN gives only the commune's name, so the code
    is the one the NIR was issued with (characters 6 to 10); 99 there is a birth abroad, and the country is
    its INSEE code (99 + characters 8 to 10). Corsica before 1976 kept '20' in the NIR: the department of
    birth (S21.G00.30.014) then says 2A or 2B; without it the commune cannot be told, and the row says so."""
    warnings: list[str] = []
    department = nir[5:7]
    born_abroad_dsn = bool(person.birth_country) and person.birth_country != "FR"
    if department == ABROAD:
        if person.birth_country == "FR":
            warnings.append(
                "Le numéro de sécurité sociale indique une naissance à l'étranger, mais la DSN déclare la France."
            )
        return None, f"99{nir[7:10]}", warnings
    if born_abroad_dsn:
        warnings.append(
            "Le numéro de sécurité sociale indique une naissance en France, mais la DSN déclare un pays étranger."
        )
    commune = nir[5:10]
    if department == "20":
        if person.birth_department in ("2A", "2B"):
            commune = f"{person.birth_department}{nir[7:10]}"
        else:
            return None, None, warnings
    elif person.birth_department and not commune.startswith(person.birth_department[:2]):
        warnings.append(
            f"Le département de naissance déclaré ({person.birth_department}) ne correspond pas au numéro "
            "de sécurité sociale."
        )
    return commune, None, warnings


def current_contract(person: Individual) -> Contract:
    """The contract that says where the employee stands: the one that started last."""
    return max(person.contracts, key=lambda c: (c.start or date.min, c.line))


def post_of(contract: Contract) -> str:
    """The job label the payroll declares, else the PCS-ESE label (the portal's post is a free text)."""
    return contract.job_label or pcs_label(contract.pcs_code) or ""


def hire_command(person: Individual, contract: Contract, commune: str | None, country: str | None) -> HireCommand:
    family = person.family_name
    return HireCommand(
        last_name=person.usage_name or family,
        birth_name=family,
        first_names=person.first_names,
        sex=person.sex,
        birth_date=person.birth_date,
        nir=person.nir,
        hire_date=contract.start,
        post=post_of(contract),
        pcs_code=contract.pcs_code or None,
        contract=contract_of(contract),
        birth_commune=commune,
        birth_country=country,
    )


def display(person: Individual) -> str:
    return " ".join(part for part in ((person.usage_name or person.family_name).upper(), person.first_names) if part)


def _dated(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else "—"


def _sex(code: str) -> str:
    labels = {str(sex): label for sex, label in SEX_LABELS.items()}
    return labels.get(code, code)


def _identity_changes(listed: Listed, hire: HireCommand) -> dict[str, str]:
    """What the DSN corrects in the civil status, in French (before → after)."""
    pairs = (
        ("Nom d'usage", listed.last_name, hire.last_name),
        ("Nom de naissance", listed.birth_name, hire.birth_name or hire.last_name),
        ("Prénoms", listed.first_names, hire.first_names),
        ("Sexe", _sex(listed.sex), _sex(hire.sex)),
        ("Date de naissance", _dated(listed.birth_date), _dated(hire.birth_date)),
    )
    return {label: f"{before} → {after}" for label, before, after in pairs if before != after}


def _correction(listed: Listed, hire: HireCommand) -> HireCommand:
    """The record as it is, with the DSN's civil status (the rest is the employer's, which the DSN lacks)."""
    return HireCommand(
        last_name=hire.last_name,
        birth_name=hire.birth_name,
        first_names=hire.first_names,
        sex=hire.sex,
        birth_date=hire.birth_date,
        nir=hire.nir,
        hire_date=listed.hire_date,
        post=listed.post,
        pcs_code=listed.pcs_code,
        contract=listed.contract,
        multi_employer=listed.multi_employer,
        determinants=listed.determinants,
        sir_justification=listed.sir_justification,
        adapted_undisclosed=listed.adapted_undisclosed,
        convocation_constraints=listed.convocation_constraints,
        comment=listed.comment,
        birth_commune=listed.birth_commune or hire.birth_commune,
        birth_country=None if listed.birth_commune else (listed.birth_country or hire.birth_country),
    )


def _post_changed(listed: Listed, contract: Contract) -> bool:
    if contract.pcs_code and contract.pcs_code != (listed.pcs_code or ""):
        return True
    return bool(contract.job_label) and fold(contract.job_label) != fold(listed.post)


def declared_workplace(row: Row, contract: Contract) -> str | None:
    """The SIRET of the workplace the contract declares (S21.G00.40.019), or None: not declared, or another kind
    of identifier, which the row then warns of (never quoted: the preview shows nothing it has not checked)."""
    try:
        return check_workplace(contract.workplace)
    except HireRejected:
        row.warnings.append(WORKPLACE_UNREADABLE)
        return None


def _exit_details(row: Row, contract: Contract) -> None:
    if contract.end is not None:
        reason = exit_reason(contract.end_reason)
        row.exit = ExitCommand(contract.end, reason)
        row.details["Sortie"] = f"le {contract.end:%d/%m/%Y} ({EXIT_REASON_LABELS[reason].lower()})"


def _reconcile_known(row: Row, listed: Listed, person: Individual, hire: HireCommand, today: date) -> None:
    contract = current_contract(person)
    row.employee_id = listed.id
    changes = _identity_changes(listed, hire)
    if changes:
        correction = _correction(listed, hire)
        try:
            row.correction = check_hire(correction, today=today)
        except HireRejected as exc:
            row.errors.update(exc.errors)
        row.actions.append(Action.IDENTITY)
        row.details.update(changes)
    if _post_changed(listed, contract):
        current_from = listed.post_since or listed.hire_date
        # A new contract dates its post; otherwise the DSN tells only the month it was first declared in.
        start = contract.start if contract.start and contract.start > current_from else person.month
        change = PostChange(
            post=post_of(contract) or listed.post,
            from_date=start,
            pcs_code=contract.pcs_code or listed.pcs_code,
            determinants=listed.determinants,
            sir_justification=listed.sir_justification,
            adapted_undisclosed=listed.adapted_undisclosed,
        )
        try:
            row.post = check_post_change(
                change, current_from=current_from, hire_date=listed.hire_date, exit_date=None, today=today
            )
            row.actions.append(Action.POST_CHANGE)
            row.details["Poste"] = (
                f"{listed.post} ({listed.pcs_code or 'sans code'}) → {row.post.post} "
                f"({row.post.pcs_code or 'sans code'}) à partir du {start:%d/%m/%Y}"
            )
            if listed.determinants:
                row.warnings.append(
                    "Les déterminants de suivi de l'ancien poste sont gardés (la DSN ne les déclare pas) : "
                    "vérifiez-les sur la fiche."
                )
        except HireRejected as exc:
            row.warnings.append(
                "Le poste déclaré diffère de la liste mais le changement ne peut pas être daté ("
                + " ".join(exc.errors.values())
                + ") : déclarez-le sur la fiche."
            )
    workplace = declared_workplace(row, contract)
    # A DSN that declares no workplace leaves the record's as it is; only another SIRET changes it.
    if workplace is not None and workplace != listed.workplace_siret:
        row.workplace = workplace
        row.actions.append(Action.WORKPLACE)
        row.details[WORKPLACE_LABEL] = f"{siret_fr(listed.workplace_siret) or 'non renseigné'} → {siret_fr(workplace)}"
    if contract.end is not None:
        _exit_details(row, contract)
        try:
            check_exit(row.exit, hire_date=listed.hire_date, already_left=None)  # type: ignore[arg-type]
            row.actions.append(Action.EXIT)
        except HireRejected as exc:
            row.errors["exit_date"] = " ".join(exc.errors.values())
    if not row.actions:
        row.actions.append(Action.UNCHANGED)


def _reconcile_person(person: Individual, listed: list[Listed], today: date, blind_index: Callable[[str], str]) -> Row:
    contract = current_contract(person)
    row = Row(person.file, person.line, display(person), [], nir_masked=mask_nir(person.nir))
    commune, country, warnings = birth_place(person, person.nir)
    row.warnings += warnings
    if commune is None and country is None:
        row.errors["birth_commune"] = (
            "Né en Corse avant 1976 : le département de naissance (S21.G00.30.014, 2A ou 2B) est nécessaire "
            "pour connaître la commune."
        )
    hire = hire_command(person, contract, commune, country)
    try:
        hire = check_hire(hire, today=today)
    except HireRejected as exc:
        row.errors.update(exc.errors)
    if row.errors:
        row.actions.append(Action.ERROR)
        return row
    row.warnings += nir_warnings(hire.nir, hire.sex, hire.birth_date) + birth_place_warnings(
        hire.nir, hire.birth_commune, hire.birth_country
    )
    row.nir_hash = blind_index(hire.nir)
    present = next((e for e in listed if is_present(e.exit_date, today)), None)
    if present is not None:
        _reconcile_known(row, present, person, hire, today)
    else:
        left = max(listed, key=lambda e: e.exit_date or date.min, default=None)
        if left is not None and left.exit_date is not None and contract.start <= left.exit_date:  # type: ignore[operator]
            row.employee_id = left.id
            row.actions.append(Action.IGNORED)
            row.warnings.append(
                f"Sorti de la liste le {left.exit_date:%d/%m/%Y}, mais la DSN déclare le même contrat : "
                "vérifiez la fiche, rien n'est changé."
            )
            return row
        row.hire = hire
        row.actions.append(Action.HIRE)
        row.details["Embauche"] = (
            f"le {hire.hire_date:%d/%m/%Y}, {hire.post} ({CONTRACT_LABELS.get(hire.contract, hire.contract)})"
        )
        row.workplace = declared_workplace(row, contract)
        if row.workplace is not None:
            row.details[WORKPLACE_LABEL] = siret_fr(row.workplace)
        if left is not None:
            row.details["Réembauche"] = f"déjà salarié, sorti le {left.exit_date:%d/%m/%Y}"
        if contract.end is not None:
            _exit_details(row, contract)
            row.actions.append(Action.EXIT)
    if (Action.HIRE in row.actions or Action.POST_CHANGE in row.actions) and not hire.pcs_code:
        row.warnings.append("Aucun code PCS-ESE déclaré pour ce poste.")
    return row


def _establishment_rows(reading: Reading, siret: str | None, member_name: str) -> tuple[list[Row], set[int]]:
    """Rows of declarations that are not this company's establishment, and the ids of those that are."""
    rows: list[Row] = []
    matched: set[int] = set()
    for declaration in reading.declarations:
        if not declaration.siren or not declaration.nic:
            continue  # already a problem of the reading
        if siret is None:
            rows.append(
                Row(
                    declaration.file,
                    declaration.siren_line,
                    "Entreprise",
                    [Action.ERROR],
                    errors={
                        "siret": "Le SIRET de l'adhérent n'est pas encore connu du service : réessayez dans "
                        "quelques minutes ou contactez le service."
                    },
                )
            )
        elif declaration.siren != siret[:9]:
            rows.append(
                Row(
                    declaration.file,
                    declaration.siren_line,
                    f"SIREN {declaration.siren}",
                    [Action.ERROR],
                    errors={
                        "siren": f"Cette DSN est celle d'une autre entreprise (SIREN {declaration.siren}) : "
                        f"{member_name} a le SIREN {siret[:9]}."
                    },
                )
            )
        elif declaration.nic != siret[9:]:
            count = len(declaration.individuals)
            rows.append(
                Row(
                    declaration.file,
                    declaration.nic_line,
                    f"Établissement {declaration.siret}",
                    [Action.IGNORED],
                    warnings=[
                        f"Établissement {declaration.siret} : ce n'est pas celui de {member_name} "
                        f"({siret}) ; ses {count} salarié{'s' if count > 1 else ''} ne sont pas importés ici. "
                        "Importez cette DSN depuis le compte de cet établissement."
                    ],
                )
            )
        else:
            matched.add(id(declaration))
    return rows, matched


def reconcile(
    reading: Reading,
    listed: Iterable[Listed],
    *,
    siret: str | None,
    member_name: str,
    today: date,
    blind_index: Callable[[str], str],
) -> Plan:
    """The preview of what the files change in the list. The latest month declared wins for each NIR; a NIR
    declared twice in one month is an error (the DSN declares one block per person)."""
    rows = [Row(p.file, p.line, "Fichier", [Action.ERROR], errors={"file": p.message}) for p in reading.problems]
    establishment_rows, matched = _establishment_rows(reading, siret, member_name)
    rows += establishment_rows
    if siret is not None and reading.declarations and not matched and not establishment_rows:
        rows.append(Row("", 0, "Fichier", [Action.ERROR], errors={"file": "Aucune déclaration lisible."}))
    order = {name: index for index, name in enumerate(dict.fromkeys(d.file for d in reading.declarations))}
    latest: dict[str, Individual] = {}
    seen: dict[tuple[str, date], Individual] = {}
    for declaration in reading.declarations:
        if id(declaration) not in matched:
            continue
        for person in declaration.individuals:
            if not person.valid or not person.nir:
                continue
            again = seen.get((person.nir, person.month))
            if again is not None:
                rows.append(
                    Row(
                        person.file,
                        person.line,
                        display(person),
                        [Action.ERROR],
                        nir_masked=mask_nir(person.nir),
                        errors={"nir": f"Ce salarié est déjà déclaré pour ce mois ({again.file}, ligne {again.line})."},
                    )
                )
                continue
            seen[(person.nir, person.month)] = person
            before = latest.get(person.nir)
            if before is None or (person.month, order[person.file]) >= (before.month, order[before.file]):
                latest[person.nir] = person
    by_hash: dict[str, list[Listed]] = {}
    for employee in listed:
        by_hash.setdefault(employee.nir_hash, []).append(employee)
    declared: set[str] = set()
    for person in latest.values():
        row = _reconcile_person(person, by_hash.get(blind_index(person.nir), []), today, blind_index)
        if row.nir_hash:
            declared.add(row.nir_hash)
        rows.append(row)
    latest_month = max((p.month for p in latest.values()), default=None)
    if latest_month is not None:
        rows += _absent_rows(by_hash, declared, latest_month, today)
    rows.sort(key=lambda r: (order.get(r.file, len(order)), r.line))
    return Plan(rows, latest_month)


def _absent_rows(by_hash: dict[str, list[Listed]], declared: set[str], month: date, today: date) -> list[Row]:
    """Employees present in the list, hired before the month, whom the DSN of that month does not declare:
    shown, never exited (only the DSN's end of contract says someone left)."""
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = []
    for nir_hash, employees in by_hash.items():
        if nir_hash in declared:
            continue
        for employee in employees:
            if is_present(employee.exit_date, today) and employee.hire_date <= month_end:
                rows.append(
                    Row(
                        "",
                        0,
                        f"{employee.last_name} {employee.first_names}",
                        [Action.ABSENT],
                        employee_id=employee.id,
                        warnings=[
                            f"Présent dans la liste mais absent de la DSN de {month:%m/%Y} : s'il a quitté "
                            "l'entreprise, déclarez sa sortie sur sa fiche."
                        ],
                    )
                )
    return rows
