"""Build the configured `WorkQueue` and worker options from settings.

The queue and worker variables are `Settings.queue` (bot/config.py); the queue also uses the
storage's connection string and timeout, and the edge's dedupe TTL.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clients.queue._common import MemoryDedupeIndex, StoreDedupeIndex
from bot.clients.queue.runner import WorkerOptions
from bot.config import AnswerDispatch, QueueBackend, QueueSettings, Settings
from bot.ports.queue import WorkQueue
from bot.ports.store import Store

logger = logging.getLogger(__name__)


def create_queue(settings: Settings, store: Store | None = None) -> WorkQueue:
    """`MemoryQueue` (demo default) or `AzureQueue` (PULSE_QUEUE_BACKEND=azure).

    With a `store`, enqueue dedupe uses create-only markers in it (shared by every instance);
    the memory queue without one dedupes in its own memory. Nothing touches the network here."""
    config = settings.queue
    ttl = timedelta(hours=settings.edge.dedupe_ttl_hours)
    if config.backend is QueueBackend.AZURE:
        from bot.clients.queue.azure import AzureQueue

        secret = config.connection_string or settings.storage.connection_string
        connection_string = secret.get_secret_value() if secret is not None else None
        queue: WorkQueue = AzureQueue(
            config.name,
            connection_string=connection_string or None,
            account_url=None if connection_string else config.url,
            dedupe=StoreDedupeIndex(store, ttl) if store is not None else None,
            timeout_s=settings.storage.timeout_s,
        )
    else:
        from bot.clients.queue.memory import MemoryQueue

        queue = MemoryQueue(
            config.name,
            dedupe=StoreDedupeIndex(store, ttl) if store is not None else MemoryDedupeIndex(ttl),
        )
    logger.info("work queue: %r", queue)  # host and name only, never a key
    return queue


def worker_options(config: QueueSettings) -> WorkerOptions:
    return WorkerOptions(
        visibility_timeout_s=config.visibility_timeout_s,
        max_dequeues=config.max_dequeues,
        retry_base_s=config.retry_base_s,
        retry_max_s=config.retry_max_s,
        concurrency=config.worker_concurrency,
        poll_max_s=config.poll_max_s,
        drain_timeout_s=config.worker_drain_timeout_s,
    )


__all__ = [
    "AnswerDispatch",
    "QueueBackend",
    "QueueSettings",
    "create_queue",
    "worker_options",
]
