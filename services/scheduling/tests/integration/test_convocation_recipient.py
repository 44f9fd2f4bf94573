"""Members' events decide where the convocation goes: contact, company e-mail, convocation address (PostgreSQL, SMTP)."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from portal_common.clock import utcnow
from portal_common.testing import make_principal
from scheduling.business_calendar.rules import next_open_day
from scheduling.models import ConvocationAddress, MemberDirectoryEntry

pytestmark = pytest.mark.integration

SECRETARY = make_principal(staff_roles=("secretariat",))
CENTRE = {"name": "Centre médical de Mulhouse", "address": "4 rue des Fabriques, 68100 Mulhouse"}
CONTACT_ID = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
ADDRESS_ID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"


def convoke(service, employee_id, days=30):
    """Staff open a slot and convoke the employee's initial visit into it; returns the appointment."""
    client, headers = service.client(), service.headers(SECRETARY)
    # Visits are held on open days only: the slot moves past a Sunday or a public holiday.
    starts = next_open_day((utcnow() + timedelta(days=days)).date()).strftime("%Y-%m-%dT08:30:00+00:00")
    slot = client.post(
        "/api/scheduling/slots",
        headers=headers,
        json={
            "centre": CENTRE,
            "professional_kind": "infirmier",
            "professional_name": "Marc Roth",
            "starts_at": starts,
            "duration_minutes": 30,
        },
    ).json
    due = client.get(f"/api/scheduling/obligations?employee_id={employee_id}", headers=headers).json
    obligation = next(o for o in due if o["rule"] == "vip_initiale")
    response = client.post(
        f"/api/scheduling/slots/{slot['id']}/placements", headers=headers, json={"obligation_id": obligation["id"]}
    )
    assert response.status_code == 201, response.json
    return response.json


def member_entry(service, member_id):
    with service.portal.db.session_factory() as session:
        return session.get(MemberDirectoryEntry, member_id)


def contact_event(deliver, member_id, action, email, version, name="Sophie Martin"):
    return deliver(
        "members.contact.changed.v1",
        member_id=member_id,
        contact_id=CONTACT_ID,
        action=action,
        kind="contact_convocation",
        name=name,
        function=None,
        email=email,
        phone=None,
        mobile=None,
        version=version,
    )


def test_a_convocation_contact_added_in_members_receives_the_convocation(service, directory, deliver, portal_env):
    contact_event(deliver, directory.member_a, "created", "rh-added@boulangerie-martin.fr", version=2)
    entry = member_entry(service, directory.member_a)
    assert (entry.convocation_email, entry.convocation_contact, entry.version) == (
        "rh-added@boulangerie-martin.fr",
        "Sophie Martin",
        1,
    )
    convoke(service, directory.dupont)
    assert service.deliver_mail() == 1
    mail = portal_env.smtp.wait_for(lambda m: m["To"] == "rh-added@boulangerie-martin.fr")
    assert mail.get_content().startswith("Bonjour Sophie Martin,\r\n")
    # Members' snapshot of the same version, published with the change, still applies after it.
    deliver(
        "members.member.updated.v1",
        member_id=directory.member_a,
        version=2,
        contacts=[{"kind": "contact_convocation", "name": "Sophie Martin", "email": "rh-added@boulangerie-martin.fr"}],
        convocation_email="rh-added@boulangerie-martin.fr",
    )
    assert member_entry(service, directory.member_a).version == 2
    # A contact event older than the snapshot changes nothing.
    contact_event(deliver, directory.member_a, "updated", "stale@boulangerie-martin.fr", version=2)
    assert member_entry(service, directory.member_a).convocation_email == "rh-added@boulangerie-martin.fr"


def test_without_a_convocation_contact_the_company_email_receives_it(service, directory, deliver, portal_env):
    deliver(
        "members.member.updated.v1",
        member_id=directory.member_a,
        version=2,
        email="contact-fallback@boulangerie-martin.fr",
        contacts=[{"kind": "contact_convocation", "name": "Sophie Martin", "email": "rh-gone@boulangerie-martin.fr"}],
        convocation_email="rh-gone@boulangerie-martin.fr",
    )
    contact_event(deliver, directory.member_a, "removed", "rh-gone@boulangerie-martin.fr", version=3)
    assert member_entry(service, directory.member_a).convocation_email is None
    convoke(service, directory.dupont)
    assert service.deliver_mail() == 1
    mail = portal_env.smtp.wait_for(lambda m: m["To"] == "contact-fallback@boulangerie-martin.fr")
    assert mail.get_content().startswith("Bonjour,\r\n") and "MARTIN Marie Claire" in mail.get_content()
    assert portal_env.smtp.to("rh-gone@boulangerie-martin.fr") == []


def test_with_no_email_known_the_convocation_is_only_a_pdf_and_staff_are_told(service, directory):
    convoke(service, directory.keller)
    assert service.deliver_mail() == 0
    employer = make_principal(member_id=directory.member_b, roles=("read",))
    [document] = service.client().get("/api/scheduling/documents", headers=service.headers(employer)).json
    assert document["kind"] == "convocation"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def convocation_pdf(service, member_id, appointment_id):
    employer = make_principal(member_id=member_id, roles=("read",))
    client, headers = service.client(), service.headers(employer)
    documents = client.get("/api/scheduling/documents", headers=headers).json
    [document] = [d for d in documents if d["appointment_id"] == appointment_id]
    return pdf_text(client.get(document["download_path"], headers=headers).data)


def test_the_convocation_is_addressed_to_the_convocation_address_while_it_is_in_force(service, directory, deliver):
    first = convoke(service, directory.dupont, days=30)
    assert "12 rue de la Gare" in convocation_pdf(service, directory.member_a, first["id"])  # the main address
    deliver(
        "members.address.changed.v1",
        member_id=directory.member_a,
        address_id=ADDRESS_ID,
        action="created",
        kind="convocation",
        line1="3 avenue de Colmar",
        line2="Bâtiment B",
        postal_code="68100",
        city="MULHOUSE",
        valid_from=(utcnow() - timedelta(days=1)).date().isoformat(),
        valid_to=None,
        version=2,
    )
    deliver(
        "members.address.changed.v1",
        member_id=directory.member_b,
        address_id=ADDRESS_ID.replace("9a", "8a"),
        action="created",
        kind="facturation",
        line1="1 rue des Factures",
        line2=None,
        postal_code="68000",
        city="COLMAR",
        valid_from=None,
        valid_to=None,
        version=2,
    )
    second = convoke(service, directory.bernard, days=31)
    text = convocation_pdf(service, directory.member_a, second["id"])
    assert "3 avenue de Colmar" in text and "Bâtiment B" in text and "12 rue de la Gare" not in text
    with service.portal.db.session_factory() as session:
        assert [a.member_id for a in session.query(ConvocationAddress)] == [directory.member_a]  # billing: not ours
    # Removed in members: the main address is used again; a late, older "created" does not bring it back.
    deliver(
        "members.address.changed.v1",
        member_id=directory.member_a,
        address_id=ADDRESS_ID,
        action="removed",
        kind="convocation",
        line1="3 avenue de Colmar",
        line2="Bâtiment B",
        postal_code="68100",
        city="MULHOUSE",
        valid_from=None,
        valid_to=None,
        version=3,
    )
    with service.portal.db.session_factory() as session:
        assert session.query(ConvocationAddress).count() == 0
