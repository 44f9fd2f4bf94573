"""docs/security.md KEY-02, KEY-03: the IBAN ring (MEMBERS_IBAN_KEYS). Values sealed with the key once derived from the
internal key still open once the ring is set, and `members.keys rotate` re-seals every IBAN and n° télédéclarant
with the ring's current key without changing any clear value or row version; a second run changes nothing."""

import pytest
from sqlalchemy import text

from members.app import create_app
from members.keys import main as keys_command
from members.sepa.use_cases import rotate_sealed_values
from portal_common.http import service_headers
from portal_common.keyring import new_key_setting
from portal_common.testing.environment import signer_of

from .test_sepa_mandate import sign_and_approve

pytestmark = pytest.mark.integration

NEW, NEWER = new_key_setting("k2"), new_key_setting("k3")


@pytest.fixture
def ringed(portal_env, service):
    """The same service and database as `service`, started with MEMBERS_IBAN_KEYS set (returns app, environ)."""
    made = []

    def start(keys: str):
        environ = portal_env.environ("members", service.database_url, MEMBERS_IBAN_KEYS=keys)
        app = create_app(environ=environ)
        app.config["TESTING"] = True
        made.append(app)
        return app, environ

    yield start
    for app in made:
        app.extensions["portal"].db.dispose()


def sealed_values(service) -> list[str]:
    with service.portal.db.engine.connect() as conn:
        ibans = conn.execute(text("SELECT iban_encrypted FROM sepa_mandate")).scalars().all()
        codes = conn.execute(
            text("SELECT declarant_code_encrypted FROM member WHERE declarant_code_encrypted IS NOT NULL")
        ).scalars()
        return sorted([*ibans, *codes])


def member_versions(service) -> list[int]:
    with service.portal.db.engine.connect() as conn:
        return conn.execute(text("SELECT version FROM member ORDER BY id")).scalars().all()


def billing_reads(app, company) -> str:
    answer = app.test_client().get(f"/internal/sepa-mandates/{company}", headers=service_headers(signer_of("billing")))
    assert answer.status_code == 200
    return answer.json["iban"]


def test_ibans_sealed_before_the_ring_still_open_and_are_resealed_with_the_current_key_once(
    service, companies, people, ringed
):
    company_a, _ = companies
    sign_and_approve(service, company_a, people)
    before, versions = sealed_values(service), member_versions(service)
    assert before and all(value.startswith("d1:") for value in before)

    app, _ = ringed(NEW)
    assert billing_reads(app, company_a) == "FR7630006000011234567890189"
    first = rotate_sealed_values(app.extensions["portal"])
    assert (first.checked, first.rotated, first.unreadable) == (len(before), len(before), 0)
    after = sealed_values(service)
    assert all(value.startswith("k2:") for value in after) and member_versions(service) == versions
    assert billing_reads(app, company_a) == "FR7630006000011234567890189"
    second = rotate_sealed_values(app.extensions["portal"])
    assert (second.checked, second.rotated) == (len(before), 0) and sealed_values(service) == after


def test_the_rotation_command_moves_every_value_to_a_new_key_put_first_and_prints_its_counts(
    service, companies, people, ringed, monkeypatch, capsys
):
    company_a, _ = companies
    sign_and_approve(service, company_a, people)
    count = len(sealed_values(service))
    _, environ = ringed(f"{NEWER},{NEW}")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert keys_command(["rotate"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Valeurs chiffrées (IBAN, n° télédéclarant) : {count} examinée(s), {count} rechiffrée(s) avec la clé k3, "
        "0 illisible(s)."
    )
    assert all(value.startswith("k3:") for value in sealed_values(service))
    app, _ = ringed(NEWER)  # the older keys may go now: everything opens with the new one alone
    assert billing_reads(app, company_a) == "FR7630006000011234567890189"
    assert keys_command(["rotate"]) == 0 and "0 rechiffrée(s)" in capsys.readouterr().out
