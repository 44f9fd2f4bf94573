from portal_common.declarants import declaration_recipients


def test_every_declaration_contact_is_a_recipient_once_and_billing_contacts_are_not():
    snapshot = {
        "email": "contact@garage.fr",
        "billing_email": "compta@garage.fr",
        "contacts": [
            {"kind": "responsable_facturation", "name": "Luc", "email": "luc@garage.fr"},
            {"kind": "dirigeant", "name": "Paul", "email": " Paul@Garage.fr "},
            {"kind": "responsable_rh", "name": "Sophie", "email": "rh@garage.fr"},
            {"kind": "responsable_etablissement", "name": "Paul", "email": "paul@garage.fr"},
            {"kind": "responsable_rh", "name": "Anne", "email": None},
        ],
    }
    assert declaration_recipients(snapshot) == ["rh@garage.fr", "paul@garage.fr"]


def test_a_company_without_a_declaration_contact_hears_of_it_at_its_general_then_billing_address():
    no_contact = {"email": "contact@garage.fr", "billing_email": "compta@garage.fr", "contacts": []}
    assert declaration_recipients(no_contact) == ["contact@garage.fr"]
    assert declaration_recipients({"email": None, "billing_email": "Compta@garage.fr"}) == ["compta@garage.fr"]
    assert declaration_recipients({"contacts": [{"kind": "dirigeant", "name": "Paul", "email": ""}]}) == []
