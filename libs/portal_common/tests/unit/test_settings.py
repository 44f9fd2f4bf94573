"""Settings are read from the environment and a bad one stops start-up with one clear line."""

import subprocess
import sys

import pytest

from portal_common.config import BaseSettings, SettingsError


class ExampleSettings(BaseSettings):
    service = "example"


KEY = "k" * 40


def test_the_database_defaults_to_a_sqlite_file_per_service_in_the_data_directory(tmp_path):
    settings = ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": KEY, "PORTAL_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'example.db'}"
    assert not settings.is_postgres


def test_a_postgresql_url_is_taken_from_the_service_variable():
    settings = ExampleSettings.from_env(
        {"PORTAL_INTERNAL_KEY": KEY, "EXAMPLE_DATABASE_URL": "postgresql+psycopg://u@h/db"}
    )
    assert settings.is_postgres


def test_the_internal_key_has_no_default():
    with pytest.raises(SettingsError, match="PORTAL_INTERNAL_KEY is required"):
        ExampleSettings.from_env({})


def test_an_invalid_value_names_the_variable_and_never_shows_a_secret():
    with pytest.raises(SettingsError) as caught:
        ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": "short-secret"})
    assert "PORTAL_INTERNAL_KEY is invalid" in str(caught.value) and "short-secret" not in str(caught.value)
    with pytest.raises(SettingsError, match="PORTAL_CONSUMER_PREFETCH is invalid 'many'"):
        ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": KEY, "PORTAL_CONSUMER_PREFETCH": "many"})
    with pytest.raises(SettingsError, match="EXAMPLE_DATABASE_URL is invalid"):
        ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": KEY, "EXAMPLE_DATABASE_URL": "mysql://x"})


def test_a_service_started_without_its_key_stops_with_one_line_naming_the_variable():
    code = "from members.app import create_app; create_app()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PORTAL_BROKER_URL": "amqp://x"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "members: configuration error: PORTAL_INTERNAL_KEY is required "
        "(shared secret of flash cookies and keyed digests; derives the keys of unset rings)"
    ]


def test_a_service_started_without_its_passport_keys_stops_with_one_line_naming_the_variable():
    code = "from members.app import create_app; create_app()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PORTAL_INTERNAL_KEY": KEY},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "members: configuration error: PORTAL_PASSPORT_PUBLIC_KEYS is required (passport public keys)"
    ]


@pytest.mark.parametrize(
    "url, secure",
    [("https://portail.spsti.fr", True), ("HTTPS://portail.spsti.fr", True), ("http://127.0.0.1:8080", False)],
)
def test_cookies_are_secure_whenever_the_public_url_is_https_without_a_separate_flag(url, secure):
    settings = ExampleSettings.from_env({"PORTAL_INTERNAL_KEY": KEY, "PORTAL_PUBLIC_URL": url})
    assert settings.secure_cookies is secure
