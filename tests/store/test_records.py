"""Versioned records, the CAS helper and the cache purge job, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clients.store.records import (
    DEFAULT_CACHE_RETENTION,
    CasConflict,
    UnsupportedSchema,
    cas_update,
    make_record,
    parse_record,
    purge_expired,
    read_record,
    write_record,
)
from bot.config import Settings
from bot.ports.store import CorruptRecord, PreconditionFailed, Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_record_shape_and_check() -> None:
    value = make_record("draft", 2, {"text": "hi"}, now=NOW)
    assert value == {
        "schema": 2,
        "kind": "draft",
        "written_at": "2026-11-20T12:00:00+00:00",
        "data": {"text": "hi"},
    }
    record = parse_record(value, kind="draft", schema=2)
    assert record.data == {"text": "hi"} and record.schema == 2 and record.written_at == NOW


def test_newer_schema_is_refused() -> None:
    with pytest.raises(UnsupportedSchema):
        parse_record(make_record("draft", 3, {}), kind="draft", schema=2)


def test_older_schema_is_migrated_step_by_step() -> None:
    old = make_record("draft", 1, {"body": "x"})
    record = parse_record(
        old,
        kind="draft",
        schema=3,
        migrations={
            1: lambda d: {"text": d["body"]},
            2: lambda d: {**d, "lang": "fr"},
        },
    )
    assert record.data == {"text": "x", "lang": "fr"} and record.schema == 3
    with pytest.raises(UnsupportedSchema):
        parse_record(old, kind="draft", schema=2)  # no migration given


@pytest.mark.parametrize(
    "value",
    [{}, {"schema": "1", "kind": "draft", "data": {}}, {"schema": 1, "kind": "other", "data": {}},
     {"schema": 1, "kind": "draft", "data": []}, {"schema": True, "kind": "draft", "data": {}}],
)  # fmt: skip
def test_not_a_record(value: dict[str, object]) -> None:
    with pytest.raises(CorruptRecord):
        parse_record(value, kind="draft", schema=1)


async def test_read_write_record(store: Store) -> None:
    assert await read_record(store, "drafts/1", kind="draft", schema=1) is None
    etag = await write_record(store, "drafts/1", kind="draft", schema=1, data={"t": 1})
    found = await read_record(store, "drafts/1", kind="draft", schema=1)
    assert found is not None
    record, read_etag = found
    assert record.data == {"t": 1} and read_etag == etag
    raw = await store.read("drafts/1")
    assert raw is not None and raw.value["schema"] == 1 and raw.value["kind"] == "draft"
    with pytest.raises(PreconditionFailed):
        await write_record(store, "drafts/1", kind="draft", schema=1, data={}, if_match="stale")


async def test_cas_update_gives_up_with_a_clear_error(store: Store) -> None:
    await store.write("k", {"n": 0})

    async def meddle(value: dict[str, object] | None) -> dict[str, object]:
        await store.write("k", {"n": -1})  # someone else always writes first
        return {"n": 1}

    with pytest.raises(CasConflict):
        await cas_update(store, "k", meddle, attempts=3)
    assert await cas_update(store, "k", lambda v: None) is None  # no change wanted


async def test_purge_expired(store: Store) -> None:
    old = NOW - timedelta(days=8)
    fresh = NOW - timedelta(days=6)
    await store.write("cache/x/old", make_record("posts", 1, {}, now=old))
    await store.write("cache/x/fresh", make_record("posts", 1, {}, now=fresh))
    await store.write("cache/x/plain", {"no": "record"})  # age: the store's last-modified
    await store.write("drafts/old", make_record("draft", 1, {}, now=old))  # not under the prefix
    for i in range(3):
        await store.append("cache/x/log", {"i": i})  # logs are never touched
    removed = await purge_expired(store, "cache/", now=NOW)
    assert removed == 1
    assert await store.list("cache/") == ["cache/x/fresh", "cache/x/plain"]
    assert await store.read("drafts/old") is not None
    assert len(await store.read_log("cache/x/log")) == 3
    # With a short retention, the value written just now expires too (a day in the future).
    assert await purge_expired(store, "cache/", retention=timedelta(days=1),
                               now=datetime.now(UTC) + timedelta(days=3)) == 2  # fmt: skip
    assert await store.list("cache/") == []
    assert len(await store.read_log("cache/x/log")) == 3


async def test_purge_refuses_an_empty_prefix(store: Store) -> None:
    with pytest.raises(ValueError):
        await purge_expired(store, "", now=NOW)


def test_cache_retention_setting() -> None:
    assert timedelta(days=7) == DEFAULT_CACHE_RETENTION
    assert Settings(_env_file=None).storage.cache_retention_days == DEFAULT_CACHE_RETENTION.days
    assert Settings(_env_file=None, PULSE_CACHE_RETENTION_DAYS=3).storage.cache_retention_days == 3
