"""The event catalogue: every schema is valid, safe and used by a producer and its consumers."""

from __future__ import annotations

import importlib

import pytest
from jsonschema import Draft202012Validator

from portal_common.keyring import new_key_setting
from portal_common.messaging import catalogue

SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")


def published_types() -> dict[str, str]:
    found = {}
    for name in SERVICE_NAMES:
        for event_type in getattr(importlib.import_module(f"{name}.events"), "PUBLISHED", ()):
            found[event_type] = name
    return found


def subscriptions_of(name: str) -> list:
    """The service's worker subscriptions, built with its default settings (as `python -m <service>.worker`)."""
    settings = importlib.import_module(f"{name}.config").Settings.from_env(
        {
            "PORTAL_INTERNAL_KEY": "k" * 40,
            "WORKFORCE_NIR_ENCRYPTION_KEY": new_key_setting(),
            "WORKFORCE_NIR_HASH_KEY": "h" * 40,
        }
    )
    return importlib.import_module(f"{name}.worker").subscriptions(settings)


def consumed_types() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in SERVICE_NAMES:
        for subscription in subscriptions_of(name):
            for event_type in subscription.handlers:
                found.setdefault(event_type, []).append(subscription.queue)
    return found


@pytest.mark.parametrize("event_type", catalogue.event_types())
def test_each_event_schema_is_valid_and_its_example_matches_it(event_type):
    schema = catalogue.data_schema(event_type)
    Draft202012Validator.check_schema(schema)
    catalogue.validate(catalogue.example_envelope(event_type))
    assert schema.get("additionalProperties") is False


@pytest.mark.parametrize("event_type", catalogue.event_types())
def test_no_event_carries_a_nir_an_iban_a_password_or_a_token(event_type):
    names = {n.lower() for n in catalogue.property_names(catalogue.data_schema(event_type))}
    assert names & catalogue.FORBIDDEN_FIELDS == set()


@pytest.mark.parametrize("event_type", catalogue.event_types())
def test_each_event_type_is_named_after_its_producer_and_published_by_it(event_type):
    producer, aggregate, verb, version = event_type.split(".")
    assert published_types().get(event_type) == producer
    # Past tense: regular verbs end in "ed"; "paid" is the irregular one in the agreed names.
    assert version.startswith("v") and (verb.endswith("ed") or verb in {"paid"})


def test_every_consumed_event_type_is_in_the_catalogue_and_published_by_someone():
    published = published_types()
    for event_type, queues in consumed_types().items():
        assert event_type in catalogue.event_types(), f"{queues} consume an unknown {event_type}"
        assert event_type in published, f"nobody publishes {event_type}"
        for queue in queues:
            assert queue.split(".", 1)[0] in SERVICE_NAMES  # queues are named after their consumer


def test_an_event_with_an_unknown_field_or_a_missing_one_is_rejected():
    event = catalogue.example_envelope("members.member.registered.v1").to_dict()
    with pytest.raises(catalogue.CatalogueError):
        catalogue.validate(dict(event, data=dict(event["data"], nir="255081416802538")))
    data = dict(event["data"])
    data.pop("siret")
    with pytest.raises(catalogue.CatalogueError):
        catalogue.validate(dict(event, data=data))


def test_the_deployment_topology_matches_the_consumers_subscriptions():
    declared = {queue: set(types) for queue, types in catalogue.topology().items()}
    subscribed = {}
    for name in SERVICE_NAMES:
        for subscription in subscriptions_of(name):
            subscribed[subscription.queue] = set(subscription.handlers)
    assert declared == subscribed
