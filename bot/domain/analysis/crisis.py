"""Spikes in hourly volume, and a crisis score with the reasons behind it.

Spike: an hour's count against the same hour (and its neighbours) of the previous days. The
expected count is their median; the spread, their MAD (scaled to a standard deviation) floored
by the Poisson spread sqrt(expected), so that a quiet hour's jitter is no spike. An hour is a
spike when its robust z-score, its Poisson tail probability, its ratio to the expected count and
its raw count all pass the thresholds (`CrisisThresholds`); the tail probability is
the negative-binomial predictive of a Poisson rate learnt from the baseline hours, so that a
short baseline does not make ordinary hours look unlikely. The hour in progress is read with
its expected count scaled to the elapsed fraction, so a spike can be seen before the hour ends.

Crisis score, in [0, 1]: a weighted sum of the spike's strength, the negative share of the
recent sample (copies folded) and the reach of its negative authors. The result lists
reason codes with their figures, for the presentation layer to phrase; no sentences here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.analysis.dedupe import Folding, fold_duplicates
from bot.domain.analysis.thresholds import CrisisThresholds
from bot.domain.analysis.types import AnalysedPost, Sentiment, SentimentSplit
from bot.ports.posts import CountBucket, CountSeries

Figure = int | float | str


class CrisisLevel(StrEnum):
    CALM = "calm"
    WATCH = "watch"
    ALERT = "alert"


class Reason(StrEnum):
    VOLUME_SPIKE = "volume_spike"  # observed, expected, ratio, z, p_value, hour_start
    VOLUME_ELEVATED = "volume_elevated"  # an hour well above usual but below the spike bar
    NEGATIVE_SHARE_HIGH = "negative_share_high"  # share, negative, sample
    NEGATIVE_SHARE_RISING = "negative_share_rising"  # share, earlier_share
    NEGATIVE_REACH = "negative_reach"  # followers, authors, top_handle, top_followers
    VERIFIED_NEGATIVE = "verified_negative_voices"  # count
    COORDINATED_CAMPAIGN = "coordinated_campaign"  # copies, campaigns
    NO_BASELINE = "no_baseline"  # the hourly series is too short to know what is usual
    NO_COUNTS = "no_counts"
    THIN_SAMPLE = "thin_sample"  # sample, needed
    NO_SAMPLE = "no_sample"


@dataclass(frozen=True, slots=True)
class ReasonItem:
    code: Reason
    figures: tuple[tuple[str, Figure], ...] = ()

    def figure(self, name: str) -> Figure | None:
        return next((v for k, v in self.figures if k == name), None)


@dataclass(frozen=True, slots=True)
class HourScore:
    start: datetime
    end: datetime
    observed: int
    expected: float  # scaled to the elapsed fraction for the hour in progress
    samples: int  # baseline hours used
    z: float
    p_value: float  # P(X >= observed) under the baseline's predictive law
    ratio: float | None  # observed / expected
    fraction: float  # of the hour elapsed (1.0 for a complete hour)
    spike: bool


@dataclass(frozen=True, slots=True)
class CrisisParts:
    spike: float
    negative: float
    reach: float


@dataclass(frozen=True, slots=True)
class Crisis:
    level: CrisisLevel
    score: float  # in [0, 1]
    parts: CrisisParts  # each in [0, 1], before weighting
    reasons: tuple[ReasonItem, ...]  # strongest first
    hour: HourScore | None  # the most anomalous of the latest hours
    sample: SentimentSplit  # the sample the negative share is read on (copies folded)
    sample_recent: bool  # True: last `recent_hours`; False: the whole sample, too few recent
    negative_followers: int

    @property
    def alert(self) -> bool:
        return self.level is CrisisLevel.ALERT


def poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    lam = max(lam, 1e-9)
    log_lam = math.log(lam)

    def term(i: int) -> float:
        return math.exp(-lam + i * log_lam - math.lgamma(i + 1))

    if k <= lam:  # lower side: 1 - P(X < k)
        return max(0.0, min(1.0, 1.0 - math.fsum(term(i) for i in range(k))))
    total, i = 0.0, k
    while True:
        t = term(i)
        total += t
        if t < 1e-17 * total or i > k + 100_000:
            break
        i += 1
    return min(1.0, total)


def predictive_tail(k: int, samples: Sequence[int], fraction: float = 1.0) -> float:
    """P(X >= k) for the next count, given past counts `samples` of the same kind of hour.

    Poisson with a rate learnt from few hours is over-confident; with a Jeffreys-like
    Gamma(0.5, 0) prior the predictive law of X (over `fraction` of an hour) is negative
    binomial, with r = sum + 0.5 and success probability n / (n + fraction).
    """
    if k <= 0:
        return 1.0
    n = len(samples)
    if n == 0:
        return 1.0
    r = sum(samples) + 0.5
    q = fraction / (n + fraction)  # probability of one more "failure"
    log_p, log_q = math.log1p(-q), math.log(q)

    def log_pmf(i: int) -> float:
        return math.lgamma(i + r) - math.lgamma(r) - math.lgamma(i + 1) + r * log_p + i * log_q

    mean = r * q / (1 - q)
    if k <= mean:
        return max(0.0, min(1.0, 1.0 - math.fsum(math.exp(log_pmf(i)) for i in range(k))))
    total, i = 0.0, k
    while True:
        t = math.exp(log_pmf(i))
        total += t
        if t < 1e-17 * total or i > k + 100_000:
            break
        i += 1
    return min(1.0, total)


def _bucket_map(counts: CountSeries) -> dict[datetime, CountBucket]:
    return {b.start: b for b in counts.buckets}


def score_hour(
    counts: CountSeries,
    start: datetime,
    now: datetime | None = None,
    *,
    params: CrisisThresholds | None = None,
    _index: dict[datetime, CountBucket] | None = None,
) -> HourScore | None:
    """The hour bucket starting at `start` against its baseline; None when it has none."""
    p = params or CrisisThresholds()
    index = _index if _index is not None else _bucket_map(counts)
    bucket = index.get(start)
    if bucket is None:
        return None
    samples: list[int] = []
    for day in range(1, p.baseline_days + 1):
        for k in range(-p.neighbour_hours, p.neighbour_hours + 1):
            b = index.get(start - timedelta(days=day) + timedelta(hours=k))
            if b is not None:
                samples.append(b.count)
    if len(samples) < p.min_baseline_samples:
        return None
    length = (bucket.end - bucket.start).total_seconds()
    fraction = 1.0
    if now is not None and bucket.start < now < bucket.end:
        fraction = (now - bucket.start).total_seconds() / length
    median = statistics.median(samples)
    mad = statistics.median(abs(s - median) for s in samples)
    expected = median * fraction
    # Spread: the days' own (MAD), or at least Poisson's, widened for a rate learnt from few hours.
    poisson_sd = math.sqrt(max(expected, 1.0) * (1 + fraction / len(samples)))
    sigma = max(1.4826 * mad * fraction, poisson_sd)
    observed = bucket.count
    z = (observed - expected) / sigma
    p_value = predictive_tail(observed, samples, fraction)
    ratio = observed / expected if expected > 0 else None
    spike = (
        z >= p.spike_z
        and p_value <= p.spike_p
        and (ratio is None or ratio >= p.spike_ratio)
        and observed >= p.spike_min_count
    )
    return HourScore(
        start=bucket.start,
        end=bucket.end,
        observed=observed,
        expected=round(expected, 3),
        samples=len(samples),
        z=round(z, 3),
        p_value=p_value,
        ratio=None if ratio is None else round(ratio, 3),
        fraction=round(fraction, 4),
        spike=spike,
    )


def hour_scores(
    counts: CountSeries, now: datetime | None = None, *, params: CrisisThresholds | None = None
) -> tuple[HourScore, ...]:
    """Every hour of the series (up to `now`) that has a baseline, oldest first."""
    index = _bucket_map(counts)
    out: list[HourScore] = []
    for b in sorted(counts.buckets, key=lambda b: b.start):
        if now is not None and b.start >= now:
            continue
        s = score_hour(counts, b.start, now, params=params, _index=index)
        if s is not None:
            out.append(s)
    return tuple(out)


def latest_hour(
    counts: CountSeries, now: datetime, *, params: CrisisThresholds | None = None, hours: int = 2
) -> HourScore | None:
    """The most anomalous of the last `hours` hour buckets before `now` (the current one, in
    progress, and the one before it): a spike that started late in the previous hour stays
    visible while the current hour is young."""
    index = _bucket_map(counts)
    recent = sorted((b for b in counts.buckets if b.start < now), key=lambda b: b.start)[-hours:]
    scores = [
        s
        for b in recent
        if (s := score_hour(counts, b.start, now, params=params, _index=index)) is not None
    ]
    if not scores:
        return None
    return max(scores, key=lambda s: (s.spike, s.z, s.start))


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def assess_crisis(
    counts: CountSeries | None,
    posts: Sequence[AnalysedPost],
    now: datetime,
    *,
    folding: Folding | None = None,
    params: CrisisThresholds | None = None,
) -> Crisis:
    """How likely a crisis is building now, and why. `posts` is the sample read (any period up
    to `now`); `folding`, if given, comes from `fold_duplicates` over the same posts."""
    p = params or CrisisThresholds()
    reasons: list[tuple[float, ReasonItem]] = []  # (strength, reason) to sort by

    # 1. Volume.
    hour = latest_hour(counts, now, params=p) if counts is not None and counts.buckets else None
    if counts is None or not counts.buckets:
        reasons.append((0.0, ReasonItem(Reason.NO_COUNTS)))
    elif hour is None:
        reasons.append((0.0, ReasonItem(Reason.NO_BASELINE)))
    spike_part = 0.0
    if hour is not None:
        lo = p.spike_z / 2
        spike_part = _clamp((hour.z - lo) / (p.spike_z_full - lo))
        if not hour.spike:
            spike_part = min(spike_part, 0.5)
        figures: tuple[tuple[str, Figure], ...] = (
            ("observed", hour.observed),
            ("expected", round(hour.expected, 1)),
            ("ratio", -1.0 if hour.ratio is None else round(hour.ratio, 2)),
            ("z", round(hour.z, 1)),
            ("p_value", float(f"{hour.p_value:.2e}")),
            ("hour_start", hour.start.isoformat()),
            ("fraction", round(hour.fraction, 2)),
        )
        if hour.spike:
            reasons.append((1.0 + spike_part, ReasonItem(Reason.VOLUME_SPIKE, figures)))
        elif hour.z >= p.spike_z / 2 and hour.ratio is not None and hour.ratio >= 1.5:
            reasons.append((spike_part, ReasonItem(Reason.VOLUME_ELEVATED, figures)))

    # 2. The sample: recent posts if there are enough, else all of it; copies count once.
    usable = [i for i, ap in enumerate(posts) if ap.post.created_at <= now]
    if folding is None:
        folding = fold_duplicates([ap.post.text for ap in posts])
    since = now - timedelta(hours=p.recent_hours)
    recent = [i for i in usable if posts[i].post.created_at >= since]
    recent_reps = _distinct(recent, folding)
    use_recent = len(recent_reps) >= p.min_sample
    chosen = recent_reps if use_recent else _distinct(usable, folding)
    split = SentimentSplit.of(posts[i].sentiment for i in chosen)
    neg_share = split.negative_share
    negative_part = 0.0
    if not usable:
        reasons.append((0.0, ReasonItem(Reason.NO_SAMPLE)))
    elif len(chosen) < p.min_sample:
        reasons.append(
            (
                0.0,
                ReasonItem(Reason.THIN_SAMPLE, (("sample", len(chosen)), ("needed", p.min_sample))),
            )
        )
    if neg_share is not None:
        negative_part = _clamp(
            (neg_share - p.negative_share_floor) / (p.negative_share_full - p.negative_share_floor)
        )
        if negative_part > 0:
            reasons.append(
                (
                    0.5 + negative_part,
                    ReasonItem(
                        Reason.NEGATIVE_SHARE_HIGH,
                        (
                            ("share", round(neg_share, 3)),
                            ("negative", split.negative),
                            ("sample", split.total),
                        ),
                    ),
                )
            )
        if use_recent:
            earlier = _distinct([i for i in usable if posts[i].post.created_at < since], folding)
            if len(earlier) >= p.min_sample:
                before = SentimentSplit.of(posts[i].sentiment for i in earlier).negative_share
                if before is not None and neg_share - before >= 0.15:
                    reasons.append(
                        (
                            0.4 + neg_share - before,
                            ReasonItem(
                                Reason.NEGATIVE_SHARE_RISING,
                                (
                                    ("share", round(neg_share, 3)),
                                    ("earlier_share", round(before, 3)),
                                ),
                            ),
                        )
                    )

    # 3. Reach of the negative authors in that sample.
    negative_posts = [posts[i] for i in chosen if posts[i].sentiment is Sentiment.NEGATIVE]
    authors = {ap.post.author.id: ap.post.author for ap in negative_posts}
    followers = sum(a.followers for a in authors.values())
    reach_part = 0.0
    if followers > 0:
        lo, hi = math.log10(p.negative_reach_floor), math.log10(p.negative_reach_full)
        reach_part = _clamp((math.log10(followers) - lo) / (hi - lo))
    if reach_part > 0 and authors:
        top = max(authors.values(), key=lambda a: (a.followers, a.id))
        reasons.append(
            (
                0.3 + reach_part,
                ReasonItem(
                    Reason.NEGATIVE_REACH,
                    (
                        ("followers", followers),
                        ("authors", len(authors)),
                        ("top_handle", top.handle),
                        ("top_followers", top.followers),
                    ),
                ),
            )
        )
    verified = sum(1 for a in authors.values() if a.verified)
    if verified:
        reasons.append((0.3, ReasonItem(Reason.VERIFIED_NEGATIVE, (("count", verified),))))

    # 4. Coordinated copies among the negative posts of the recent window.
    window = set(recent if use_recent else usable)
    campaigns = [
        g
        for g in folding.campaigns
        if g.size >= p.campaign_min_size
        and any(m in window and posts[m].sentiment is Sentiment.NEGATIVE for m in g.members)
    ]
    if campaigns:
        reasons.append(
            (
                0.2,
                ReasonItem(
                    Reason.COORDINATED_CAMPAIGN,
                    (("copies", sum(g.size for g in campaigns)), ("campaigns", len(campaigns))),
                ),
            )
        )

    score = _clamp(
        p.weight_spike * spike_part
        + p.weight_negative * negative_part
        + p.weight_reach * reach_part
    )
    spiking = hour is not None and hour.spike
    if score >= p.alert_score and (spiking or not p.alert_needs_spike):
        level = CrisisLevel.ALERT
    elif score >= p.watch_score and hour is not None and hour.z >= p.spike_z / 2:
        level = CrisisLevel.WATCH
    else:
        level = CrisisLevel.CALM
    reasons.sort(key=lambda r: -r[0])
    return Crisis(
        level=level,
        score=round(score, 3),
        parts=CrisisParts(round(spike_part, 3), round(negative_part, 3), round(reach_part, 3)),
        reasons=tuple(r for _, r in reasons),
        hour=hour,
        sample=split,
        sample_recent=use_recent,
        negative_followers=followers,
    )


def _distinct(indices: Sequence[int], folding: Folding) -> list[int]:
    """One index per duplicate group among `indices` (the first one seen)."""
    seen: set[int] = set()
    out: list[int] = []
    for i in indices:
        g = folding.group_of[i]
        if g not in seen:
            seen.add(g)
            out.append(i)
    return out
