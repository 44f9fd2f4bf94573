"""Where convocations go: the convocation contact, the company's e-mail, the convocation address in force."""

from datetime import date

from scheduling.directory.addressing import (
    PostalAddress,
    Recipient,
    contact_change,
    convocation_recipient,
    current_address,
    snapshot_contact,
)


def test_the_convocation_contact_is_preferred_and_the_company_email_is_the_fallback():
    assert convocation_recipient(
        convocation_email="rh@martin.fr", convocation_contact="Sophie Martin", company_email="contact@martin.fr"
    ) == Recipient("rh@martin.fr", "Sophie Martin")
    assert convocation_recipient(
        convocation_email=None, convocation_contact=None, company_email="contact@martin.fr"
    ) == Recipient("contact@martin.fr", None)
    assert convocation_recipient(convocation_email=None, convocation_contact=None, company_email=None) is None


def test_the_snapshot_names_the_contact_holding_the_convocation_email():
    data = {
        "contacts": [
            {"kind": "dirigeant", "name": "Paul Martin", "email": "paul@martin.fr"},
            {"kind": "contact_convocation", "name": "Anne Roth", "email": None},
            {"kind": "contact_convocation", "name": "Sophie Martin", "email": "rh@martin.fr"},
        ],
        "convocation_email": "rh@martin.fr",
    }
    assert snapshot_contact(data) == ("rh@martin.fr", "Sophie Martin")
    assert snapshot_contact({"contacts": [{"kind": "dirigeant", "name": "Paul", "email": "p@martin.fr"}]}) == (
        None,
        None,
    )
    # An older snapshot without `convocation_email`: the first convocation contact with an e-mail.
    assert snapshot_contact({"contacts": data["contacts"]}) == ("rh@martin.fr", "Sophie Martin")


def change(action, kind="contact_convocation", email="rh@martin.fr", name="Sophie Martin"):
    return {"action": action, "kind": kind, "email": email, "name": name}


def test_a_contact_change_moves_the_recipient_only_for_the_convocation_contact():
    assert contact_change(change("created"), current_email=None) == ("rh@martin.fr", "Sophie Martin")
    assert contact_change(change("updated", email="new@martin.fr"), current_email="rh@martin.fr") == (
        "new@martin.fr",
        "Sophie Martin",
    )
    assert contact_change(change("created", kind="responsable_facturation"), current_email=None) is None
    assert contact_change(change("updated", email=None), current_email="rh@martin.fr") is None


def test_removing_the_contact_that_received_convocations_falls_back_and_another_removal_changes_nothing():
    assert contact_change(change("removed"), current_email="rh@martin.fr") == (None, None)
    assert contact_change(change("removed", email="old@martin.fr"), current_email="rh@martin.fr") is None


def address(valid_from=None, valid_to=None, line1="3 avenue de Colmar"):
    return PostalAddress(
        line1=line1, line2=None, postal_code="68100", city="MULHOUSE", valid_from=valid_from, valid_to=valid_to
    )


def test_the_convocation_address_in_force_is_the_latest_started_one_within_its_dates():
    old = address(line1="1 rue Ancienne", valid_to=date(2026, 3, 31))
    new = address(valid_from=date(2026, 4, 1))
    assert current_address([old, new], date(2026, 3, 31)) == old
    assert current_address([old, new], date(2026, 4, 1)) == new
    assert current_address([address(valid_from=date(2027, 1, 1))], date(2026, 12, 31)) is None
    assert current_address([], date(2026, 1, 1)) is None
    assert new.lines() == ["3 avenue de Colmar", "68100 MULHOUSE"]
