"""The JSON Schema catalogue of event types, checked by producers and consumers alike."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from ..input_rules import event_problem
from .envelope import Envelope

# Field names that must never appear in an event payload (docs/security.md MSG-03, DP-02).
FORBIDDEN_FIELDS = frozenset({"nir", "ssn", "iban", "bic", "password", "password_hash", "token", "secret"})


class CatalogueError(ValueError):
    """An event does not match its declared schema, or its type is unknown."""


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files(__package__) / "catalogue"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json") and entry.name != "topology.json":
            found[entry.name.removesuffix(".json")] = json.loads(entry.read_text(encoding="utf-8"))
    return found


def envelope_schema() -> dict[str, Any]:
    return _schemas()["envelope"]


def event_types() -> list[str]:
    return sorted(name for name in _schemas() if name != "envelope")


def data_schema(event_type: str) -> dict[str, Any]:
    try:
        return _schemas()[event_type]
    except KeyError:
        raise CatalogueError(f"unknown event type {event_type!r}") from None


@cache
def _validators(name: str) -> tuple[Any, Draft202012Validator]:
    """The compiled checkers of one schema: a fast one (jsonschema-rs) that accepts the valid events, and
    the reference one (jsonschema) that has the last word on a rejection and explains it. Formats are
    annotations only in both, as Draft 2020-12 says."""
    schema = envelope_schema() if name == "envelope" else data_schema(name)
    return jsonschema_rs.validator_for(schema, validate_formats=False), Draft202012Validator(schema)


def _first_error(name: str, instance: Any) -> Any:
    fast, reference = _validators(name)
    if fast.is_valid(instance):  # the usual case, thousands of times a second in January
        return None
    errors = sorted(reference.iter_errors(instance), key=str)
    return errors[0] if errors else None


def validate(envelope: Envelope | dict[str, Any]) -> None:
    # Read only: the envelope's own fields, not the deep copy to_dict makes.
    raw = envelope.__dict__ if isinstance(envelope, Envelope) else envelope
    error = _first_error("envelope", raw)
    if error is not None:
        raise CatalogueError(f"envelope: {error.message}")
    data_schema(raw["type"])  # an unknown type is refused by name
    error = _first_error(raw["type"], raw["data"])
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "data"
        raise CatalogueError(f"{raw['type']} {where}: {error.message}")
    # The input boundary holds for events too: a consumer dead-letters what a page would have refused.
    problem = event_problem(raw["data"])
    if problem is not None:
        raise CatalogueError(f"{raw['type']} {problem}")


def property_names(schema: dict[str, Any]) -> set[str]:
    """Every property name declared anywhere in a schema (for the forbidden-field check)."""
    names: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            names.update(node.get("properties", {}).keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def example(event_type: str) -> dict[str, Any]:
    """The first example payload of an event type, for consumer tests."""
    examples = data_schema(event_type).get("examples") or []
    if not examples:
        raise CatalogueError(f"{event_type} has no example in the catalogue")
    copy: dict[str, Any] = json.loads(json.dumps(examples[0]))  # a fresh copy the test may change
    return copy


def example_envelope(event_type: str, **data_overrides: Any) -> Envelope:
    """A complete, valid envelope around the catalogue example (consumer tests feed it to handlers)."""
    data = example(event_type)
    data.update(data_overrides)
    producer = event_type.split(".", 1)[0]
    envelope = Envelope.new(
        event_type,
        producer=producer,
        subject=str(next(iter(data.values()))),
        member_id=data.get("member_id"),
        data=data,
    )
    validate(envelope)
    return envelope


@cache
def topology() -> dict[str, tuple[str, ...]]:
    """Consumer queue → the event types bound to it (the deployment-wide routing table)."""
    raw = json.loads((resources.files(__package__) / "catalogue" / "topology.json").read_text(encoding="utf-8"))
    return {queue: tuple(types) for queue, types in raw["queues"].items()}


def subscribed_types() -> frozenset[str]:
    return frozenset(t for types in topology().values() for t in types)
