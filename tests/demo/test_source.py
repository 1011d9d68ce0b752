"""DemoSource: the demo corpus replayed relative to a fixed clock, behaving like X."""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta
from typing import Any

import pytest

from bot.clients.demo.corpus import DemoCorpus
from bot.clients.demo.query import QuerySyntaxError
from bot.clients.demo.source import DemoSource
from bot.domain.queries import build_queries
from bot.domain.watch import WatchProfile
from bot.ports.posts import Granularity, PostSource, ReadBudget, Window

from .conftest import NOW, FixedClock

ANCHOR = NOW.replace(microsecond=0)
ALL = ReadBudget(max_posts=100_000)


def last(hours: float = 0, days: float = 0) -> Window:
    return Window(NOW - timedelta(hours=hours, days=days), NOW)


def test_conforms_to_the_protocol(source: DemoSource) -> None:
    assert isinstance(source, PostSource)


async def test_replay_maps_the_corpus_end_to_now(source: DemoSource, corpus: DemoCorpus) -> None:
    result = await source.search("velora", last(days=15), ALL, sort="recency")
    newest = result.posts[0]
    assert newest.created_at <= NOW
    assert all(p.created_at.tzinfo is not None for p in result.posts)
    entry = next(e for e in corpus.entries if e.id == newest.id)
    assert newest.created_at == ANCHOR + timedelta(seconds=entry.offset_s)
    # "Today" always has data.
    today = await source.search("velora", last(hours=6), ALL)
    assert today.posts


async def test_later_clock_shifts_every_post(clock: FixedClock) -> None:
    source = DemoSource(clock, recent_days=None)
    before = await source.search("velora", last(days=15), ALL, sort="recency")
    clock.current = NOW + timedelta(days=3)
    after = await source.search(
        "velora", Window(clock.current - timedelta(days=15), clock.current), ALL, sort="recency"
    )
    assert [p.id for p in before.posts] == [p.id for p in after.posts]  # ids are stable
    assert after.posts[0].created_at - before.posts[0].created_at == timedelta(days=3)


async def test_window_bounds_are_half_open(source: DemoSource) -> None:
    everything = await source.search("velora", last(days=15), ALL, sort="recency")
    pivot = everything.posts[50].created_at
    window = Window(pivot, NOW)
    inside = await source.search("velora", window, ALL)
    assert inside.posts
    assert all(pivot <= p.created_at < NOW for p in inside.posts)
    assert pivot in {p.created_at for p in inside.posts}
    before = await source.search("velora", Window(NOW - timedelta(days=15), pivot), ALL)
    assert all(p.created_at < pivot for p in before.posts)
    assert len(before.posts) + len(inside.posts) == len(everything.posts)


async def test_future_windows_are_empty(source: DemoSource) -> None:
    result = await source.search("velora", Window(NOW, NOW + timedelta(days=1)), ALL)
    assert result.posts == ()
    counts = await source.counts("velora", Window(NOW, NOW + timedelta(hours=3)), Granularity.HOUR)
    assert counts.total == 0


@pytest.mark.parametrize("granularity", list(Granularity))
async def test_counts_total_equals_matching_posts(
    source: DemoSource, granularity: Granularity
) -> None:
    window = last(days=2)
    result = await source.search("velora OR rouleo", window, ALL)
    series = await source.counts("velora OR rouleo", window, granularity)
    assert series.requests == 1
    assert series.total == len(result.posts) == sum(b.count for b in series.buckets)
    assert series.granularity is granularity
    assert series.buckets[0].start == window.start
    assert series.buckets[-1].end == window.end
    for a, b in itertools.pairwise(series.buckets):
        assert a.end == b.start
    step = {"minute": 60, "hour": 3600, "day": 86400}[granularity.value]
    inner = series.buckets[1:-1]
    assert all((b.end - b.start).total_seconds() == step for b in inner)
    assert all(b.start.astimezone(UTC).timestamp() % step == 0 for b in inner)


async def test_since_id_returns_only_newer_posts(source: DemoSource) -> None:
    first = await source.search("velora", last(days=15), ALL, sort="recency")
    pivot = first.posts[20]
    newer = await source.search("velora", last(days=15), ALL, since_id=pivot.id)
    assert {p.id for p in newer.posts} == {p.id for p in first.posts[:20]}
    assert all(int(p.id) > int(pivot.id) for p in newer.posts)
    assert newer.newest_id == first.posts[0].id
    none = await source.search("velora", last(days=15), ALL, since_id=first.newest_id)
    assert none.posts == () and none.newest_id == first.newest_id  # like the X client


async def test_budget_and_pages(source: DemoSource) -> None:
    everything = await source.search("velora", last(days=15), ALL)
    assert len(everything.posts) > 1000
    assert everything.requests == -(-len(everything.posts) // 100)
    assert not everything.partial
    some = await source.search("velora", last(days=15), ReadBudget(max_posts=250))
    assert len(some.posts) == 250
    assert some.requests == 3
    assert not some.partial  # stopping at the budget is not a failure (as in the X client)
    assert some.read_post_ids == () and some.read_user_ids == ()  # the demo is free
    few = await source.search("velora", last(hours=1), ReadBudget(max_posts=10))
    assert few.requests == 1
    nothing = await source.search("zzzunknownzzz", last(days=1), ALL)
    assert nothing.posts == () and nothing.requests == 1 and not nothing.partial
    zero = await source.search("velora", last(days=1), ReadBudget(max_posts=0))
    assert zero.posts == () and zero.requests == 0


async def test_like_recent_search_only_the_last_7_days(clock: FixedClock) -> None:
    recent, full = DemoSource(clock), DemoSource(clock, recent_days=None)
    window = last(days=14)
    a = await recent.search("velora", window, ALL, sort="recency")
    b = await full.search("velora", window, ALL, sort="recency")
    assert min(p.created_at for p in a.posts) >= ANCHOR - timedelta(days=7)
    assert min(p.created_at for p in b.posts) < ANCHOR - timedelta(days=13)
    old = Window(NOW - timedelta(days=14), NOW - timedelta(days=8))
    assert (await recent.search("velora", old, ALL)).posts == ()
    series = await recent.counts("velora", old, Granularity.DAY)
    assert series.total == 0 and series.buckets == ()
    assert (await full.counts("velora", old, Granularity.DAY)).total > 500


async def test_sorts(source: DemoSource) -> None:
    recent = await source.search("velora", last(days=15), ReadBudget(max_posts=300), sort="recency")
    times = [p.created_at for p in recent.posts]
    assert times == sorted(times, reverse=True)
    assert recent.posts[0].created_at >= NOW - timedelta(hours=1)
    relevant = await source.search("velora", last(days=15), ReadBudget(max_posts=50))
    engagement = [p.metrics.engagement for p in relevant.posts]
    assert engagement == sorted(engagement, reverse=True)
    assert engagement[0] > 1000  # the viral crisis posts come first
    with pytest.raises(ValueError, match="sort"):
        await source.search("velora", last(days=1), ALL, sort="random")


async def test_query_honoured(source: DemoSource) -> None:
    fr = await source.search("velora lang:fr", last(days=15), ALL)
    assert fr.posts and all(p.lang == "fr" for p in fr.posts)
    own = await source.search("from:velora_support", last(days=15), ALL)
    assert own.posts and all(p.author.handle == "velora_support" for p in own.posts)
    tag = await source.search("#RappelVelora", last(days=15), ALL)
    assert len(tag.posts) > 40 and all("#rappelvelora" in p.text.lower() for p in tag.posts)
    with pytest.raises(QuerySyntaxError):
        await source.search("(velora", last(days=1), ALL)
    with pytest.raises(QuerySyntaxError):
        await source.search("velora " * 80, last(days=1), ALL)


async def test_replies_and_quotes_point_to_visible_posts(source: DemoSource) -> None:
    result = await source.search("velora OR lea_marchand", last(days=15), ALL)
    posts = {p.id: p for p in result.posts}
    everything = await source.search(
        "velora OR rouleo OR voltigo OR cyclaro OR vélo OR villa OR band OR lea_marchand",
        last(days=15),
        ALL,
    )
    known = {p.id for p in everything.posts} | set(posts)
    replies = [p for p in result.posts if p.reply_to_id]
    quotes = [p for p in result.posts if p.quote_of_id]
    assert len(replies) > 100 and len(quotes) > 20
    for p in replies:
        assert p.conversation_id is not None
        parent = posts.get(p.reply_to_id or "")
        if parent is not None:
            assert parent.created_at < p.created_at
    assert known


async def test_demo_profile_queries_exclude_homonyms(
    clock: FixedClock, profile: WatchProfile, labels: dict[str, Any]
) -> None:
    source = DemoSource(clock, recent_days=None)
    company = build_queries(profile).company
    found: dict[str, Any] = {}
    for query in company.queries:
        result = await source.search(query, last(days=15), ALL)
        found.update({p.id: p for p in result.posts})
    truth = labels["posts"]
    assert not [i for i in found if truth[i]["is_homonym"]]
    assert not [i for i in found if truth[i]["is_own"]]
    about_company = {
        i
        for i, t in truth.items()
        if t["theme"] not in {"competitors", "sector", "homonym"} and not t["is_own"]
    }
    recall = len(about_company & set(found)) / len(about_company)
    assert recall > 0.97
    # Without the exclusions, the name alone catches the homonyms.
    naive = await source.search("velora", last(days=15), ALL)
    assert any(truth[p.id]["is_homonym"] for p in naive.posts)


async def test_competitor_and_sector_queries_find_posts(
    source: DemoSource, profile: WatchProfile
) -> None:
    queries = build_queries(profile)
    for query_set in (*queries.competitors, queries.sector):
        assert query_set is not None
        total = 0
        for query in query_set.queries:
            total += (await source.counts(query, last(days=14), Granularity.DAY)).total
        assert total > 30, query_set.label


def test_corpus_is_loaded_once(clock: FixedClock) -> None:
    a, b = DemoSource(clock), DemoSource(clock)
    assert a.corpus is b.corpus
