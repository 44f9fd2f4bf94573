"""Reading a monthly DSN file (déclaration sociale nominative) in the NEODeS text format (plain Python).

Follows the « cahier technique de la DSN, phase 3, version P26V01 » (norme NEODeS, 2026): one rubric per line,
`S21.G00.30.001,'value'`, blocks in the order of the specification. Only the blocks the employee list needs
are read: S10 (sender, optional), S20.G00.05 (declaration: nature .001, month .005), S21.G00.06 (company: SIREN
.001), S21.G00.11 (establishment: NIC .001), S21.G00.30 (individual), S21.G00.40 (contract) and S21.G00.62
(end of contract), and S90 (the closing rubrics, whose count tells a truncated file). Any other rubric is
ignored. Every problem is kept with its file and line number, in French; nothing is guessed, nothing is
logged (the file holds NIRs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from portal_common.validators import is_valid_nir, nir_key

SPECIFICATION = "cahier technique DSN P26V01 (norme NEODeS)"
MONTHLY = "01"  # S20.G00.05.001: nature « DSN mensuelle »
# ASCII digits only: str's \d and isdigit() also take other scripts' digits and superscripts, which int() and the
# DSN's norm do not.
LINE_RE = re.compile(r"^(S\d{2}\.G\d{2}\.\d{2})\.(\d{3}),'(.*)'$", re.DOTALL | re.ASCII)
SIREN_RE = re.compile(r"^\d{9}$", re.ASCII)
NIC_RE = re.compile(r"^\d{5}$", re.ASCII)
NIR13_RE = re.compile(r"^[1-478]\d{4}(?:\d{2}|2A|2B)\d{6}$", re.ASCII)
DEPARTMENT_RE = re.compile(r"^(?:\d{2}|2A|2B|9[78]\d?)$", re.ASCII)
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
PCS_RE = re.compile(r"^\d{3}[a-z]$", re.ASCII)
DIGITS_RE = re.compile(r"\d+", re.ASCII)
MAX_LINES = 1_000_000  # a 10 000-employee DSN with its pay blocks has about 500 000 lines
PROGRESS_EVERY = 20_000  # lines read between two progress reports (a 10 MB DSN: about 25 reports)
VALUE_MAX = 500
# Bytes an ISO-8859-1 text never holds (C1 controls): a Windows-1252 or another single-byte file.
C1_RE = re.compile(rb"[\x80-\x9f]")
# A line ends at CR LF, LF or CR, and nowhere else (not at the other characters str.splitlines() breaks on).
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")

INDIVIDUAL, CONTRACT, CONTRACT_END = "S21.G00.30", "S21.G00.40", "S21.G00.62"
COMPANY, ESTABLISHMENT, DECLARATION, CLOSING = "S21.G00.06", "S21.G00.11", "S20.G00.05", "S90.G00.90"
# The rubrics kept as declared, by the field they fill: one branch reads them all (see _Reader.text_rubric).
INDIVIDUAL_TEXT = {"002": "family_name", "003": "usage_name", "004": "first_names", "007": "birth_place"}
CONTRACT_TEXT = {
    "002": "status",
    "006": "job_label",
    "007": "nature",
    "008": "scheme",
    "009": "number",
    "019": "workplace",
}
CONTRACT_END_TEXT = {"002": "end_reason"}


class DsnRefused(Exception):
    """A file that cannot be read at all (encoding, not a DSN): one French message naming the file and the line
    that shows it (the reader's only exception: any other input is read, its problems listed)."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line = file, line
        self.message = f"{file}, ligne {line} : {message}"
        super().__init__(self.message)


def line_at(raw: bytes, position: int) -> int:
    """The line (from 1) of the byte at `position`, lines ended as the reader ends them."""
    return len(LINE_BREAK_BYTES.findall(raw, 0, position)) + 1


@dataclass(frozen=True)
class Problem:
    """Something that could not be read or matched, where it is in which file."""

    file: str
    line: int
    message: str


@dataclass
class Contract:
    line: int
    start: date | None = None
    status: str = ""  # S21.G00.40.002 statut conventionnel
    pcs_code: str = ""
    job_label: str = ""  # S21.G00.40.006 libellé de l'emploi
    nature: str = ""  # S21.G00.40.007
    scheme: str = ""  # S21.G00.40.008 dispositif de politique publique (apprentissage, professionnalisation)
    number: str = ""  # S21.G00.40.009
    workplace: str = ""  # S21.G00.40.019
    end: date | None = None
    end_reason: str = ""
    end_line: int | None = None


@dataclass
class Individual:
    """One S21.G00.30 block with its contracts; `nir` is the full 15-character number (key computed)."""

    file: str
    line: int
    month: date
    siren: str
    nic: str
    nir: str = ""
    family_name: str = ""
    usage_name: str = ""
    first_names: str = ""
    sex: str = ""  # "M" or "F"
    birth_date: date | None = None
    birth_place: str = ""
    birth_department: str = ""
    birth_country: str = ""
    contracts: list[Contract] = field(default_factory=list)
    valid: bool = True  # False once a problem was listed for this individual


@dataclass
class Declaration:
    """One DSN: its month, nature, company and establishment, and the individuals declared."""

    file: str
    line: int
    month: date | None = None
    nature: str = ""
    siren: str = ""
    nic: str = ""
    siren_line: int = 0
    nic_line: int = 0
    individuals: list[Individual] = field(default_factory=list)

    @property
    def siret(self) -> str:
        return f"{self.siren}{self.nic}"


@dataclass
class Reading:
    """What a file says: its declarations, and the problems found (each with its line)."""

    declarations: list[Declaration] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines: int = 0


def decode(raw: bytes, file: str) -> str:
    """UTF-8 or ISO-8859-1 (what payroll software writes); anything else refused with the line it fails on."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise DsnRefused(
            file,
            1 if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else line_at(raw, raw.index(b"\x00")),
            "le fichier est en UTF-16 ; une DSN s'écrit en ISO-8859-1 ou en UTF-8. "
            "Exportez-la à nouveau depuis le logiciel de paie.",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    bad = C1_RE.search(raw)
    if bad is not None:
        raise DsnRefused(
            file,
            line_at(raw, bad.start()),
            "caractère illisible ; le fichier n'est ni en UTF-8 ni en ISO-8859-1 "
            "(encodage de la norme DSN). Exportez-le à nouveau depuis le logiciel de paie.",
        )
    return raw.decode("iso-8859-1")


def dsn_date(text: str) -> date | None:
    """JJMMAAAA, the DSN's date format; None when not a real date."""
    if len(text) != 8 or not DIGITS_RE.fullmatch(text):
        return None
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def full_nir(text: str) -> tuple[str | None, str | None]:
    """(the 15-character NIR, None) or (None, the French problem). The DSN declares 13 characters (the key is
    not sent); a number of 15 characters is accepted when its key is right."""
    value = text.replace(" ", "").upper()
    if len(value) == 15:
        if not NIR13_RE.match(value[:13]) or not DIGITS_RE.fullmatch(value[13:]):
            return None, "numéro de sécurité sociale mal formé (13 caractères attendus, sans la clé)."
        if nir_key(value[:13]) != int(value[13:]):
            return None, "la clé du numéro de sécurité sociale est incorrecte."
        return value, None
    if not NIR13_RE.match(value):
        return None, "numéro de sécurité sociale mal formé (13 caractères attendus, sans la clé)."
    nir = f"{value}{nir_key(value):02d}"
    if not is_valid_nir(nir):
        return None, "numéro de sécurité sociale invalide."
    return nir, None


class _Reader:
    """Walks the lines of one file; the blocks are opened by their rubrics, in the specification's order."""

    def __init__(self, file: str, reading: Reading, progress: Callable[[int], None] | None = None):
        self.file = file
        self.reading = reading
        self.progress = progress  # told the number of lines of this file read so far
        self.declaration: Declaration | None = None
        self.individual: Individual | None = None
        self.contract: Contract | None = None
        self.last: tuple[str, str] = ("", "")
        self.count = 0
        self.closing_count: int | None = None
        self.closing_line = 0
        self.last_line = 0

    def problem(self, line: int, message: str) -> None:
        self.reading.problems.append(Problem(self.file, line, message))

    def individual_problem(self, line: int, message: str) -> None:
        self.problem(line, message)
        if self.individual is not None:
            self.individual.valid = False

    def new_block(self, block: str, rubric: str) -> bool:
        """A rubric opens a new occurrence of its block when it follows another block or does not come after
        the previous rubric of the same block."""
        last_block, last_rubric = self.last
        return block != last_block or rubric <= last_rubric

    def read(self, text: str) -> int:
        """Reads the text's lines into the reading; returns how many lines it has (blank ones included)."""
        number = 0
        for number, line in enumerate(LINE_BREAK.split(text), start=1):
            if number > MAX_LINES:
                raise DsnRefused(self.file, number, f"le fichier dépasse {MAX_LINES:,} lignes.".replace(",", "\u202f"))
            if self.progress is not None and number % PROGRESS_EVERY == 0:
                self.progress(number)
            if not line.strip():
                continue
            self.last_line = number
            match = LINE_RE.match(line.rstrip("\r"))
            if match is None:
                self.problem(number, "ligne illisible : une rubrique s'écrit S21.G00.30.001,'valeur'.")
                if self.individual is not None and line.startswith(INDIVIDUAL):
                    self.individual.valid = False
                continue
            self.count += 1
            block, rubric, value = match[1], match[2], match[3].replace("''", "'")
            if len(value) > VALUE_MAX:
                self.problem(number, f"valeur de la rubrique {block}.{rubric} trop longue.")
                continue
            opens = self.new_block(block, rubric)
            self.last = (block, rubric)
            self.rubric(number, block, rubric, value.strip(), opens)
        self.close()
        return number

    def rubric(self, line: int, block: str, rubric: str, value: str, opens: bool) -> None:
        if block == DECLARATION:
            if opens:
                self.declaration = Declaration(self.file, line)
                self.reading.declarations.append(self.declaration)
                self.individual = self.contract = None
            self.declaration_rubric(line, rubric, value)
        elif block == CLOSING:
            if rubric == "001":
                self.closing_count, self.closing_line = (int(value) if DIGITS_RE.fullmatch(value) else -1), line
        elif block.startswith("S21."):
            if self.declaration is None:
                self.problem(line, f"rubrique {block}.{rubric} avant l'en-tête de la déclaration (S20.G00.05).")
                return
            self.company_rubric(line, block, rubric, value, opens)

    def declaration_rubric(self, line: int, rubric: str, value: str) -> None:
        assert self.declaration is not None
        if rubric == "001":
            self.declaration.nature = value
            if value != MONTHLY:
                self.problem(line, f"nature de déclaration « {value} » : seule la DSN mensuelle (01) est lue.")
        elif rubric == "005":
            month = dsn_date(value)
            if month is None or month.day != 1:
                self.problem(line, "mois principal déclaré illisible (01MMAAAA attendu).")
            else:
                self.declaration.month = month

    def company_rubric(self, line: int, block: str, rubric: str, value: str, opens: bool) -> None:
        declaration = self.declaration
        assert declaration is not None
        if block == COMPANY and rubric == "001":
            declaration.siren, declaration.siren_line = value, line
            if not SIREN_RE.match(value):
                self.problem(line, "SIREN mal formé (9 chiffres attendus).")
        elif block == ESTABLISHMENT and rubric == "001":
            declaration.nic, declaration.nic_line = value, line
            if not NIC_RE.match(value):
                self.problem(line, "NIC de l'établissement mal formé (5 chiffres attendus).")
        elif block == INDIVIDUAL:
            if opens:
                if declaration.month is None or not declaration.nic:
                    self.problem(line, "salarié déclaré avant le mois ou l'établissement de la déclaration.")
                    self.individual = None
                    return
                self.individual = Individual(self.file, line, declaration.month, declaration.siren, declaration.nic)
                declaration.individuals.append(self.individual)
                self.contract = None
            if self.individual is not None:
                self.individual_rubric(line, rubric, value)
        elif block == CONTRACT:
            if self.individual is None:
                self.problem(line, "contrat déclaré hors d'un salarié (S21.G00.30).")
                return
            if opens:
                self.contract = Contract(line)
                self.individual.contracts.append(self.contract)
            self.contract_rubric(line, rubric, value)
        elif block == CONTRACT_END:
            if self.contract is None:
                self.individual_problem(line, "fin de contrat déclarée hors d'un contrat (S21.G00.40).")
                return
            self.end_rubric(line, rubric, value)
        elif block.startswith("S21.G00.") and block > INDIVIDUAL and block < CONTRACT:
            return  # blocks of the individual before the contract (none read)
        elif block in (COMPANY, ESTABLISHMENT) or block < INDIVIDUAL:
            self.individual = self.contract = None

    @staticmethod
    def text_rubric(target: Individual | Contract, fields: dict[str, str], rubric: str, value: str) -> bool:
        """Whether `rubric` is one of `fields`, the rubrics kept as declared (then set on `target`)."""
        name = fields.get(rubric)
        if name is not None:
            setattr(target, name, value)
        return name is not None

    def date_rubric(self, line: int, value: str, what: str) -> date | None:
        """A JJMMAAAA date of the individual's blocks; an unreadable one is the individual's problem."""
        read = dsn_date(value)
        if read is None:
            self.individual_problem(line, f"{what} illisible (JJMMAAAA attendu).")
        return read

    def individual_rubric(self, line: int, rubric: str, value: str) -> None:
        person = self.individual
        assert person is not None
        if self.text_rubric(person, INDIVIDUAL_TEXT, rubric, value):
            return
        if rubric == "001":
            nir, problem = full_nir(value)
            if problem:
                self.individual_problem(line, problem[:1].upper() + problem[1:])
            person.nir = nir or ""
        elif rubric == "005":
            sex = {"01": "M", "02": "F"}.get(value)
            if sex is None:
                self.individual_problem(line, "sexe illisible (01 masculin ou 02 féminin attendu).")
            person.sex = sex or ""
        elif rubric == "006":
            person.birth_date = self.date_rubric(line, value, "date de naissance")
        elif rubric == "014":
            if not DEPARTMENT_RE.match(value.upper()):
                self.individual_problem(line, "code département de naissance illisible.")
            person.birth_department = value.upper()
        elif rubric == "015":
            if not COUNTRY_RE.match(value.upper()):
                self.individual_problem(line, "code pays de naissance illisible (code ISO à 2 lettres attendu).")
            person.birth_country = value.upper()

    def contract_rubric(self, line: int, rubric: str, value: str) -> None:
        contract = self.contract
        assert contract is not None
        if self.text_rubric(contract, CONTRACT_TEXT, rubric, value):
            return
        if rubric == "001":
            contract.start = self.date_rubric(line, value, "date de début du contrat")
        elif rubric == "004":
            contract.pcs_code = value.lower()
            if not PCS_RE.match(contract.pcs_code):
                self.individual_problem(line, "code PCS-ESE mal formé (3 chiffres et une lettre, par exemple 552a).")

    def end_rubric(self, line: int, rubric: str, value: str) -> None:
        contract = self.contract
        assert contract is not None
        if self.text_rubric(contract, CONTRACT_END_TEXT, rubric, value):
            return
        if rubric == "001":
            contract.end, contract.end_line = self.date_rubric(line, value, "date de fin du contrat"), line
            if contract.end is not None and contract.start is not None and contract.end < contract.start:
                self.individual_problem(
                    line,
                    f"la fin du contrat ({contract.end:%d/%m/%Y}) précède son début "
                    f"({contract.start:%d/%m/%Y}, ligne {contract.line}).",
                )

    def close(self) -> None:
        self.reading.lines += self.count
        if not self.reading.declarations or all(d.file != self.file for d in self.reading.declarations):
            # The line that shows it: the first one not read as a DSN's, else where the file ends.
            shown = next((p.line for p in self.reading.problems if p.file == self.file), self.last_line or 1)
            raise DsnRefused(
                self.file,
                shown,
                "ce n'est pas une DSN (aucune rubrique S20.G00.05 de déclaration). "
                "Déposez le fichier produit par le logiciel de paie.",
            )
        if self.closing_count is None:
            self.problem(
                self.last_line,
                "fichier tronqué : la rubrique de fin S90.G00.90.001 manque. Déposez le fichier complet.",
            )
        elif self.closing_count != self.count:
            self.problem(
                self.closing_line,
                f"fichier incomplet : {self.count} rubriques lues, {self.closing_count} annoncées "
                "(S90.G00.90.001). Déposez le fichier complet.",
            )
        for declaration in self.reading.declarations:
            if declaration.file != self.file:
                continue
            if declaration.month is None:
                self.problem(declaration.line, "le mois principal déclaré (S20.G00.05.005) manque.")
            if not declaration.siren:
                self.problem(declaration.line, "le SIREN de l'entreprise (S21.G00.06.001) manque.")
            if not declaration.nic:
                self.problem(declaration.line, "le NIC de l'établissement (S21.G00.11.001) manque.")
            for person in declaration.individuals:
                self.check_individual(person)

    def check_individual(self, person: Individual) -> None:
        missing = [
            label
            for label, value in (
                ("numéro de sécurité sociale (S21.G00.30.001)", person.nir),
                ("nom de famille (S21.G00.30.002)", person.family_name),
                ("prénoms (S21.G00.30.004)", person.first_names),
                ("sexe (S21.G00.30.005)", person.sex),
                ("date de naissance (S21.G00.30.006)", person.birth_date),
            )
            if not value
        ]
        if missing and person.valid:
            self.individual_problem_of(person, "rubrique manquante ou illisible : " + ", ".join(missing) + ".")
        if not person.contracts and person.valid:
            self.individual_problem_of(person, "aucun contrat (S21.G00.40) déclaré pour ce salarié.")
        for contract in person.contracts:
            if contract.start is None and person.valid:
                self.individual_problem_of(person, f"contrat sans date de début (ligne {contract.line}).")

    def individual_problem_of(self, person: Individual, message: str) -> None:
        self.problem(person.line, message[:1].upper() + message[1:])
        person.valid = False


def count_lines(files: list[tuple[str, bytes]]) -> int:
    """The lines of the files as the reader ends them (what its progress counts up to)."""
    return sum(len(LINE_BREAK_BYTES.findall(raw)) + 1 for _, raw in files)


def read_dsn(files: list[tuple[str, bytes]], progress: Callable[[int], None] | None = None) -> Reading:
    """Every file read into one `Reading`; DsnRefused for a file that is not a readable DSN at all. `progress`,
    when given, is told every PROGRESS_EVERY lines how many lines of all the files were read so far."""
    reading = Reading()
    before = 0  # lines of the files already read
    for name, raw in files:
        report = (lambda lines, before=before: progress(before + lines)) if progress is not None else None
        before += _Reader(name, reading, report).read(decode(raw, name))
    reading.problems = [Problem(p.file, p.line, p.message[:1].upper() + p.message[1:]) for p in reading.problems]
    return reading
