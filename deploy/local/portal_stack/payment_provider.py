"""A local card payment provider speaking the same HTTP protocol as the real one (see billing/payment_provider.py).

`make run` starts it on 127.0.0.1:8190; the billing tests start it as a real HTTP server. Its page shows the
payment asked for and two buttons, « Payer » and « Refuser »; either way it posts a signed notification to
the portal's notification URL, server to server, then sends the browser back to the portal's return URL.
No card number is ever asked: it is a test double of the provider, not of a bank.

It signs with its own few lines of HMAC (not billing's code), so the tests check both sides of the protocol.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import os
import secrets
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

REQUEST_FIELDS = ("merchant_id", "reference", "amount", "currency", "return_url", "notify_url")
KEY_VARIABLE = "BILLING_CARD_SIGNING_KEY"


def signature(fields: dict[str, str], key: str) -> str:
    text = "\n".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "signature")
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def euros(cents: str) -> str:
    value = Decimal(int(cents)) / 100
    whole, _, decimals = f"{value:,.2f}".partition(".")
    return whole.replace(",", "\u202f") + "," + decimals + "\u00a0€"


PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


class PaymentProvider:
    """The WSGI app. `notifications` keeps what it posted (status code included), for tests and logs."""

    def __init__(self, key: str, *, timeout: float = 10.0):
        if not key:
            raise ValueError("the provider needs the signing key it shares with the portal")
        self.key = key
        self.timeout = timeout
        self.notifications: list[dict[str, Any]] = []
        # What the next payment pays, when a test wants more or less than asked (e.g. an overpayment).
        self.amount_override: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == "/payer" and request.method == "GET":
            response = self.payment_page(request)
        elif request.path == "/payer/decision" and request.method == "POST":
            response = self.decide(request)
        else:
            response = self.page("Page introuvable", "<p>Cette page n'existe pas.</p>", 404)
        return response(environ, start_response)

    def page(self, title: str, body: str, status: int = 200) -> Response:
        return Response(PAGE.format(title=html.escape(title), body=body), status, mimetype="text/html")

    def signed_request(self, values: Any) -> dict[str, str] | None:
        fields = {name: values.get(name, "") for name in REQUEST_FIELDS}
        if not all(fields.values()) or not fields["amount"].isdigit():
            return None
        sent = values.get("signature", "")
        return fields if hmac.compare_digest(sent.encode(), signature(fields, self.key).encode()) else None

    def payment_page(self, request: Request) -> Response:
        fields = self.signed_request(request.args)
        if fields is None:
            return self.page("Demande de paiement invalide", "<p>La signature de la demande est invalide.</p>", 400)
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in {**fields, "signature": request.args["signature"]}.items()
        )
        body = (
            f"<p>Paiement de <strong>{euros(fields['amount'])}</strong> à {html.escape(fields['merchant_id'])}, "
            f"référence {html.escape(fields['reference'])}.</p>"
            f'<form method="post" action="/payer/decision">{hidden}'
            '<button type="submit" name="decision" value="paid">Payer</button> '
            '<button type="submit" name="decision" value="refused">Refuser</button></form>'
        )
        return self.page("Paiement sécurisé (prestataire de test)", body)

    def decide(self, request: Request) -> Response:
        fields = self.signed_request(request.form)
        decision = request.form.get("decision")
        if fields is None or decision not in ("paid", "refused"):
            return self.page("Demande de paiement invalide", "<p>La signature de la demande est invalide.</p>", 400)
        notice = {
            "merchant_id": fields["merchant_id"],
            "reference": fields["reference"],
            "transaction_id": "T" + secrets.token_hex(12),
            "status": decision,
            "amount": self.amount_override or fields["amount"],
            "currency": fields["currency"],
            "paid_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        notice["signature"] = signature(notice, self.key)
        status = self.notify(fields["notify_url"], notice)
        self.notifications.append({**notice, "http_status": status})
        if status != 200:
            return self.page(
                "Notification refusée", f"<p>Le portail a refusé la notification (HTTP {status}).</p>", 502
            )
        return Response("", 303, headers={"Location": fields["return_url"]})

    def notify(self, url: str, notice: dict[str, str]) -> int:
        """POST the signed notification to the portal; its HTTP status (0 when unreachable)."""
        data = urlencode(notice).encode()
        posted = UrlRequest(
            url, data=data, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urlopen(posted, timeout=self.timeout) as answer:
                return int(answer.status)
        except HTTPError as exc:
            return int(exc.code)
        except (URLError, OSError):
            return 0


class RunningProvider:
    """The provider served in a background thread (tests), stopped with `stop()`."""

    def __init__(self, app: PaymentProvider, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="payment-provider", daemon=True)

    def start(self) -> RunningProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    args = parser.parse_args()
    app = PaymentProvider(os.environ.get(KEY_VARIABLE, ""))
    print(f"Prestataire de paiement de test : http://{args.host}:{args.port}/payer", flush=True)
    make_server(args.host, args.port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
