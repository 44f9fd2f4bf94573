"""From a hire to its visit obligation seen by the employer (not a test): `.venv/bin/python bench/scheduling_obligations.py`.

Starts the portal as bench/run.py does (databases portal_bench_*, vhost portal-bench, gateway on 18180), logs in
as the employer 1000001, then, for each sample, declares a hire through workforce's API and polls scheduling's
API through the gateway (`GET /api/scheduling/obligations?employee_id=…`) until the initial visit is there:
workforce's outbox → relay → RabbitMQ → scheduling's worker → obligations table → API. The polls come every 5 ms,
then every tenth of the time already waited: each delay is known within 10 % (or 5 ms), and a slow sample does not
flood the gateway with polls that would slow the pipeline it measures.
Measured twice: idle, then while other hires are made at a steady 100 per second (the rate actually reached is
printed). Prints p50 and p95 of each, and the loaded/idle ratios of the same run. Everything it started is stopped
at the end. It measures, it never asserts on time: compare the ratios, not absolute figures across machines.

Options: --samples N (30), --rate R hires/s under load (100), --threads T of the load generator (32).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import queue
import random
import signal
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

from portal_common.validators import nir_key

MEMBER = run.MEMBER
POLL_S = 0.005
SAMPLE_TIMEOUT_S = 60


# Colmar, Guebwiller, Illzach, Mulhouse, Ribeauvillé, Riedisheim, Saint-Louis, Wittenheim.
HAUT_RHIN = ("68066", "68112", "68154", "68224", "68269", "68271", "68297", "68376")


def random_hire(rng: random.Random, label: str) -> dict:
    """A valid, unique-enough hire: SI, no exposure; the NIR matches the sex and the birth month."""
    sex = rng.choice("FM")
    year, month = rng.randint(1965, 2004), rng.randint(1, 12)
    # Born in a commune of Haut-Rhin that the INSEE list the hire form checks holds, the birth's order number random.
    commune = rng.choice(HAUT_RHIN)
    first13 = f"{1 if sex == 'M' else 2}{year % 100:02d}{month:02d}{commune}{rng.randint(1, 999):03d}"
    return {
        "last_name": f"BANC {label}",
        "first_names": "Camille",
        "sex": sex,
        "birth_date": date(year, month, rng.randint(1, 28)).isoformat(),
        "nir": f"{first13}{nir_key(first13):02d}",
        "hire_date": date.today().isoformat(),
        "post": "Vendeur",
        "contract": "CDI",
        "birth_commune": first13[5:10],
    }  # the commune the NIR gives


def hire(session: requests.Session, url: str, body: dict) -> requests.Response:
    return session.post(f"{url}/api/workforce/employees", json=body, headers={"Origin": url}, timeout=30)


def sample(session: requests.Session, url: str, rng: random.Random, label: str) -> float:
    """Milliseconds from the hire's HTTP 201 to the first obligations answer that lists the employee's VIP."""
    answer = hire(session, url, random_hire(rng, label))
    created = time.perf_counter()
    if answer.status_code != 201:
        raise RuntimeError(f"hire answered HTTP {answer.status_code}: {answer.text[:300]}")
    employee_id = answer.json()["id"]
    while True:
        seen = session.get(f"{url}/api/scheduling/obligations", params={"employee_id": employee_id}, timeout=30)
        if seen.status_code != 200:
            raise RuntimeError(f"obligations answered HTTP {seen.status_code}: {seen.text[:300]}")
        if any(o["rule"] == "vip_initiale" for o in seen.json()):
            return (time.perf_counter() - created) * 1000
        if time.perf_counter() - created > SAMPLE_TIMEOUT_S:
            return math.inf  # the pipeline does not keep up: reported, not an error of the bench
        time.sleep(max(POLL_S, (time.perf_counter() - created) / 10))


def measure(session: requests.Session, url: str, count: int, label: str) -> list[float]:
    """The delays; stops at the first hire not visible within SAMPLE_TIMEOUT_S (the backlog only grows)."""
    rng = random.Random()
    delays: list[float] = []
    for index in range(count):
        delays.append(sample(session, url, rng, f"{label} {index + 1}"))
        if math.isinf(delays[-1]):
            break
    return delays


@dataclass
class Load:
    """Hires at a steady rate from a pool of threads (each with the employer's cookie), until stopped."""

    url: str
    cookie: str
    rate: float
    threads: int
    done: int = 0
    failed: int = 0
    started_at: float = 0.0
    stopped_at: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _tickets: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=1000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self._workers = [threading.Thread(target=self._pace, daemon=True)]
        self._workers += [threading.Thread(target=self._hire, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=40)
        self.stopped_at = time.perf_counter()

    @property
    def reached_rate(self) -> float:
        return self.done / max(self.stopped_at - self.started_at, 1e-9)

    def _pace(self) -> None:
        """One ticket every 1/rate s; tickets not taken in time are dropped, so the rate never bursts to catch up."""
        interval, next_at = 1 / self.rate, time.perf_counter()
        while not self._stop.is_set():
            with contextlib.suppress(queue.Full):
                self._tickets.put_nowait(next_at)
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))

    def _hire(self, number: int) -> None:
        session = requests.Session()
        session.headers["Cookie"] = self.cookie
        rng = random.Random()
        while not self._stop.is_set():
            try:
                self._tickets.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                ok = hire(session, self.url, random_hire(rng, f"charge {number}")).status_code == 201
            except requests.RequestException:
                ok = False
            with self._lock:
                if ok:
                    self.done += 1
                else:
                    self.failed += 1


def percentiles(delays: list[float]) -> tuple[float, float]:
    return statistics.median(delays), statistics.quantiles(delays, n=20, method="inclusive")[18]


def summary(idle: list[float], loaded: list[float], load: Load) -> str:
    idle_p50, idle_p95 = percentiles(idle)
    if any(math.isinf(d) for d in loaded):
        return "\n".join(
            [
                "Hire (workforce API) → initial visit due, visible to the employer (scheduling API)",
                f"  idle              p50 {idle_p50:6.0f} ms   p95 {idle_p95:6.0f} ms   ({len(idle)} samples)",
                f"  under load        did not keep up: hire {len(loaded)} was still not visible after "
                f"{SAMPLE_TIMEOUT_S} s (the backlog grows at this rate)",
                f"  load: {load.rate:.0f} hires/s asked, {load.reached_rate:.0f} hires/s reached "
                f"({load.done} hires, {load.failed} failed, {load.threads} threads); try a lower --rate",
            ]
        )
    load_p50, load_p95 = percentiles(loaded)
    return "\n".join(
        [
            f"Hire (workforce API) → initial visit due, visible to the employer (scheduling API), {len(idle)} samples each",
            f"  idle              p50 {idle_p50:6.0f} ms   p95 {idle_p95:6.0f} ms   (baseline = 1.00)",
            f"  under load        p50 {load_p50:6.0f} ms   p95 {load_p95:6.0f} ms",
            f"  ratio load/idle   p50 {load_p50 / idle_p50:6.2f} ×    p95 {load_p95 / idle_p95:6.2f} ×",
            f"  load: {load.rate:.0f} hires/s asked, {load.reached_rate:.0f} hires/s reached "
            f"({load.done} hires, {load.failed} failed, {load.threads} threads)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    run.check_ports_free([run.GATEWAY_PORT, *(run.PORT_BASE + s.offset for s in run.SERVICES)])
    run.DATA_DIR.mkdir(parents=True, exist_ok=True)
    run.DATA_DIR.chmod(0o755)  # nginx workers (user nobody) must traverse it
    stack = contextlib.ExitStack()
    load = None
    try:
        print("Starting the portal (PostgreSQL, vhost portal-bench)…", flush=True)
        env = run.start_portal(stack)
        url = env["PORTAL_PUBLIC_URL"]
        employer = run.login(url, MEMBER)
        measure(employer, url, 3, "chauffe")  # warm-up: pools, connections, caches
        print(f"Idle: {args.samples} hires one by one…", flush=True)
        idle = measure(employer, url, args.samples, "repos")
        cookie = f"portal_session={employer.cookies['portal_session']}"
        load = Load(url=url, cookie=cookie, rate=args.rate, threads=args.threads)
        print(f"Under load: {args.rate:.0f} hires/s in the background, {args.samples} measured hires…", flush=True)
        load.start()
        time.sleep(3)  # let the load settle before measuring
        loaded = measure(employer, url, args.samples, "mesure")
    finally:
        if load is not None:
            load.stop()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("Stopping everything the bench started…", flush=True)
        stack.close()
    print(f"\n{os.cpu_count()} cores, 1-min load average before the run: {load_before:.1f}")
    print(summary(idle, loaded, load))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
