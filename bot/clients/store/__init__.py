"""Storage backends of the `Store` port (`bot.ports.store`).

- `LocalDirStore(root, *, timeout_s=5.0)`: one directory on one machine (demo default).
- `BlobStore(*, container, connection_string=None, account_url=None, credential=None,
  timeout_s=5.0, retry_total=2, retry_backoff_s=0.2)`: Azure Blob Storage / Azurite.
- `create_store(settings)`: the one the settings ask for.

Imported lazily, so the demo mode never loads the Azure SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.clients.store.blob import BlobStore
    from bot.clients.store.factory import create_store
    from bot.clients.store.local import LocalDirStore

__all__ = ["BlobStore", "LocalDirStore", "create_store"]

_WHERE = {
    "BlobStore": "bot.clients.store.blob",
    "LocalDirStore": "bot.clients.store.local",
    "create_store": "bot.clients.store.factory",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
