"""Benchmark (not a test): a DSN of 10 000 employees (about 10 MB) imported for one company, beside the CSV
import of the same employees, in the same run and the same database.

    .venv/bin/python bench/dsn_import.py              # 10 000 employees
    .venv/bin/python bench/dsn_import.py --count 2000 # a quick look

Both go through their real paths on PostgreSQL (database `portal_bench_dsn_import`, recreated each run): the
CSV through stage → worker read → columns → worker check → confirm → worker write; the DSN through the API
(multipart upload with an API token) → worker read and reconciliation → apply → worker write. Each is timed
from the upload to the import done with its events in the outbox (one hired event per employee, the DSN's
exits too). Two companies, so that both imports hire everyone. The target: the DSN no slower than the CSV.
The 1-minute load average before the run is printed: on a busy machine the figures mean little.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dsn_factory import Person, dsn_bytes, people  # noqa: E402
from portal_common.migrations import upgrade  # noqa: E402
from portal_common.testing import act_as_headers, make_principal  # noqa: E402

SERVICE_DIR = ROOT / "services" / "workforce"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "portal_bench_dsn_import"
CSV_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
DSN_MEMBER = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SIREN, NIC = "732829320", "00074"
CONTRACTS = {"01": "CDI", "02": "CDD", "03": "Intérim"}
HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Code commune de naissance;Pays de naissance"
)


def csv_of(staff: list[Person]) -> bytes:
    """The same employees as the CSV an employer would type or export."""
    lines = [HEADER]
    for p in staff:
        abroad = p.nir[5:7] == "99"
        contract = "apprentissage" if p.scheme == "64" else CONTRACTS.get(p.nature, "CDI")
        lines.append(
            ";".join(
                (
                    p.usage_name or p.family_name,
                    p.family_name,
                    p.first_names,
                    p.sex,
                    f"{p.birth_date:%d/%m/%Y}",
                    p.nir,
                    f"{p.start:%d/%m/%Y}",
                    p.job_label,
                    p.pcs_code,
                    contract,
                    "non",
                    "" if abroad else p.nir[5:10],
                    f"99{p.nir[7:10]}" if abroad else "",
                )
            )
        )
    return "\n".join(lines).encode("utf-8")


def recreate_database() -> str:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DATABASE}"


def drop_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def build_app(url: str):  # type: ignore[no-untyped-def]
    from bench.workforce_list import build_app as workforce_app

    return workforce_app(url)


def seed_directory(portal) -> None:  # type: ignore[no-untyped-def]
    from workforce.models import MemberDirectoryEntry

    with portal.uow() as tx:
        for member_id, number, siret in (
            (CSV_MEMBER, "1000001", "55210055400013"),
            (DSN_MEMBER, "1000002", SIREN + NIC),
        ):
            tx.session.add(
                MemberDirectoryEntry(
                    member_id=member_id, member_number=number, name="Bench", siret=siret, status="active", version=1
                )
            )
        tx.commit()


def drain(portal) -> None:  # type: ignore[no-untyped-def]
    from workforce.imports.use_cases import process_pending

    while process_pending(portal):
        pass


def csv_import(app, raw: bytes) -> float:  # type: ignore[no-untyped-def]
    from workforce.imports import use_cases as imports

    portal = app.extensions["portal"]
    started = time.perf_counter()
    with app.app_context():
        staged = imports.stage(portal, CSV_MEMBER, "salaries.csv", raw, actor="bench")
        drain(portal)
        staged = imports.get_import(portal, staged.id, CSV_MEMBER)
        imports.choose_mapping(portal, staged.id, CSV_MEMBER, dict(staged.mapping))
        drain(portal)
        if imports._status(portal, staged.id) != "ready":
            raise RuntimeError(f"the CSV import is {imports._status(portal, staged.id)!r}, not ready")
        imports.confirm(portal, staged.id, CSV_MEMBER, duplicates_acknowledged=True, actor="bench")
        drain(portal)
        if imports._status(portal, staged.id) != "done":
            raise RuntimeError("the CSV import did not end done")
    return time.perf_counter() - started


def dsn_import(app, raw: bytes) -> float:  # type: ignore[no-untyped-def]
    portal = app.extensions["portal"]
    client = app.test_client()
    token = make_principal(member_id=DSN_MEMBER, roles=("admin",), session_ref="token:bench")

    def headers() -> dict[str, str]:  # signed per request: a passport lives only seconds
        return act_as_headers(token)

    started = time.perf_counter()
    sent = client.post(
        "/api/workforce/dsn-imports",
        headers=headers(),
        content_type="multipart/form-data",
        data={"files": [(io.BytesIO(raw), "dsn_2026_03.txt")]},
    )
    assert sent.status_code == 202, sent.json
    import_id = sent.json["id"]
    with app.app_context():
        drain(portal)
    state = client.get(f"/api/workforce/dsn-imports/{import_id}", headers=headers()).json
    if state["status"] != "ready" or state["error_rows"]:
        raise RuntimeError(f"the DSN import is {state['status']!r} with {state['error_rows']} errors")
    assert client.post(f"/api/workforce/dsn-imports/{import_id}/apply", headers=headers()).status_code == 202
    with app.app_context():
        drain(portal)
    state = client.get(f"/api/workforce/dsn-imports/{import_id}", headers=headers()).json
    if state["status"] != "done":
        raise RuntimeError(f"the DSN import ended {state!r}")
    return time.perf_counter() - started


def events_of(app, member_id: str) -> int:  # type: ignore[no-untyped-def]
    from workforce.models import outbox

    portal = app.extensions["portal"]
    with portal.db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(outbox).where(outbox.c.body.contains(member_id))) or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    count = parser.parse_args().count
    staff = people(count)
    for person in staff[::50]:  # a few left during the month, as in any DSN
        person.end, person.end_reason = date(2026, 3, 27), "059"
    dsn = dsn_bytes(SIREN, NIC, date(2026, 3, 1), staff)
    csv = csv_of(staff)
    print(f"load average (1 min) before the run: {os.getloadavg()[0]:.2f}")
    print(f"DSN of {count} employees: {len(dsn) / 1e6:.1f} MB; the same employees in CSV: {len(csv) / 1e6:.1f} MB")
    url = recreate_database()
    try:
        upgrade(SERVICE_DIR, url)
        app = build_app(url)
        seed_directory(app.extensions["portal"])
        csv_seconds = csv_import(app, csv)
        print(
            f"  CSV import (upload → read → check → write, events in the outbox): {csv_seconds:.1f} s, "
            f"{events_of(app, CSV_MEMBER)} events"
        )
        dsn_seconds = dsn_import(app, dsn)
        print(
            f"  DSN import (upload → read and reconcile → apply, events in the outbox): {dsn_seconds:.1f} s, "
            f"{events_of(app, DSN_MEMBER)} events"
        )
        print(f"  DSN / CSV: {dsn_seconds / csv_seconds:.2f} (target: 1.00 or less)")
    finally:
        drop_database()


if __name__ == "__main__":
    main()
