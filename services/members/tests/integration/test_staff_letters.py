"""Staff register a member with a n° télédéclarant and print its welcome letter; mandates have their PDF."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from members.models import Member
from members.registration import use_cases as services
from members.registration.declarant import ALPHABET
from portal_common.digests import keyed_digest
from portal_common.messaging import catalogue

pytestmark = pytest.mark.integration

API = "/api/members"
FORM = {
    "name": "Menuiserie Schmitt",
    "siret": "73282932000074",
    "naf_code": "16.23Z",
    "address_line1": "4 rue des Vosges",
    "address_line2": "",
    "postal_code": "68000",
    "city": "Colmar",
    "email": "contact@schmitt.fr",
    "phone": "03 89 41 00 00",
    "billing_email": "",
    "adhesion_date": "2026-01-05",
}


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)


def test_staff_create_a_member_on_the_page_and_print_its_welcome_letter_with_both_codes(service, people, token):
    client = service.client()
    staff = service.headers(people["staff"])
    csrf = token(client, "/gestion/adherents", staff)
    created = client.post("/gestion/adherents", headers=staff, data=dict(FORM, csrf_token=csrf))
    assert created.status_code == 302
    with service.portal.db.session_factory() as db:
        [member] = db.query(Member).all()
        code = services.declarant_code(service.portal, member)
    assert created.headers["Location"] == f"/gestion/adherents/{member.id}"
    assert member.member_number == "1000001" and len(code) == 10 and set(code) <= set(ALPHABET)
    assert code not in (member.declarant_code_encrypted or "")
    record_page = client.get(f"/gestion/adherents/{member.id}", headers=staff).text
    assert "Télécharger la lettre de bienvenue" in record_page and code not in record_page

    letter = client.get(f"/gestion/adherents/{member.id}/lettre-bienvenue", headers=staff)
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = pdf_text(letter.data)
    assert "Code adhérent : 1000001" in text and f"{code[:5]} {code[5:]}" in text and "Menuiserie Schmitt" in text

    [event] = service.events()
    catalogue.validate(event)
    assert event.data["declarant_code_digest"] == keyed_digest(
        service.portal.settings.internal_key, "declarant-code", code
    )
    assert code not in str(event.data)


def test_a_new_declarant_code_replaces_the_old_one_and_publishes_its_digest(service, companies, people, token):
    company_a, _ = companies
    client = service.client()
    staff = service.headers(people["staff"])
    with service.portal.db.session_factory() as db:
        old = services.declarant_code(service.portal, db.get(Member, company_a))
    csrf = token(client, f"/gestion/adherents/{company_a}", staff)
    assert (
        client.post(
            f"/gestion/adherents/{company_a}/nouveau-code", headers=staff, data={"csrf_token": csrf}
        ).status_code
        == 302
    )
    with service.portal.db.session_factory() as db:
        new = services.declarant_code(service.portal, db.get(Member, company_a))
    assert new != old
    update = [e for e in service.events() if e.type == "members.member.updated.v1"][-1]
    catalogue.validate(update)
    assert update.data["declarant_code_digest"] == keyed_digest(
        service.portal.settings.internal_key, "declarant-code", new
    )
    history = client.get(f"/gestion/adherents/{company_a}", headers=staff).text
    assert "N° télédéclarant" in history and new not in history


def test_only_secretariat_and_administration_staff_print_letters_and_companies_never(service, companies, people):
    company_a, company_b = companies
    client = service.client()
    from portal_common.testing import make_principal

    billing_staff = service.headers(make_principal(staff_roles=("billing",)))
    assert client.get(f"/gestion/adherents/{company_a}/lettre-bienvenue", headers=billing_staff).status_code == 403
    for who in ("admin", "admin_b"):
        headers = service.headers(people[who])
        assert client.get(f"/gestion/adherents/{company_a}/lettre-bienvenue", headers=headers).status_code == 403
        assert client.post(f"/gestion/adherents/{company_b}/nouveau-code", headers=headers).status_code == 403
    staff = service.headers(people["staff"])
    assert (
        client.get(
            "/gestion/adherents/00000000-0000-0000-0000-000000000000/lettre-bienvenue", headers=staff
        ).status_code
        == 404
    )


def test_staff_search_members_by_number_name_or_siret(service, companies, people):
    client = service.client()
    staff = service.headers(people["staff"])
    for query, found, absent in (
        ("1000002", "Garage du Centre", "Boulangerie Martin"),
        ("boulangerie", "Boulangerie Martin", "Garage du Centre"),
        ("404833048", "Garage du Centre", "Boulangerie Martin"),
    ):
        page = client.get(f"/gestion/adherents?q={query}", headers=staff).text
        assert found in page and absent not in page
        listed = client.get(f"{API}/members?q={query}", headers=staff).json
        assert [m["name"] for m in listed] == [found]


def test_the_mandate_pdf_shows_the_rum_the_ics_and_the_masked_iban_to_its_company_only(service, companies, people):
    company_a, company_b = companies
    client = service.client()
    admin, staff = service.headers(people["admin"]), service.headers(people["staff"])
    assert client.get("/adherent/prelevement/mandat.pdf", headers=admin).status_code == 404
    signed = client.post(
        f"{API}/members/{company_a}/sepa-mandate",
        headers=admin,
        json={
            "iban": "FR76 3000 6000 0112 3456 7890 189",
            "holder": "Boulangerie Martin",
            "email": "compta@example.fr",
            "consent": True,
        },
    ).json
    answer = client.get("/adherent/prelevement/mandat.pdf", headers=admin)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = pdf_text(answer.data)
    assert signed["reference"] in text and "FR12ZZZ123456" in text and "0189" in text
    assert "30006" not in text and "en attente de validation" in text
    assert client.get(f"/gestion/adherents/{company_a}/mandat.pdf", headers=staff).status_code == 200
    # Company B: its own (absent) mandate, never A's; the staff route is refused.
    other = service.headers(people["admin_b"])
    assert client.get("/adherent/prelevement/mandat.pdf", headers=other).status_code == 404
    assert client.get(f"/gestion/adherents/{company_a}/mandat.pdf", headers=other).status_code == 403
    assert client.get("/adherent/prelevement/mandat.pdf", headers=service.headers(people["reader"])).status_code == 403
