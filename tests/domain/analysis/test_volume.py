from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.analysis.volume import Trend, VolumeLevel, volume
from bot.ports.posts import CountBucket, CountSeries, Granularity

PARIS = ZoneInfo("Europe/Paris")


def _series(start: datetime, counts: list[int]) -> CountSeries:
    buckets = tuple(
        CountBucket(start + timedelta(hours=h), start + timedelta(hours=h + 1), c)
        for h, c in enumerate(counts)
    )
    return CountSeries("q", Granularity.HOUR, buckets, sum(counts))


def test_today_against_the_same_hours_of_previous_days() -> None:
    # UTC, 8 days of 10 posts an hour, then today 30 an hour; now is 10:30.
    start = datetime(2025, 6, 1, tzinfo=UTC)
    counts = [10] * (24 * 8) + [30] * 10 + [15]  # the current hour so far: 15
    now = start + timedelta(days=8, hours=10, minutes=30)
    v = volume(_series(start, counts), now, UTC)
    assert v.today == 315
    assert v.baseline_days == 7
    assert v.same_hours[0].count == 105.0  # 10 full hours + half of the 11th
    assert v.usual_median == 105.0 and v.usual_mean == 105.0
    assert v.ratio == 3.0 and v.change_pct == 200.0
    assert v.level is VolumeLevel.MUCH_HIGHER
    assert v.trend is Trend.STABLE
    assert len(v.daily) == 8


def test_local_midnight_in_the_readers_time_zone() -> None:
    start = datetime(2025, 6, 1, tzinfo=UTC)
    counts = [1] * (24 * 9)
    now = datetime(2025, 6, 9, 12, 0, tzinfo=PARIS)  # 10:00 UTC, midnight Paris = 22:00 UTC
    v = volume(_series(start, counts), now, PARIS)
    assert v.since == datetime(2025, 6, 9, 0, 0, tzinfo=PARIS)
    assert v.today == 12
    assert v.level is VolumeLevel.USUAL


def test_missing_days_are_left_out_and_no_baseline_is_unknown() -> None:
    start = datetime(2025, 6, 8, tzinfo=UTC)
    v = volume(_series(start, [5] * 30), start + timedelta(hours=30), UTC)
    assert v.baseline_days == 1
    only_today = volume(_series(start, [5] * 6), start + timedelta(hours=6), UTC)
    assert only_today.level is VolumeLevel.UNKNOWN and only_today.ratio is None
    assert only_today.today == 30
    empty = volume(_series(start, []), start + timedelta(hours=6), UTC)
    assert empty.today is None and empty.trend is Trend.UNKNOWN


def test_daily_trend() -> None:
    start = datetime(2025, 6, 1, tzinfo=UTC)
    counts = [c for day in range(10) for c in [2 + day] * 24] + [5]
    v = volume(_series(start, counts), start + timedelta(days=10, minutes=30), UTC)
    assert v.trend is Trend.RISING
    assert v.trend_per_day == 24.0
