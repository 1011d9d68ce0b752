"""Backends of the `WorkQueue` port (`bot.ports.queue`) and the worker loop.

- `MemoryQueue(name, *, dedupe=None, dedupe_ttl=...)`: in one process (demo default, tests).
- `AzureQueue(name, *, connection_string=None, account_url=None, credential=None, dedupe=None,
  timeout_s=5.0, retry_total=2, retry_backoff_s=0.2)`: Azure Storage Queues / Azurite.
- `create_queue(settings, store)`: the one the settings ask for.
- `runner`: `HandlerRegistry`, `QueueWorker`, `WorkerOptions`, `record_once`, `effect_key`.

Imported lazily, so the demo mode never loads the Azure SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.clients.queue.azure import AzureQueue
    from bot.clients.queue.factory import QueueSettings, create_queue
    from bot.clients.queue.memory import MemoryQueue

__all__ = ["AzureQueue", "MemoryQueue", "QueueSettings", "create_queue"]

_WHERE = {
    "AzureQueue": "bot.clients.queue.azure",
    "MemoryQueue": "bot.clients.queue.memory",
    "QueueSettings": "bot.clients.queue.factory",
    "create_queue": "bot.clients.queue.factory",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
