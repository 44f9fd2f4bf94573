"""The simulated people of the January-morning load test (Locust users), run headless for one step.

`python bench/january_morning_users.py --host URL --accounts FILE --users N --seconds S` runs N users (80 %
employers, 10 % accounting firms, 10 % staff, each on its own account) against the gateway at URL for S seconds
after they have all started, and prints one JSON object: per page the count, p50/p95/p99 (ms), errors and
overload answers (503/429, counted apart from errors). It is a separate process from `bench/january_morning.py`
because Locust patches the standard library for gevent at import.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from itertools import count
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

PASSWORD = "demo-espace-adherent-2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIELD = re.compile(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"')
INVOICE_PDF = re.compile(r'href="(/factures/[0-9a-f-]{36}/pdf)"')
OVERLOAD = (429, 503)

ACCOUNTS: dict[str, list[dict[str, Any]]] = {}
YEAR = 2026
overload: Counter[str] = Counter()
_next = {kind: count() for kind in ("employers", "firms", "staff")}


def _account(kind: str) -> dict[str, Any]:
    """Each simulated person on an account of their own (two people confirming one declaration would conflict)."""
    accounts = ACCOUNTS[kind]
    return accounts[next(_next[kind]) % len(accounts)]


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # reading the page before the next click

    def page(self, method: str, path: str, name: str | None = None, expect: tuple[int, ...] = (200,), **kw: Any):
        """One request; 503/429 are overload (counted apart), anything else than `expect` is an error."""
        kw.setdefault("allow_redirects", False)
        with self.client.request(method, path, name=name or path, catch_response=True, **kw) as response:
            if response.status_code in OVERLOAD:
                overload[name or path] += 1
                response.failure(f"overload {response.status_code}")
            elif response.status_code not in expect:
                response.failure(f"HTTP {response.status_code}")
            elif response.headers.get("Location", "").startswith("/connexion"):
                response.failure("sent back to the login page")
            else:
                response.success()
            return response

    def csrf(self, text: str) -> str:
        found = CSRF.search(text)
        return found[1] if found else ""

    def log_in(self, identifier: str) -> bool:
        form = self.page("GET", "/connexion")
        answer = self.page(
            "POST",
            "/connexion",
            name="/connexion (POST)",
            expect=(303,),
            data={"identifier": identifier, "password": PASSWORD, "csrf_token": self.csrf(form.text), "next": "/"},
            headers={"Origin": self.host},
        )
        return answer.status_code == 303

    def declare(self) -> None:
        """Open this year's declaration; confirm it with the counts the portal proposes while it is still open."""
        path = f"/salaries/declarations/{YEAR}"
        shown = self.page("GET", path, name="/salaries/declarations/[année]")
        if shown.status_code != 200 or 'value="confirm"' not in shown.text:
            return  # already confirmed (read-only page)
        data = dict(FIELD.findall(shown.text))
        for name in list(data):
            if name.startswith(("headcount_", "multi_employer_")) and not data[name].strip():
                data[name] = "0"
        data["action"] = "confirm"
        self.page(
            "POST",
            path,
            name="/salaries/declarations/[année] (confirmer)",
            expect=(302, 303),
            data=data,
            headers={"Origin": self.host},
        )


class Employer(Person):
    weight = 8  # with Firm and Staff: 80 %, 10 % and 10 % of the users

    def on_start(self) -> None:
        self.account = _account("employers")
        self.log_in(self.account["login"])

    @task
    def morning(self) -> None:
        self.page("GET", "/accueil")
        self.wait()
        self.page("GET", "/salaries")
        self.wait()
        self.declare()
        self.wait()
        invoices = self.page("GET", "/factures")
        pdf = INVOICE_PDF.search(invoices.text or "")
        if pdf:
            self.wait()
            self.page("GET", pdf[1], name="/factures/[id]/pdf")


class Firm(Person):
    weight = 1

    def on_start(self) -> None:
        self.account = _account("firms")
        self.log_in(self.account["login"])

    @task
    def clients(self) -> None:
        self.page("GET", "/portefeuille")
        for member_id in self.account["clients"]:
            self.wait()
            switch = self.page("GET", "/changer-adherent")
            self.page(
                "POST",
                "/changer-adherent",
                name="/changer-adherent (POST)",
                expect=(303,),
                data={"member_id": member_id, "csrf_token": self.csrf(switch.text)},
                headers={"Origin": self.host},
            )
            self.wait()
            self.declare()


class Staff(Person):
    weight = 1

    def on_start(self) -> None:
        self.account = _account("staff")
        self.log_in(self.account["login"])

    @task
    def watch(self) -> None:
        for path in ("/gestion/accueil", "/gestion/salaries/campagnes", "/gestion/factures/campagne"):
            self.page("GET", path)
            self.wait()


def run(host: str, accounts: dict[str, list[dict[str, Any]]], users: int, seconds: float, year: int) -> dict:
    """Start `users` people (at most 20 a second), let them run `seconds` more, stop; the figures per page."""
    import gevent

    global YEAR
    ACCOUNTS.update(accounts)
    YEAR = year
    env = Environment(user_classes=[Employer, Firm, Staff], host=host, events=events)
    runner = env.create_local_runner()
    spawn_rate = min(20.0, float(users))
    runner.start(users, spawn_rate=spawn_rate)
    gevent.sleep(users / spawn_rate + seconds)
    runner.quit()
    pages = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        if not entry.num_requests:
            continue
        overloaded = overload[name]
        pages[name] = {
            "requests": entry.num_requests,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "errors": entry.num_failures - overloaded,
            "overload": overloaded,
        }
    samples = sorted({str(error.error) for error in env.stats.errors.values()})[:10]
    return {"users": users, "pages": pages, "error_samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--accounts", required=True, help="JSON file written by bench/january_morning.py")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--year", type=int, required=True)
    args = parser.parse_args()
    with open(args.accounts, encoding="utf-8") as file:
        accounts = json.load(file)
    json.dump(run(args.host, accounts, args.users, args.seconds, args.year), sys.stdout)


if __name__ == "__main__":
    main()
