"""Importing an employee list (plain Python): reading CSV/XLSX, guessing the columns, checking every row.

A file is read into a table of text cells (`read_table`), its columns are matched to the hire fields by their
French header (`guess_mapping`, the user may change it), and each row becomes a `HireCommand` checked by the
very rules of the hire form (`employees.rules.check_hire`). Duplicates are looked for within the file and against the
employees already listed (`find_duplicates`). Nothing here writes anything, and nothing keeps a NIR in clear.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from portal_common.errors import FieldErrors

from ..employees.rules import (
    BY_CODE,
    HireCommand,
    HireRejected,
    Sex,
    birth_place_warnings,
    check_hire,
    fold,
    mask_typed_nir,
    nir_warnings,
)
from ..employees.rules.labels import CONTRACT_LABELS
from . import workbook


class ImportStatus(StrEnum):
    """Where a staged import is (the stored value)."""

    RECEIVED = "received"  # a big file, waiting to be read by the worker
    READING = "reading"  # being read by the worker
    REFUSED = "refused"  # could not be read (its file is erased; nothing was written)
    MAPPING = "mapping"  # columns to choose
    QUEUED = "queued"  # waiting for the check
    CHECKING = "checking"  # being checked
    READY = "ready"  # preview shown
    CONFIRMED = "confirmed"  # waiting to be written
    IMPORTING = "importing"  # being written
    DONE = "done"  # written
    FAILED = "failed"  # could not be written (nothing was)
    CANCELLED = "cancelled"  # dropped by the user, or abandoned


IMPORT_STATUSES = tuple(ImportStatus)
# The states from which the columns can be chosen again (and the import dropped).
CHECKABLE = (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.FAILED)
# The states in which a worker (or the request) still has work to do.
RUNNING = (
    ImportStatus.RECEIVED,
    ImportStatus.READING,
    ImportStatus.QUEUED,
    ImportStatus.CHECKING,
    ImportStatus.CONFIRMED,
    ImportStatus.IMPORTING,
)
STATUS_LABELS = {
    ImportStatus.RECEIVED: "Lecture du fichier en attente",
    ImportStatus.READING: "Lecture du fichier en cours",
    ImportStatus.REFUSED: "Fichier refusé, rien n'a été ajouté",
    ImportStatus.MAPPING: "Colonnes à vérifier",
    ImportStatus.QUEUED: "Vérification en attente",
    ImportStatus.CHECKING: "Vérification en cours",
    ImportStatus.READY: "Vérifié, à confirmer",
    ImportStatus.CONFIRMED: "Enregistrement en attente",
    ImportStatus.IMPORTING: "Enregistrement en cours",
    ImportStatus.DONE: "Importé",
    ImportStatus.FAILED: "Échec, rien n'a été ajouté",
    ImportStatus.CANCELLED: "Abandonné",
}
TABLE_FORMATS = ("csv", "xlsx")  # what this capability reads; a DSN import ("dsn") is the dsn capability's
FILE_NAME_RE = re.compile(r"[^\w .()\-]+")

# The bounds of a file, checked before parsing (size, the XLSX container: imports/workbook.py) and while
# streaming its lines (lines counted blank ones included, columns, cell length), never after reading it all.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000  # employees
MAX_LINES = 25000  # every line, blank ones included
MAX_COLUMNS = 60
CELL_MAX = 1000  # every field of the record is shorter
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format

# The fields a column can be matched to, in the order of the hire form, with their French names.
FIELDS = {
    "last_name": "Nom d'usage",
    "birth_name": "Nom de naissance",
    "first_names": "Prénoms",
    "sex": "Sexe",
    "birth_date": "Date de naissance",
    "birth_commune": "Code commune de naissance",
    "birth_country": "Pays de naissance",
    "nir": "N° de sécurité sociale",
    "hire_date": "Date d'embauche",
    "post": "Poste de travail",
    "pcs_code": "Code PCS-ESE",
    "contract": "Contrat",
    "multi_employer": "Salarié multi-employeurs",
    "determinants": "Déterminants de suivi",
    "sir_justification": "Justification SIR",
    "adapted_undisclosed": "Suivi adapté, motif non communiqué",
    "convocation_constraints": "Contraintes de convocation",
    "comment": "Commentaire",
}
REQUIRED_FIELDS = ("last_name", "first_names", "sex", "birth_date", "nir", "hire_date", "post", "contract")
# One of the two at least: the commune of birth, or the country for those born abroad.
BIRTH_PLACE_FIELDS = ("birth_commune", "birth_country")
DATE_FIELDS = ("birth_date", "hire_date")
YES_NO_FIELDS = ("multi_employer", "adapted_undisclosed")

# Header names seen in payroll exports and in our own export, folded (see `_header_key`), best first.
SYNONYMS = {
    "last_name": ("nom d usage", "nom usuel", "nom marital", "nom d epouse", "nom", "nom du salarie"),
    "birth_name": ("nom de naissance", "nom de jeune fille", "nom patronymique", "nom de famille"),
    "first_names": ("prenoms", "prenom", "prenom s"),
    "sex": ("sexe", "genre", "civilite"),
    "birth_date": ("date de naissance", "ne e le", "ne le", "nee le", "naissance", "date naissance"),
    "birth_commune": (
        "code commune de naissance",
        "commune de naissance",
        "code insee commune de naissance",
        "code insee de la commune de naissance",
        "code insee de naissance",
        "code lieu de naissance",
        "lieu de naissance",
        "code commune naissance",
        "commune naissance",
        "code insee naissance",
    ),
    "birth_country": ("pays de naissance", "pays naissance", "pays de naissance si etranger", "pays"),
    "nir": (
        "n de securite sociale",
        "numero de securite sociale",
        "n securite sociale",
        "nir",
        "nia",
        "n ss",
        "numero ss",
        "no ss",
        "securite sociale",
        "n insee",
        "numero insee",
        "matricule securite sociale",
    ),
    "hire_date": ("date d embauche", "embauche", "date d entree", "entree", "date embauche", "date entree"),
    "post": ("poste de travail", "poste", "intitule du poste", "emploi", "fonction", "metier", "libelle emploi"),
    "pcs_code": ("code pcs ese", "pcs ese", "code pcs", "pcs", "csp"),
    "contract": ("contrat", "type de contrat", "nature du contrat", "type contrat"),
    "multi_employer": (
        "salarie multi employeurs",
        "multi employeurs",
        "multi employeur",
        "multiemployeur",
        "plusieurs employeurs",
    ),
    "determinants": ("determinants de suivi", "determinants", "expositions", "risques"),
    "sir_justification": ("justification sir", "justification de l ajout sir", "justification"),
    "adapted_undisclosed": ("suivi adapte motif non communique", "suivi adapte"),
    "convocation_constraints": ("contraintes de convocation", "contraintes", "contrainte de convocation"),
    "comment": ("commentaire", "commentaires", "remarque", "remarques", "observations"),
}
YES = {"oui", "o", "x", "1", "vrai", "true", "yes", "y"}
NO = {"non", "n", "0", "faux", "false", "no", ""}
SEX_WORDS = {
    **dict.fromkeys(("f", "femme", "feminin", "mme", "madame", "mlle", "2"), Sex.F),
    **dict.fromkeys(("m", "h", "homme", "masculin", "mr", "monsieur", "1"), Sex.M),
}
CONTRACT_WORDS = (
    {fold(code): code for code in CONTRACT_LABELS}
    | {fold(label): code for code, label in CONTRACT_LABELS.items()}
    | {
        "contrat d apprentissage": "apprentissage",
        "contrat de professionnalisation": "professionnalisation",
        "contrat a duree indeterminee": "CDI",
        "contrat a duree determinee": "CDD",
        "interimaire": "interim",
        "stagiaire": "stage",
    }
)
DETERMINANT_WORDS = {fold(code): code for code in BY_CODE} | {fold(d.label): d.code for d in BY_CODE.values()}
DETERMINANT_SPLIT_RE = re.compile(r"[,|+/\n]")
DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+)?$")
# Anything shaped like a NIR (13 to 15 digits, 2A/2B, with spaces, dots or dashes), for `scrub_nir`.
NIR_LIKE_RE = re.compile(r"(?<![0-9A-Za-z])[1-478](?:[\s.\-]?[0-9AB]){12}(?:[\s.\-]?[0-9]{2})?(?![0-9A-Za-z])")

UNREADABLE_XLSX = workbook.UNREADABLE
NIR_ELSEWHERE = "Cette colonne semble contenir un numéro de sécurité sociale : vérifiez le choix des colonnes."


class ImportRejected(FieldErrors):
    """A file that cannot be read at all: one French message on the `file` field."""


@dataclass(frozen=True)
class Table:
    """The file as text cells: its header line and its data lines (blank lines left out), numbered from 2."""

    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]


@dataclass
class CheckedRow:
    """One data line checked: the command ready to hire, or the errors per field; warnings never refuse."""

    line: int
    values: dict[str, str]  # mapped cells as read, the NIR column left out
    command: HireCommand | None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # probable duplicates: flagged, confirmed by the user
    nir_hash: str | None = None
    # The NIR as typed, masked (right or wrong): what the user needs to find a refused line in the file.
    nir_shown: str | None = None

    @property
    def name(self) -> str:
        return (
            " ".join(
                part for part in (self.values.get("last_name", "").upper(), self.values.get("first_names", "")) if part
            )
            or "(sans nom)"
        )


@dataclass(frozen=True)
class Known:
    """What the duplicate check needs of an employee already listed (no NIR: its blind index)."""

    name: str
    nir_hash: str
    name_key: str
    birth_date: date
    present: bool


# --- reading ------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a NIR or a year typed into a number cell
    text = str(value).replace("\x00", "")
    return " ".join(text.split())


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Excel for Windows saves "CSV (séparateur : point-virgule)" in Windows-1252; latin-1 reads any byte.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _delimiter(text: str) -> str:
    """`;` (French Excel) or `,`, whichever splits the header line into more columns (tab as a last resort)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: len(next(csv.reader([first], delimiter=sep))) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ";"))
    return best if counts[best] > 1 else ";"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def _too_long(line: int, column: int) -> ImportRejected:
    return ImportRejected(
        {
            "file": f"La cellule de la ligne {line}, colonne {column} dépasse {_thousands(CELL_MAX)} caractères : "
            "raccourcissez-la ou supprimez la colonne."
        }
    )


def _too_many_lines() -> ImportRejected:
    return ImportRejected(
        {
            "file": f"Le fichier dépasse {_thousands(MAX_LINES)} lignes, lignes vides comprises : supprimez les "
            "lignes vides ou découpez-le en plusieurs fichiers."
        }
    )


def _too_many_rows() -> ImportRejected:
    return ImportRejected(
        {"file": f"Le fichier dépasse {_thousands(MAX_ROWS)} lignes : découpez-le en plusieurs fichiers."}
    )


def _too_many_columns() -> ImportRejected:
    return ImportRejected({"file": f"Le fichier compte plus de {MAX_COLUMNS} colonnes : gardez celles des salariés."})


def bounded_lines(values: Iterable[Iterable[object]]) -> list[list[str]]:
    """The lines of a file as text cells, refused as soon as one bound is passed: every line counts (blank
    ones too: an empty row costs a parser as much as a full one), each line's last filled cell within
    MAX_COLUMNS, each cell within CELL_MAX, at most MAX_ROWS filled lines besides the header."""
    lines: list[list[str]] = []
    filled = 0
    for number, raw_line in enumerate(values, start=1):
        if number > MAX_LINES:
            raise _too_many_lines()
        line = [_cell(value) for value in raw_line]
        while line and not line[-1]:  # trailing empty cells: padding, not columns
            line.pop()
        if len(line) > MAX_COLUMNS:
            raise _too_many_columns()
        for column, text in enumerate(line, start=1):
            if len(text) > CELL_MAX:
                raise _too_long(number, column)
        if line:
            filled += 1
            if filled > MAX_ROWS + 1:
                raise _too_many_rows()
        lines.append(line)  # blank lines kept, so the line numbers stay those of the file
    return lines


def _read_csv(raw: bytes) -> list[list[str]]:
    text = _decode(raw)
    try:
        return bounded_lines(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error:
        raise ImportRejected({"file": "Le fichier CSV est mal formé (guillemets non refermés ?)."}) from None


def _check_shape(shape: workbook.WorkbookShape) -> None:
    """The sheet's declared size, refused before parsing it (a liar is caught while streaming)."""
    if shape.rows is not None and shape.rows > MAX_LINES:
        raise _too_many_lines()
    if shape.columns is not None and shape.columns > MAX_COLUMNS:
        raise _too_many_columns()


def _read_xlsx(raw: bytes) -> list[list[str]]:
    """Streams the first sheet; `measure` has checked its container first."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # whatever a damaged or hostile file makes the parser raise: unreadable, and said so
        raise ImportRejected({"file": UNREADABLE_XLSX}) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return []
        # Explicit bounds: openpyxl otherwise fills every missing row up to the last row number it meets
        # (<row r="1000000"> alone makes a million) and pads every row to its last column.
        return bounded_lines(
            sheet.iter_rows(min_row=1, max_row=MAX_LINES + 1, min_col=1, max_col=MAX_COLUMNS + 1, values_only=True)
        )
    except ImportRejected:
        raise
    except Exception:
        raise ImportRejected({"file": UNREADABLE_XLSX}) from None
    finally:
        book.close()


def measure(filename: str, raw: bytes) -> tuple[str, int]:
    """(format, bytes the parser would read), refused in French before any parsing: the upload's size, and for
    an XLSX its container and declared sheet size. What decides whether the request or the worker reads it."""
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRejected({"file": "Le fichier dépasse 10 Mo : découpez-le en plusieurs fichiers."})
    if not raw.strip():
        raise ImportRejected({"file": "Le fichier est vide."})
    kind = file_format(filename, raw)
    if kind == "csv":
        return kind, len(raw)
    try:
        shape = workbook.inspect(raw)
    except workbook.WorkbookRefused as refused:
        raise ImportRejected(refused.errors) from None
    _check_shape(shape)
    return kind, shape.data_bytes


def file_format(filename: str, raw: bytes) -> str:
    """'csv' or 'xlsx', from the content first (a renamed file is still read right)."""
    if raw.startswith(XLSX_MAGIC):
        return "xlsx"
    if raw.startswith(XLS_MAGIC) or filename.lower().endswith(".xls"):
        raise ImportRejected(
            {"file": "L'ancien format Excel (.xls) n'est pas lu : enregistrez le fichier au format .xlsx ou .csv."}
        )
    return "csv"


def read_table(filename: str, raw: bytes) -> tuple[str, Table]:
    """The format and the table of an uploaded file; ImportRejected with a French message otherwise."""
    kind, _size = measure(filename, raw)
    lines = _read_xlsx(raw) if kind == "xlsx" else _read_csv(raw)
    numbered = [(number, row) for number, row in enumerate(lines, start=1) if any(cell for cell in row)]
    if not numbered:
        raise ImportRejected({"file": "Le fichier est vide."})
    (_, header), data = numbered[0], numbered[1:]
    width = max(len(row) for _, row in numbered)
    if width > MAX_COLUMNS:
        raise _too_many_columns()
    if not data:
        raise ImportRejected({"file": "Le fichier ne contient aucun salarié sous sa ligne d'en-tête."})
    if len(data) > MAX_ROWS:
        raise _too_many_rows()

    def pad(row: list[str]) -> list[str]:
        return row + [""] * (width - len(row))

    return kind, Table(
        header=pad(header), rows=[pad(row) for _, row in data], line_numbers=[number for number, _ in data]
    )


# --- mapping ------------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


def guess_mapping(header: list[str]) -> dict[str, int]:
    """Field → column index, from the header names: exact synonyms first, then a header starting with one."""
    keys = [_header_key(text) for text in header]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    for exact in (True, False):
        for name, synonyms in SYNONYMS.items():
            if name in mapping:
                continue
            for synonym in synonyms:
                found = next(
                    (
                        i
                        for i, key in enumerate(keys)
                        if i not in taken and key and (key == synonym if exact else key.startswith(synonym + " "))
                    ),
                    None,
                )
                if found is not None:
                    mapping[name] = found
                    taken.add(found)
                    break
    return mapping


def check_mapping(mapping: dict[str, int], width: int) -> dict[str, str]:
    """Errors of a column choice, per field: required fields chosen, each column used once."""
    errors: dict[str, str] = {}
    used: dict[int, str] = {}
    for name in FIELDS:
        column = mapping.get(name)
        if column is None:
            if name in REQUIRED_FIELDS:
                errors[name] = f"Choisissez la colonne « {FIELDS[name]} » : ce champ est obligatoire."
            continue
        if not 0 <= column < width:
            errors[name] = "Colonne inconnue."
        elif column in used:
            errors[name] = f"Cette colonne est déjà choisie pour « {FIELDS[used[column]]} »."
        else:
            used[column] = name
    if not any(name in mapping for name in BIRTH_PLACE_FIELDS):
        errors["birth_commune"] = (
            "Choisissez la colonne « Code commune de naissance » ou « Pays de naissance » : "
            "le lieu de naissance est obligatoire."
        )
    return errors


# --- converting and checking rows -------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also with . or -, and two-digit years) or ISO; None when not a real date."""
    try:
        if match := ISO_DATE_RE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := DATE_RE.match(text):
            day, month, year = int(match[1]), int(match[2]), int(match[3])
            if len(match[3]) == 2:
                year += 2000 if year <= date.today().year % 100 else 1900
            return date(year, month, day)
    except ValueError:
        return None
    return None


def _yes_no(text: str) -> bool | None:
    value = fold(text)
    return True if value in YES else False if value in NO else None


def _determinants(text: str) -> tuple[tuple[str, ...], list[str]]:
    codes: list[str] = []
    unknown: list[str] = []
    for part in DETERMINANT_SPLIT_RE.split(text):
        key = fold(part)
        if not key:
            continue
        code = DETERMINANT_WORDS.get(key) or DETERMINANT_WORDS.get(key.replace(" ", "_"))
        (codes if code else unknown).append(code or part.strip())
    return tuple(codes), unknown


def mapped_values(row: list[str], mapping: dict[str, int]) -> dict[str, str]:
    return {name: row[column] for name, column in mapping.items() if 0 <= column < len(row)}


def command_of(values: dict[str, str]) -> tuple[HireCommand, dict[str, str]]:
    """The hire a row declares, and the errors of cells that cannot be read (a date, a yes/no…)."""
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in DATE_FIELDS:
        text = values.get(name, "")
        dates[name] = parse_date(text) if text else None
        if text and dates[name] is None:
            errors[name] = f"{FIELDS[name]} illisible : écrivez-la jj/mm/aaaa, par exemple 22/03/1970."
    flags: dict[str, bool] = {}
    for name in YES_NO_FIELDS:
        answer = _yes_no(values.get(name, ""))
        if answer is None:
            errors[name] = "Répondez « oui » ou « non »."
        flags[name] = bool(answer)
    determinants, unknown = _determinants(values.get("determinants", ""))
    if unknown:
        errors["determinants"] = "Déterminant inconnu : " + ", ".join(unknown[:3]) + "."
    sex = SEX_WORDS.get(fold(values.get("sex", "")).rstrip("."), values.get("sex", ""))
    contract = CONTRACT_WORDS.get(fold(values.get("contract", "")), values.get("contract", ""))
    command = HireCommand(
        last_name=values.get("last_name", ""),
        first_names=values.get("first_names", ""),
        sex=sex,
        birth_date=dates["birth_date"],
        nir=values.get("nir", ""),
        hire_date=dates["hire_date"],
        post=values.get("post", ""),
        contract=contract,
        birth_name=values.get("birth_name") or None,
        birth_commune=values.get("birth_commune") or None,
        birth_country=values.get("birth_country") or None,
        pcs_code=values.get("pcs_code") or None,
        multi_employer=flags["multi_employer"],
        determinants=determinants,
        sir_justification=values.get("sir_justification") or None,
        adapted_undisclosed=flags["adapted_undisclosed"],
        convocation_constraints=values.get("convocation_constraints") or None,
        comment=values.get("comment") or None,
    )
    return command, errors


def check_row(
    line: int, row: list[str], mapping: dict[str, int], *, today: date, blind_index: Callable[[str], str]
) -> CheckedRow:
    """One line through the hire form's rules; the read errors of a cell replace the rule's message."""
    values = mapped_values(row, mapping)
    command, errors = command_of(values)
    for name, value in values.items():
        # A NIR in another column (a wrong column choice) would be written in clear: refused.
        if name != "nir" and NIR_LIKE_RE.search(value):
            errors[name] = NIR_ELSEWHERE
    shown = {name: value for name, value in values.items() if name != "nir"}
    try:
        checked: HireCommand | None = check_hire(command, today=today)
    except HireRejected as exc:
        checked = None
        errors = {**exc.errors, **errors}
    result = CheckedRow(
        line=line,
        values=shown,
        command=None if errors else checked,
        errors=errors,
        nir_shown=mask_typed_nir(values.get("nir")),
    )
    if checked is not None and not errors:
        result.warnings = nir_warnings(checked.nir, checked.sex, checked.birth_date) + birth_place_warnings(
            checked.nir, checked.birth_commune, checked.birth_country
        )
        result.nir_hash = blind_index(checked.nir)
    return result


def name_key(birth_name: str, first_names: str) -> str:
    """Who a person is without the NIR: folded birth name and first names (as 'Contrôler la liste')."""
    return fold(f"{birth_name} {first_names}")


DUPLICATE_IN_FILE = "Ce numéro de sécurité sociale figure déjà ligne {line} du fichier."
DUPLICATE_PRESENT = "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale ({name})."


def find_duplicates(rows: list[CheckedRow], known: Iterable[Known]) -> None:
    """Marks duplicates: the same NIR as an earlier line or a present employee is an error (as on the hire
    form); the same NIR as a leaver, or the same name and birth date, is a probable duplicate to confirm."""
    by_hash: dict[str, Known] = {}
    by_name: dict[tuple[str, date], Known] = {}
    for employee in known:
        if employee.present or employee.nir_hash not in by_hash:
            by_hash[employee.nir_hash] = employee
        by_name.setdefault((employee.name_key, employee.birth_date), employee)
    seen_hash: dict[str, int] = {}
    seen_name: dict[tuple[str, date | None], int] = {}
    for row in rows:
        if row.command is None or row.nir_hash is None:
            continue
        command = row.command
        same = by_hash.get(row.nir_hash)
        if row.nir_hash in seen_hash:
            row.errors["nir"] = DUPLICATE_IN_FILE.format(line=seen_hash[row.nir_hash])
        elif same is not None and same.present:
            row.errors["nir"] = DUPLICATE_PRESENT.format(name=same.name)
        elif same is not None:
            row.duplicates.append(
                f"Même numéro de sécurité sociale qu'un salarié sorti ({same.name}) : s'agit-il d'une réembauche ?"
            )
        key = (name_key(command.birth_name or command.last_name, command.first_names), command.birth_date)
        if key in seen_name:
            row.duplicates.append(
                f"Même nom de naissance, prénoms et date de naissance que la ligne {seen_name[key]} du fichier."
            )
        elif key in by_name and by_name[key].nir_hash != row.nir_hash:
            row.duplicates.append(
                f"Même nom de naissance, prénoms et date de naissance que {by_name[key].name}, déjà dans la liste."
            )
        seen_hash.setdefault(row.nir_hash, row.line)
        seen_name.setdefault(key, row.line)
        if row.errors:
            row.command = None


def check_table(
    table: Table,
    mapping: dict[str, int],
    known: Iterable[Known],
    *,
    today: date,
    blind_index: Callable[[str], str],
    progress: Callable[[int], None] | None = None,
    every: int = 500,
) -> list[CheckedRow]:
    """Every line checked, then duplicates marked; `progress(done)` is called every `every` lines."""
    rows = []
    for index, (line, row) in enumerate(zip(table.line_numbers, table.rows), start=1):
        rows.append(check_row(line, row, mapping, today=today, blind_index=blind_index))
        if progress is not None and index % every == 0:
            progress(index)
    find_duplicates(rows, known)
    return rows


def scrub_nir(text: str) -> str:
    """A cell as it may be shown: anything shaped like a NIR is masked ('2 55 08 ** *** *** 38')."""

    def mask(match: re.Match[str]) -> str:
        value = re.sub(r"[\s.\-]", "", match[0])
        key = value[13:15] if len(value) == 15 else "**"
        return f"{value[0]} {value[1:3]} {value[3:5]} ** *** *** {key}"

    return NIR_LIKE_RE.sub(mask, text)


def status_refusal(status: str) -> str:
    """Why an import in `status` cannot take the step asked for."""
    refusals: dict[str, str] = {
        ImportStatus.QUEUED: "Le fichier est en cours de vérification.",
        ImportStatus.CHECKING: "Le fichier est en cours de vérification.",
        ImportStatus.CONFIRMED: "L'import est déjà confirmé.",
        ImportStatus.IMPORTING: "L'import est déjà en cours : ses salariés sont en train d'être enregistrés.",
        ImportStatus.DONE: "Cet import est terminé.",
        ImportStatus.CANCELLED: "Cet import a été abandonné.",
        ImportStatus.RECEIVED: "Le fichier est en cours de lecture : réessayez dans un instant.",
        ImportStatus.READING: "Le fichier est en cours de lecture : réessayez dans un instant.",
        ImportStatus.REFUSED: "Ce fichier a été refusé : importez un fichier corrigé.",
    }
    return refusals.get(status, "Cet import ne peut plus être modifié.")


def safe_file_name(name: str) -> str:
    """What is kept of the uploaded name: no path, no odd characters, no NIR (someone may name a file so)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = scrub_nir(FILE_NAME_RE.sub("_", base)).strip()[:200]
    return cleaned or "fichier"
