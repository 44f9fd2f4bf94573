"""What any text entering the portal must be, whoever sends it: one rule for pages, the API and events.

Refused, with a French message: lone UTF-16 surrogates (they cannot be encoded, and a stored one breaks every page
showing it), NUL and other control characters (tab and newline only in multi-line fields), bidirectional
overrides and isolates (they make a name read differently from what it is), and values past their length.
Accepted after normalisation: text not in Unicode NFC (the same name typed on two keyboards is one name).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates: never needed in a name or an address.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MULTILINE_ALLOWED = frozenset("\t\n\r")
MAX_JSON_DEPTH = 32
# Integers beyond a signed 64-bit column, and any float past ±1e15 or with more digits than a double holds,
# are refused: no field of the portal needs them and some libraries fail on them.
MAX_INTEGER = 2**63 - 1
MAX_NUMBER_TEXT = 40
DEFAULT_MAX_LENGTH = 10_000

SURROGATE = "contient un caractère invalide (codage Unicode incomplet)."
CONTROL = "contient un caractère de contrôle non autorisé."
LINE_BREAK = "ne peut pas contenir de retour à la ligne ni de tabulation."
BIDI = "contient un caractère d'inversion du sens d'écriture non autorisé."
TOO_LONG = "est trop long ({limit} caractères au plus)."


class InputRefused(ValueError):
    """`field` (a dotted path for JSON) holds a value no part of the portal accepts; `message` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(field)
        self.field = field
        self.message = message

    @property
    def sentence(self) -> str:
        """The message as a French sentence naming the field."""
        return f"Le champ « {self.field} » {self.message}"


# The characters text_problem refuses, found by one regular expression (a loop over every character in Python cost
# ~25 µs per event, thousands a second in January): in any field, and outside multi-line fields.
_REFUSED_MULTILINE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_REFUSED_ONE_LINE = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def text_problem(value: str, *, multiline: bool = False, max_length: int | None = DEFAULT_MAX_LENGTH) -> str | None:
    """Why `value` is refused, or None (the first refused character says why)."""
    if max_length is not None and len(value) > max_length:
        return TOO_LONG.format(limit=max_length)
    found = (_REFUSED_MULTILINE if multiline else _REFUSED_ONE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    if 0xD800 <= ord(char) <= 0xDFFF:
        return SURROGATE
    if char in BIDI_CONTROLS:
        return BIDI
    if char in MULTILINE_ALLOWED:
        return LINE_BREAK
    return CONTROL


def normalised(value: str) -> str:
    return unicodedata.normalize("NFC", value) if not unicodedata.is_normalized("NFC", value) else value


# What no page, PDF or mail may print, even when it is already stored (written before the boundary existed, or by a
# migration): lone surrogates (they cannot be encoded at all), controls other than tab and line breaks, bidi controls.
_UNDISPLAYABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NOT_NFC = "n'est pas en forme normale Unicode (NFC)."


def displayable(value: str) -> str:
    """`value` without the characters the boundary refuses whatever the field (tab and line breaks kept)."""
    return _UNDISPLAYABLE.sub("", value) if _UNDISPLAYABLE.search(value) else value


def displayable_all(value: Any) -> Any:
    """`value` with every string inside it (dicts and lists walked, keys included) made displayable."""
    if isinstance(value, str):
        return displayable(value)
    if isinstance(value, list):
        return [displayable_all(item) for item in value]
    if isinstance(value, tuple):
        return tuple(displayable_all(item) for item in value)
    if isinstance(value, dict):
        return {displayable_all(key): displayable_all(item) for key, item in value.items()}
    return value


def repaired_all(value: Any) -> Any:
    """`value` with every string inside it (dicts and lists walked, keys included) repaired."""
    if isinstance(value, str):
        return repaired(value)
    if isinstance(value, list):
        return [repaired_all(item) for item in value]
    if isinstance(value, dict):
        return {repaired_all(key): repaired_all(item) for key, item in value.items()}
    return value


def stored_problem(value: str) -> str | None:
    """Why a stored value would be refused today, or None: what `repaired` changes (length is the column's job)."""
    return text_problem(value, multiline=True, max_length=None) or (
        None if unicodedata.is_normalized("NFC", value) else NOT_NFC
    )


def repaired(value: str) -> str:
    """A stored value made acceptable: refused characters removed, then NFC."""
    return normalised(displayable(value))


def check_text(field: str, value: str, *, multiline: bool = False, max_length: int | None = DEFAULT_MAX_LENGTH) -> str:
    """`value` in NFC, or InputRefused."""
    problem = text_problem(value, multiline=multiline, max_length=max_length)
    if problem:
        raise InputRefused(field, problem)
    return normalised(value)


def json_depth_exceeds(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit`, found by one scan (before any parser recurses)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _number(text: str) -> int | float:
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError("number too long")
    if any(c in text for c in ".eE"):
        number = float(text)
        if not abs(number) <= 1e15:
            raise ValueError("number out of range")
        return number
    integer = int(text)
    if abs(integer) > MAX_INTEGER:
        raise ValueError("number out of range")
    return integer


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(raw: bytes | str) -> Any:
    """Parsed JSON with bounded depth and numbers; ValueError otherwise (the message names no value)."""
    if json_depth_exceeds(raw):
        raise ValueError("nested too deeply")
    return json.loads(raw, parse_int=_number, parse_float=_number, parse_constant=_no_constant)


def clean_json(
    value: Any, *, path: str = "", multiline: frozenset[str] = frozenset(), unlimited: frozenset[str] = frozenset()
) -> Any:
    """`value` with every string (keys included) checked and in NFC; InputRefused names the first bad field."""
    if isinstance(value, str):
        name = path.rsplit(".", 1)[-1]
        return check_text(
            path or "corps",
            value,
            multiline=name in multiline,
            max_length=None if name in unlimited else DEFAULT_MAX_LENGTH,
        )
    if isinstance(value, list):
        return [clean_json(item, path=path, multiline=multiline, unlimited=unlimited) for item in value]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if isinstance(key, str):  # a refused key is named by its place, never echoed
                key = check_text(f"{path or 'corps'} (nom de champ)", key, max_length=200)
            child = f"{path}.{key}" if path else key
            cleaned[key] = clean_json(item, path=child, multiline=multiline, unlimited=unlimited)
        return cleaned
    return value


def event_problem(data: Any, path: str = "data") -> str | None:
    """Why an event's payload is refused (its path and the rule), or None: events may carry multi-line text."""
    if not _any_refused_text(data):  # the usual case: one search over all its text, no path built
        return None
    return _event_problem(data, path)


def _any_refused_text(data: Any) -> bool:
    texts: list[str] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            texts.extend(key for key in node if isinstance(key, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    # Joined by a line break, which events may carry: the search finds what a search of each text would.
    return _REFUSED_MULTILINE.search("\n".join(texts)) is not None


def _event_problem(data: Any, path: str) -> str | None:
    if isinstance(data, str):
        problem = text_problem(data, multiline=True, max_length=None)
        return f"{path}: {problem}" if problem else None
    if isinstance(data, list):
        return next((p for i, item in enumerate(data) if (p := _event_problem(item, f"{path}[{i}]"))), None)
    if isinstance(data, dict):
        for key, item in data.items():
            problem = _event_problem(key, path) if isinstance(key, str) else None
            problem = problem or _event_problem(item, f"{path}.{key}")
            if problem:
                return problem
    return None
