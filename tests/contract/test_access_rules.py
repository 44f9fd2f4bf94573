"""Deny by default: every route of every service declares who may call it."""

from __future__ import annotations

import importlib

import pytest

from portal_common.access import rule_for

SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_route_of_the_service_has_an_access_rule(name, services):
    app = services[name].app
    missing = []
    for url_rule in app.url_map.iter_rules():
        for method in sorted(url_rule.methods or ()):
            if rule_for(app, url_rule.endpoint, method) is None:
                missing.append(f"{method} {url_rule.rule}")
    assert missing == []


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_a_request_without_identity_only_reaches_public_and_internal_routes(name, services):
    app = services[name].app
    client = app.test_client()
    reached = []
    for url_rule in app.url_map.iter_rules():
        if "GET" not in (url_rule.methods or ()) or url_rule.arguments:
            continue
        rule = rule_for(app, url_rule.endpoint, "GET")
        status = client.get(url_rule.rule).status_code
        if rule.needs_identity and status not in (302, 401):
            reached.append(f"{url_rule.rule} answered {status}")
    assert reached == []


def test_a_route_without_a_rule_is_refused(services):
    from flask import Flask

    from portal_common.access import init_access

    app = Flask(__name__)
    init_access(app, "k" * 40)
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 403


def test_every_service_module_declares_its_rules_with_the_shared_helpers():
    for name in SERVICE_NAMES:
        module = importlib.import_module(f"{name}.app")
        assert hasattr(module, "create_app")
