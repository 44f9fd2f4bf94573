"""The n° télédéclarant, and the one list of establishments and client companies."""

from types import SimpleNamespace

from members.establishments.rules import establishment_rows
from members.registration.declarant import ALPHABET, code_digest, generate_code, grouped, normalise_code
from portal_common.digests import digest_matches

KEY = "k" * 40


def test_codes_are_random_ten_unambiguous_characters():
    codes = {generate_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("0O1IL") & set(ALPHABET)


def test_the_digest_is_the_keyed_digest_of_the_code_as_typed_in_any_case_or_grouping():
    digest = code_digest(KEY, "K7MP3XR9TB")
    assert normalise_code(" k7mp3-xr9tb ") == "K7MP3XR9TB"
    assert digest_matches(KEY, "declarant-code", "K7MP3XR9TB", digest)
    assert code_digest(KEY, "k7mp3 xr9tb") == digest and code_digest("x" * 40, "K7MP3XR9TB") != digest
    assert grouped("K7MP3XR9TB") == "K7MP3 XR9TB"


def company(member_id, number, name):
    return SimpleNamespace(id=member_id, member_number=number, name=name, status="active")


def test_the_current_company_comes_first_then_each_other_once_with_every_relation():
    current, branch, client, other = (
        company("a", "1000001", "Siège"),
        company("b", "1000003", "Agence"),
        company("c", "1000002", "Client"),
        company("d", "1000004", "Sans lien"),
    )
    links = [
        {"member_id": "a", "kind": "member"},
        {"member_id": "b", "kind": "member"},
        {"member_id": "c", "kind": "delegate"},
    ]
    rows = establishment_rows(current, [branch, other], [current, branch, client], links)
    assert [(r.member_id, r.relations, r.can_switch) for r in rows] == [
        ("a", ["current", "member"], False),
        ("c", ["delegate"], True),
        ("b", ["same_siren", "member"], True),
        ("d", ["same_siren"], False),
    ]


def test_without_identity_s_answer_no_company_can_be_switched_to():
    current, branch = company("a", "1000001", "Siège"), company("b", "1000002", "Agence")
    rows = establishment_rows(current, [branch], [], None)
    assert [(r.member_id, r.can_switch) for r in rows] == [("a", False), ("b", False)]
