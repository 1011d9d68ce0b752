"""One contract, two backends: every `Store` method on LocalDirStore and on BlobStore (Azurite)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.clients.store.blob import LEASE_MIN_S, BlobStore
from bot.clients.store.records import cas_update
from bot.ports.store import (
    AlreadyExists,
    InvalidKey,
    PreconditionFailed,
    Store,
    Versioned,
)


async def test_read_missing_is_none(store: Store) -> None:
    assert await store.read("nothing/here") is None


async def test_write_read_roundtrip(store: Store) -> None:
    value = {"text": "Élysée 🎉 東京", "n": 3, "nested": {"list": [1, 2.5, None, True]}}
    etag = await store.write("tenants/t1/drafts/d-1", value)
    found = await store.read("tenants/t1/drafts/d-1")
    assert isinstance(found, Versioned)
    assert found.value == value
    assert found.etag == etag
    assert found.last_modified is not None
    assert abs((datetime.now(UTC) - found.last_modified).total_seconds()) < 60


async def test_etag_changes_on_every_write(store: Store) -> None:
    first = await store.write("k", {"v": 1})
    second = await store.write("k", {"v": 1})
    assert first != second


async def test_if_match(store: Store) -> None:
    etag = await store.write("k", {"v": 1})
    newer = await store.write("k", {"v": 2}, if_match=etag)
    with pytest.raises(PreconditionFailed):
        await store.write("k", {"v": 3}, if_match=etag)
    found = await store.read("k")
    assert found is not None and found.value == {"v": 2} and found.etag == newer


async def test_if_match_on_missing_key_fails(store: Store) -> None:
    etag = await store.write("other", {"v": 1})
    with pytest.raises(PreconditionFailed):
        await store.write("missing", {"v": 1}, if_match=etag)
    assert await store.read("missing") is None


async def test_create_only(store: Store) -> None:
    await store.write("once/marker", {"by": "a"}, if_none_match=True)
    with pytest.raises(AlreadyExists):
        await store.write("once/marker", {"by": "b"}, if_none_match=True)
    found = await store.read("once/marker")
    assert found is not None and found.value == {"by": "a"}
    assert issubclass(AlreadyExists, PreconditionFailed)


async def test_if_match_and_if_none_match_are_exclusive(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.write("k", {}, if_match="x", if_none_match=True)


async def test_only_json_objects(store: Store) -> None:
    with pytest.raises(TypeError):
        await store.write("k", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await store.write("k", {"when": datetime.now(UTC)})
    assert await store.read("k") is None


async def test_delete(store: Store) -> None:
    assert await store.delete("gone") is False
    etag = await store.write("k", {"v": 1})
    await store.write("k", {"v": 2})
    with pytest.raises(PreconditionFailed):
        await store.delete("k", if_match=etag)
    found = await store.read("k")
    assert found is not None and found.value == {"v": 2}
    assert await store.delete("k", if_match=found.etag) is True
    assert await store.read("k") is None
    await store.write("k2", {"v": 1})
    assert await store.delete("k2") is True
    assert await store.delete("k2") is False


async def test_list_by_prefix(store: Store) -> None:
    keys = ["a/b/c", "a/b", "a/bc", "a/b/d/e", "b/x", "ab"]
    for k in keys:
        await store.write(k, {"k": k})
    await store.append("a/b/log", {"not": "a value"})
    await store.acquire_lease("a/b/lease", "me", 30)
    assert await store.list("") == sorted(keys)
    assert await store.list("a/") == ["a/b", "a/b/c", "a/b/d/e", "a/bc"]
    assert await store.list("a/b/") == ["a/b/c", "a/b/d/e"]
    assert await store.list("a/b") == ["a/b", "a/b/c", "a/b/d/e", "a/bc"]
    assert await store.list("a") == ["a/b", "a/b/c", "a/b/d/e", "a/bc", "ab"]
    assert await store.list("zzz/") == []
    await store.delete("a/b/c")
    assert await store.list("a/b/") == ["a/b/d/e"]


@pytest.mark.parametrize(
    "bad", ["", "/a", "a/", "a//b", "a/../b", "./a", "a b", "a\\b", "é", "a" * 600]
)
async def test_invalid_keys_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(InvalidKey):
        await store.read(bad)
    with pytest.raises(InvalidKey):
        await store.write(bad, {})
    with pytest.raises(InvalidKey):
        await store.delete(bad)
    with pytest.raises(InvalidKey):
        await store.append(bad, {})
    with pytest.raises(InvalidKey):
        await store.read_log(bad)
    with pytest.raises(InvalidKey):
        await store.acquire_lease(bad, "me", 20)


@pytest.mark.parametrize("bad", ["/a", "a//b", "../x", "a b"])
async def test_invalid_prefixes_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(InvalidKey):
        await store.list(bad)


async def test_logs_keep_order(store: Store) -> None:
    assert await store.read_log("audit/2026-11") == []
    for i in range(10):
        await store.append("audit/2026-11", {"i": i, "text": f"entrée {i}"})
    records = await store.read_log("audit/2026-11")
    assert [r["i"] for r in records] == list(range(10))
    assert records[3]["text"] == "entrée 3"
    # A log and a value of the same name are different things.
    await store.write("audit/2026-11", {"value": True})
    assert len(await store.read_log("audit/2026-11")) == 10


async def test_logs_are_only_ever_extended(store: Store) -> None:
    for i in range(3):
        await store.append("audit/x", {"i": i})
    before = await store.read_log("audit/x")
    for i in range(3, 6):
        await store.append("audit/x", {"i": i})
    after = await store.read_log("audit/x")
    assert after[: len(before)] == before
    assert [r["i"] for r in after] == list(range(6))


async def test_concurrent_appends_all_land_once(store: Store) -> None:
    await asyncio.gather(*(store.append("audit/c", {"i": i}) for i in range(25)))
    records = await store.read_log("audit/c")
    assert sorted(r["i"] for r in records) == list(range(25))


async def test_fifty_concurrent_cas_increments(store: Store) -> None:
    async def increment() -> None:
        await cas_update(
            store, "counters/c", lambda v: {"n": (v or {"n": 0})["n"] + 1}, attempts=500
        )

    await asyncio.gather(*(increment() for _ in range(50)))
    found = await store.read("counters/c")
    assert found is not None and found.value == {"n": 50}


async def test_manual_cas_retry_loop(store: Store) -> None:
    """The raw protocol the services use: read, modify, write if_match, retry on conflict."""
    await store.write("counters/raw", {"n": 0})
    conflicts = 0

    async def increment() -> None:
        nonlocal conflicts
        while True:
            current = await store.read("counters/raw")
            assert current is not None
            try:
                await store.write(
                    "counters/raw", {"n": current.value["n"] + 1}, if_match=current.etag
                )
                return
            except PreconditionFailed:
                conflicts += 1
                await asyncio.sleep(0)

    await asyncio.gather(*(increment() for _ in range(20)))
    found = await store.read("counters/raw")
    assert found is not None and found.value == {"n": 20}
    assert conflicts > 0  # the race really happened


async def test_one_lease_holder_among_five(store: Store) -> None:
    results = await asyncio.gather(
        *(store.acquire_lease("leader/scheduler", f"instance-{i}", 20) for i in range(5))
    )
    held = [lease for lease in results if lease is not None]
    assert len(held) == 1
    lease = held[0]
    assert lease.key == "leader/scheduler"
    assert lease.holder.startswith("instance-")
    assert lease.expires_at is not None and lease.expires_at > datetime.now(UTC)
    # Still held: nobody else gets it.
    assert await store.acquire_lease("leader/scheduler", "late", 20) is None
    renewed = await store.renew_lease(lease)
    assert renewed is not None and renewed.lease_id == lease.lease_id
    assert renewed.expires_at is not None and lease.expires_at is not None
    assert renewed.expires_at >= lease.expires_at
    await store.release_lease(lease)
    other = await store.acquire_lease("leader/scheduler", "next", 20)
    assert other is not None and other.holder == "next"
    # The released lease is lost for good: renewing or releasing it changes nothing.
    assert await store.renew_lease(lease) is None
    await store.release_lease(lease)
    assert await store.acquire_lease("leader/scheduler", "third", 20) is None
    await store.release_lease(other)


async def test_lease_lapses_and_is_taken_over(store: Store, backend: str) -> None:
    duration = 0.4 if backend == "local" else LEASE_MIN_S
    first = await store.acquire_lease("leader/lapse", "a", duration)
    assert first is not None
    if isinstance(store, BlobStore):
        assert first.expires_at is not None
        remaining = (first.expires_at - datetime.now(UTC)).total_seconds()
        assert LEASE_MIN_S - 2 < remaining <= LEASE_MIN_S  # clamped up to Azure's minimum
    assert await store.acquire_lease("leader/lapse", "b", duration) is None
    started = time.monotonic()
    taken = None
    while taken is None and time.monotonic() - started < duration + 5:
        await asyncio.sleep(0.1 if backend == "local" else 0.5)
        taken = await store.acquire_lease("leader/lapse", "b", duration)
    assert taken is not None and taken.holder == "b"
    assert time.monotonic() - started >= duration - 1.0
    # The first holder lost it.
    assert await store.renew_lease(first) is None
    await store.release_lease(first)
    assert await store.renew_lease(taken) is not None
    await store.release_lease(taken)


async def test_ping(store: Store) -> None:
    await store.ping()


async def test_leases_values_and_logs_do_not_collide(store: Store) -> None:
    await store.write("same/name", {"kind": "value"})
    await store.append("same/name", {"kind": "log"})
    lease = await store.acquire_lease("same/name", "me", 20)
    assert lease is not None
    found = await store.read("same/name")
    assert found is not None and found.value == {"kind": "value"}
    assert await store.read_log("same/name") == [{"kind": "log"}]
    await store.write("same/name", {"kind": "value2"})  # a lease never blocks the value
    await store.release_lease(lease)
