"""The analysis bundle: every figure an answer about "what is said about us" needs.

Grounded: each figure is computed from the counts or the sample given; what is missing or partial
is said in `flags`, never filled in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from bot.domain.analysis.crisis import Crisis, assess_crisis
from bot.domain.analysis.dedupe import DuplicateGroup, fold_duplicates
from bot.domain.analysis.themes import Themes, find_themes
from bot.domain.analysis.thresholds import DEFAULT, Thresholds
from bot.domain.analysis.types import AnalysedPost, SentimentSplit
from bot.domain.analysis.voices import Voice, notable_voices
from bot.domain.analysis.volume import Volume, volume
from bot.ports.posts import CountSeries


class DataFlag(StrEnum):
    NO_COUNTS = "no_counts"  # no volume series: totals and volume comparison unknown
    COUNTS_PARTIAL = "counts_partial"  # the source said the series is partial
    NO_TODAY = "no_today"  # the series does not cover today
    BASELINE_SHORT = "baseline_short"  # fewer previous days than asked to compare with
    NO_BASELINE = "no_baseline"  # no previous day at all
    EARLY_IN_DAY = "early_in_day"  # under 2 hours since local midnight: ratios are fragile
    NO_POSTS = "no_posts"  # no sample: no tone, themes or voices
    SMALL_SAMPLE = "small_sample"  # fewer posts than `Thresholds.small_sample`
    SAMPLE_PARTIAL = "sample_partial"  # the search stopped early (rate limit, budget...)
    FUTURE_POSTS_IGNORED = "future_posts_ignored"  # posts dated after `now` were left out


@dataclass(frozen=True, slots=True)
class Analysis:
    now: datetime
    posts: tuple[AnalysedPost, ...]  # the sample; every index below points into it
    total_mentions: int | None  # from the counts, over the whole counted window
    counts_window: tuple[datetime, datetime] | None
    today_mentions: int | None  # from the counts, since local midnight
    sample_size: int  # posts read
    distinct_posts: int  # after folding copies
    sentiment: SentimentSplit  # over distinct posts (a copy-paste campaign counts once)
    sentiment_all: SentimentSplit  # over all posts read, copies included
    languages: tuple[tuple[str, int], ...]  # (lang, posts), most frequent first
    themes: Themes
    voices: tuple[Voice, ...]
    volume: Volume | None
    crisis: Crisis
    campaigns: tuple[DuplicateGroup, ...]  # groups of copies, the largest first
    flags: tuple[DataFlag, ...]


def analyse(
    posts: Sequence[AnalysedPost],
    counts: CountSeries | None,
    now: datetime,
    tz: tzinfo,
    *,
    sample_partial: bool = False,
    exclude_terms: Iterable[str] = (),
    thresholds: Thresholds = DEFAULT,
    vectors: npt.NDArray[np.floating] | None = None,
    lang: str | None = None,
) -> Analysis:
    """Analyse a sample of posts (already language- and sentiment-tagged) and the hourly
    volume series up to `now`. `exclude_terms` are the brand's own names, kept out of theme
    labels. `tz` is the reader's time zone, for "today". `vectors`: the posts' sentence vectors
    (same order) for the themes; `lang`: the language theme labels are preferably in."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    flags: list[DataFlag] = []
    kept = [i for i, ap in enumerate(posts) if ap.post.created_at <= now]
    sample = tuple(posts[i] for i in kept)
    sample_vectors = None if vectors is None else np.asarray(vectors)[kept]
    if len(sample) < len(posts):
        flags.append(DataFlag.FUTURE_POSTS_IGNORED)
    folding = fold_duplicates([ap.post.text for ap in sample])

    vol: Volume | None = None
    total: int | None = None
    window: tuple[datetime, datetime] | None = None
    if counts is None:
        flags.append(DataFlag.NO_COUNTS)
    else:
        if counts.partial:
            flags.append(DataFlag.COUNTS_PARTIAL)
        total = counts.total
        if counts.buckets:
            window = (min(b.start for b in counts.buckets), max(b.end for b in counts.buckets))
            vol = volume(counts, now, tz, params=thresholds.volume)
            if vol.today is None:
                flags.append(DataFlag.NO_TODAY)
            if vol.baseline_days == 0:
                flags.append(DataFlag.NO_BASELINE)
            elif vol.baseline_days < thresholds.volume.baseline_days:
                flags.append(DataFlag.BASELINE_SHORT)
            if vol.hours_elapsed < 2:
                flags.append(DataFlag.EARLY_IN_DAY)
        else:
            flags.append(DataFlag.NO_TODAY)

    if not sample:
        flags.append(DataFlag.NO_POSTS)
    elif len(sample) < thresholds.small_sample:
        flags.append(DataFlag.SMALL_SAMPLE)
    if sample_partial:
        flags.append(DataFlag.SAMPLE_PARTIAL)

    reps = [g.representative for g in folding.groups]
    langs = Counter(ap.lang for ap in sample)
    return Analysis(
        now=now,
        posts=sample,
        total_mentions=total,
        counts_window=window,
        today_mentions=None if vol is None else vol.today,
        sample_size=len(sample),
        distinct_posts=folding.distinct,
        sentiment=SentimentSplit.of(sample[i].sentiment for i in reps),
        sentiment_all=SentimentSplit.of(ap.sentiment for ap in sample),
        languages=tuple(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        themes=find_themes(
            sample,
            sample_vectors,
            folding=folding,
            params=thresholds.themes,
            exclude_terms=exclude_terms,
            lang=lang,
        ),
        voices=notable_voices(sample, params=thresholds.voices),
        volume=vol,
        crisis=assess_crisis(counts, sample, now, folding=folding, params=thresholds.crisis),
        campaigns=folding.campaigns,
        flags=tuple(flags),
    )
