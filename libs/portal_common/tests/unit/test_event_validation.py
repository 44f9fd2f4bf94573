"""The catalogue check of every event (fast path jsonschema-rs, reference jsonschema for rejections) and
the envelope's dict copy it works on."""

from __future__ import annotations

import pytest

from portal_common.messaging import catalogue
from portal_common.messaging.envelope import Envelope


@pytest.mark.parametrize("event_type", catalogue.event_types())
def test_the_catalogue_example_of_every_event_type_is_accepted(event_type):
    catalogue.validate(catalogue.example_envelope(event_type))


def test_a_payload_breaking_its_schema_is_refused_with_the_reference_explanation():
    event = catalogue.example_envelope("workforce.declaration.confirmed.v1").to_dict()
    event["data"]["headcount"]["SI"] = -1
    with pytest.raises(catalogue.CatalogueError, match=r"headcount/SI: -1 is less than the minimum of 0"):
        catalogue.validate(event)
    event["data"]["headcount"]["SI"] = 3
    event["data"]["iban"] = "FR76"
    with pytest.raises(catalogue.CatalogueError, match=r"'iban' was unexpected"):
        catalogue.validate(event)


def test_an_unknown_type_or_a_broken_envelope_is_refused():
    event = catalogue.example_envelope("members.member.registered.v1").to_dict()
    with pytest.raises(catalogue.CatalogueError, match="unknown event type"):
        catalogue.validate({**event, "type": "members.member.vanished.v1"})
    with pytest.raises(catalogue.CatalogueError, match="envelope: 'producer' is a required property"):
        catalogue.validate({k: v for k, v in event.items() if k != "producer"})


def test_an_envelope_dict_is_a_deep_copy_the_caller_may_change():
    envelope = catalogue.example_envelope("workforce.declaration.confirmed.v1")
    raw = envelope.to_dict()
    raw["data"]["headcount"]["SI"] = 999
    assert envelope.data["headcount"]["SI"] != 999
    assert Envelope.from_dict(envelope.to_dict()) == envelope
