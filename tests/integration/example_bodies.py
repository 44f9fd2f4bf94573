"""Valid request bodies for the gateway burst suite, built from what the portal itself publishes.

API routes: a minimal valid JSON body from the operation's OpenAPI request schema (`/api/<service>/openapi.json`):
the required properties, each given a plausible value for its type, format, enum, pattern and bounds, and the
values a rule checks beyond the schema (a NIR with its key, a SIRET that passes Luhn, an IBAN, ids of the demo's
rows) from a small table by property name. Page routes: the page's own `<form>` (the GET page of the route or of
a parent path), its inputs filled as a person would (hidden ones kept: version, ids), the first choice of each
select and radio group (or the one the page selected), checkboxes ticked.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from portal_common import clock

# A working day five to six weeks ahead (a Tuesday: never a weekend, a holiday in France is never on every Tuesday
# of those weeks, and the slots of the demo stay free around it).
_AHEAD = clock.today() + datetime.timedelta(days=40)
FUTURE_DAY = _AHEAD + datetime.timedelta(days=(1 - _AHEAD.weekday()) % 7)
FUTURE_START = f"{FUTURE_DAY.isoformat()}T09:00:00+00:00"
TODAY = clock.today().isoformat()

# Values a rule checks beyond the schema, by property name (the same on the API and in page forms).
BY_NAME: dict[str, Any] = {
    "nir": "285081416802523",
    "siret": "40483304800022",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
    "consent": True,
    "email": "contact@boulangerie-martin.fr",
    "billing_email": "compta@boulangerie-martin.fr",
    "postal_code": "68100",
    "city": "Mulhouse",
    "line1": "7 rue des Tanneurs",
    "address_line1": "7 rue des Tanneurs",
    "name": "Martin",
    "last_name": "Concurrent",
    "first_names": "Marie",
    "holder": "Boulangerie Martin",
    "post": "Vendeuse",
    "professional_name": "Anne Schmitt",
    "birth_date": "1985-08-14",
    "birth_commune": "14168",  # the commune the NIR carries (Colombières)
    "hire_date": TODAY,
    "exit_date": TODAY,
    "from_date": TODAY,
    "received_on": TODAY,
    "effective_date": TODAY,
    "adhesion_date": "2024-01-01",
    "starts_at": FUTURE_START,
    "reason": "Motif indiqué par le service",
    "label": "Erreur sur l'effectif déclaré",
    "file_name": "salaries.csv",
    "phone": "03 89 45 12 34",
    "mobile": "06 12 34 56 78",
    "fax": "03 89 45 12 35",
    "pcs_code": "552a",
    "date": FUTURE_DAY.isoformat(),
    "time": "09:00",
    "credit_amount": "1,00",
    "refund_amount": "1,00",
    "code": "123456",
    "member_number": "1000001",
    "naf_code": "10.71C",
    "sex": "F",
    "contract": "CDI",
    "visit_type": "periodique",
    "professional_kind": "medecin",
    "duration_minutes": 30,
    "amount": 10,
    "amount_excl_tax": 10,
}


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _string(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    fmt = schema.get("format")
    if fmt == "date":
        return TODAY
    if fmt == "date-time":
        return FUTURE_START
    if fmt == "email":
        return str(BY_NAME["email"])
    text = "Texte saisi"
    low, high = schema.get("minLength", 1), schema.get("maxLength", 200)
    return (text * (low // len(text) + 1))[: max(low, min(len(text), high))]


def example(spec: dict[str, Any], schema: dict[str, Any], values: dict[str, Any], name: str = "") -> Any:
    """A minimal valid value for `schema`; `values` (property name → value) wins over the generic one."""
    schema = resolve(spec, schema)
    if name in values:
        return values[name]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            prop: example(spec, properties[prop], values, prop)
            for prop in properties
            if prop in schema.get("required", ()) or prop in values
        }
    if name in BY_NAME and BY_NAME[name] in schema.get("enum", [BY_NAME[name]]):
        return BY_NAME[name]
    if kind == "array":
        return [example(spec, schema["items"], values) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return max(float(schema.get("minimum", 0)), 1.0)
    if kind == "boolean":
        return False
    return _string(schema)


def request_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    """The JSON request schema of an operation (`path` in OpenAPI's `{name}` form), or None when it takes none."""
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def openapi_path(flask_rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", flask_rule)


# --- page forms ---------------------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page: action → the (name, value, kind) of each input, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str, str]]]] = []
        self._inputs: list[tuple[str, str, str]] | None = None
        self._select: str | None = None
        self._options: list[str] = []
        self._selected = ""
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._inputs = []
            self.forms.append((a.get("action", ""), self._inputs))
        if self._inputs is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "file":  # what the field accepts decides the file a person picks
                kind = (
                    "file:csv" if "csv" in a.get("accept", "") else "file:dsn" if "dsn" in a.get("accept", "") else kind
                )
            if "required" in a:
                kind += ":required"
            self._inputs.append((a["name"], a.get("value", ""), kind))
            if "checked" in a and a.get("type") in ("radio", "checkbox"):
                self._inputs[-1] = (a["name"], a.get("value", "on"), a["type"] + ":checked")
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self._inputs.append((a["name"], a.get("value", ""), "submit"))  # the first button is the one clicked
        elif tag == "select" and a.get("name"):
            self._select, self._options, self._selected = a["name"], [], ""
        elif tag == "option" and self._select is not None:
            self._options.append(a.get("value", ""))
            if "selected" in a and a.get("value"):
                self._selected = a["value"]
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._inputs.append((a["name"], "", "textarea:required" if "required" in a else "textarea"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inputs = None
        elif tag == "select" and self._select is not None and self._inputs is not None:
            # A choice the page made (the stored value of an edit form) is left as it is; a placeholder is replaced.
            known = str(BY_NAME.get(self._select, ""))
            chosen = self._selected or (
                known if known and known in self._options else next((o for o in self._options if o), "")
            )
            self._inputs.append((self._select, chosen, "select"))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._inputs and data.strip():
            name, _, kind = self._inputs[-1]
            self._inputs[-1] = (name, data.strip(), kind)


PDF = ("justificatif.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf")
CSV = ("salaries.csv", "Nom;Prénom\nDUPONT;Jean\n".encode(), "text/csv")


def _typed(name: str, kind: str, value: str) -> Any:
    """What a person types into an empty input: the required ones and those the table knows (None: left empty).
    A file input gets a (name, bytes, type) file: a PDF, or a CSV where the field asks for one."""
    if value:
        return value
    required = kind.endswith(":required")
    kind = kind.removesuffix(":required")
    if kind.startswith("file"):
        return None if not required or kind == "file:dsn" else CSV if kind == "file:csv" else PDF
    if name in BY_NAME:
        typed = BY_NAME[name]
        return "y" if typed is True else str(typed)
    if not required:
        return None
    if kind == "date":
        return TODAY
    if kind == "datetime-local":
        return FUTURE_START[:16]
    if kind == "email":
        return str(BY_NAME["email"])
    if kind == "number":
        return "1"
    if kind in ("password", "file"):
        return None
    return "Texte saisi"


def form_data(page: str, action: str, page_path: str | None = None) -> dict[str, Any] | None:
    """The filled form of `page` (shown at `page_path`) that posts to `action` (a path), or None when it has none.

    A form without an action posts to its own page."""
    parser = _Forms()
    parser.feed(page)
    for target, inputs in parser.forms:
        if urlsplit(target or page_path or "").path != action:
            continue
        data: dict[str, Any] = {}
        radios: set[str] = set()
        for name, value, kind in inputs:
            if kind.removesuffix(":required") in ("submit", "button"):
                data.setdefault(name, value)
            elif kind.endswith(":checked"):
                data[name] = value
                radios.add(name)
            elif kind.startswith("radio"):
                if name not in radios and name not in data:
                    data[name] = value
            elif kind.startswith("checkbox"):
                data.setdefault(name, value or "on")
            elif name not in data:
                typed = _typed(name, kind, value)
                if typed is not None:
                    data[name] = typed
        return data
    return None


def parents(path: str) -> list[str]:
    """The path and each parent path, nearest first: where the form posting to `path` is likely shown."""
    found = [path]
    while path.count("/") > 1:
        path = path.rsplit("/", 1)[0]
        found.append(path)
    return found


Fetch = Callable[[str], str | None]


def page_form(fetch: Fetch, action: str) -> dict[str, Any] | None:
    """The form posting to `action`, found on the page of `action` or of a parent path (`fetch` gets a page's
    HTML, None when it is not a page of the portal)."""
    for candidate in parents(action):
        html = fetch(candidate)
        if html:
            found = form_data(html, action, candidate)
            if found is not None:
                return found
    return None
