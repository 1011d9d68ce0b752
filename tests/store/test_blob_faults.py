"""BlobStore behind a fault proxy: 503s, resets, stalls → a clear StorageUnavailable in time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.clients.store.blob import BlobStore
from bot.ports.store import StorageError, StorageUnavailable
from tests.store.conftest import new_container
from tests.support.azurite import Azurite, connection_string
from tests.support.fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.azurite

BUDGET_S = 1.5
MARGIN_S = 1.0


@pytest.fixture
async def proxy(azurite_blob: Azurite) -> AsyncIterator[FaultProxy]:
    async with FaultProxy("127.0.0.1", azurite_blob.port, cut_bytes=2048) as p:
        yield p


@pytest.fixture
async def stores(
    proxy: FaultProxy, azurite_blob: Azurite
) -> AsyncIterator[tuple[BlobStore, BlobStore]]:
    """(faulty, healthy): the same container, through the proxy and directly."""
    container = new_container()
    faulty = BlobStore(
        container=container,
        connection_string=connection_string("blob", proxy.port),
        timeout_s=BUDGET_S,
        retry_total=2,
        retry_backoff_s=0.1,
    )
    healthy = BlobStore(
        container=container, connection_string=azurite_blob.connection_string, timeout_s=20
    )
    await healthy.ping()  # creates the container
    await faulty.ping()
    try:
        yield faulty, healthy
    finally:
        await faulty.close()
        await healthy.close()


OPERATIONS: dict[str, Callable[[BlobStore], Awaitable[Any]]] = {
    "read": lambda s: s.read("k"),
    "write": lambda s: s.write("k", {"v": "new"}),
    "cas": lambda s: s.write("k", {"v": "new"}, if_match='"0x1"'),
    "create": lambda s: s.write("fresh", {"v": 1}, if_none_match=True),
    "delete": lambda s: s.delete("k"),
    "list": lambda s: s.list(""),
    "append": lambda s: s.append("audit", {"i": 1}),
    "read_log": lambda s: s.read_log("audit"),
    "lease": lambda s: s.acquire_lease("leader", "me", 20),
    "ping": lambda s: s.ping(),
}


@pytest.mark.parametrize("fault", [Fault.HTTP_503, Fault.RESET, Fault.STALL])
@pytest.mark.parametrize("op", ["read", "write", "cas", "list", "append", "lease", "ping"])
async def test_fault_gives_storage_unavailable_in_time(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy, fault: Fault, op: str
) -> None:
    faulty, healthy = stores
    await healthy.write("k", {"v": "old"})
    proxy.set_mode(fault)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as info:
        await OPERATIONS[op](faulty)
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_S + MARGIN_S, f"{op} under {fault} took {elapsed:.2f}s"
    assert "blob store" in str(info.value)
    assert "AccountKey" not in str(info.value)
    found = await healthy.read("k")
    assert found is not None and found.value == {"v": "old"}


@pytest.mark.parametrize("op", ["delete", "create", "read_log"])
async def test_more_operations_under_503(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy, op: str
) -> None:
    faulty, _healthy = stores
    proxy.set_mode(Fault.HTTP_503)
    with pytest.raises(StorageUnavailable):
        await OPERATIONS[op](faulty)


async def test_read_error_is_never_missing(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy
) -> None:
    faulty, _healthy = stores
    for fault in (Fault.HTTP_503, Fault.RESET):
        proxy.set_mode(fault)
        with pytest.raises(StorageError):
            await faulty.read("does/not/exist")


async def test_bounded_retries_ride_out_transient_faults(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy
) -> None:
    faulty, healthy = stores
    await healthy.write("k", {"v": 1})
    proxy.fail_next(2, Fault.HTTP_503)  # retry_total=2: the third attempt goes through
    found = await faulty.read("k")
    assert found is not None and found.value == {"v": 1}
    proxy.fail_next(1, Fault.RESET)
    await faulty.write("k", {"v": 2})
    again = await healthy.read("k")
    assert again is not None and again.value == {"v": 2}


async def test_cut_upload_leaves_the_old_value(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy
) -> None:
    faulty, healthy = stores
    old = {"v": "old", "blob": "o" * 50_000}
    new = {"v": "new", "blob": "n" * 50_000}
    await healthy.write("big", old)
    proxy.set_mode(Fault.CUT_REQUEST)  # the server receives 2 KiB of a ~50 KiB upload
    with pytest.raises(StorageUnavailable):
        await faulty.write("big", new)
    proxy.set_mode(Fault.PASS)
    found = await healthy.read("big")
    assert found is not None and found.value == old


async def test_lost_answer_leaves_old_or_new_never_garbage(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy
) -> None:
    faulty, healthy = stores
    old = {"v": "old", "blob": "o" * 20_000}
    new = {"v": "new", "blob": "n" * 20_000}
    etag = await healthy.write("big", old)
    proxy.set_mode(Fault.DROP_RESPONSE)  # the server writes, the client never hears back
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await faulty.write("big", new, if_match=etag)
    assert time.monotonic() - started < BUDGET_S + MARGIN_S
    found = await healthy.read("big")
    assert found is not None and found.value in (old, new)


async def test_recovers_after_the_fault(
    stores: tuple[BlobStore, BlobStore], proxy: FaultProxy
) -> None:
    faulty, _healthy = stores
    proxy.set_mode(Fault.STALL)
    with pytest.raises(StorageUnavailable):
        await faulty.write("k", {"v": 1})
    proxy.set_mode(Fault.PASS)
    await faulty.write("k", {"v": 2})
    found = await faulty.read("k")
    assert found is not None and found.value == {"v": 2}


async def test_unreachable_account_is_unavailable(unused_tcp_port: int) -> None:
    store = BlobStore(
        container=new_container(),
        connection_string=connection_string("blob", unused_tcp_port),
        timeout_s=BUDGET_S,
    )
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await store.ping()
        assert time.monotonic() - started < BUDGET_S + MARGIN_S
    finally:
        await store.close()


async def test_wrong_key_is_an_error_not_missing(azurite_blob: Azurite) -> None:
    bad = azurite_blob.connection_string.replace("AccountKey=Eby8", "AccountKey=Xby8")
    store = BlobStore(container=new_container(), connection_string=bad, timeout_s=5)
    try:
        with pytest.raises(StorageError) as info:
            await store.read("k")
        assert "Xby8" not in str(info.value)
    finally:
        await store.close()
