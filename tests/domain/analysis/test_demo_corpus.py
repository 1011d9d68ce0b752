"""Integration: the analysis on the demo corpus, with the sentiment model's labels.

Skipped, with the reason, while the demo corpus or the sentiment model is not there.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.analysis import (
    Crisis,
    CrisisLevel,
    Reason,
    analyse,
    assess_crisis,
    find_themes,
    fold_duplicates,
)
from bot.domain.analysis._text import normalised
from tests.domain.analysis import demo_eval

_missing = demo_eval.available()
pytestmark = pytest.mark.skipif(_missing is not None, reason=f"demo corpus: {_missing}")

BRAND = ["Velora", "@velora", "velora_fr", "velora_support"]


@pytest.fixture(scope="module")
def demo() -> demo_eval.Demo:
    return demo_eval.load_demo()


def test_themes_recover_the_labelled_themes(demo: demo_eval.Demo) -> None:
    from bot.clients.encoder import shared_encoder
    from bot.domain.analysis.matching import text_for_vector

    vectors = shared_encoder().encode([text_for_vector(p.post.text) for p in demo.posts])
    result = find_themes(demo.posts, vectors, exclude_terms=BRAND, lang="en")
    other = next((i for i, t in enumerate(result.themes) if t.is_other), None)
    scores = demo_eval.theme_scores([t["theme"] for t in demo.truth], list(result.theme_of), other)
    # Measured (themes from meaning, no tenant vocabulary): purity 0.41, ARI 0.19, recovered
    # 0.55 (6 of 11), coverage 0.85. The lexical themes scored 0.50, 0.22, 0.73, 0.86 with a
    # synonym table tuned to this very corpus (it merged « vol » and « vélo volé » elsewhere).
    assert scores["recovered"] >= 0.45, scores
    assert scores["ari"] >= 0.15, scores
    assert scores["coverage"] >= 0.8, scores  # "other" is capped at 20 %
    assert scores["purity"] >= 0.35, scores
    assert all("velora" not in t.label.lower() for t in result.themes)
    authors = {
        w.lower() for p in demo.posts for w in [*p.post.author.name.split(), p.post.author.handle]
    }
    for theme in result.themes:
        assert not {w.lower() for k in theme.keywords for w in k.split()} & authors, theme.label
    assert result == find_themes(demo.posts, vectors, exclude_terms=BRAND, lang="en")


def test_the_copy_paste_campaign_folds_and_ordinary_posts_mostly_do_not(
    demo: demo_eval.Demo,
) -> None:
    texts = [p.post.text for p in demo.posts]
    folding = fold_duplicates(texts)
    campaign = [i for i, t in enumerate(demo.truth) if t["is_campaign"]]
    largest = Counter(folding.group_of[i] for i in campaign).most_common(1)[0][1]
    keys = [normalised(t) for t in texts]
    false_folds = sum(
        1
        for g in folding.groups
        for i in g.members
        if not demo.truth[i]["is_campaign"] and any(keys[j] != keys[i] for j in g.members)
    )
    # Measured: 897 distinct of 2,737; 60 of the 72 campaign posts in one group (one of its
    # four wordings differs too much); 737 ordinary posts folded with a different text (was
    # 387 distinct, same campaign recall, 2,010 false folds). The corpus is made from templates:
    # many ordinary posts are word-for-word copies, which no text-only folding can tell apart.
    assert folding.distinct >= 850
    assert largest >= 0.8 * len(campaign)
    assert false_folds <= 800


def test_the_scripted_crisis_is_flagged_within_its_first_hour_and_calm_days_are_calm(
    demo: demo_eval.Demo,
) -> None:
    posts = demo.posts
    start = posts[0].post.created_at.replace(minute=0, second=0, microsecond=0)

    def check(now: datetime) -> Crisis:
        counts = demo_eval.hourly_counts(posts, start, now)
        sample = [p for p in posts if now - timedelta(hours=24) <= p.post.created_at < now]
        return assess_crisis(counts, sample[-200:], now)

    # Hour by hour over the calm days before the crisis: never an alert.
    now = start + timedelta(hours=24)
    false_alerts = []
    while now < demo.crisis_start:
        if check(now).level is CrisisLevel.ALERT:
            false_alerts.append(now)
        now += timedelta(hours=1)
    assert false_alerts == []
    # Every 15 minutes from the crisis start: an alert within the hour, with its reasons.
    lead = None
    for minutes in range(15, 61, 15):
        crisis = check(demo.crisis_start + timedelta(minutes=minutes))
        if crisis.alert:
            lead = minutes
            break
    assert lead is not None
    codes = {r.code for r in crisis.reasons}
    assert Reason.VOLUME_SPIKE in codes and Reason.NEGATIVE_REACH in codes


def test_analyse_the_last_day(demo: demo_eval.Demo) -> None:
    now = demo.end
    start = demo.posts[0].post.created_at.replace(minute=0, second=0, microsecond=0)
    counts = demo_eval.hourly_counts(demo.posts, start, now)
    sample = [p for p in demo.posts if p.post.created_at >= now - timedelta(hours=24)]
    a = analyse(sample, counts, now, ZoneInfo("Europe/Paris"), exclude_terms=BRAND)
    assert a.total_mentions == len([p for p in demo.posts if p.post.created_at < now])
    assert a.sample_size == len(sample)
    assert a.volume is not None and a.volume.baseline_days == 7
    assert a.themes.themes and a.voices
    assert a.sentiment.total == a.distinct_posts
