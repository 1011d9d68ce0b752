from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.analysis import DataFlag, analyse
from bot.domain.analysis.types import Sentiment
from tests.domain.analysis.synthetic import T0, hourly_series, make_posts


def test_bundle_figures_are_computed_from_the_inputs() -> None:
    posts = [lp.post for lp in make_posts(300, seed=2, campaign=20)]
    now = posts[-1].post.created_at + timedelta(minutes=1)
    counts = hourly_series(9, seed=1, start=now.replace(minute=0) - timedelta(days=8, hours=1))
    a = analyse(posts, counts, now, ZoneInfo("Europe/Paris"), exclude_terms=["VeloNova"])
    assert a.total_mentions == counts.total
    assert a.sample_size == 320
    assert a.distinct_posts < a.sample_size
    assert a.sentiment.total == a.distinct_posts
    assert a.sentiment_all.total == a.sample_size
    assert a.sentiment_all.negative >= a.sentiment.negative
    assert dict(a.languages)["fr"] > dict(a.languages)["en"]
    assert a.campaigns and a.campaigns[0].size == 20
    assert a.themes.themes and a.voices
    assert a.volume is not None and a.today_mentions == a.volume.today
    assert a.crisis.score >= 0
    assert DataFlag.NO_COUNTS not in a.flags and DataFlag.SMALL_SAMPLE not in a.flags


def test_missing_and_partial_data_are_flagged() -> None:
    now = T0 + timedelta(hours=1)
    a = analyse([], None, now, ZoneInfo("UTC"), sample_partial=True)
    assert a.total_mentions is None and a.volume is None and a.today_mentions is None
    assert set(a.flags) >= {DataFlag.NO_COUNTS, DataFlag.NO_POSTS, DataFlag.SAMPLE_PARTIAL}
    assert a.sentiment.total == 0 and a.sentiment.negative_share is None
    few = [lp.post for lp in make_posts(5, seed=1)]
    b = analyse(few, hourly_series(1, seed=1), T0 + timedelta(hours=10), ZoneInfo("UTC"))
    assert DataFlag.SMALL_SAMPLE in b.flags and DataFlag.NO_BASELINE in b.flags
    assert DataFlag.EARLY_IN_DAY not in b.flags
    future = analyse(few, None, few[0].post.created_at, ZoneInfo("UTC"))
    assert DataFlag.FUTURE_POSTS_IGNORED in future.flags and future.sample_size == 1


def test_sentiment_labels_of_the_model_are_accepted() -> None:
    from enum import IntEnum

    from bot.domain.analysis.types import to_sentiment

    class Label(IntEnum):
        NEGATIVE = 0
        NEUTRAL = 1
        POSITIVE = 2

    assert to_sentiment(Label.NEGATIVE) is Sentiment.NEGATIVE
    assert to_sentiment("pos") is Sentiment.POSITIVE
    assert to_sentiment("neutral") is Sentiment.NEUTRAL
