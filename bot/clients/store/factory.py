"""Build the configured `Store` from settings (used by the composition root)."""

from __future__ import annotations

import logging

from bot.config import Settings, StorageBackend
from bot.ports.store import Store

logger = logging.getLogger(__name__)


def create_store(settings: Settings) -> Store:
    """`LocalDirStore` under `PULSE_DATA_DIR` (demo default) or `BlobStore` (STORAGE_BACKEND=blob).

    Nothing touches the network or the disk here: the blob container is created on first use."""
    if settings.storage.backend is StorageBackend.BLOB:
        from bot.clients.store.blob import BlobStore

        secret = settings.storage.connection_string
        connection_string = secret.get_secret_value() if secret is not None else None
        store = BlobStore(
            container=settings.storage.container,
            connection_string=connection_string or None,
            account_url=None if connection_string else settings.storage.account_url,
            timeout_s=settings.storage.timeout_s,
        )
        logger.info("storage: %r", store)  # host and container only, never the key
        return store
    from bot.clients.store.local import LocalDirStore

    local = LocalDirStore(settings.storage.data_dir, timeout_s=settings.storage.timeout_s)
    logger.info("storage: %r", local)
    return local
