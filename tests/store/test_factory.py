"""create_store, secrets kept out of logs, and the Azurite fixture's skip/fail rule."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.clients.store import BlobStore, LocalDirStore, create_store
from bot.config import Settings
from bot.ports.store import Store
from tests.support import azurite as azurite_support
from tests.support.azurite import ACCOUNT_KEY, Azurite


def test_local_by_default(tmp_path: Path) -> None:
    store = create_store(Settings(PULSE_DATA_DIR=str(tmp_path), STORAGE_TIMEOUT_S=2))
    assert isinstance(store, LocalDirStore)
    assert isinstance(store, Store)
    assert store.root == tmp_path and store.timeout_s == 2


@pytest.mark.azurite
async def test_blob_from_settings_never_logs_the_key(
    azurite_blob: Azurite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(
        STORAGE_BACKEND="blob",
        AZURE_STORAGE_CONNECTION_STRING=azurite_blob.connection_string,
        AZURE_STORAGE_CONTAINER="factory-test",
        STORAGE_TIMEOUT_S=10,
    )
    store = create_store(settings)
    try:
        assert isinstance(store, BlobStore) and isinstance(store, Store)
        assert store.timeout_s == 10
        await store.write("k", {"v": 1})
        assert await store.read("k") is not None
    finally:
        await store.close()
    text = caplog.text + repr(store)
    assert ACCOUNT_KEY not in text and ACCOUNT_KEY[:12] not in text
    assert "factory-test" in repr(store)


async def test_account_url_uses_default_credential() -> None:
    store = BlobStore(container="c", account_url="https://acct.blob.core.windows.net")
    assert "acct.blob.core.windows.net/c" in repr(store)
    await store.close()  # nothing was sent: construction never touches the network


def test_blob_needs_a_way_in() -> None:
    with pytest.raises(ValueError):
        BlobStore(container="c")


def test_missing_azurite_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azurite_support, "find_binary", lambda service: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        next(azurite_support._fixture("blob"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        next(azurite_support._fixture("queue"))


def test_queue_fixture_starts(azurite_queue: Azurite) -> None:
    assert azurite_queue.port > 0
    assert (
        f"QueueEndpoint=http://127.0.0.1:{azurite_queue.port}/" in azurite_queue.connection_string
    )
