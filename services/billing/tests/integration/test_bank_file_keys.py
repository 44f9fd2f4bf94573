"""docs/security.md KEY-02: the bank files ring (BILLING_BANK_FILE_KEYS). A file sealed before the ring was set
(key derived from the internal key) still downloads once it is; `python -m billing.keys rotate` re-seals every kept
file with the ring's current key, the bytes downloaded stay the same, and a second run changes nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import text

from billing.app import create_app
from billing.keys import main as keys_command
from billing.refunds.use_cases import export_transfers, request_transfer
from billing.sepa.use_cases.rotation import rotate_bank_files
from billing.worker import MEMBER_DIRECTORY_QUEUE
from portal_common import clock
from portal_common.keyring import new_key_setting
from portal_common.testing import make_principal

from .test_refund_transfers import BIC, credited_invoice

pytestmark = pytest.mark.integration

NEW, NEWER = new_key_setting("k2"), new_key_setting("k3")


def key_ids(service) -> list[str]:
    with service.portal.db.engine.connect() as conn:
        return conn.execute(text("SELECT document_key_id FROM refund_batch")).scalars().all()


def test_kept_bank_files_are_resealed_with_the_current_key_and_download_the_same_bytes(
    service, customers, portal_env, monkeypatch, capsys, billing_consumer, sign_mandate_at_members
):
    member_a, _ = customers
    assert billing_consumer.process(MEMBER_DIRECTORY_QUEUE, sign_mandate_at_members(member_a, bic=BIC))
    credited_invoice(service, member_a)
    request_transfer(service.portal, member_a, Decimal("50.00"), by="s")
    batch, document = export_transfers(service.portal, execution_date=clock.today(), by="s")
    assert key_ids(service) == ["d1"]  # no ring set: the key derived from the internal key

    environ = portal_env.environ("billing", service.database_url, BILLING_BANK_FILE_KEYS=NEW)
    app = create_app(environ=environ)
    app.config["TESTING"] = True
    try:
        ringed = app.extensions["portal"]
        first = rotate_bank_files(ringed)
        assert (first.checked, first.rotated, first.unreadable) == (1, 1, 0)
        assert key_ids(service) == ["k2"]
        again = rotate_bank_files(ringed)
        assert (again.checked, again.rotated, again.unreadable) == (1, 0, 0)
        staff = service.headers(make_principal(staff_roles=("billing",)))
        downloaded = app.test_client().get(f"/gestion/factures/remboursements/lots/{batch.id}/fichier", headers=staff)
        assert downloaded.status_code == 200 and downloaded.data == document
    finally:
        app.extensions["portal"].db.dispose()

    # The operator's command, with a newer key first: it prints its counts; the old key may then leave the ring.
    for name, value in portal_env.environ(
        "billing", service.database_url, BILLING_BANK_FILE_KEYS=f"{NEWER},{NEW}"
    ).items():
        monkeypatch.setenv(name, value)
    assert keys_command(["rotate"]) == 0
    assert "1 examinée(s), 1 rechiffrée(s) avec la clé k3, 0 illisible(s)" in capsys.readouterr().out
    assert key_ids(service) == ["k3"]
    only_newer = create_app(environ=portal_env.environ("billing", service.database_url, BILLING_BANK_FILE_KEYS=NEWER))
    try:
        staff = service.headers(make_principal(staff_roles=("billing",)))
        downloaded = only_newer.test_client().get(
            f"/gestion/factures/remboursements/lots/{batch.id}/fichier", headers=staff
        )
        assert downloaded.status_code == 200 and downloaded.data == document
    finally:
        only_newer.extensions["portal"].db.dispose()
