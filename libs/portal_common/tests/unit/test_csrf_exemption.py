"""A route another server posts to (signed by that server) skips the CSRF token; every other form keeps it."""

from flask import Flask

from portal_common.access import PUBLIC, init_access
from portal_common.web.csrf import init_csrf, signed_elsewhere

KEY = "k" * 40


def app_with_two_public_posts() -> Flask:
    app = Flask(__name__)
    init_access(app, KEY)
    init_csrf(app, KEY, "http://portal.test")
    app.add_url_rule("/notification", "notification", signed_elsewhere(PUBLIC(lambda: "noted")), methods=["POST"])
    app.add_url_rule("/form", "form", PUBLIC(lambda: "saved"), methods=["POST"])
    return app


def test_a_route_marked_signed_elsewhere_accepts_a_post_without_csrf_token_and_others_still_refuse_it():
    client = app_with_two_public_posts().test_client()
    assert client.post("/notification", data={"reference": "x"}).status_code == 200
    assert client.post("/form", data={"name": "x"}).status_code == 403


def test_the_exemption_does_not_lift_the_cross_site_check():
    client = app_with_two_public_posts().test_client()
    assert client.post("/notification", headers={"Origin": "https://evil.example"}).status_code == 403
