"""The refusals that settle a race in members: a SIRET already registered is a conflict naming its member (409),
unless the form has other mistakes to show (docs/architecture.md, "Concurrency and retries")."""

import pytest

from members.record.rules import ALREADY_DECIDED, DecisionRefused, check_decision
from members.registration.rules import RegistrationRejected, SiretTaken, check_registration
from portal_common.errors import Conflict

from .test_domain import registration

HOLDER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"


def test_a_siret_already_registered_alone_is_a_conflict_naming_the_member():
    with pytest.raises(SiretTaken) as refused:
        check_registration(registration(), siret_taken=True, siret_holder=HOLDER)
    assert isinstance(refused.value, Conflict)
    assert (refused.value.status, refused.value.reason, refused.value.existing_id) == (
        409,
        "member_siret_taken",
        HOLDER,
    )
    assert refused.value.errors == {"siret": "Un adhérent existe déjà avec ce SIRET."}


def test_a_taken_siret_beside_other_mistakes_is_the_ordinary_422_with_every_message():
    with pytest.raises(RegistrationRejected) as refused:
        check_registration(registration(name=" "), siret_taken=True, siret_holder=HOLDER)
    assert not isinstance(refused.value, Conflict) and refused.value.status == 422
    assert set(refused.value.errors) == {"name", "siret"}


def test_a_request_decided_already_is_refused_with_409_in_french():
    with pytest.raises(DecisionRefused) as refused:
        check_decision(status="approved", requested_by="a", decided_by="b")
    assert (refused.value.message, refused.value.status) == (ALREADY_DECIDED, 409)
