from __future__ import annotations

import pytest

from bot.config import ConfigError, Mode, load_settings


def test_demo_is_the_default_and_binds_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_MODE", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.mode is Mode.DEMO
    assert settings.bind_host == "127.0.0.1"
    assert "127.0.0.1" in settings.effective_service_url_hosts


def test_production_without_credentials_lists_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, PULSE_MODE="production", PULSE_PORT="not-a-port")
    message = str(info.value)
    assert "PULSE_PORT" in message
    assert "MICROSOFT_APP_ID" in message
    assert "MICROSOFT_APP_TENANT_ID" in message
    assert "MICROSOFT_APP_PASSWORD" in message
    assert len(info.value.problems) >= 4


def test_demo_refuses_a_public_bind_address() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        load_settings(_env_file=None, PULSE_HOST="0.0.0.0")


def test_production_with_credentials_starts_and_allows_its_tenant() -> None:
    settings = load_settings(
        _env_file=None,
        PULSE_MODE="production",
        MICROSOFT_APP_ID="app-id",
        MICROSOFT_APP_PASSWORD="fake-password-for-test",
        MICROSOFT_APP_TENANT_ID="tenant-1",
        X_BEARER_TOKEN="fake-x-bearer",
    )
    assert settings.effective_allowed_tenants == ["tenant-1"]
    assert settings.bind_host == "0.0.0.0"
    assert "fake-password-for-test" in settings.secrets()
    assert "fake-password-for-test" not in repr(settings)


def test_lists_are_read_from_comma_separated_values() -> None:
    settings = load_settings(_env_file=None, PULSE_ALLOWED_CHANNELS="msteams, webchat")
    assert settings.edge.allowed_channels == ["msteams", "webchat"]


def test_blob_storage_needs_a_connection() -> None:
    with pytest.raises(ConfigError, match="AZURE_STORAGE"):
        load_settings(_env_file=None, STORAGE_BACKEND="blob")
