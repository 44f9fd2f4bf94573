"""The one way a service calls another synchronously: timeouts, bounded retries, ids propagated."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import context
from .passport import HEADER, SERVICE_PREFIX, Principal, Signer

DEFAULT_TIMEOUT = (2.0, 5.0)  # connect, read


class PortalSession(requests.Session):
    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        headers = kwargs.pop("headers", None) or {}
        if context.request_id.get():
            headers.setdefault("X-Request-Id", context.request_id.get())
        headers.setdefault("X-Correlation-Id", context.current_correlation_id())
        return super().request(method, url, headers=headers, **kwargs)


def new_session() -> PortalSession:
    session = PortalSession()
    retry = Retry(
        total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET", "HEAD"})
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=10)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def service_headers(signer: Signer) -> dict[str, str]:
    """Headers identifying the calling service to another service's `/internal/` routes (rule SERVICE), signed
    with the caller's own key (`settings.passport_signer`)."""
    caller = signer.name
    principal = Principal(user_id=f"{SERVICE_PREFIX}{caller}", display_name=caller, session_ref=f"service:{caller}")
    return {HEADER: signer.sign(principal)}
