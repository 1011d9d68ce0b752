"""Versioned JSON records on top of a `Store`, a compare-and-set helper and the cache purge job.

A record is `{"schema": N, "kind": "...", "written_at": "<ISO-8601 UTC>", "data": {...}}`. The
schema number is checked on every read: an older record is migrated by the migrations given (one
function per step, `N -> N+1`), a newer one (written by a newer release) is refused with
`UnsupportedSchema` rather than misread.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.ports.store import (
    JSON,
    CorruptRecord,
    PreconditionFailed,
    Store,
)

logger = logging.getLogger(__name__)

DEFAULT_CACHE_RETENTION = timedelta(days=7)

Migration = Callable[[JSON], JSON]


class UnsupportedSchema(CorruptRecord):
    """A record whose schema version this release cannot read."""


class CasConflict(PreconditionFailed):
    """A compare-and-set update still lost after every attempt."""


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    schema: int
    data: JSON
    written_at: datetime | None


def make_record(kind: str, schema: int, data: JSON, *, now: datetime | None = None) -> JSON:
    """The stored form of `data`."""
    if schema < 1:
        raise ValueError("schema versions start at 1")
    if not isinstance(data, dict):
        raise TypeError("record data must be a JSON object")
    written = (now or datetime.now(UTC)).astimezone(UTC)
    return {"schema": schema, "kind": kind, "written_at": written.isoformat(), "data": data}


def parse_record(
    value: JSON,
    *,
    kind: str,
    schema: int,
    migrations: Mapping[int, Migration] | None = None,
) -> Record:
    """Check a stored record and bring it to `schema` (else CorruptRecord/UnsupportedSchema)."""
    found = value.get("schema")
    if (
        not isinstance(found, int)
        or isinstance(found, bool)
        or not isinstance(value.get("data"), dict)
    ):
        raise CorruptRecord(f"not a {kind} record (no schema version or data)")
    if value.get("kind") != kind:
        raise CorruptRecord(f"expected a {kind} record, found {value.get('kind')!r}")
    if found > schema:
        raise UnsupportedSchema(
            f"{kind} record has schema {found}, this release reads up to {schema}"
        )
    data: JSON = value["data"]
    while found < schema:
        step = (migrations or {}).get(found)
        if step is None:
            raise UnsupportedSchema(f"{kind} record schema {found}: no migration to {found + 1}")
        data = step(data)
        found += 1
    return Record(kind=kind, schema=found, data=data, written_at=_written_at(value))


def _written_at(value: JSON) -> datetime | None:
    raw = value.get("written_at")
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def read_record(
    store: Store,
    key: str,
    *,
    kind: str,
    schema: int,
    migrations: Mapping[int, Migration] | None = None,
) -> tuple[Record, str] | None:
    """The record at `key` (at the current schema) and its ETag, or None when missing."""
    found = await store.read(key)
    if found is None:
        return None
    return parse_record(found.value, kind=kind, schema=schema, migrations=migrations), found.etag


async def write_record(
    store: Store,
    key: str,
    *,
    kind: str,
    schema: int,
    data: JSON,
    if_match: str | None = None,
    if_none_match: bool = False,
    now: datetime | None = None,
) -> str:
    """Write `data` as a record; returns the new ETag."""
    return await store.write(
        key,
        make_record(kind, schema, data, now=now),
        if_match=if_match,
        if_none_match=if_none_match,
    )


async def cas_update(
    store: Store,
    key: str,
    update: Callable[[JSON | None], JSON | Awaitable[JSON | None] | None],
    *,
    attempts: int = 20,
) -> JSON | None:
    """Read-modify-write `key` with compare-and-set, retrying when another writer won.

    `update(current_value_or_None)` returns the new value, or None to leave the key as it is. It
    may run several times, so it must be pure. Returns the value written (or None). After
    `attempts` lost races raises `CasConflict`."""
    for attempt in range(attempts):
        current = await store.read(key)
        result = update(None if current is None else current.value)
        new = await result if isinstance(result, Awaitable) else result
        if new is None:
            return None
        try:
            if current is None:
                await store.write(key, new, if_none_match=True)
            else:
                await store.write(key, new, if_match=current.etag)
            return new
        except PreconditionFailed:  # AlreadyExists included
            await asyncio.sleep(random.uniform(0, 0.005 * (2 ** min(attempt, 5))))  # noqa: S311
    raise CasConflict(f"key {key!r}: still contended after {attempts} attempts")


async def purge_expired(
    store: Store,
    prefix: str,
    retention: timedelta | None = None,
    now: datetime | None = None,
) -> int:
    """Delete the cache values under `prefix` older than `retention`; returns how many.

    Age is the record's `written_at` (values that are not records: the store's last-modified
    time; neither known: kept). Each delete is conditional on the ETag read, so an entry refreshed
    meanwhile survives. Only values are listed (`Store.list`): append-only logs and leases live in
    their own namespaces and are never touched. An empty prefix is refused — a purge always
    targets a cache."""
    if not prefix:
        raise ValueError("purge_expired needs a cache prefix")
    retention = retention if retention is not None else DEFAULT_CACHE_RETENTION
    cutoff = (now or datetime.now(UTC)) - retention
    removed = 0
    for key in await store.list(prefix):
        try:
            found = await store.read(key)
        except CorruptRecord:
            logger.warning("purge: %s unreadable, kept", key)
            continue
        if found is None:
            continue
        born = _written_at(found.value) if "schema" in found.value else None
        born = born or found.last_modified
        if born is None or born >= cutoff:
            continue
        try:
            if await store.delete(key, if_match=found.etag):
                removed += 1
        except PreconditionFailed:
            continue  # refreshed meanwhile
    if removed:
        logger.info(
            "purge: %d expired entr%s under %s", removed, "y" if removed == 1 else "ies", prefix
        )
    return removed


__all__ = [
    "DEFAULT_CACHE_RETENTION",
    "CasConflict",
    "Record",
    "UnsupportedSchema",
    "cas_update",
    "make_record",
    "parse_record",
    "purge_expired",
    "read_record",
    "write_record",
]
