"""Fixtures of the members service tests: a migrated PostgreSQL database for this run, companies, people."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from members.app import create_app
from portal_common.testing import make_principal, service_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
members_service, service = service_fixtures("members", create_app, SERVICE_DIR)

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "0b7f4c1e-3a8d-4e2b-9c65-7d1f2e3a4b5c"


@pytest.fixture
def companies(service):
    """Two registered companies, A (Boulangerie Martin) and B (Garage du Centre)."""
    from members.registration import use_cases as services
    from members.registration.rules import Registration

    for member_id, name, siret, number in (
        (COMPANY_A, "Boulangerie Martin", "73282932000074", "1000001"),
        (COMPANY_B, "Garage du Centre", "40483304800022", "1000002"),
    ):
        services.register_member(
            service.portal,
            Registration(
                name=name,
                siret=siret,
                naf_code="10.71C",
                address_line1="12 rue de la Gare",
                address_line2=None,
                postal_code="68100",
                city="Mulhouse",
                email="contact@example.fr",
                phone="03 89 12 34 56",
                billing_email="compta@example.fr",
                adhesion_date=date(2015, 3, 1),
            ),
            member_id=member_id,
            member_number=number,
        )
    return COMPANY_A, COMPANY_B


@pytest.fixture
def people():
    """An administrator and a read-only user of company A, and two staff members."""
    return {
        # Freshly re-authenticated (identity's step-up grant), as signing a SEPA mandate requires by default.
        "admin": make_principal(member_id=COMPANY_A, roles=("admin",), display_name="Paul Martin", grants=("step_up",)),
        "reader": make_principal(member_id=COMPANY_A, roles=("read",)),
        "admin_b": make_principal(member_id=COMPANY_B, roles=("admin",)),
        "staff": make_principal(staff_roles=("secretariat",), display_name="Agnès Staff"),
        "staff2": make_principal(staff_roles=("administration",), display_name="Bruno Second"),
    }


def form_token(client, path: str, headers: dict) -> str:
    page = client.get(path, headers=headers)
    assert page.status_code == 200, page.status_code
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def token():
    """`token(client, path, headers)`: the CSRF token of a page's forms."""
    return form_token


IDENTITY_DIR = Path(__file__).resolve().parents[2] / "identity"


@pytest.fixture(scope="module")
def identity_server(portal_env):
    """Identity's own app, migrated on its own database, served over HTTP like in production."""
    from identity.app import create_app as create_identity_app

    identity = portal_env.service("identity", create_identity_app, IDENTITY_DIR)
    server = make_server("127.0.0.1", 0, identity.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield identity, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def identity(identity_server, service, monkeypatch):
    identity, url = identity_server
    monkeypatch.setitem(service.portal.settings.service_urls, "identity", url)
    yield identity
    identity.truncate()


@pytest.fixture
def smtp(portal_env):
    portal_env.smtp.clear()
    return portal_env.smtp
