"""The January rush under faults on purpose: nothing lost, nothing invoiced twice, numbers gapless.

    .venv/bin/python bench/billing_chaos.py                  # 100 000 declarations (long)
    .venv/bin/python bench/billing_chaos.py --count 5000     # a quick look

The production path of `bench/billing_rush.py` (producer outbox → relay → RabbitMQ → billing workers → invoices on
PostgreSQL), run by the portal's own supervisor (`portal_stack.supervisor`, which restarts a process that dies, as
Kubernetes does) with two billing workers, while:

- every `--every` seconds a random billing worker is killed with SIGKILL, and every other time the relay too;
- once, at a third of the run, RabbitMQ is restarted (`rabbitmqctl stop_app` then `start_app`: every connection
  drops, queues and messages survive as quorum queues do);
- once, at two thirds, every connection to billing's database is terminated (`pg_terminate_backend`).

Then it prints the declarations, invoices, duplicates, lost declarations, numbering gaps and the time to drain after
the last fault, beside the same run without faults (the baseline of this run). Target: 0 lost, 0 duplicated,
gapless. Restarting RabbitMQ disturbs anything else using the local broker: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy" / "local"))

from billing_rush import (
    PYTHON,
    ROOT,
    create_producer_outbox,
    environment,
    numbers_given,
    recreate_databases,
    recreate_vhost,
    seed_billing,
    upgrade,
)
from billing_rush import confirm_declarations as confirm

from portal_stack import supervisor as supervisor_module
from portal_stack.supervisor import Program, Supervisor

YEAR = 2026
TIMEOUT_S = 1800
MIN_UPTIME = 8.0
# Restarts as quick as Kubernetes' first ones: the point is faults while the rush flows, not a crash loop.
supervisor_module.BACKOFF_CAP = 2.0


class Faults:
    """Kills and restarts on a schedule, in a thread, while the declarations flow."""

    def __init__(self, supervisor: Supervisor, billing_url: str, count: int, every: float, log, broker: bool = True):
        self.supervisor, self.billing_url, self.count, self.every, self.log = (
            supervisor,
            billing_url,
            count,
            every,
            log,
        )
        self.broker = broker
        self.stop = threading.Event()
        self.kills = {"billing-worker": 0, "relay": 0}
        self.broker_restarted = self.connections_dropped = False
        self.last_fault = 0.0

    def _kill(self, prefix: str) -> None:
        # Only a process that has been up a while: one killed again while it starts would never do any work.
        now = time.monotonic()
        alive = [
            r
            for r in self.supervisor.running
            if r.name.startswith(prefix) and r.process and r.process.poll() is None and now - r.started_at >= MIN_UPTIME
        ]
        if alive:
            os.kill(random.choice(alive).process.pid, signal.SIGKILL)
            self.kills["relay" if "relay" in prefix else "billing-worker"] += 1
            self.last_fault = time.monotonic()

    def _progress(self) -> int:
        with psycopg.connect(self.billing_url, autocommit=True) as conn:
            return numbers_given(conn)

    def run(self) -> None:
        round_ = 0
        while not self.stop.wait(self.every):
            done = self._progress()
            if done >= self.count:
                return
            round_ += 1
            self._kill("billing-worker")
            if round_ % 2 == 0:
                self._kill("workforce-relay")
            if self.broker and not self.broker_restarted and done >= self.count / 3:
                self.log.write("chaos: restarting RabbitMQ\n")
                subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True, timeout=120)
                subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True, timeout=120)
                self.broker_restarted, self.last_fault = True, time.monotonic()
            elif (
                (self.broker_restarted or not self.broker)
                and not self.connections_dropped
                and done >= 2 * self.count / 3
            ):
                self.log.write("chaos: terminating every connection to billing's database\n")
                database = self.billing_url.rsplit("/", 1)[1]
                with psycopg.connect(self.billing_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND pid <> pg_backend_pid()",
                        (database,),
                    )
                self.connections_dropped, self.last_fault = True, time.monotonic()


def audit(billing_url: str, count: int) -> dict[str, int]:
    with psycopg.connect(billing_url) as conn:
        invoices, declarations = conn.execute(
            "SELECT count(*), count(DISTINCT declaration_id) FROM invoice WHERE period = %s AND kind = 'cotisation'",
            (str(YEAR),),
        ).fetchone()
        numbers = [row[0] for row in conn.execute("SELECT number FROM invoice ORDER BY number")]
    ranks = sorted(int(number.split("-")[1]) for number in numbers)
    return {
        "declarations": count,
        "invoices": invoices,
        "duplicated": invoices - declarations,
        "lost": count - declarations,
        "gaps": (ranks[-1] - len(ranks)) if ranks else 0,
        "repeated numbers": len(numbers) - len(set(numbers)),
    }


def run(
    count: int, every: float, chaos: bool, log_path: Path, broker: bool = True
) -> tuple[dict[str, int], float, float, dict]:
    urls = recreate_databases()
    upgrade(ROOT / "services" / "billing", urls["billing"])
    create_producer_outbox(urls["workforce"])
    members = seed_billing(urls["billing"], count)
    env = environment(urls, recreate_vhost())
    billing_url = urls["billing"].replace("postgresql+psycopg://", "postgresql://", 1)
    programs = [
        Program("billing-worker", [PYTHON, "-m", "billing.worker"], instances=2),
        Program("workforce-relay", [PYTHON, "-m", "portal_common.messaging.relay", "--service", "workforce"]),
    ]
    with log_path.open("a") as log:
        supervisor = Supervisor(programs, env, out=log)
        thread = threading.Thread(target=supervisor.run, daemon=True)
        thread.start()
        faults = Faults(supervisor, billing_url, count, every, log, broker)
        try:
            time.sleep(3.0)  # workers declare their queues and connect
            first = confirm(urls["workforce"], members, YEAR)
            chaos_thread = threading.Thread(target=faults.run, daemon=True)
            if chaos:
                chaos_thread.start()
            deadline = time.monotonic() + TIMEOUT_S
            done = 0
            while done < count and time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    done = faults._progress()
                except psycopg.OperationalError:
                    continue  # the connections were just terminated on purpose
            last = time.monotonic()
            faults.stop.set()
            time.sleep(2.0)  # redeliveries still in flight would show as duplicates now
        finally:
            supervisor.stopping.set()
            thread.join(timeout=30)
    drain = last - faults.last_fault if faults.last_fault else 0.0
    figures = {"kills": dict(faults.kills), "broker restarted": faults.broker_restarted}
    figures["database connections dropped"] = faults.connections_dropped
    return audit(billing_url, count), count / (last - first), drain, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument(
        "--no-broker-restart", action="store_true", help="leave RabbitMQ alone (a machine where others use it)"
    )
    args = parser.parse_args()
    log = ROOT / "var" / "bench" / "billing_chaos.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    print(f"January rush under faults: {args.count} declarations, load before: {os.getloadavg()[0]:.2f}")
    ok = True
    for chaos in (False, True):
        result, rate, drain, figures = run(args.count, args.every, chaos, log, not args.no_broker_restart)
        title = "with faults" if chaos else "baseline, no fault"
        print(f"  {title}: {rate:,.0f} declarations/s")
        print("    " + ", ".join(f"{name} {value}" for name, value in result.items()))
        if chaos:
            print(f"    faults: {figures}; drained {drain:.1f} s after the last fault")
        ok = ok and result["lost"] == result["duplicated"] == result["gaps"] == result["repeated numbers"] == 0
    print("0 lost, 0 duplicated, gapless." if ok else "SOME CHECKS FAILED.")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
