"""The home pages through the real gateway: nginx composes each service's part into the frame members serves
(server-side includes carrying the page's passport), and a service the gateway cannot reach leaves a French
notice in its place while the page still answers 200 (docs/architecture.md « Home pages »)."""

from __future__ import annotations

import re
import socket
import tempfile
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from gateway import render
from portal_stack.services import SERVICES as STACK_SERVICES
from tests.integration.portal_personas import Browser, Stack, add_accounts, personas, running_portal

pytestmark = pytest.mark.integration

PARTS = ("workforce", "scheduling", "billing")
SSI_LEFTOVER = re.compile(r"<!--#")


@pytest.fixture(scope="module")
def home(portal_env) -> Iterator[tuple[Stack, dict[str, Browser]]]:
    with running_portal(portal_env, "home") as stack:
        wanted = [p for p in personas() if p.name in {"A:administrateur", "A:facturation", "B:administrateur"}]
        wanted.append(next(p for p in personas() if p.name == "personnel:secretariat"))
        add_accounts(stack, wanted)
        browsers = {p.name: Browser(stack, p) for p in wanted}
        for browser in browsers.values():
            browser.log_in()
        yield stack, browsers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def gateway_without_scheduling(home) -> Iterator[str]:
    """A second gateway in front of the same services, whose scheduling upstream nobody answers (stopped)."""
    stack, _ = home
    upstreams = {service.name: f"127.0.0.1:{service.port(stack.env)}" for service in STACK_SERVICES}
    upstreams["scheduling"] = f"127.0.0.1:{_free_port()}"
    prefix = Path(tempfile.mkdtemp(prefix="portal-gateway-down-"))
    prefix.chmod(0o755)
    port = _free_port()
    render.write_config(prefix, listen_port=port, upstreams=upstreams)
    render.start(prefix)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        render.stop(prefix)


def test_an_employer_lands_on_accueil_with_every_service_s_part(home):
    _, browsers = home
    admin = browsers["A:administrateur"]
    assert admin.request("GET", "/").headers["Location"] == "/accueil"
    page = admin.request("GET", "/accueil")
    assert page.status_code == 200
    text = unescape(page.text)
    assert not SSI_LEFTOVER.search(text)  # every include was done by the gateway
    for part in ("entreprise", *PARTS):
        assert f'data-part="{part}"' in text
    assert "momentanément indisponible" not in text
    assert "Synthèse d'activité" in text and "Salariés présents" in text and "Visites réalisées en" in text
    assert "Solde restant dû" in text or "Solde créditeur" in text
    # The « Mon compte » menu offers identity's pages to the company's administrator.
    for path in ("/compte/utilisateurs", "/compte/double-authentification", "/compte/sessions", "/compte/jetons-api"):
        assert f'href="{path}"' in text


def test_each_user_gets_only_the_parts_of_their_roles_and_of_their_company(home):
    _, browsers = home
    billing_only = unescape(browsers["A:facturation"].request("GET", "/accueil").text)
    assert 'data-part="billing"' in billing_only
    assert 'data-part="workforce"' not in billing_only and 'data-part="scheduling"' not in billing_only
    company_a = unescape(browsers["A:administrateur"].request("GET", "/accueil/fragments/billing").text)
    company_b = unescape(browsers["B:administrateur"].request("GET", "/accueil").text)
    balance_a = re.search(r"<dt>Solde [^<]*</dt><dd>([^<]*)</dd>", company_a)
    assert balance_a is not None and "Boulangerie Martin" not in company_b
    # A part asked directly goes through the session check like any page.
    anonymous = Browser(home[0], personas()[0])
    asked = anonymous.request("GET", "/accueil/fragments/scheduling")
    assert asked.status_code == 302 and "/connexion" in asked.headers["Location"]


def test_staff_land_on_their_home_with_the_queues_of_every_service(home):
    _, browsers = home
    office = browsers["personnel:secretariat"]
    assert office.request("GET", "/").headers["Location"] == "/gestion/accueil"
    page = office.request("GET", "/gestion/accueil")
    assert page.status_code == 200
    text = unescape(page.text)
    assert not SSI_LEFTOVER.search(text) and "momentanément indisponible" not in text
    for href in ("/gestion/adherents/demandes", "/gestion/rendez-vous#demandes", "/gestion/rendez-vous#creneaux"):
        assert f'href="{href}"' in text
    assert 'href="/gestion/factures/campagne"' in text


def test_with_scheduling_stopped_accueil_still_answers_200_and_names_the_missing_part(home, gateway_without_scheduling):
    _, browsers = home
    admin = browsers["A:administrateur"]
    page = admin.http.get(gateway_without_scheduling + "/accueil", allow_redirects=False, timeout=30)
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Les rendez-vous sont momentanément indisponibles." in text
    assert 'data-part="workforce"' in text and 'data-part="billing"' in text and "Salariés présents" in text
    staff = browsers["personnel:secretariat"].http.get(
        gateway_without_scheduling + "/gestion/accueil", allow_redirects=False, timeout=30
    )
    assert staff.status_code == 200 and "Les rendez-vous sont momentanément indisponibles." in unescape(staff.text)
    # Elsewhere the layout is untouched: another page of the same gateway opens as usual.
    assert admin.http.get(gateway_without_scheduling + "/factures", timeout=30).status_code == 200
