from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import FLAT_NAMES, ConfigError, Mode, Settings, load_settings


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


def test_every_variable_keeps_its_flat_name_and_is_documented() -> None:
    documented = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    assert "X_BEARER_TOKEN" in FLAT_NAMES and "PULSE_QUEUE_BACKEND" in FLAT_NAMES
    assert [name for name in FLAT_NAMES if name not in documented] == []


def test_the_environment_fills_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_PORT", "4000")
    monkeypatch.setenv("X_TIMEOUT_S", "3.5")
    monkeypatch.setenv("PULSE_X_PRICES", '{"post_create": "0.25"}')
    monkeypatch.setenv("PULSE_QUEUE_BACKEND", "azure")
    monkeypatch.setenv("AZURE_STORAGE_QUEUE_URL", "http://127.0.0.1:10001/devstoreaccount1")
    settings = load_settings(_env_file=None, PULSE_ADMINS="aad-1, aad-2")
    assert settings.server.port == 4000
    assert settings.x.timeout_s == 3.5
    assert settings.costs.x_prices == {"post_create": Decimal("0.25")}
    assert settings.roles.admins == ["aad-1", "aad-2"]
    assert settings.queue.answers_via_queue and settings.queue_problems() == []


def test_keywords_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_PORT", "4000")
    monkeypatch.setenv("PULSE_LOG_LEVEL", "debug")
    settings = Settings(_env_file=None, PULSE_PORT="5000")  # type: ignore[call-arg]
    assert settings.server.port == 5000
    assert settings.server.log_level == "DEBUG"  # the rest of the group from the environment


def test_a_dotenv_file_is_read_with_the_same_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    env = tmp_path / ".env"
    env.write_text("OPENAI_MODEL=gpt-test\nSTORAGE_TIMEOUT_S=2\n", encoding="utf-8")
    monkeypatch.setenv("STORAGE_TIMEOUT_S", "3")  # the environment wins over the file
    settings = load_settings(_env_file=env)
    assert settings.llm.openai_model == "gpt-test"
    assert settings.storage.timeout_s == 3


def test_bad_values_in_several_groups_are_all_reported() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            _env_file=None, PULSE_PORT="-1", X_TIMEOUT_S="0", PULSE_QUEUE_NAME="q", PULSE_MODE="x"
        )
    variables = [p.split(":")[0] for p in info.value.problems]
    assert variables == ["PULSE_MODE", "PULSE_PORT", "PULSE_QUEUE_NAME", "X_TIMEOUT_S"]


def test_the_azure_queue_needs_a_connection() -> None:
    settings = load_settings(_env_file=None, PULSE_QUEUE_BACKEND="azure")
    assert settings.queue_problems() and "AZURE_STORAGE_QUEUE_URL" in settings.queue_problems()[0]
    assert (
        "fake-key"
        in load_settings(
            _env_file=None,
            AZURE_STORAGE_QUEUE_CONNECTION_STRING="AccountName=a;AccountKey=fake-key",
        ).secrets()
    )
