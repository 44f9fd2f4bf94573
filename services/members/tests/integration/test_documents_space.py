"""The documents space: what billing and scheduling produced for the company, and the files it deposits."""

import io

import pytest

from members.models import Document
from members.worker import subscriptions
from portal_common.messaging import catalogue
from portal_common.messaging.consumer import Consumer

pytestmark = pytest.mark.integration

API = "/api/members"
PDF_BYTES = b"%PDF-1.4\n% DUERP de la boulangerie\n%%EOF\n"


@pytest.fixture
def uploads(service, tmp_path, monkeypatch):
    """Each test stores its files in its own data directory."""
    monkeypatch.setattr(service.portal.settings, "data_dir", tmp_path)
    return tmp_path / "members" / "uploads"


def consumer(service) -> Consumer:
    return Consumer(
        service="members",
        db=service.portal.db,
        outbox=service.portal.outbox,
        broker_url="amqp://unused",
        exchange="portal.events",
        subscriptions=subscriptions(service.portal.settings),
    )


def deposit(client, headers, token, *, name="DUERP 2026.pdf", content=PDF_BYTES, kind="duerp"):
    csrf = token(client, "/adherent/documents", headers)
    return client.post(
        "/adherent/documents",
        headers=headers,
        content_type="multipart/form-data",
        data={"csrf_token": csrf, "kind": kind, "title": "", "file": (io.BytesIO(content), name)},
    )


def test_invoices_and_published_documents_are_listed_with_a_link_to_their_owner_once(service, companies, people):
    company_a, company_b = companies
    invoice = catalogue.example_envelope("billing.invoice.issued.v1", member_id=company_a)
    invoice.data["member_id"] = company_a
    published = catalogue.example_envelope("scheduling.document.published.v1", member_id=company_b)
    published.data["member_id"] = company_b
    worker = consumer(service)
    assert worker.process("members.documents", invoice) is True
    assert worker.process("members.documents", invoice) is False  # delivered twice: listed once
    assert worker.process("members.documents", published) is True

    client = service.client()
    [listed] = client.get(f"{API}/members/{company_a}/documents", headers=service.headers(people["admin"])).json
    assert (listed["title"], listed["kind_label"], listed["url"]) == (
        "Facture F2026-000123",
        "Facture",
        invoice.data["download_path"],
    )
    page = client.get("/adherent/documents", headers=service.headers(people["reader"])).text
    assert f'href="{invoice.data["download_path"]}"' in page and "15/02/2026" in page
    assert "Attestation de suivi" not in page  # company B's document
    [other] = client.get(f"{API}/members/{company_b}/documents", headers=service.headers(people["admin_b"])).json
    assert other["url"] == published.data["download_path"] and other["kind_label"] == "Attestation de suivi"


def test_a_company_deposits_its_duerp_reads_it_back_and_staff_can_download_it(
    service, companies, people, token, uploads
):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    answer = deposit(client, admin, token)
    assert answer.status_code == 302
    [document] = client.get(f"{API}/members/{company_a}/documents", headers=admin).json
    assert (document["title"], document["content_type"], document["size_bytes"]) == (
        "DUERP 2026.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    stored = uploads / company_a / document["id"]
    assert stored.read_bytes() == PDF_BYTES

    reader = service.headers(people["reader"])
    download = client.get(document["url"], headers=reader)
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]
    staff_url = f"/gestion/adherents/{company_a}/documents/{document['id']}/fichier"
    assert client.get(staff_url, headers=service.headers(people["staff"])).data == PDF_BYTES
    staff_page = client.get(f"/gestion/adherents/{company_a}/documents", headers=service.headers(people["staff"]))
    assert staff_url in staff_page.text
    trail = client.get(f"{API}/members/{company_a}/change-requests", headers=admin).json
    assert trail[0]["kind"] == "document" and trail[0]["after"]["filename"] == "DUERP 2026.pdf"


def test_a_forbidden_type_a_disguised_file_or_a_too_large_one_is_refused_with_the_reason(
    service, companies, people, token, uploads
):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    refused = deposit(client, admin, token, name="outil.exe", content=b"MZ\x90\x00 program")
    assert refused.status_code == 422 and "Ce type de fichier n&#39;est pas accepté" in refused.text
    disguised = deposit(client, admin, token, name="duerp.pdf", content=b"<html><script>x</script></html>")
    assert disguised.status_code == 422 and "n&#39;est pas accepté" in disguised.text
    large = deposit(client, admin, token, name="gros.pdf", content=b"%PDF-" + b"0" * (10 * 1024 * 1024))
    assert large.status_code == 422 and "taille maximale de 10 Mo" in large.text
    huge = deposit(client, admin, token, name="enorme.pdf", content=b"%PDF-" + b"0" * (13 * 1024 * 1024))
    assert huge.status_code == 413 and "Fichier trop volumineux" in huge.text
    assert client.get(f"{API}/members/{company_a}/documents", headers=admin).json == []
    assert not uploads.exists() or not any(uploads.rglob("*"))


def test_another_company_never_lists_downloads_or_removes_a_document_and_readers_cannot_deposit(
    service, companies, people, token, uploads
):
    company_a, company_b = companies
    client = service.client()
    admin = service.headers(people["admin"])
    deposit(client, admin, token)
    [document] = client.get(f"{API}/members/{company_a}/documents", headers=admin).json
    other = service.headers(people["admin_b"])
    assert client.get(f"{API}/members/{company_a}/documents", headers=other).status_code == 404
    assert client.get(f"/adherent/documents/{document['id']}/fichier", headers=other).status_code == 404
    csrf_b = token(client, "/adherent/documents", other)
    assert (
        client.post(
            f"/adherent/documents/{document['id']}/supprimer", headers=other, data={"csrf_token": csrf_b}
        ).status_code
        == 404
    )
    assert client.get(f"/gestion/adherents/{company_a}/documents", headers=other).status_code == 403
    assert (
        client.get(f"/gestion/adherents/{company_a}/documents/{document['id']}/fichier", headers=other).status_code
        == 403
    )
    assert (
        client.get(
            f"/gestion/adherents/{company_b}/documents/{document['id']}/fichier",
            headers=service.headers(people["staff"]),
        ).status_code
        == 404
    )
    reader = service.headers(people["reader"])
    assert deposit(client, reader, token).status_code == 403
    with service.portal.db.session_factory() as db:
        assert db.query(Document).count() == 1
    assert (uploads / company_a / document["id"]).exists()


def test_the_company_removes_a_file_it_deposited_but_never_an_invoice(service, companies, people, token, uploads):
    company_a, _ = companies
    client = service.client()
    admin = service.headers(people["admin"])
    deposit(client, admin, token)
    invoice = catalogue.example_envelope("billing.invoice.issued.v1", member_id=company_a)
    invoice.data["member_id"] = company_a
    consumer(service).process("members.documents", invoice)
    listed = client.get(f"{API}/members/{company_a}/documents", headers=admin).json
    deposited = next(d for d in listed if d["source"] == "upload")
    billed = next(d for d in listed if d["source"] == "billing")
    csrf = token(client, "/adherent/documents", admin)
    assert (
        client.post(
            f"/adherent/documents/{billed['id']}/supprimer", headers=admin, data={"csrf_token": csrf}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/adherent/documents/{deposited['id']}/supprimer", headers=admin, data={"csrf_token": csrf}
        ).status_code
        == 302
    )
    assert [d["source"] for d in client.get(f"{API}/members/{company_a}/documents", headers=admin).json] == ["billing"]
    assert not (uploads / company_a / deposited["id"]).exists()


def test_a_credit_note_is_listed_once_as_an_avoir_even_when_billing_also_announces_it_as_an_invoice(
    service, companies, people
):
    company_a, _ = companies
    credit = catalogue.example_envelope("billing.credit_note.issued.v1", member_id=company_a)
    credit.data["member_id"] = company_a
    as_invoice = catalogue.example_envelope("billing.invoice.issued.v1", member_id=company_a)
    as_invoice.data.update(
        member_id=company_a,
        invoice_id=credit.data["credit_note_id"],
        kind="avoir",
        number=credit.data["number"],
        download_path=credit.data["download_path"],
    )
    worker = consumer(service)
    assert worker.process("members.documents", credit) is True
    assert worker.process("members.documents", as_invoice) is True
    [listed] = (
        service.client().get(f"{API}/members/{company_a}/documents", headers=service.headers(people["admin"])).json
    )
    assert (listed["kind_label"], listed["title"], listed["url"]) == (
        "Avoir",
        f"Avoir {credit.data['number']}",
        credit.data["download_path"],
    )


@pytest.mark.parametrize("cancellation_first", [False, True])
def test_a_cancelled_appointments_convocation_reads_annulee_and_is_listed_apart_in_mes_documents(
    service, companies, people, cancellation_first
):
    company_a, _ = companies
    appointment_id = "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a"
    convocation = catalogue.example_envelope(
        "scheduling.document.published.v1",
        member_id=company_a,
        kind="convocation",
        title="Convocation — DUPONT Marie Claire — 15/01/2027",
        appointment_id=appointment_id,
    )
    other = catalogue.example_envelope(
        "scheduling.document.published.v1",
        member_id=company_a,
        document_id="8d7c6b5a-4e3f-4b2c-8d9e-0f1a2b3c4d5e",
        download_path="/rendez-vous/documents/8d7c6b5a-4e3f-4b2c-8d9e-0f1a2b3c4d5e",
        kind="convocation",
        title="Convocation — MARTIN Paul — 20/01/2027",
        appointment_id="4e3d2c1b-0a9f-4e8d-b7c6-1f2e3d4c5b6a",
    )
    cancelled = catalogue.example_envelope(
        "scheduling.appointment.cancelled.v1", member_id=company_a, appointment_id=appointment_id
    )
    worker = consumer(service)
    order = [cancelled, convocation, other] if cancellation_first else [convocation, other, cancelled]
    for event in order:
        assert worker.process("members.documents", event) is True
    assert worker.process("members.documents", cancelled) is False  # delivered twice: handled once

    client = service.client()
    listed = client.get(f"{API}/members/{company_a}/documents", headers=service.headers(people["admin"])).json
    by_title = {d["title"]: d for d in listed}
    gone = by_title["Convocation — DUPONT Marie Claire — 15/01/2027"]
    assert gone["status_label"] == "Annulée" and gone["cancelled_on"] is not None
    still = by_title["Convocation — MARTIN Paul — 20/01/2027"]
    assert still["status_label"] is None and still["cancelled_on"] is None

    page = client.get("/adherent/documents", headers=service.headers(people["reader"])).text
    main, _, apart = page.partition("Convocations annulées")
    assert "MARTIN Paul" in main and "DUPONT Marie Claire" not in main
    assert "DUPONT Marie Claire" in apart and "Annulée</span> le" in apart and "MARTIN Paul" not in apart
    assert f'href="{convocation.data["download_path"]}"' in apart  # still readable, marked cancelled


@pytest.mark.parametrize("move_first", [False, True])
def test_a_moved_appointments_old_convocation_reads_remplacee_and_the_new_one_holds_in_mes_documents(
    service, companies, people, move_first
):
    company_a, _ = companies
    appointment_id = "3d2c1b0a-9f8e-4d7c-b6a5-0f1e2d3c4b5a"
    old, new = "8d7c6b5a-4e3f-4b2c-8d9e-0f1a2b3c4d5e", "9e8d7c6b-5f4a-4c3d-9e0f-1a2b3c4d5e6f"
    convocations = [
        catalogue.example_envelope(
            "scheduling.document.published.v1",
            member_id=company_a,
            document_id=document_id,
            download_path=f"/rendez-vous/documents/{document_id}",
            kind="convocation",
            title=f"Convocation — DUPONT Marie Claire — {day}",
            appointment_id=appointment_id,
        )
        for document_id, day in ((old, "15/01/2027"), (new, "22/01/2027"))
    ]
    moved = catalogue.example_envelope(
        "scheduling.appointment.rescheduled.v1",
        member_id=company_a,
        appointment_id=appointment_id,
        replaced_document_ids=[old],
    )
    worker = consumer(service)
    order = [moved, *convocations] if move_first else [convocations[0], moved, convocations[1]]
    for event in order:
        assert worker.process("members.documents", event) is True
    assert worker.process("members.documents", moved) is False  # delivered twice: handled once

    client = service.client()
    listed = client.get(f"{API}/members/{company_a}/documents", headers=service.headers(people["admin"])).json
    by_title = {d["title"]: d for d in listed}
    replaced = by_title["Convocation — DUPONT Marie Claire — 15/01/2027"]
    assert replaced["status_label"] == "Remplacée" and replaced["replaced_on"] is not None
    assert replaced["cancelled_on"] is None
    holds = by_title["Convocation — DUPONT Marie Claire — 22/01/2027"]
    assert holds["status_label"] is None and holds["replaced_on"] is None

    page = client.get("/adherent/documents", headers=service.headers(people["reader"])).text
    main, _, apart = page.partition("Convocations annulées ou remplacées")
    assert "22/01/2027" in main and "15/01/2027" not in main
    assert "15/01/2027" in apart and "Remplacée</span> le" in apart and "22/01/2027" not in apart
