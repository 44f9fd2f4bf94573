"""Benchmark of « Accueil » for a company of 10,000 employees: `.venv/bin/python bench/home_page.py`.

Starts the portal on PostgreSQL as `bench/run.py` does (data in var/bench/, databases portal_bench_*, gateway on
18180), adds one company of 10,000 employees through the services' demo loaders (their use cases) with its
administrator's account, opens this year's campaign, waits for the events to settle, vacuums and analyzes
each database (as autovacuum would have by then), then through the gateway (session check, server-side includes of
each service's part) requests in turn, with the same session:
  « Accueil » (/accueil)        the home composed from members, workforce, scheduling and billing;
  the company record (/adherent) one service's page, the baseline of the same run.
It prints p50/p95 of each and the ratio of the p95s against the target (the home's p95 ≤ 1.5 × the record's).
It measures, it never asserts on time: compare the ratio of one run, not figures across runs or machines.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling bench modules

from january_morning import seed
from run import GATEWAY_PORT, PORT_BASE, check_ports_free, events_settled, login, start_portal, valid_siret

from portal_common.validators import nir_key
from portal_stack import demo_data
from portal_stack.services import SERVICES

EMPLOYEES = 10_000
NUMBER = "3900001"
REQUESTS = 200
WARM_UP = 10
TARGET_RATIO = 1.5


def company() -> dict[str, list]:
    """The big company, its 10,000 employees, its invoices and its administrator (fixed seed: the same each run)."""
    rng = random.Random(20270110)
    member_id = demo_data.demo_id("member", NUMBER)
    member = dict(
        member_number=NUMBER,
        name="Grande Entreprise du Rhin",
        siret=valid_siret(rng),
        naf_code=next(iter(demo_data.POSTS)),
        address_line1="1 quai du Rhin",
        postal_code="68100",
        city="Mulhouse",
        email="contact@grande-rhin.example",
        billing_email="compta@grande-rhin.example",
        adhesion_date="2020-01-01",
        employees=EMPLOYEES,
    )
    return {
        "members": [{k: v for k, v in member.items() if k != "employees"} | {"id": member_id}],
        "employees": distinct_nirs(demo_data._employees(rng, member, member_id)),
        "appointments": [],
        "invoices": demo_data._invoices(member, member_id, EMPLOYEES)[1:],
        "users": [
            dict(
                id=demo_data.demo_id("user", "home-bench", NUMBER),
                email="direction@grande-rhin.example",
                display_name="Direction Grande Entreprise",
                password=demo_data.DEMO_PASSWORD,
                login_member_number=NUMBER,
                links=[dict(member_id=member_id, roles=["admin"], kind="member")],
            )
        ],
    }


def distinct_nirs(employees: list[dict]) -> list[dict]:
    """The demo draws each NIR's order number at random among 999 for a handful of communes: among 10,000
    employees a few collide, and workforce refuses a second hire with the same NIR. The next free order number."""
    seen: set[str] = set()
    for employee in employees:
        first13 = employee["nir"][:13]
        while first13 in seen:
            first13 = f"{first13[:10]}{int(first13[10:]) % 999 + 1:03d}"
        seen.add(first13)
        employee["nir"] = f"{first13}{nir_key(first13):02d}"
    return employees


def vacuum_analyze(env: dict[str, str]) -> None:
    """The steady state a production database reaches a minute after a bulk load: autovacuum analyzes the new rows
    and marks their pages all-visible (index-only scans then skip the table). The shared PostgreSQL of the
    development machines may run with autovacuum off; without this the planner sees empty tables."""
    for service in SERVICES:
        url = env[f"{service.name.upper()}_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")


def measure(session: requests.Session, url: str) -> list[float]:
    times = []
    for index in range(WARM_UP + REQUESTS):
        start = time.perf_counter()
        answer = session.get(url, timeout=30)
        elapsed = (time.perf_counter() - start) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered HTTP {answer.status_code}")
        if index >= WARM_UP:
            times.append(elapsed)
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[94]


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    check_ports_free([GATEWAY_PORT, *(PORT_BASE + s.offset for s in SERVICES)])
    load_before = os.getloadavg()[0]
    stack = contextlib.ExitStack()
    try:
        print("Starting the portal (PostgreSQL, vhost portal-bench)…", flush=True)
        env = start_portal(stack)
        print(f"Adding a company of {EMPLOYEES} employees through the demo loaders…", flush=True)
        started = time.perf_counter()
        seed(env, company(), date.today().year)
        print(f"  loaded in {time.perf_counter() - started:.0f} s; waiting for its events…", flush=True)
        deadline = time.monotonic() + 600
        while not events_settled(env):
            if time.monotonic() > deadline:
                raise RuntimeError("the company's events did not settle within 10 minutes")
            time.sleep(2)
        print("  settled; VACUUM ANALYZE of each database, as autovacuum would have done by now…", flush=True)
        vacuum_analyze(env)
        url = env["PORTAL_PUBLIC_URL"]
        session = login(url, NUMBER)
        home = session.get(f"{url}/accueil", timeout=30)
        if "momentanément indisponible" in home.text:
            raise RuntimeError("a part of « Accueil » is missing: the measure would not be the whole home")
        print(f"{REQUESTS} requests each (after {WARM_UP} to warm up), one after the other…", flush=True)
        results = {path: percentiles(measure(session, f"{url}{path}")) for path in ("/adherent", "/accueil")}
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping everything the bench started…", flush=True)
        stack.close()
    print(f"\n{os.cpu_count()} cores, 1-min load average before the run: {load_before:.1f}")
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8}")
    for path, label in (("/adherent", "fiche entreprise (/adherent)"), ("/accueil", "Accueil (/accueil)")):
        p50, p95 = results[path]
        print(f"{label:32} {p50:8.1f} {p95:8.1f}")
    ratio = results["/accueil"][1] / results["/adherent"][1]
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"p95 Accueil / fiche: {ratio:.2f} (target ≤ {TARGET_RATIO}: {verdict}), company of {EMPLOYEES} employees")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: everything the bench started has been stopped")
    except RuntimeError as exc:
        sys.exit(f"bench failed: {exc} (everything it started has been stopped)")
