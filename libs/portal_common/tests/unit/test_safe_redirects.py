"""The safe-redirect rule, with the testers' findings and generated URLs a browser would follow elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal_common.redirects import safe_path

ORIGIN = "https://portail.example"


def browser_target(location: str) -> tuple[str, str]:
    """(host, path) a WHATWG browser requests for a Location relative to ORIGIN: tabs and newlines dropped,
    leading C0 controls and spaces trimmed, backslashes read as slashes."""
    cleaned = "".join(c for c in location if c not in "\t\n\r").strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
        "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
        "\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )
    cleaned = cleaned.replace("\\", "/")
    if cleaned.startswith("//"):
        return urlsplit("https:" + cleaned).netloc, urlsplit("https:" + cleaned).path
    if urlsplit(cleaned).scheme:
        return urlsplit(cleaned).netloc, urlsplit(cleaned).path
    return "portail.example", cleaned


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/phish",
        "/compte\r\nX",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "/%2F/evil.example",
        "/%5cevil.example",
        "/%09/evil.example",
        "/%2509/evil.example",
        " /compte",
        "/compte\u202e",
        "/a\ud800b",
        "javascript:alert(1)",
        "/connexion?next=//evil",
        "/internal/x",
        "",
        None,
        "compte",
        "/" + "a" * 3000,
    ],
)
def test_targets_the_testers_tried_fall_back_to_the_home_page(target):
    assert safe_path(target) == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/compte",
        "/salaries?page=2&tri=nom",
        "/factures/F2026-000003",
        "/adherent/adresses#contacts",
        "/rendez-vous?du=2026-12-07",
    ],
)
def test_local_paths_are_kept(target):
    assert safe_path(target) == target


def test_a_nir_in_the_query_never_travels_on():
    assert safe_path("/salaries?q=1850578006048") == "/salaries"


PIECES = st.sampled_from(
    list("/\\:%.?#=&@ \t\r\nabcEVIL09-_")
    + ["%2f", "%5C", "%09", "%25", "\u202e", "\x00", "\u3000", "//", "evil.example", "https:"]
)
URLISH = st.lists(PIECES, max_size=12).map("".join)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(URLISH, st.text(max_size=40), st.builds(lambda a, b: a + b, URLISH, st.text(max_size=10))))
def test_whatever_is_asked_the_browser_stays_on_the_portal(target):
    result = safe_path(target)
    host, path = browser_target(result)
    assert host == "portail.example"
    assert path.startswith("/") and not path.startswith("//")
    assert result == "/" or result == target or result == target.partition("?")[0]
    assert all(c.isprintable() and not c.isspace() for c in result)
