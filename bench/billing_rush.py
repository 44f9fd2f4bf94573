"""The January rush (not a test): `.venv/bin/python bench/billing_rush.py [--count N]` (default 100 000).

N companies confirm their headcount declaration; each confirmation goes the way production sends it:
a `workforce.declaration.confirmed.v1` row in a producer's outbox → the outbox relay process → RabbitMQ
(vhost portal-bench-rush) → billing worker processes (`python -m billing.worker`) → one annual invoice each.
It runs twice, with 1 then 2 workers, each run from the same starting point (databases
portal_bench_rush_{billing,workforce} and the vhost recreated, N customers and the tariffs seeded), prints
declarations/s from the first confirmation to the last invoice issued and the 2-worker/1-worker ratio, and
after each run checks and prints that every declaration produced exactly one invoice and that the numbers
are gapless and unique. Everything it starts is stopped at the end. It measures, it never asserts on time.

Every company has a billing address (each invoice queues its e-mail in the same transaction) and one in
CREDIT_EVERY holds a credit, set off against its new invoice as it is issued (« Compensation avoir »). Beside the
rates it prints the CPU time per declaration of the workers, of their PostgreSQL backends and of the relay (read
from /proc): unlike the rates, these hardly move when other work shares the machine.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import Engine, MetaData, create_engine, insert, text

from portal_common.messaging.envelope import Envelope
from portal_common.messaging.outbox import inbox_table, outbox_table
from portal_common.migrations import upgrade
from portal_common.passport import new_signing_key, public_key_of
from portal_common.testing.environment import add_vhost

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_ADMIN = os.environ.get("PORTAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Another name (PORTAL_BENCH_RUSH_NAME=chaos) gives a run databases and a vhost of its own, beside a rush bench.
NAME = os.environ.get("PORTAL_BENCH_RUSH_NAME", "rush")
VHOST = f"portal-bench-{NAME}"
DATABASES = {"billing": f"portal_bench_{NAME}_billing", "workforce": f"portal_bench_{NAME}_workforce"}
INSERT_BATCH = 2000
TIMEOUT_S = 3600
CREDIT_EVERY = 20  # one company in 20 holds a credit from a former overpayment
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def sqlalchemy_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def recreate_databases() -> dict[str, str]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in DATABASES.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return {service: sqlalchemy_url(name) for service, name in DATABASES.items()}


def recreate_vhost() -> str:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", VHOST], capture_output=True, timeout=60)
    add_vhost(VHOST)
    return f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


def environment(urls: dict[str, str], broker_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and not k.endswith("_DATABASE_URL")}
    env.update(
        PORTAL_ENV="development",
        PORTAL_INTERNAL_KEY="bench-rush-internal-key-" + "x" * 32,
        PORTAL_BROKER_URL=broker_url,
        PORTAL_LOG_LEVEL="WARNING",
        PORTAL_DATA_DIR=str(ROOT / "var" / "bench"),
        BILLING_DATABASE_URL=urls["billing"],
        WORKFORCE_DATABASE_URL=urls["workforce"],
    )
    # Keys by purpose (docs/decisions/0024): fresh ones for the run, each service given its own private key.
    keys = {name: new_signing_key() for name in ("identity", "billing", "workforce")}
    env["PORTAL_PASSPORT_PUBLIC_KEYS"] = ",".join(f"{name}:{public_key_of(key)}" for name, key in keys.items())
    env["BILLING_PASSPORT_SIGNING_KEY"], env["WORKFORCE_PASSPORT_SIGNING_KEY"] = keys["billing"], keys["workforce"]
    env["PORTAL_CSRF_KEYS"] = "csrf1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return env


def seed_billing(url: str, count: int) -> list[str]:
    """N known customers (each with a billing address; one in CREDIT_EVERY holding a 50 € credit, an overpayment
    left unallocated on its account) and the 2026 and 2027 tariffs, written directly (setup, not measured)."""
    from billing.models import BillingCustomer, LedgerEntry, TariffRow

    members = [str(uuid.UUID(int=rank + 1)) for rank in range(count)]
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(
                insert(BillingCustomer),
                [
                    {
                        "member_id": member_id,
                        "member_number": f"{1_000_000 + rank:07d}",
                        "name": f"Entreprise {rank}",
                        "siret": "73282932000074",
                        "address_line1": "1 rue de la Gare",
                        "address_line2": None,
                        "postal_code": "68100",
                        "city": "MULHOUSE",
                        "billing_email": f"compta{rank}@example.fr",
                        "status": "active",
                        "mandate_reference": None,
                        "mandate_status": None,
                        "version": 1,
                        "updated_at": now,
                    }
                    for rank, member_id in enumerate(members[start : start + 5000], start=start)
                ],
            )
        credited = members[::CREDIT_EVERY]
        for start in range(0, len(credited), 5000):
            conn.execute(
                insert(LedgerEntry),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "member_id": member_id,
                        "kind": "reglement",
                        "booked_on": now.date(),
                        "amount": Decimal("-50.00"),
                        "applied_amount": Decimal("0.00"),
                        "label": "Trop-perçu 2025",
                        "recorded_by": "bench",
                        "created_at": now,
                    }
                    for member_id in credited[start : start + 5000]
                ],
            )
        for year in (2026, 2027):
            conn.execute(
                insert(TariffRow).values(
                    year=year,
                    per_capita_fee=Decimal("97.35"),
                    national_average_cost=Decimal("116.00"),
                    entry_fee=Decimal("30.00"),
                    minimum_fee=Decimal("150.00"),
                    late_hire_fee=Decimal("97.35"),
                    no_show_fee=Decimal("50.00"),
                    sepa_discount_rate=Decimal("0.015"),
                    vat_rate=Decimal("0.20"),
                    multi_employer_share=Decimal("0.50"),
                    estimate_uplift_rate=Decimal("0.10"),
                    updated_at=now,
                    updated_by="bench",
                )
            )
    engine.dispose()
    return members


def create_producer_outbox(url: str) -> None:
    metadata = MetaData()
    outbox_table(metadata)
    inbox_table(metadata)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def confirm_declarations(url: str, members: list[str], year: int, *, engine: Engine | None = None) -> float:
    """Write the confirmations into the producer's outbox (what workforce's confirmation commits); returns
    the time the first batch was committed. The events are built before (the bench's own work is not
    measured: in production each confirmation is one user's request, many at once). A caller feeding small
    batches at a steady rate passes its own `engine` (kept open)."""
    table = outbox_table(MetaData())
    own_engine = engine is None
    engine = engine or create_engine(url)
    first = 0.0
    envelopes = []
    for member_id in members:
        declaration_id = str(uuid.uuid4())
        envelopes.append(
            Envelope.new(
                "workforce.declaration.confirmed.v1",
                producer="workforce",
                subject=declaration_id,
                member_id=member_id,
                data={
                    "declaration_id": declaration_id,
                    "member_id": member_id,
                    "year": year,
                    "headcount": {"SI": 12, "SIA": 1, "SIR": 0},
                    "multi_employer": {"SI": 0, "SIA": 0, "SIR": 0},
                    "version": 1,
                },
            )
        )
    bodies = [(envelope.id, envelope.type, envelope.to_json()) for envelope in envelopes]
    with engine.connect() as conn:
        for start_at in range(0, len(bodies), INSERT_BATCH):
            now = datetime.now(UTC)
            rows = [
                {
                    "id": event_id,
                    "event_type": event_type,
                    "body": body,
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                }
                for event_id, event_type, body in bodies[start_at : start_at + INSERT_BATCH]
            ]
            conn.execute(insert(table), rows)
            conn.execute(text("SELECT pg_notify('portal_outbox', '')"))
            conn.commit()
            first = first or time.monotonic()
    if own_engine:
        engine.dispose()
    return first


def numbers_given(conn: psycopg.Connection) -> int:
    """Invoices issued so far (the run issues annual invoices only): one row read, where counting the invoice
    table five times a second would load the database the run measures."""
    row = conn.execute("SELECT coalesce(sum(last_number), 0) FROM invoice_sequence").fetchone()
    return int(row[0])


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def backend_pids(conn: psycopg.Connection) -> list[int]:
    """The billing database's other client backends: the workers' connections."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    return [row[0] for row in rows]


def run_phase(
    urls: dict[str, str], env: dict[str, str], members: list[str], year: int, workers: int, log: Path
) -> tuple[float, dict[str, float]]:
    """Declarations per second, and CPU seconds per declaration of the workers, their backends and the relay."""
    processes = [start([PYTHON, "-m", "billing.worker"], env, log) for _ in range(workers)]
    processes.append(start([PYTHON, "-m", "portal_common.messaging.relay", "--service", "workforce"], env, log))
    try:
        time.sleep(3.0)  # workers declare their queues and connect
        # Their start-up (imports, connections) is not the rush's cost.
        started = {process.pid: cpu_seconds(process.pid) for process in processes}
        first = confirm_declarations(urls["workforce"], members, year)
        billing = urls["billing"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(billing, autocommit=True) as conn:
            deadline = time.monotonic() + TIMEOUT_S
            done = 0
            while done < len(members) and time.monotonic() < deadline:
                time.sleep(0.2)
                done = numbers_given(conn)
                if any(p.poll() is not None for p in processes):
                    sys.exit(f"a worker or the relay stopped: see {log}")
            last = time.monotonic()
            backends = sum(cpu_seconds(pid) for pid in backend_pids(conn))
        if done < len(members):
            sys.exit(f"only {done} of {len(members)} invoices after {TIMEOUT_S} s: see {log}")
        spent = {process.pid: cpu_seconds(process.pid) - started[process.pid] for process in processes}
        cpu = {
            "workers": sum(spent[process.pid] for process in processes[:-1]),
            "backends": backends,
            "relay": spent[processes[-1].pid],
        }
        return len(members) / (last - first), {name: seconds / len(members) for name, seconds in cpu.items()}
    finally:
        stop(processes)


def check(urls: dict[str, str], count: int, year: int) -> bool:
    """One invoice per declaration of the run; invoice numbers (numbered by issue year) gapless and unique."""
    billing = urls["billing"].replace("postgresql+psycopg://", "postgresql://", 1)
    ok = True
    with psycopg.connect(billing) as conn:
        invoices, declarations = conn.execute(
            "SELECT count(*), count(DISTINCT declaration_id) FROM invoice WHERE period = %s AND kind = 'cotisation'",
            (str(year),),
        ).fetchone()
        one_each = invoices == declarations == count
        ok = ok and one_each
        print(
            f"    declarations {year}: {invoices} invoices for {declarations} declarations (expected {count}): "
            f"{'exactly one invoice per declaration' if one_each else 'MISMATCH'}"
        )
        issue_years = [
            row[0] for row in conn.execute("SELECT DISTINCT EXTRACT(YEAR FROM issued_on)::int FROM invoice ORDER BY 1")
        ]
        for issue_year in issue_years:
            numbers = [
                row[0]
                for row in conn.execute(
                    "SELECT number FROM invoice WHERE issued_on >= make_date(%s, 1, 1) AND issued_on < make_date(%s, 1, 1)"
                    " ORDER BY number",
                    (issue_year, issue_year + 1),
                )
            ]
            unique = len(numbers) == len(set(numbers))
            gapless = numbers == [f"F{issue_year}-{rank:06d}" for rank in range(1, len(numbers) + 1)]
            ok = ok and unique and gapless
            print(
                f"    numbers issued in {issue_year}: {numbers[0]} … {numbers[-1]} ({len(numbers)}): "
                f"{'gapless' if gapless else 'GAPS'}, {'unique' if unique else 'DUPLICATES'}"
            )
    return ok


def check_mails_and_offsets(urls: dict[str, str], count: int) -> bool:
    """Each invoice queued its e-mail; each company holding a credit had it set off against its invoice."""
    billing = urls["billing"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(billing) as conn:
        mails = conn.execute("SELECT count(*) FROM mail_outbox").fetchone()[0]
        offsets = conn.execute("SELECT count(*) FROM ledger_entry WHERE kind = 'imputation'").fetchone()[0]
    expected = len(range(0, count, CREDIT_EVERY))
    ok = mails == count and offsets == expected
    print(
        f"    e-mails queued: {mails} (expected {count}); credits set off: {offsets} (expected {expected})"
        f"{'' if ok else ' MISMATCH'}"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="declarations (and companies) per run")
    args = parser.parse_args()
    log = ROOT / "var" / "bench" / "billing_rush.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    load = os.getloadavg()[0]
    print(f"January rush: {args.count} declarations per run, 1-minute load before: {load:.2f}")
    rates, ok = {}, True
    for workers in (1, 2):
        # The same start for each run: the second must not inherit the first's rows (nor its dead tuples).
        urls = recreate_databases()
        upgrade(ROOT / "services" / "billing", urls["billing"])
        create_producer_outbox(urls["workforce"])
        members = seed_billing(urls["billing"], args.count)
        env = environment(urls, recreate_vhost())
        rates[workers], cpu = run_phase(urls, env, members, 2026, workers, log)
        print(f"  {workers} worker(s): {rates[workers]:,.0f} declarations/s (confirmation → invoice issued)")
        print(
            "    CPU per declaration: workers {workers:.2f} ms, their PostgreSQL backends {backends:.2f} ms,"
            " relay {relay:.2f} ms".format(**{name: seconds * 1000 for name, seconds in cpu.items()})
        )
        ok = check_mails_and_offsets(urls, args.count) and ok
        ok = check(urls, args.count, 2026) and ok
    print(f"  ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")
    print("All checks passed." if ok else "SOME CHECKS FAILED.")
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", VHOST], capture_output=True, timeout=60)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
