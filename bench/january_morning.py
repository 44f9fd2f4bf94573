"""A January morning (not a test): `.venv/bin/python bench/january_morning.py [--steps 25,50,100,200,300]`.

Everything at once, as on the morning of the rush: simulated employers log in, open their home, their employee
list and this year's declaration (confirming it), their invoices and an invoice PDF; accounting firms open their
portfolio, switch from client to client and declare for each; staff watch their home, the campaigns and the
campaign's billing dashboard — with think times (Locust, headless: `bench/january_morning_users.py`), through the
gateway of a portal on PostgreSQL started as `bench/run.py` does (data in var/bench/, databases portal_bench_*,
gateway on 18180) — while the rush benchmark's flow of confirmations runs beside it (`bench/billing_rush.py`'s
path: a producer outbox → relay → RabbitMQ → 2 billing workers, at a steady offered rate, in its own databases
and vhost).

Seed data is deterministic (companies, employees, invoices and accounts built from fixed seeds, loaded through
the services' demo loaders, i.e. their use cases). The user count is stepped; for each step it prints per page
the count, p50/p95/p99 and errors, overload answers (503/429) apart, and the declarations/s billing issued, and
at the end the largest step whose every page kept p95 ≤ 300 ms with no error. Everything it starts is stopped at
the end, also on Ctrl-C or failure. It measures, it never asserts on time: compare figures of one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling bench modules

import billing_rush
from run import DATA_DIR, GATEWAY_PORT, PORT_BASE, check_ports_free, events_settled, start_portal, valid_siret

from portal_stack import demo_data
from portal_stack.environment import service_environment
from portal_stack.services import SERVICES

PYTHON = sys.executable
USERS_SCRIPT = Path(__file__).resolve().parent / "january_morning_users.py"
P95_LIMIT_MS = 300
EMPLOYEES_PER_COMPANY = 6
CLIENTS_PER_FIRM = 3
RUSH_RATE = 600  # declarations offered per second to billing's rush pipeline (the issue asks it to keep ≥ 500/s)
FIRST_NUMBER = 3_000_000  # member numbers of the seeded companies, away from the demo's 1000001–1000003


# --- deterministic seed data -----------------------------------------------------------------------------------


def dataset(users: int) -> tuple[dict[str, list], dict[str, list[dict[str, Any]]]]:
    """Enough companies and accounts for `users` simulated people (80 % employers, 10 % firms, 10 % staff), each
    on their own account; the same every run (fixed seeds and name-based ids)."""
    rng = random.Random(20270112)
    employers, firms = max(1, users * 8 // 10 + 1), max(1, users // 10 + 1)
    staff = max(1, users // 10 + 1)
    data: dict[str, list] = {key: [] for key in ("members", "employees", "appointments", "invoices", "users")}
    companies = []
    for rank in range(employers + firms * CLIENTS_PER_FIRM):
        number = str(FIRST_NUMBER + rank)
        naf = rng.choice(list(demo_data.POSTS))
        member = dict(
            member_number=number,
            name=f"Entreprise du matin {rank + 1}",
            siret=valid_siret(rng),
            naf_code=naf,
            address_line1=f"{rank % 90 + 1} rue de la Gare",
            postal_code="68100",
            city="Mulhouse",
            email=f"contact-{number}@matin.example",
            billing_email=f"compta-{number}@matin.example",
            adhesion_date="2020-01-01",
            employees=EMPLOYEES_PER_COMPANY,
        )
        member_id = demo_data.demo_id("member", number)
        data["members"].append({k: v for k, v in member.items() if k != "employees"} | {"id": member_id})
        data["employees"] += demo_data._employees(rng, member, member_id)
        data["invoices"] += demo_data._invoices(member, member_id, EMPLOYEES_PER_COMPANY)[1:]  # this year's
        companies.append((number, member_id, member["email"]))
    accounts: dict[str, list[dict[str, Any]]] = {"employers": [], "firms": [], "staff": []}
    for number, member_id, email in companies[:employers]:
        data["users"].append(
            dict(
                id=demo_data.demo_id("user", "matin", number),
                email=email,
                display_name=f"Responsable {number}",
                password=demo_data.DEMO_PASSWORD,
                login_member_number=number,
                links=[dict(member_id=member_id, roles=["admin"], kind="member")],
            )
        )
        accounts["employers"].append({"login": number})
    for rank in range(firms):
        clients = companies[employers + rank * CLIENTS_PER_FIRM : employers + (rank + 1) * CLIENTS_PER_FIRM]
        email = f"cabinet-{rank + 1}@matin.example"
        data["users"].append(
            dict(
                id=demo_data.demo_id("user", "matin", "firm", rank),
                email=email,
                display_name=f"Cabinet du matin {rank + 1}",
                password=demo_data.DEMO_PASSWORD,
                links=[dict(member_id=c[1], roles=["declaration", "billing"], kind="delegate") for c in clients],
            )
        )
        accounts["firms"].append({"login": email, "clients": [c[1] for c in clients]})
    for rank in range(staff):
        email = f"secretariat-{rank + 1}@matin.example"
        data["users"].append(
            dict(
                id=demo_data.demo_id("user", "matin", "staff", rank),
                email=email,
                display_name=f"Secrétariat {rank + 1}",
                password=demo_data.DEMO_PASSWORD,
                staff_roles=["secretariat", "billing"],
                links=[],
            )
        )
        accounts["staff"].append({"login": email})
    return data, accounts


def seed(env: dict[str, str], data: dict[str, list], year: int) -> None:
    """Load the companies through each service's demo loader (its use cases), then open this year's campaign."""
    from workforce.declarations import use_cases as declarations
    from workforce.declarations.rules import CampaignCommand

    for name in ("members", "identity", "workforce", "scheduling", "billing"):
        service = next(s for s in SERVICES if s.name == name)
        app = service.create_app()(environ=service_environment(env, name))
        with app.app_context():
            portal = app.extensions["portal"]
            service.demo_loader()(portal, data)
            if name == "workforce" and not _campaign_open(env, year):
                window = CampaignCommand(
                    year=year, opens_on=date(year, 1, 1), closes_on=date(year, 12, 31), deadline=date(year, 12, 31)
                )
                declarations.open_campaign(portal, window, actor="bench")
        app.extensions["portal"].db.dispose()


def _campaign_open(env: dict[str, str], year: int) -> bool:
    url = env["WORKFORCE_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT 1 FROM declaration_campaign WHERE year = %s", (year,)).fetchone() is not None


# --- billing's rush beside it ----------------------------------------------------------------------------------


class Rush:
    """billing_rush's pipeline (2 workers and a relay) fed at a steady offered rate, in databases and a vhost of its
    own: a `bench/billing_rush.py` running meanwhile recreates its own and must not take these away."""

    def __init__(self, rate: int, capacity: int, stack: contextlib.ExitStack):
        billing_rush.DATABASES = {
            "billing": "portal_bench_morning_rush_billing",
            "workforce": "portal_bench_morning_rush_workforce",
        }
        billing_rush.VHOST = "portal-bench-morning-rush"
        self.rate = rate
        self.urls = billing_rush.recreate_databases()
        billing_rush.upgrade(billing_rush.ROOT / "services" / "billing", self.urls["billing"])
        billing_rush.create_producer_outbox(self.urls["workforce"])
        self.members = billing_rush.seed_billing(self.urls["billing"], capacity)
        env = billing_rush.environment(self.urls, billing_rush.recreate_vhost())
        log = DATA_DIR / "january_morning_rush.log"
        log.write_text("")
        self.processes = [billing_rush.start([PYTHON, "-m", "billing.worker"], env, log) for _ in range(2)]
        self.processes.append(
            billing_rush.start([PYTHON, "-m", "portal_common.messaging.relay", "--service", "workforce"], env, log)
        )
        stack.callback(billing_rush.stop, self.processes)
        stack.callback(
            subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", billing_rush.VHOST], capture_output=True, timeout=60
        )
        self.offered = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def issued(self) -> int:
        with psycopg.connect(self.urls["billing"].replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
            return billing_rush.numbers_given(conn)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _feed(self) -> None:
        """A tenth of the rate every 100 ms (a ticket missed is dropped: the load never bursts to catch up)."""
        tick = 0.1
        per_tick = max(1, int(self.rate * tick))
        next_at = time.monotonic()
        engine = create_engine(self.urls["workforce"])
        while not self._stop.is_set() and self.offered + per_tick <= len(self.members):
            batch = self.members[self.offered : self.offered + per_tick]
            billing_rush.confirm_declarations(self.urls["workforce"], batch, 2026, engine=engine)
            self.offered += len(batch)
            next_at += tick
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()
        engine.dispose()


# --- one step of users -----------------------------------------------------------------------------------------


def run_step(url: str, accounts_file: Path, users: int, seconds: float, year: int, rush: Rush | None) -> dict:
    issued_before, started = (rush.issued() if rush else 0), time.monotonic()
    offered_before = rush.offered if rush else 0
    if rush:
        rush.start()
    try:
        answer = subprocess.run(
            [
                PYTHON,
                str(USERS_SCRIPT),
                "--host",
                url,
                "--accounts",
                str(accounts_file),
                "--users",
                str(users),
                "--seconds",
                str(seconds),
                "--year",
                str(year),
            ],
            capture_output=True,
            text=True,
            timeout=users + seconds + 300,
        )
    finally:
        if rush:
            rush.stop()
    elapsed = time.monotonic() - started
    if answer.returncode != 0:
        raise RuntimeError(f"the load step of {users} users failed:\n{answer.stderr[-3000:]}")
    result = json.loads(answer.stdout)
    if rush:
        result["rush_offered_per_s"] = (rush.offered - offered_before) / elapsed
        result["rush_issued_per_s"] = (rush.issued() - issued_before) / elapsed
    return result


def step_passes(result: dict) -> bool:
    pages = result["pages"].values()
    return bool(pages) and all(p["p95"] <= P95_LIMIT_MS and p["errors"] == 0 and p["overload"] == 0 for p in pages)


def report(result: dict) -> str:
    lines = [f"{result['users']} simulated users, load average now {os.getloadavg()[0]:.1f}"]
    lines.append(f"  {'page':<44} {'count':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>6} {'503/429':>7}")
    for name, page in result["pages"].items():
        flag = "" if page["p95"] <= P95_LIMIT_MS and not page["errors"] else "  ←"
        lines.append(
            f"  {name[:44]:<44} {page['requests']:>6} {page['p50']:>6.0f} {page['p95']:>6.0f} {page['p99']:>6.0f}"
            f" {page['errors']:>6} {page['overload']:>7}{flag}"
        )
    if "rush_issued_per_s" in result:
        lines.append(
            f"  billing rush: {result['rush_offered_per_s']:.0f} declarations/s offered, "
            f"{result['rush_issued_per_s']:.0f}/s invoiced"
        )
    for sample in result.get("error_samples", []):
        lines.append(f"  error seen: {sample}")
    lines.append(f"  every page p95 ≤ {P95_LIMIT_MS} ms with no error: {'yes' if step_passes(result) else 'NO'}")
    return "\n".join(lines)


def morning(steps: list[int], seconds: float, rush_rate: int, *, keep_going: bool = False) -> list[dict]:
    """Start everything, run each step, stop everything; the results of the steps run."""
    year = date.today().year
    check_ports_free([GATEWAY_PORT, *(PORT_BASE + s.offset for s in SERVICES)])
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATA_DIR.chmod(0o755)
    results: list[dict] = []
    with contextlib.ExitStack() as stack:
        print("Starting the portal (PostgreSQL, vhost portal-bench)…", flush=True)
        # Every simulated person signs in from 127.0.0.1: the per-address ceiling on sign-in posts (sized for one
        # office, docs/security.md AUTH-21) would measure nginx's 429, not the portal.
        env = start_portal(stack, {"PORTAL_LOGIN_RATE": "6000r/m", "PORTAL_LOGIN_BURST": "2000"})
        data, accounts = dataset(max(steps))
        print(f"Seeding {len(data['members'])} companies, {len(data['users'])} accounts…", flush=True)
        seed(env, data, year)
        deadline = time.monotonic() + 300
        while not events_settled(env) and time.monotonic() < deadline:
            time.sleep(1)
        accounts_file = DATA_DIR / "january_morning_accounts.json"
        accounts_file.write_text(json.dumps(accounts))
        rush = None
        if rush_rate:
            capacity = int(rush_rate * sum(s / 20 + seconds + 15 for s in steps))  # the feed runs during steps
            print(f"Starting billing's rush pipeline ({capacity} customers)…", flush=True)
            rush = Rush(rush_rate, capacity, stack)
            time.sleep(3)  # workers declare their queues
        for users in steps:
            print(f"Step: {users} users for {seconds:.0f} s after they have all started…", flush=True)
            result = run_step(env["PORTAL_PUBLIC_URL"], accounts_file, users, seconds, year, rush)
            results.append(result)
            print(report(result), flush=True)
            if not step_passes(result) and not keep_going:
                break
        print("Stopping everything the bench started…", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="25,50,100,200,300", help="user counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=40, help="run time of each step after the ramp-up")
    parser.add_argument("--rush-rate", type=int, default=RUSH_RATE, help="declarations/s offered to billing (0: none)")
    parser.add_argument("--keep-going", action="store_true", help="run every step even after one fails")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = os.getloadavg()[0]
    steps = sorted(int(s) for s in args.steps.split(","))
    print(f"January morning: steps {steps}, {os.cpu_count()} cores, 1-minute load average before: {load:.1f}")
    results = morning(steps, args.seconds, args.rush_rate, keep_going=args.keep_going)
    passed = [r["users"] for r in results if step_passes(r)]
    print(f"\n1-minute load average before the run: {load:.1f}")
    print(
        f"Largest number of simulated users with every page's p95 ≤ {P95_LIMIT_MS} ms and no error: "
        f"{max(passed) if passed else 'none of the steps'}"
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: everything the bench started has been stopped")
    except RuntimeError as exc:
        sys.exit(f"bench failed: {exc} (everything it started has been stopped)")
