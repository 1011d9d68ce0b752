"""Blob logs are split by month and into parts below the append-blob cap (50,000 blocks), so an
audit log never stops taking records; reads see every record once, in order. On Azurite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.clients.store import BlobStore
from bot.clients.store.blob import APPEND_BLOB_MAX_BLOCKS
from tests.store.conftest import new_container
from tests.support.azurite import Azurite, connection_string
from tests.support.fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.azurite


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def blob_store(azurite: Azurite, container: str, clock: Clock, part_blocks: int) -> BlobStore:
    return BlobStore(
        container=container,
        connection_string=azurite.connection_string,
        timeout_s=20.0,
        log_part_blocks=part_blocks,
        clock=clock,
    )


async def names(store: BlobStore) -> list[str]:
    return sorted([n async for n in store._container.list_blob_names(name_starts_with="log/")])


async def test_parts_roll_over_and_months_split(azurite_blob: Azurite) -> None:
    clock = Clock()
    store = blob_store(azurite_blob, new_container(), clock, part_blocks=3)
    try:
        for i in range(7):
            await store.append("audit/t1", {"i": i})
        clock.now = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
        for i in range(7, 9):
            await store.append("audit/t1", {"i": i})
        assert [r["i"] for r in await store.read_log("audit/t1")] == list(range(9))
        assert await names(store) == [
            "log/audit/t1/2026-11",
            "log/audit/t1/2026-11.0001",
            "log/audit/t1/2026-11.0002",
            "log/audit/t1/2026-12",
        ]
    finally:
        await store.close()


async def test_a_new_instance_continues_in_the_last_part(azurite_blob: Azurite) -> None:
    container, clock = new_container(), Clock()
    first = blob_store(azurite_blob, container, clock, part_blocks=2)
    second = blob_store(azurite_blob, container, clock, part_blocks=2)
    try:
        for i in range(5):  # parts 0 and 1 full, part 2 holds one record
            await first.append("audit/t1", {"i": i})
        await second.append("audit/t1", {"i": 5})  # lists once, appends to part 2
        assert [r["i"] for r in await second.read_log("audit/t1")] == list(range(6))
        assert (await names(second))[-1] == "log/audit/t1/2026-11.0002"
    finally:
        await first.close()
        await second.close()


async def test_concurrent_appends_across_parts_all_land_once(azurite_blob: Azurite) -> None:
    container, clock = new_container(), Clock()
    stores = [blob_store(azurite_blob, container, clock, part_blocks=4) for _ in range(3)]
    try:
        await asyncio.gather(
            *(
                s.append("audit/c", {"i": 10 * k + j})
                for k, s in enumerate(stores)
                for j in range(8)
            )
        )
        # Appends in flight together may overshoot a part (hence the margin under Azure's cap);
        # the next ones see the committed count and move on.
        for k, s in enumerate(stores):
            await s.append("audit/c", {"i": 100 + k})
        got = [r["i"] for r in await stores[0].read_log("audit/c")]
        expected = [10 * k + j for k in range(3) for j in range(8)] + [100, 101, 102]
        assert sorted(got) == sorted(expected)
        assert got[-3:] == [100, 101, 102]
        assert await names(stores[0]) == ["log/audit/c/2026-11", "log/audit/c/2026-11.0001"]
    finally:
        for s in stores:
            await s.close()


async def test_a_part_another_instance_filled_is_left_for_the_next(
    azurite_blob: Azurite,
) -> None:
    # Azure's answer to an append on a full append blob (409 BlockCountExceedsLimit) comes from
    # the proxy: Azurite would only give it after 50,000 real appends.
    async with FaultProxy("127.0.0.1", azurite_blob.port) as proxy:
        store = BlobStore(
            container=new_container(),
            connection_string=connection_string("blob", proxy.port),
            timeout_s=20.0,
            clock=Clock(),
        )
        try:
            await store.append("audit/t1", {"i": 0})
            proxy.fail_next(1, Fault.BLOCK_LIMIT)
            await store.append("audit/t1", {"i": 1})
            await store.append("audit/t1", {"i": 2})
            assert [r["i"] for r in await store.read_log("audit/t1")] == [0, 1, 2]
            assert await names(store) == ["log/audit/t1/2026-11", "log/audit/t1/2026-11.0001"]
        finally:
            await store.close()


async def test_nested_logs_stay_apart(azurite_blob: Azurite) -> None:
    store = blob_store(azurite_blob, new_container(), Clock(), part_blocks=10)
    try:
        await store.append("audit", {"log": "outer"})
        await store.append("audit/2026-11", {"log": "inner"})  # a log named like a month
        assert await store.read_log("audit") == [{"log": "outer"}]
        assert await store.read_log("audit/2026-11") == [{"log": "inner"}]
    finally:
        await store.close()


def test_part_size_is_checked_against_the_cap() -> None:
    for bad in (0, APPEND_BLOB_MAX_BLOCKS + 1):
        with pytest.raises(ValueError, match="log_part_blocks"):
            BlobStore(
                container="c", connection_string="UseDevelopmentStorage=true", log_part_blocks=bad
            )
