"""Measures of the analysis on the demo corpus (used by the integration tests; runnable alone).

The corpus and the sentiment model belong to other modules: this file reads them when they
exist, and `available()` says whether they do.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import comb
from typing import Any

from bot.domain.analysis.types import AnalysedPost, to_sentiment
from bot.ports.posts import CountBucket, CountSeries, Granularity, Post


def available() -> str | None:
    """None when the demo corpus and the sentiment model can be used, else why not."""
    for module in ("bot.clients.demo.corpus", "bot.domain.sentiment"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not there yet"
        except ModuleNotFoundError:
            return f"{module} is not there yet"
    from bot.clients.demo.corpus import DEFAULT_CORPUS_PATH, DEFAULT_LABELS_PATH
    from bot.domain.sentiment import DEFAULT_MODEL_PATH

    for path in (DEFAULT_CORPUS_PATH, DEFAULT_LABELS_PATH, DEFAULT_MODEL_PATH):
        if not path.exists():
            return f"{path.name} is not there yet"
    return None


@dataclass(frozen=True, slots=True)
class Demo:
    posts: list[AnalysedPost]  # oldest first; homonyms and the company's own posts left out
    truth: list[dict[str, Any]]  # labels of each post
    end: datetime
    crisis_start: datetime


def load_demo(model_sentiment: bool = True) -> Demo:
    from bot.clients.demo.corpus import load_corpus, load_labels
    from bot.domain.sentiment import analyse_texts

    corpus = load_corpus()
    labels = load_labels()
    end = datetime.fromisoformat(labels["nominal_end"]).astimezone(UTC)
    crisis = end + timedelta(seconds=int(labels["crisis"]["start_offset_s"]))
    kept = [
        e
        for e in corpus.entries
        if not labels["posts"][e.id]["is_homonym"] and not labels["posts"][e.id]["is_own"]
    ]
    analysed = analyse_texts([e.text for e in kept]) if model_sentiment else []
    posts: list[AnalysedPost] = []
    for k, e in enumerate(kept):
        post = Post(
            id=e.id,
            text=e.text,
            created_at=end + timedelta(seconds=e.offset_s),
            author=e.author,
            lang=e.lang,
            metrics=e.metrics,
            reply_to_id=e.reply_to_id,
            quote_of_id=e.quote_of_id,
            conversation_id=e.conversation_id,
        )
        truth = labels["posts"][e.id]
        if model_sentiment:
            posts.append(AnalysedPost(post, analysed[k].lang, to_sentiment(analysed[k].sentiment)))
        else:
            posts.append(AnalysedPost(post, e.lang or "und", to_sentiment(truth["sentiment"])))
    return Demo(posts, [labels["posts"][p.post.id] for p in posts], end, crisis)


def hourly_counts(posts: list[AnalysedPost], start: datetime, now: datetime) -> CountSeries:
    """Hourly buckets from `start` (on the hour) to `now`; the last one holds the posts so far."""
    counts: Counter[int] = Counter()
    for ap in posts:
        t = ap.post.created_at
        if start <= t < now:
            counts[int((t - start).total_seconds() // 3600)] += 1
    n_hours = int((now - start).total_seconds() // 3600) + (
        1 if (now - start).seconds % 3600 else 0
    )
    buckets = tuple(
        CountBucket(start + timedelta(hours=h), start + timedelta(hours=h + 1), counts[h])
        for h in range(n_hours)
    )
    return CountSeries("demo", Granularity.HOUR, buckets, sum(b.count for b in buckets))


def adjusted_rand(a: list[str], b: list[int]) -> float:
    pairs = Counter(zip(a, b, strict=True))
    sa, sb, n = Counter(a), Counter(b), len(a)
    index = sum(comb(v, 2) for v in pairs.values())
    ea, eb = sum(comb(v, 2) for v in sa.values()), sum(comb(v, 2) for v in sb.values())
    expected = ea * eb / comb(n, 2)
    top = (ea + eb) / 2
    return (index - expected) / (top - expected) if top != expected else 1.0


def theme_scores(truth: list[str], found: list[int], other: int | None) -> dict[str, float]:
    """Purity (posts outside "other"), ARI, and the share of labelled themes (of 2 % of the
    posts or more) that are the majority of some found theme, or whose majority lies in one."""
    clusters: dict[int, Counter[str]] = {}
    for t, c in zip(truth, found, strict=True):
        clusters.setdefault(c, Counter())[t] += 1
    named = {c: cnt for c, cnt in clusters.items() if c != other}
    in_named = sum(sum(cnt.values()) for cnt in named.values())
    purity = sum(cnt.most_common(1)[0][1] for cnt in named.values()) / max(in_named, 1)
    sizes = Counter(truth)
    big = [t for t, s in sizes.items() if s >= 0.02 * len(truth)]
    dominant = {cnt.most_common(1)[0][0] for cnt in named.values()}
    recovered = [t for t in big if t in dominant]
    return {
        "purity": round(purity, 3),
        "ari": round(adjusted_rand(truth, found), 3),
        "recovered": round(len(recovered) / max(len(big), 1), 3),
        "coverage": round(in_named / max(len(truth), 1), 3),
    }
