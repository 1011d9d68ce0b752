"""One contract for every `PostSource`: XSource (real tweepy client, fake X server) and DemoSource.

Each implementation fixture gives a source and a query that matches some of its posts.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.ports.clock import SystemClock
from bot.ports.posts import Granularity, PostSource, ReadBudget, Window
from tests.support.fake_x import TEST_BEARER_TOKEN, FakeXServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HAS_DEMO = importlib.util.find_spec("bot.clients.demo.source") is not None


@dataclass
class Subject:
    source: PostSource
    query: str


async def _x_subject() -> AsyncIterator[Subject]:
    from bot.clients.x import XSource

    rng = random.Random(7)
    now = datetime.now(UTC)
    async with FakeXServer() as fake:
        authors = [fake.add_user(f"rider{i}", followers=rng.randint(0, 5000)) for i in range(40)]
        for i in range(400):
            fake.add_post(
                rng.choice(["Velora bikes", "J'adore mon Velora", "velora support?"]) + f" {i}",
                author=rng.choice(authors),
                created_at=now - timedelta(minutes=1 + rng.uniform(0, 60 * 48)),
                lang=rng.choice(["fr", "en"]),
                likes=rng.randint(0, 300),
                reposts=rng.randint(0, 20),
            )
        for i in range(50):
            fake.add_post(f"something else {i}", created_at=now - timedelta(hours=i % 40 + 1))
        async with XSource(SecretStr(TEST_BEARER_TOKEN), base_url=fake.base_url) as src:
            yield Subject(src, "velora")


async def _demo_subject() -> AsyncIterator[Subject]:
    from bot.clients.demo.source import DemoSource

    yield Subject(DemoSource(SystemClock()), "velora")


@pytest.fixture(
    params=[
        "x",
        pytest.param(
            "demo",
            marks=pytest.mark.skipif(not HAS_DEMO, reason="bot.clients.demo.source not there yet"),
        ),
    ]
)
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    factory = _x_subject if request.param == "x" else _demo_subject
    async for s in factory():
        yield s


def whole_seconds(hours: float, *, end_ago: timedelta = timedelta(0)) -> Window:
    end = (datetime.now(UTC) - end_ago).replace(microsecond=0)
    return Window(end - timedelta(hours=hours), end)


async def test_is_a_post_source(subject: Subject) -> None:
    assert isinstance(subject.source, PostSource)


async def test_search_respects_budget_and_window(subject: Subject) -> None:
    window = whole_seconds(24)
    result = await subject.source.search(subject.query, window, ReadBudget(max_posts=30))
    assert 0 < len(result.posts) <= 30
    assert not result.partial and result.reason is None
    assert len({p.id for p in result.posts}) == len(result.posts)
    for post in result.posts:
        assert post.created_at.tzinfo is not None
        assert window.start <= post.created_at < window.end
        assert post.author.handle and post.url.startswith("https://x.com/")
    assert result.requests >= 1


async def test_recency_is_newest_first(subject: Subject) -> None:
    result = await subject.source.search(
        subject.query, whole_seconds(24), ReadBudget(50), sort="recency"
    )
    times = [p.created_at for p in result.posts]
    assert times and times == sorted(times, reverse=True)


async def test_relevancy_puts_engaged_posts_first(subject: Subject) -> None:
    window = whole_seconds(24)
    engaged = await subject.source.search(subject.query, window, ReadBudget(20), sort="relevancy")
    every = await subject.source.search(subject.query, window, ReadBudget(2000), sort="recency")
    top = max(p.metrics.engagement for p in every.posts)
    assert engaged.posts[0].metrics.engagement == top


async def test_since_id_gives_only_newer_posts(subject: Subject) -> None:
    window = whole_seconds(24)
    recent = await subject.source.search(subject.query, window, ReadBudget(10), sort="recency")
    assert len(recent.posts) >= 4
    pivot = recent.posts[3]
    newer = await subject.source.search(
        subject.query, window, ReadBudget(100), since_id=pivot.id, sort="recency"
    )
    assert [p.id for p in newer.posts] == [p.id for p in recent.posts[:3]]
    assert newer.newest_id == recent.posts[0].id
    nothing = await subject.source.search(
        subject.query, window, ReadBudget(100), since_id=recent.posts[0].id, sort="recency"
    )
    assert nothing.posts == () and nothing.newest_id == recent.posts[0].id


async def test_counts_agree_with_search(subject: Subject) -> None:
    window = whole_seconds(6, end_ago=timedelta(minutes=1))
    series = await subject.source.counts(subject.query, window, Granularity.HOUR)
    assert not series.partial and series.granularity is Granularity.HOUR
    assert series.total == sum(b.count for b in series.buckets)
    assert series.buckets[0].start == window.start and series.buckets[-1].end == window.end
    for a, b in zip(series.buckets, series.buckets[1:], strict=False):
        assert a.end == b.start and a.start < a.end
    every = await subject.source.search(subject.query, window, ReadBudget(5000), sort="recency")
    assert series.total == len(every.posts) > 0


async def test_no_match_is_empty(subject: Subject) -> None:
    window = whole_seconds(24)
    result = await subject.source.search("zzqxnomatchzz", window, ReadBudget(10))
    assert result.posts == () and not result.partial
    series = await subject.source.counts("zzqxnomatchzz", window, Granularity.DAY)
    assert series.total == 0


async def test_zero_budget_reads_nothing(subject: Subject) -> None:
    result = await subject.source.search(subject.query, whole_seconds(24), ReadBudget(0))
    assert result.posts == ()


async def test_unknown_sort_is_refused(subject: Subject) -> None:
    with pytest.raises(ValueError):
        await subject.source.search(subject.query, whole_seconds(1), ReadBudget(10), sort="popular")
