"""The purge job: cached posts and remembered activity ids expire; the audit log stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clients.store.local import LocalDirStore
from bot.clients.store.records import make_record
from bot.services.maintenance import purge_once


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now_value = now

    def now(self) -> datetime:
        return self.now_value


async def test_purge_removes_expired_cache_and_markers_but_never_the_audit(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    await store.write("cache/posts/1", make_record("post", 1, {"id": "1"}, now=start))
    await store.write(
        "cache/posts/2", make_record("post", 1, {"id": "2"}, now=start + timedelta(days=6))
    )
    await store.write("dedupe/20261101/abc", make_record("seen", 1, {}, now=start))
    await store.append("audit/t1", {"what": "approved"})
    clock = Clock(start + timedelta(days=7, hours=1))
    removed = await purge_once(
        store, clock, cache_retention=timedelta(days=7), dedupe_retention=timedelta(hours=48)
    )
    assert removed == 2
    assert await store.read("cache/posts/1") is None
    assert await store.read("cache/posts/2") is not None
    assert await store.read("dedupe/20261101/abc") is None
    assert await store.read_log("audit/t1") == [{"what": "approved"}]
