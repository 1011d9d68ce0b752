"""Fixtures of the queue tests: both backends behind one `queue` fixture, and a shared store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.clients.queue._common import StoreDedupeIndex
from bot.clients.queue.azure import AzureQueue
from bot.clients.queue.memory import MemoryQueue
from bot.clients.store.local import LocalDirStore
from bot.ports.queue import WorkQueue
from bot.ports.store import Store
from tests.support.azurite import Azurite, azurite_queue

__all__ = ["azurite_queue"]

BACKENDS = ["memory", pytest.param("azure", marks=pytest.mark.azurite)]


def new_queue_name() -> str:
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = LocalDirStore(tmp_path / "data", timeout_s=20.0)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def make_queue(
    backend: str, store: Store, request: pytest.FixtureRequest
) -> AsyncIterator[Callable[[], WorkQueue]]:
    """A factory of fresh queues of the backend under test (several handles on one queue for
    the Azure backend: `make_queue()` twice gives two clients of the same queue name)."""
    from datetime import timedelta

    made: list[WorkQueue] = []
    name = new_queue_name()
    dedupe = StoreDedupeIndex(store, timedelta(hours=1))
    shared_memory: list[MemoryQueue] = []

    def make() -> WorkQueue:
        q: WorkQueue
        if backend == "memory":
            if not shared_memory:
                shared_memory.append(MemoryQueue(name, dedupe=dedupe))
            q = shared_memory[0]
        else:
            azurite: Azurite = request.getfixturevalue("azurite_queue")
            q = AzureQueue(
                name, connection_string=azurite.connection_string, dedupe=dedupe, timeout_s=20.0
            )
        made.append(q)
        return q

    try:
        yield make
    finally:
        for q in made:
            await q.close()


@pytest.fixture
def queue(make_queue: Callable[[], WorkQueue]) -> WorkQueue:
    return make_queue()
