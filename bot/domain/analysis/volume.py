"""Volume: how much is said today, against the same hours of the previous days, and the trend.

"Today" runs from local midnight (in the reader's time zone) to now. Each previous day is read
over the same local hours, so at 10:40 today's count is compared with 00:00-10:40 of each of
the previous days. The hour bucket that holds "now" is partial today; on previous days the
matching bucket is prorated to the same fraction, and so is any bucket that straddles a window
edge (time zones off the hour). Days the hourly series does not cover are left out and counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

import numpy as np

from bot.domain.analysis.thresholds import VolumeThresholds
from bot.ports.posts import CountBucket, CountSeries


class VolumeLevel(StrEnum):
    MUCH_HIGHER = "much_higher"
    HIGHER = "higher"
    USUAL = "usual"
    LOWER = "lower"
    MUCH_LOWER = "much_lower"
    UNKNOWN = "unknown"  # no baseline to compare with


class Trend(StrEnum):
    RISING = "rising"
    STABLE = "stable"
    FALLING = "falling"
    UNKNOWN = "unknown"  # fewer than 3 complete days


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date  # local date
    count: float  # posts (prorated at the edges, hence a float)
    coverage: float  # share of the window the hourly series covers, in [0, 1]


@dataclass(frozen=True, slots=True)
class Volume:
    today: int | None  # posts since local midnight; None when the series does not cover it
    since: datetime  # local midnight
    until: datetime  # now
    hours_elapsed: float
    same_hours: tuple[DayCount, ...]  # previous days over the same hours, most recent first
    usual_median: float | None  # over the complete previous days
    usual_mean: float | None
    ratio: float | None  # today / usual_median
    change_pct: float | None  # (ratio - 1) * 100, rounded to 1 decimal
    level: VolumeLevel
    baseline_days: int  # complete previous days compared
    daily: tuple[DayCount, ...]  # complete local days before today, oldest first
    trend: Trend
    trend_per_day: float | None  # fitted daily change, posts/day per day


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _at(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def window_sum(
    buckets: Sequence[CountBucket], start: datetime, end: datetime
) -> tuple[float, float]:
    """Posts in [start, end), buckets prorated at the edges, and the share of it covered."""
    total = 0.0
    covered = 0.0
    for b in buckets:
        lo, hi = max(b.start, start), min(b.end, end)
        if hi <= lo:
            continue
        overlap = (hi - lo).total_seconds()
        total += b.count * overlap / (b.end - b.start).total_seconds()
        covered += overlap
    length = (end - start).total_seconds()
    return total, (covered / length if length > 0 else 0.0)


def volume(
    counts: CountSeries,
    now: datetime,
    tz: tzinfo,
    *,
    params: VolumeThresholds | None = None,
) -> Volume:
    p = params or VolumeThresholds()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    buckets = sorted(counts.buckets, key=lambda b: b.start)
    local_now = now.astimezone(tz)
    today_date = local_now.date()
    since = _local_midnight(today_date, tz)
    # Today: every bucket that starts before now counts whole (the current one holds the posts
    # so far), prorated only across midnight.
    today_total = 0.0
    today_cover = 0.0
    for b in buckets:
        if b.start >= now or b.end <= since:
            continue
        lo = max(b.start, since)
        length = (b.end - b.start).total_seconds()
        today_total += b.count * (b.end - lo).total_seconds() / length
        today_cover += (min(b.end, now) - lo).total_seconds()
    elapsed = (now - since).total_seconds()
    today_ok = elapsed > 0 and today_cover / elapsed >= p.min_coverage
    today = round(today_total) if today_ok else None
    # The share of the current hour bucket that has elapsed, to prorate previous days alike.
    same_hours: list[DayCount] = []
    for back in range(1, p.baseline_days + 1):
        day = today_date - timedelta(days=back)
        start = _local_midnight(day, tz)
        end = _at(day, local_now.timetz().replace(tzinfo=None), tz)
        if end <= start:
            end = start + timedelta(seconds=1)
        # The window ends where the same bucket is as far along as the current one is.
        total, cover = window_sum(buckets, start, end)
        same_hours.append(DayCount(day, round(total, 2), round(cover, 4)))
    complete = [d.count for d in same_hours if d.coverage >= p.min_coverage]
    median = statistics.median(complete) if complete else None
    mean = statistics.fmean(complete) if complete else None
    ratio = change = None
    level = VolumeLevel.UNKNOWN
    if today is not None and median is not None and mean is not None:
        if median > 0:
            ratio = round(today / median, 3)
            change = round((ratio - 1) * 100, 1)
            level = _level(ratio, p)
        elif mean > 0:
            level = _level(today / mean, p)
        else:
            level = VolumeLevel.USUAL if today == 0 else VolumeLevel.MUCH_HIGHER
    daily = _daily(buckets, today_date, tz, p)
    trend, per_day = _trend(daily, p)
    return Volume(
        today=today,
        since=since,
        until=now,
        hours_elapsed=round(elapsed / 3600, 3),
        same_hours=tuple(same_hours),
        usual_median=median,
        usual_mean=None if mean is None else round(mean, 2),
        ratio=ratio,
        change_pct=change,
        level=level,
        baseline_days=len(complete),
        daily=daily,
        trend=trend,
        trend_per_day=per_day,
    )


def _level(ratio: float, p: VolumeThresholds) -> VolumeLevel:
    if ratio >= p.much_higher:
        return VolumeLevel.MUCH_HIGHER
    if ratio >= p.higher:
        return VolumeLevel.HIGHER
    if ratio <= p.much_lower:
        return VolumeLevel.MUCH_LOWER
    if ratio <= p.lower:
        return VolumeLevel.LOWER
    return VolumeLevel.USUAL


def _daily(
    buckets: Sequence[CountBucket], today: date, tz: tzinfo, p: VolumeThresholds
) -> tuple[DayCount, ...]:
    if not buckets:
        return ()
    first = buckets[0].start.astimezone(tz).date()
    days: list[DayCount] = []
    day = max(first, today - timedelta(days=p.trend_days))
    while day < today:
        start = _local_midnight(day, tz)
        end = _local_midnight(day + timedelta(days=1), tz)
        total, cover = window_sum(buckets, start, end)
        if cover >= p.min_coverage:
            days.append(DayCount(day, round(total, 2), round(cover, 4)))
        day += timedelta(days=1)
    return tuple(days)


def _trend(daily: Sequence[DayCount], p: VolumeThresholds) -> tuple[Trend, float | None]:
    if len(daily) < 3:
        return Trend.UNKNOWN, None
    x = np.array([(d.day - daily[0].day).days for d in daily], dtype=np.float64)
    y = np.array([d.count for d in daily], dtype=np.float64)
    slope = float(np.polyfit(x, y, 1)[0])
    mean = float(y.mean())
    if mean <= 0:
        return Trend.STABLE, round(slope, 3)
    change = slope * float(x[-1] - x[0]) / mean
    if change >= p.trend_change:
        return Trend.RISING, round(slope, 3)
    if change <= -p.trend_change:
        return Trend.FALLING, round(slope, 3)
    return Trend.STABLE, round(slope, 3)
