"""Housekeeping: cached posts and answer contexts expire after the retention; remembered
activity ids after the re-delivery window. Logs (the audit) are never touched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from bot.clients.store.records import purge_expired
from bot.ports.clock import Clock
from bot.ports.store import StorageError, Store

logger = logging.getLogger(__name__)


async def purge_once(
    store: Store, clock: Clock, *, cache_retention: timedelta, dedupe_retention: timedelta
) -> int:
    now = clock.now()
    removed = await purge_expired(store, "cache/", cache_retention, now)
    removed += await purge_expired(store, "dedupe/", dedupe_retention, now)
    return removed


def purge_cleanup_ctx(
    store: Store,
    clock: Clock,
    *,
    cache_retention: timedelta,
    dedupe_retention: timedelta,
    every: timedelta = timedelta(hours=6),
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context running the purge now and then (idempotent on every instance)."""

    async def loop() -> None:
        while True:
            try:
                await purge_once(
                    store, clock, cache_retention=cache_retention, dedupe_retention=dedupe_retention
                )
            except StorageError:
                logger.warning("purge skipped: storage unavailable")
            await asyncio.sleep(every.total_seconds())

    async def ctx(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return ctx
