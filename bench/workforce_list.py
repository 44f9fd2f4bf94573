"""Benchmark of the employee list of a 10,000-employee company: `.venv/bin/python bench/workforce_list.py`.

Runs the workforce app in process (Flask test client, signed identity as the gateway sends it) on its own
PostgreSQL database `portal_bench_workforce_list` (recreated empty each run, dropped at the end), fills it
through the real import (a 10,000-line CSV: check, then one transaction with a hired event per line). The list
page asks scheduling for each page's visit dates: a real scheduling app is served on a free port in a process of
its own (werkzeug's threaded server, database `portal_bench_workforce_list_scheduling`), its directory and obligations built by its
own consumer from the import's hired events, and workforce's `PORTAL_SCHEDULING_URL` points at it. Then it
measures, each beside a baseline of the same run that reads the same rows with one bare SQL query and
writes them with no framework:
  (a) the list page `/salaries` (50 rows of a page chosen at random, with the count and the letters): p50/p95;
  (b) the CSV export of the whole list; (c) the XLSX export of the whole list.
It measures, it never asserts on time: compare the ratios of one run, not figures across runs or machines.
"""

from __future__ import annotations

import csv
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from openpyxl import Workbook

from portal_common.migrations import upgrade
from portal_common.testing import act_as_headers, make_principal
from portal_common.testing.environment import TEST_PASSPORT_KEYS, TEST_PASSPORT_PUBLIC_KEYS
from portal_common.validators import nir_key

ROOT = Path(__file__).resolve().parents[1]
SERVICE_DIR = ROOT / "services" / "workforce"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "portal_bench_workforce_list"
SCHEDULING_DATABASE = "portal_bench_workforce_list_scheduling"
SCHEDULING_DIR = ROOT / "services" / "scheduling"
EMPLOYEES = 10_000
PAGE_REQUESTS = 100
EXPORT_RUNS = 5
MEMBER_ID = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
INTERNAL_KEY = "bench-internal-key-" + "b" * 32
NAMES = (
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Élie",
    "Œuvrard",
    "Yildiz",
    "Zimmermann",
    "Kervella",
    "Hoarau",
    "Ioannou",
    "Jacquet",
    "Nguyen",
    "Quéré",
)
FIRST_NAMES = ("Marie", "Jean", "Élodie", "Luc", "Camille", "Paul", "Chloé", "Hugo", "Léa", "Nicolas")
POSTS = (
    ("Vendeuse", "552a", ""),
    ("Cariste", "652a", "autorisation_conduite"),
    ("Soudeur", "623a", "cmr"),
    ("Infirmière de nuit", "431f", "travail_nuit"),
    ("Comptable", "543a", ""),
    ("Couvreur", "621a", "amiante"),
)
CONTRACTS = ("CDI", "CDI", "CDI", "CDD", "apprentissage", "interim")
HEADER = (
    "Nom d'usage;Nom de naissance;Prénoms;Sexe;Date de naissance;N° de sécurité sociale;Date d'embauche;"
    "Poste de travail;Code PCS-ESE;Contrat;Salarié multi-employeurs;Déterminants;Code commune de naissance"
)


def staff_file(count: int, rng: random.Random) -> bytes:
    lines = [HEADER]
    for index in range(count):
        sex = "MF"[index % 2]
        birth = date(1950 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
        commune, order = 100 + index // 999, index % 999 + 1  # unique per line
        first13 = f"{1 + index % 2}{birth.year % 100:02d}{birth.month:02d}75{commune:03d}{order:03d}"
        post, pcs, determinant = POSTS[index % len(POSTS)]
        last = NAMES[rng.randrange(len(NAMES))]
        birth_name = NAMES[rng.randrange(len(NAMES))] if sex == "F" and index % 3 == 0 else ""
        lines.append(
            ";".join(
                (
                    last,
                    birth_name,
                    f"{FIRST_NAMES[index % 10]} {index}",
                    sex,
                    f"{birth:%d/%m/%Y}",
                    f"{first13}{nir_key(first13):02d}",
                    f"{date(2015 + index % 10, 3, 1):%d/%m/%Y}",
                    post,
                    pcs,
                    CONTRACTS[index % len(CONTRACTS)],
                    "oui" if index % 17 == 0 else "non",
                    determinant,
                    f"75{commune:03d}",
                )
            )
        )  # the commune the NIR gives
    return "\n".join(lines).encode("utf-8")


def recreate_database(name: str = DATABASE) -> str:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        for name in (DATABASE, SCHEDULING_DATABASE):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum(url: str) -> None:
    """What autovacuum would have done after the import (it is off on this machine's PostgreSQL): without
    statistics the planner guesses at an empty table."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Scheduling's own process, as in production (in this one it would take turns with workforce for the interpreter).
SERVE_SCHEDULING = """
import logging, sys
from werkzeug.serving import make_server
from scheduling.app import create_app
app = create_app()
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
"""


def start_scheduling(url: str, port: int, events: list) -> subprocess.Popen:
    """Scheduling migrated, its directory and obligations built from `events` by its own consumer (batches of its
    queue, as its worker applies them), then served on `port` in a process of its own by werkzeug's threaded WSGI
    server (a thread per request, as gunicorn's gthread workers answer): answers that process once it listens."""
    from portal_common.messaging.consumer import build_consumer
    from scheduling.app import create_app as create_scheduling
    from scheduling.worker import DIRECTORY_QUEUE, subscriptions

    upgrade(SCHEDULING_DIR, url)
    environ = {
        "PORTAL_ENV": "test",
        "PORTAL_INTERNAL_KEY": INTERNAL_KEY,
        "PORTAL_PASSPORT_PUBLIC_KEYS": TEST_PASSPORT_PUBLIC_KEYS,
        "SCHEDULING_PASSPORT_SIGNING_KEY": TEST_PASSPORT_KEYS["scheduling"],
        "SCHEDULING_DATABASE_URL": url,
        "PORTAL_LOG_LEVEL": "WARNING",
        "PORTAL_DATA_DIR": str(ROOT / "var" / "bench"),
    }
    app = create_scheduling(environ=environ)
    consumer = build_consumer(app, subscriptions(app.extensions["portal"].settings))
    with app.app_context():
        for start in range(0, len(events), 100):
            consumer.process_batch(DIRECTORY_QUEUE, events[start : start + 100])
    app.extensions["portal"].db.dispose()
    vacuum(url)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCHEDULING, str(port)], env={**os.environ, **environ}, cwd=ROOT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("scheduling did not listen within a minute")


def hired_events(app) -> list:
    """The hired events the import recorded in workforce's outbox, in their order."""
    portal = app.extensions["portal"]
    with portal.db.session_factory() as session:
        return [e for e in portal.outbox.all_events(session) if e.type == "workforce.employee.hired.v1"]


def build_app(url: str, scheduling_url: str = "http://127.0.0.1:9"):
    from portal_common.keyring import new_key_setting as new_encryption_key
    from workforce.app import create_app

    return create_app(
        environ={
            "PORTAL_ENV": "test",
            "PORTAL_INTERNAL_KEY": INTERNAL_KEY,
            "PORTAL_PASSPORT_PUBLIC_KEYS": TEST_PASSPORT_PUBLIC_KEYS,
            "WORKFORCE_PASSPORT_SIGNING_KEY": TEST_PASSPORT_KEYS["workforce"],
            "WORKFORCE_DATABASE_URL": url,
            "PORTAL_LOG_LEVEL": "WARNING",
            "PORTAL_DATA_DIR": str(ROOT / "var" / "bench"),
            "WORKFORCE_NIR_ENCRYPTION_KEY": new_encryption_key("bench"),
            "WORKFORCE_NIR_HASH_KEY": "bench-nir-hash-key-" + "h" * 32,
            "PORTAL_SCHEDULING_URL": scheduling_url,
        }
    )


def fill(app, rng: random.Random) -> float:
    """The 10,000 employees through the real import; answers its duration in seconds."""
    from workforce.imports import use_cases as import_service

    portal = app.extensions["portal"]
    started = time.perf_counter()
    with app.app_context():
        staged = import_service.stage(portal, MEMBER_ID, "bench.csv", staff_file(EMPLOYEES, rng), actor="bench")
        while import_service._status(portal, staged.id) == "received":  # a big file: read by the worker
            import_service.process_pending(portal)
        staged = import_service.get_import(portal, staged.id, MEMBER_ID)
        import_service.choose_mapping(portal, staged.id, MEMBER_ID, dict(staged.mapping))
        while import_service.process_pending(portal):  # what the worker does: check, then (once confirmed) write
            if import_service._status(portal, staged.id) == "ready":
                import_service.confirm(portal, staged.id, MEMBER_ID, duplicates_acknowledged=True, actor="bench")
        status = import_service._status(portal, staged.id)
    if status != "done":
        raise RuntimeError(f"the bench import ended {status!r}")
    return time.perf_counter() - started


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


# --- the baselines: one bare query of the same rows, written without the framework ---------------------

LIST_SQL = (
    "SELECT id, last_name, birth_name, first_names, birth_date, post, pcs_code, contract, "
    "base_category, multi_employer, hire_date, exit_date FROM employee WHERE member_id = %s "
    "AND (exit_date IS NULL OR exit_date >= %s) ORDER BY initial, search_text, id"
)


def bare_page(conn, page: int) -> str:
    today = date.today()
    total = conn.execute(
        "SELECT count(*) FROM employee WHERE member_id = %s AND (exit_date IS NULL OR exit_date >= %s)",
        (MEMBER_ID, today),
    ).fetchone()[0]
    rows = conn.execute(LIST_SQL + " OFFSET %s LIMIT 50", (MEMBER_ID, today, (page - 1) * 50)).fetchall()
    cells = "".join(
        f"<tr><td>{r[1]}</td><td>{r[3]}</td><td>{r[4]:%d/%m/%Y}</td><td>{r[5]}</td><td>{r[8]}</td></tr>" for r in rows
    )
    return f"<p>{total} salariés</p><table>{cells}</table>"


def bare_csv(conn) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in conn.execute(LIST_SQL, (MEMBER_ID, date.today())):
        writer.writerow([value.strftime("%d/%m/%Y") if isinstance(value, date) else value for value in row])
    return ("\ufeff" + out.getvalue()).encode()


def bare_xlsx(conn) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Salariés")
    for row in conn.execute(LIST_SQL, (MEMBER_ID, date.today())):
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    rng = random.Random(2026)
    load_before = os.getloadavg()[0]
    url = recreate_database()
    scheduling_url = recreate_database(SCHEDULING_DATABASE)
    scheduling_port = free_port()
    scheduling = None
    try:
        print(f"Migrating {DATABASE}…", flush=True)
        upgrade(SERVICE_DIR, url)
        app = build_app(url, f"http://127.0.0.1:{scheduling_port}")
        print(f"Importing {EMPLOYEES} employees through the import (check, then one transaction)…", flush=True)
        import_seconds = fill(app, rng)
        vacuum(url)
        print("Scheduling: its directory and obligations from the hired events, then served…", flush=True)
        scheduling = start_scheduling(scheduling_url, scheduling_port, hired_events(app))
        client = app.test_client()
        reader = make_principal(member_id=MEMBER_ID, roles=("read",))
        pages_count = -(-EMPLOYEES // 50)

        def get(path: str) -> bytes:
            # Signed per request, as the gateway does (a passport lives a few seconds only).
            response = client.get(path, headers=act_as_headers(reader))
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered HTTP {response.status_code}")
            return response.data

        pg_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for _ in range(10):  # warm-up: pools, caches, templates
                if b"indisponible" in get(f"/salaries?page={rng.randrange(1, pages_count + 1)}"):
                    raise RuntimeError("the list page says scheduling is unavailable: the bench would not be honest")
                bare_page(conn, rng.randrange(1, pages_count + 1))
            print(f"List page: {PAGE_REQUESTS} requests each…", flush=True)
            page_ms = [
                timed(lambda: get(f"/salaries?page={rng.randrange(1, pages_count + 1)}")) for _ in range(PAGE_REQUESTS)
            ]
            bare_page_ms = [
                timed(lambda: bare_page(conn, rng.randrange(1, pages_count + 1))) for _ in range(PAGE_REQUESTS)
            ]
            print(f"Exports: {EXPORT_RUNS} runs each…", flush=True)
            csv_ms = [timed(lambda: get("/salaries/export.csv")) for _ in range(EXPORT_RUNS)]
            bare_csv_ms = [timed(lambda: bare_csv(conn)) for _ in range(EXPORT_RUNS)]
            xlsx_ms = [timed(lambda: get("/salaries/export.xlsx")) for _ in range(EXPORT_RUNS)]
            bare_xlsx_ms = [timed(lambda: bare_xlsx(conn)) for _ in range(EXPORT_RUNS)]
        app.extensions["portal"].db.dispose()
    finally:
        if scheduling is not None:
            scheduling.terminate()
            scheduling.wait(10)
        drop_database()

    def row(what: str, portal: list[float], bare: list[float], tail: str) -> str:
        portal_tail = p95(portal) if tail == "p95" else max(portal)
        bare_tail = p95(bare) if tail == "p95" else max(bare)
        return (
            f"  {what:<34} portal p50 {statistics.median(portal):7.1f} ms {tail} {portal_tail:7.1f} ms   "
            f"baseline p50 {statistics.median(bare):7.1f} ms {tail} {bare_tail:7.1f} ms   "
            f"ratio {statistics.median(portal) / statistics.median(bare):4.1f} × p50, "
            f"{portal_tail / bare_tail:4.1f} × {tail}"
        )

    print(f"\n{os.cpu_count()} cores, 1-min load average before the run: {load_before:.1f}")
    print(f"Employee list of one company of {thousands(EMPLOYEES)} employees (in process, no gateway)")
    print(row("list page /salaries (50 rows)", page_ms, bare_page_ms, "p95"))
    print(row("CSV export (whole list)", csv_ms, bare_csv_ms, "max"))
    print(row("XLSX export (whole list)", xlsx_ms, bare_xlsx_ms, "max"))
    print(f"  import of the {thousands(EMPLOYEES)} lines (check + write, one transaction): {import_seconds:.1f} s")
    print("  baseline = one bare SQL query of the same rows, written with no framework (no category, no masking)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        drop_database()
        sys.exit("interrupted: the bench database has been dropped")
    except RuntimeError as exc:
        sys.exit(f"bench failed: {exc}")
