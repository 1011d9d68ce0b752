"""Figures that stay put: one snapshot per window, reused by every ask within the memo time,
whatever the answer's language; themes from meaning with each post encoded once."""

from __future__ import annotations

from pathlib import Path

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.demo.source import DemoSource
from bot.clients.encoder import shared_encoder
from bot.clients.store import LocalDirStore
from bot.services.ask import figures_of
from bot.services.costs import CostLedger
from bot.services.embeddings import PostEmbeddings
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from tests.briefing.conftest import CountingSource
from tests.drafting.conftest import FakeClock


async def test_two_asks_in_the_same_minute_quote_the_same_numbers(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path)
    clock = FakeClock()
    source = CountingSource(DemoSource(clock))
    listening = ListeningService(source, store, CostLedger(store, clock), clock)
    embeddings = PostEmbeddings(shared_encoder(), store)
    insights = InsightsService(
        listening, ProfileRepository(store, DEFAULT_PROFILE_PATH), clock, embeddings=embeddings
    )
    first = await insights.compute("t1", lang="fr")
    reads = (source.search_calls, source.count_calls, embeddings.encoded)
    assert embeddings.encoded == first.analysis.sample_size > 0
    again = await insights.compute("t1", lang="fr")
    english = await insights.compute("t1", lang="en")
    assert again is first
    assert (source.search_calls, source.count_calls, embeddings.encoded) == reads  # no new read
    f1, f2 = figures_of(first), figures_of(english)
    for key in ("total_mentions", "today_mentions", "sample_size", "negative", "themes_count"):
        assert f1.get(key) == f2.get(key), key
    assert f1["mentions_scope"] == "all_mentions" and f1["tone_scope"] == "posts_read"
    assert [t.members for t in first.analysis.themes.themes] == [
        t.members for t in english.analysis.themes.themes
    ]
    assert first.analysis.themes.semantic
    named = [t for t in first.analysis.themes.themes if not t.is_other]
    assert named and all(t.label for t in named)
    other = sum(t.size for t in first.analysis.themes.themes if t.is_other)
    assert other <= 0.2 * first.analysis.distinct_posts + 1
