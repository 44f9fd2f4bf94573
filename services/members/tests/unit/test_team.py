"""Rules of the health team, the centres and the service's mailboxes."""

import pytest

from members.health_team.rules import TeamRejected, centre_address, check_centre, check_team, parse_mailboxes

CENTRE = {
    "name": "Centre de Mulhouse",
    "line1": "5 avenue Kennedy",
    "line2": "",
    "postal_code": "68100",
    "city": "Mulhouse",
    "phone": "03 89 45 00 00",
    "email": "Mulhouse@SPSTI.fr",
}


def test_a_centre_is_normalised_and_printed_on_one_line():
    centre = check_centre(CENTRE)
    assert (centre["phone"], centre["email"], centre["city"]) == ("+33389450000", "mulhouse@spsti.fr", "MULHOUSE")
    assert centre_address(centre) == "5 avenue Kennedy, 68100 MULHOUSE"


def test_a_centre_with_a_bad_postal_code_phone_or_email_gets_french_messages():
    with pytest.raises(TeamRejected) as refused:
        check_centre(dict(CENTRE, postal_code="2A100", phone="12", email="x@", name=""))
    assert set(refused.value.errors) == {"postal_code", "phone", "email", "name"}
    assert "Corse" in refused.value.errors["postal_code"]


def test_a_team_may_be_partial_but_its_centre_must_exist_and_its_contacts_be_valid():
    team = check_team({"centre_id": "", "doctor": "Dr Anne Weber", "nurse": "Luc Meyer"}, centre_exists=False)
    assert (team["centre_id"], team["doctor"], team["preventer"]) == (None, "Dr Anne Weber", None)
    with pytest.raises(TeamRejected) as refused:
        check_team(
            {"centre_id": "nope", "secretary_email": "bad", "secretary_phone": "0", "role": "x"}, centre_exists=False
        )
    assert set(refused.value.errors) == {"centre_id", "secretary_email", "secretary_phone", "role"}


def test_the_service_mailboxes_setting_is_a_list_of_labelled_addresses():
    assert parse_mailboxes("Rendez-vous=RDV@spsti.fr; Facturation=facturation@spsti.fr;") == (
        ("Rendez-vous", "rdv@spsti.fr"),
        ("Facturation", "facturation@spsti.fr"),
    )
    assert parse_mailboxes("") == ()
    with pytest.raises(ValueError):
        parse_mailboxes("Rendez-vous: rdv@spsti.fr")
