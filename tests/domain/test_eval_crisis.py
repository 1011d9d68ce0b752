"""The calm families of `scripts/eval_crisis.py` are what the README says they are: a brand's
size, quieter weekends, a drifting day level, a viral post a week, new profiles with 2-3 days
of history; and an event's first posts are found before its onset."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from eval_crisis import CALM_KINDS, CalmKind, Event, calm_runs, calm_times, first_posts

BASE = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday


def kind(name: str) -> CalmKind:
    return next(k for k in CALM_KINDS if k.name == name)


def test_each_family_has_its_brand_size_weekends_and_drift() -> None:
    for name, low, high in (("quiet", 50, 150), ("standard", 400, 700), ("big", 2000, 5000)):
        times, _ = calm_times(kind(name), BASE, 28, seed=4, virals=False)
        per_day = Counter((t - BASE).days for t in times)
        weekdays = [per_day[d] for d in range(28) if (BASE + timedelta(days=d)).weekday() < 5]
        weekends = [per_day[d] for d in range(28) if (BASE + timedelta(days=d)).weekday() >= 5]
        assert 0.6 * low <= min(weekdays) and max(weekdays) <= 1.4 * high
        assert sum(weekends) / len(weekends) < 0.8 * sum(weekdays) / len(weekdays)
        assert max(weekdays) > 1.15 * min(weekdays)  # the day level drifts


def test_a_viral_post_a_week_scaled_to_the_brand() -> None:
    plain, _ = calm_times(kind("standard"), BASE, 21, seed=5, virals=False)
    times, virals = calm_times(kind("standard"), BASE, 21, seed=5)
    assert 2 <= len(virals) <= 4
    assert 30 * len(virals) * 0.5 <= len(times) - len(plain) <= 80 * len(virals) * 1.5
    for start, end, extra_per_usual in virals:
        assert timedelta(hours=1) <= end - start <= timedelta(hours=2)
        assert extra_per_usual > 0


def test_new_profiles_replay_two_days_after_two_or_three_days_of_history() -> None:
    runs = calm_runs(kind("new profile"), BASE, 8, seed=6)
    assert len(runs) == 4
    for run in runs:
        history = run.start - run.times[0]
        assert timedelta(days=2) <= history <= timedelta(days=3, minutes=10)
        assert run.end - run.start == timedelta(days=2)


def test_the_first_posts_are_the_run_of_hours_leading_to_the_onset() -> None:
    t0 = datetime(2013, 1, 1, 10, 0, tzinfo=UTC)
    stray = t0 - timedelta(days=2)
    build = [t0 + timedelta(minutes=20 * i) for i in range(9)]  # 10:00 to 12:40
    surge = [t0 + timedelta(hours=3, seconds=10 * i) for i in range(100)]
    event = Event("x", sorted([stray, *build, *surge]), ["x"])
    onset = event.onset
    assert onset > t0 + timedelta(hours=2)  # in the surge, not at the stray post or the build
    assert first_posts(event, onset) == t0
