"""Addresses, contacts, situations and the change-request rules; no database."""

from datetime import date

import pytest

from members.addressbook.rules import EntryRejected, check_address, check_contact, is_current
from members.record.rules import DecisionRefused, check_decision, entry_needs_validation, split_record_change
from members.situations.rules import SituationRejected, check_situation

ADDRESS = {
    "kind": "facturation",
    "line1": "1 rue A",
    "line2": "",
    "postal_code": "20000",
    "city": "Ajaccio",
    "valid_from": "2026-01-01",
    "valid_to": "31/12/2026",
}


def test_an_address_is_normalised_with_corsican_postal_codes_in_20xxx():
    assert check_address(ADDRESS) == {
        "kind": "facturation",
        "line1": "1 rue A",
        "line2": None,
        "postal_code": "20000",
        "city": "AJACCIO",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    }


@pytest.mark.parametrize(
    "field,value,fragment",
    [
        ("postal_code", "2A000", "Corse"),
        ("postal_code", "6810", "5 chiffres"),
        ("postal_code", "00100", "5 chiffres"),
        ("city", "75001", "lettres"),
        ("valid_to", "2025-12-31", "suivre"),
        ("valid_from", "31/02/2026", "date"),
        ("kind", "secondaire", "type"),
    ],
)
def test_an_inconsistent_address_is_refused_with_a_french_message(field, value, fragment):
    with pytest.raises(EntryRejected) as caught:
        check_address(dict(ADDRESS, **{field: value}))
    assert fragment in caught.value.errors[field]


def test_an_address_is_current_between_its_validity_dates():
    assert is_current({"valid_from": "2026-01-01", "valid_to": None}, date(2026, 6, 1))
    assert not is_current({"valid_from": "2026-07-01", "valid_to": None}, date(2026, 6, 1))
    assert not is_current({"valid_from": None, "valid_to": "2026-05-31"}, date(2026, 6, 1))


def test_a_contact_needs_a_known_type_and_a_name_and_valid_coordinates():
    contact = check_contact(
        {"kind": "contact_convocation", "name": " Sophie Martin ", "email": "RH@Example.fr", "phone": "0612345678"}
    )
    assert contact == {
        "kind": "contact_convocation",
        "name": "Sophie Martin",
        "function": None,
        "email": "rh@example.fr",
        "phone": "+33612345678",
        "mobile": None,
    }
    with pytest.raises(EntryRejected) as caught:
        check_contact({"kind": "ami", "name": "", "email": "x@", "mobile": "999"})
    assert set(caught.value.errors) == {"kind", "name", "email", "mobile"}


def test_a_situation_needs_a_known_kind_and_a_plausible_effective_date():
    assert check_situation({"kind": "cessation_activite", "effective_date": "2026-12-31"}, date(2026, 11, 1)) == {
        "kind": "cessation_activite",
        "effective_date": "2026-12-31",
        "comment": None,
    }
    with pytest.raises(SituationRejected) as caught:
        check_situation({"kind": "faillite", "effective_date": "2030-01-01"}, date(2026, 11, 1))
    assert set(caught.value.errors) == {"kind", "effective_date"}


def test_members_wait_for_validation_unless_a_field_is_configured_immediate():
    changed = {"phone": "+33389123456", "email": "a@b.fr"}
    assert split_record_change(changed, by_staff=False, immediate=()) == ({}, changed)
    assert split_record_change(changed, by_staff=False, immediate={"phone"}) == (
        {"phone": "+33389123456"},
        {"email": "a@b.fr"},
    )


def test_staff_changes_apply_at_once_except_the_company_identity():
    assert split_record_change({"siret": "1", "phone": "2"}, by_staff=True, immediate=()) == (
        {"phone": "2"},
        {"siret": "1"},
    )


def test_situations_and_mandates_always_wait_for_staff_when_a_member_asks():
    assert entry_needs_validation("mandate", by_staff=False, immediate={"mandate", "situation", "address"})
    assert entry_needs_validation("situation", by_staff=False, immediate={"situation"})
    assert not entry_needs_validation("address", by_staff=False, immediate={"address"})
    assert not entry_needs_validation("situation", by_staff=True, immediate=())


def test_nobody_validates_their_own_request_and_a_request_is_decided_once():
    with pytest.raises(DecisionRefused) as own:
        check_decision(status="pending", requested_by="u1", decided_by="u1")
    assert own.value.status == 403
    with pytest.raises(DecisionRefused) as twice:
        check_decision(status="approved", requested_by="u1", decided_by="u2")
    assert twice.value.status == 409
    check_decision(status="pending", requested_by="u1", decided_by="u2")
