"""Roles per link, the last administrator, the first-account forms: plain rules, no database."""

import pytest

from identity.team.rules import (
    DELEGATE_ADMIN,
    LAST_ADMIN,
    NO_ROLE,
    LinkView,
    becomes_admin,
    company_codes_errors,
    normalise_declarant_code,
    parse_roles,
    person_errors,
    removal_problem,
    role_change_problem,
    role_labels,
)

ALICE = LinkView("alice", "member", frozenset({"admin"}))
BOB = LinkView("bob", "member", frozenset({"billing", "read"}))
FIRM = LinkView("firm", "delegate", frozenset({"declaration", "read"}))


def test_roles_show_with_their_french_labels_in_a_stable_order():
    assert role_labels({"read", "admin", "billing"}) == ["Administrateur", "Facturation", "Lecture"]
    assert role_labels({"declaration", "convocation"}) == ["Déclaration", "Convocation"]


def test_only_known_role_codes_survive_a_form():
    assert parse_roles(["admin", "superuser", "read", ""]) == frozenset({"admin", "read"})


def test_the_only_administrator_cannot_step_down_nor_be_removed():
    assert role_change_problem([ALICE, BOB, FIRM], "alice", frozenset({"read"})) == LAST_ADMIN
    assert removal_problem([ALICE, BOB, FIRM], "alice") == LAST_ADMIN


def test_with_a_second_administrator_the_first_may_step_down_or_go():
    bob_admin = LinkView("bob", "member", frozenset({"admin"}))
    assert role_change_problem([ALICE, bob_admin], "alice", frozenset({"read"})) is None
    assert removal_problem([ALICE, bob_admin], "alice") is None


def test_an_accounting_firm_never_counts_as_nor_becomes_an_administrator():
    assert role_change_problem([ALICE, FIRM], "firm", frozenset({"admin", "read"})) == DELEGATE_ADMIN
    odd_firm = LinkView("firm", "delegate", frozenset({"admin"}))
    assert removal_problem([ALICE, odd_firm], "alice") == LAST_ADMIN
    assert removal_problem([ALICE, FIRM], "firm") is None


def test_a_user_keeps_at_least_one_role():
    assert role_change_problem([ALICE, BOB], "bob", frozenset()) == NO_ROLE


def test_becoming_administrator_is_told_only_on_the_change():
    assert becomes_admin(frozenset({"read"}), frozenset({"admin", "read"}))
    assert becomes_admin(None, frozenset({"admin"}))
    assert not becomes_admin(frozenset({"admin"}), frozenset({"admin", "read"}))
    assert not becomes_admin(None, frozenset({"admin"}), kind="delegate")


@pytest.mark.parametrize(
    "number, code, fields",
    [
        ("1000001", "AB12CD34", set()),
        ("100001", "AB12CD34", {"member_number"}),
        ("10000a1", "AB12CD34", {"member_number"}),
        ("1000001", "AB", {"declarant_code"}),
        ("1000001", "AB12_CD34", {"declarant_code"}),
    ],
)
def test_malformed_company_codes_get_a_message_next_to_their_field(number, code, fields):
    errors = company_codes_errors(number, code)
    assert set(errors) == fields and all("chiffres" in m or "lettres" in m for m in errors.values())


def test_the_company_codes_messages_read_as_plain_french_sentences():
    errors = company_codes_errors("100001", "AB")
    assert errors["member_number"] == "Le code adhérent comporte 7 chiffres (il figure sur votre courrier d'adhésion)."
    assert errors["declarant_code"] == (
        "Le n° télédéclarant comporte de 4 à 20 lettres ou chiffres (il figure sur votre courrier d'adhésion)."
    )


def test_the_person_form_wants_names_function_the_email_twice_and_an_optional_french_mobile():
    good = {
        "last_name": "Durand",
        "first_name": "Élise",
        "job_title": "Comptable",
        "email": "e.durand@cabinet.fr",
        "email_confirmation": "E.Durand@cabinet.fr",
        "mobile": "06 12 34 56 78",
    }
    assert person_errors(good) == {}
    assert person_errors(good | {"mobile": ""}) == {}
    errors = person_errors({"email": "pas-une-adresse", "mobile": "01 02 03 04 05"})
    assert set(errors) == {"last_name", "first_name", "job_title", "email", "mobile"}
    assert person_errors(good | {"email_confirmation": "autre@cabinet.fr"}) == {
        "email_confirmation": "Les deux adresses e-mail saisies sont différentes."
    }
    assert (
        person_errors({"last_name": "D", "first_name": "E", "email": "e@x.fr"}, confirm_email=False, with_job=False)
        == {}
    )


def test_a_declarant_code_is_compared_as_members_digests_it_whatever_the_spacing_or_case():
    assert normalise_declarant_code(" k7mp3 xr9tb ") == "K7MP3XR9TB"
    assert normalise_declarant_code("K7MP3-XR9TB") == "K7MP3XR9TB"
