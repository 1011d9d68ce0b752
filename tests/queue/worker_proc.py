"""A worker process for test_worker_process.py, on an Azurite queue and a local-directory store.

python -m tests.queue.worker_proc CONNECTION_STRING QUEUE STORE_ROOT WORKER_NAME

Runs the "effect" job: records an attempt marker, then (on the first delivery only) sleeps
`first_sleep_before`, records its effect once (create-only marker), sleeps `first_sleep_after`.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from bot.clients.queue._common import StoreDedupeIndex
from bot.clients.queue.azure import AzureQueue
from bot.clients.queue.runner import (
    HandlerRegistry,
    WorkerOptions,
    current_job,
    effect_key,
    record_once,
)
from bot.clients.store.local import LocalDirStore
from bot.logs import quiet_azure_sdk, setup_logging
from bot.ports.queue import JSON
from bot.worker import run_worker


async def main(conn: str, queue_name: str, root: str, name: str) -> None:
    store = LocalDirStore(root, timeout_s=20)
    queue = AzureQueue(
        queue_name,
        connection_string=conn,
        dedupe=StoreDedupeIndex(store, timedelta(hours=1)),
        timeout_s=20,
    )

    async def effect(payload: JSON) -> None:
        job = current_job.get()
        assert job is not None
        first = job.dequeue_count == 1
        await store.write(f"attempts/{job.id}/{name}", {"dequeue_count": job.dequeue_count})
        if first:
            await asyncio.sleep(float(payload.get("first_sleep_before", 0)))
        await record_once(store, effect_key(job, "effect"), {"worker": name})
        if first:
            await asyncio.sleep(float(payload.get("first_sleep_after", 0)))

    registry = HandlerRegistry()
    registry.register_handler("effect", effect)
    options = WorkerOptions(
        visibility_timeout_s=2,
        max_dequeues=5,
        retry_base_s=0,
        concurrency=1,
        poll_min_s=0.1,
        poll_max_s=0.2,
        drain_timeout_s=10,
    )
    await run_worker(
        store=store, queue=queue, registry=registry, options=options, port=None, name=name
    )


if __name__ == "__main__":
    setup_logging("INFO", [], "json")
    quiet_azure_sdk("INFO")
    asyncio.run(main(*sys.argv[1:5]))
