"""Listening service: bounded sampling, cost line, cache and incremental reads — through the real
tweepy client, the fake X server and the real LocalDirStore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.clients.store.local import LocalDirStore
from bot.clients.store.records import purge_expired
from bot.clients.x import XSource
from bot.ports.posts import BudgetExceeded, Window
from bot.services.costs import CostLedger
from bot.services.listening import ListeningService
from tests.support.fake_x import COUNTS_PATH, SEARCH_PATH, TEST_BEARER_TOKEN, FakeXServer
from tests.x.conftest import FakeClock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeXServer]:
    async with FakeXServer() as server:
        yield server


@pytest.fixture
async def xsource(fake_x: FakeXServer) -> AsyncIterator[XSource]:
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN), base_url=fake_x.base_url, retry_backoff_s=0.01
    ) as src:
        yield src


@pytest.fixture
def store(tmp_path: Path) -> LocalDirStore:
    return LocalDirStore(tmp_path / "store")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_service(
    xsource: XSource, store: LocalDirStore, clock: FakeClock, budget: float | None = None
) -> ListeningService:
    ledger = CostLedger(store, clock, monthly_budget_usd=budget)
    return ListeningService(xsource, store, ledger, clock, cache_ttl=timedelta(minutes=15))


def seed(
    fake_x: FakeXServer, n: int, *, start: datetime, span: timedelta, text: str = "Contoso"
) -> None:
    langs = ["fr", "fr", "en", "de"]
    authors = [fake_x.add_user(f"fan{i}", followers=i * 10) for i in range(50)]
    for i in range(n):
        fake_x.add_post(
            f"{text} post {i}",
            author=authors[i % 50],
            created_at=start + span * (i / max(n, 1)),
            lang=langs[i % 4],
            likes=(i * 37) % 101,
        )


def today_window() -> Window:
    now = datetime.now(UTC)
    return Window(now - timedelta(hours=20), now - timedelta(minutes=1))


async def test_sample_is_bounded_whatever_the_volume(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 2000, start=window.start, span=timedelta(hours=19))
    service = make_service(xsource, store, clock)
    result = await service.listen(["contoso"], window, sample_size=100)

    assert result.volume == 2000  # how much: from counts, exact
    assert 90 <= len(result.sample) <= 100 and not result.partial  # deduplicated
    assert fake_x.posts_returned() == 100  # what: never more than the sample
    assert fake_x.calls[COUNTS_PATH] == 1 and fake_x.calls[SEARCH_PATH] == 2
    assert result.requests == 3
    sorts = [r.query.get("sort_order") for r in fake_x.requests if r.path == SEARCH_PATH]
    assert sorts == ["relevancy", "recency"]
    engaged = result.sample[: len(result.engaged_ids)]
    assert engaged[0].metrics.engagement == max(p.metrics.engagement for p in result.sample)
    recent = [p.created_at for p in result.sample[len(result.engaged_ids) :]]
    assert recent == sorted(recent, reverse=True)
    assert dict(result.languages)["fr"] == pytest.approx(0.5, abs=0.05)
    # X returned 100 posts, one of them in both pages: 99 distinct posts read, none "again"
    assert result.cost.posts_read == 99 and result.cost.counts_requests == 1
    assert result.cost.render().startswith("99 posts read, 50 users read")
    # billed: each post and each of the 50 authors once per UTC day, plus the counts request
    assert result.cost.posts_billed == len(result.sample)
    assert result.cost.dollars == Decimal("0.005") * len(result.sample) + Decimal(
        "0.010"
    ) * 50 + Decimal("0.005")


async def test_small_volume_is_read_whole_in_one_request(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 30, start=window.start, span=timedelta(hours=10))
    result = await make_service(xsource, store, clock).listen(["contoso"], window)
    assert len(result.sample) == 30 and fake_x.calls[SEARCH_PATH] == 1


async def test_nothing_said_reads_no_posts(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    result = await make_service(xsource, store, clock).listen(["contoso"], today_window())
    assert result.volume == 0 and result.sample == () and fake_x.calls[SEARCH_PATH] == 0
    assert result.cost.render() == "1 counts request, ≈ $0.01"


async def test_repeat_within_cache_time_makes_no_request(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 500, start=window.start, span=timedelta(hours=19))
    service = make_service(xsource, store, clock)
    first = await service.listen(["contoso", "@contoso"], window)
    calls = sum(fake_x.calls.values())
    clock.advance(timedelta(minutes=10))
    again = await service.listen(["@contoso", "contoso"], window)
    assert sum(fake_x.calls.values()) == calls  # 0 new X requests
    assert again.from_cache and again.requests == 0 and again.cost.dollars == 0
    assert again.cost.posts_read == 0
    assert [p.id for p in again.sample] == [p.id for p in first.sample]
    assert again.volume == first.volume
    # "today so far", asked a few minutes later: still the cache within its time
    later = await service.listen(
        ["contoso", "@contoso"], Window(window.start, window.end + timedelta(minutes=5))
    )
    assert later.from_cache and sum(fake_x.calls.values()) == calls


async def test_several_queries_count_each_and_search_once(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 300, start=window.start, span=timedelta(hours=19))
    result = await make_service(xsource, store, clock).listen(["contoso", "#contoso"], window)
    assert fake_x.calls[COUNTS_PATH] == 2 and len(result.counts) == 2
    queries = {r.query["query"] for r in fake_x.requests if r.path == SEARCH_PATH}
    assert queries == {"(contoso) OR (#contoso)"}


async def test_extended_window_reads_incrementally_with_since_id(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(hours=10)
    seed(fake_x, 400, start=start, span=timedelta(hours=7))
    service = make_service(xsource, store, clock)
    first = await service.listen(["contoso"], Window(start, now - timedelta(hours=2)))
    newest = max(int(p.id) for p in first.sample)

    new_posts = [
        fake_x.add_post(f"contoso new {i}", created_at=now - timedelta(minutes=90 - i))
        for i in range(20)
    ]
    clock.advance(timedelta(minutes=30))  # past the cache time, within the extension time
    fake_x.reset_counters()
    second = await service.listen(["contoso"], Window(start, now - timedelta(minutes=1)))

    assert second.incremental and not second.from_cache
    searches = [r for r in fake_x.requests if r.path == SEARCH_PATH]
    assert len(searches) == 1 and int(searches[0].query["since_id"]) >= newest
    counts = [r for r in fake_x.requests if r.path == COUNTS_PATH]
    assert len(counts) == 1 and counts[0].query["start_time"].startswith(
        (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )  # only the new stretch
    # only new posts, a sample sized to their share of the volume (20/420 of 100 → one page)
    assert fake_x.posts_returned() == 10
    assert second.volume == 420
    newest_ten = {p.id for p in new_posts[-10:]}
    assert newest_ten <= {p.id for p in second.sample}
    assert second.sample[len(second.engaged_ids)].id == new_posts[-1].id
    assert len(second.sample) <= 100
    assert second.cost.posts_read == 10


async def test_budget_cap_stops_before_reading(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 200, start=window.start, span=timedelta(hours=10))
    service = make_service(xsource, store, clock, budget=0.50)
    with pytest.raises(BudgetExceeded):
        await service.listen(["contoso"], window, sample_size=100)
    assert sum(fake_x.calls.values()) == 0


async def test_partial_result_is_flagged_and_not_cached(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 300, start=window.start, span=timedelta(hours=10))
    service = make_service(xsource, store, clock)
    fake_x.fail(SEARCH_PATH, 429, reset_in=600, after=1)
    result = await service.listen(["contoso"], window)
    assert result.partial and result.reasons == ("rate_limited",)
    assert len(result.sample) == 50  # the engaged half was read
    again = await service.listen(["contoso"], window)
    assert not again.from_cache and not again.partial


async def test_cached_posts_are_records_the_purge_expires(
    fake_x: FakeXServer, xsource: XSource, store: LocalDirStore, clock: FakeClock
) -> None:
    window = today_window()
    seed(fake_x, 20, start=window.start, span=timedelta(hours=10))
    await make_service(xsource, store, clock).listen(["contoso"], window)
    keys = await store.list("cache/posts/")
    assert len(keys) == 20
    found = await store.read(keys[0])
    assert found is not None and found.value["kind"] == "x-post"
    assert found.value["data"]["created_at"]
    assert (
        await purge_expired(
            store, "cache/posts/", timedelta(days=7), now=clock.now() + timedelta(days=1)
        )
        == 0
    )
    assert (
        await purge_expired(store, "cache/", timedelta(days=7), now=clock.now() + timedelta(days=8))
        == 21
    )  # posts + window
