from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.analysis.crisis import (
    CrisisLevel,
    Reason,
    assess_crisis,
    hour_scores,
    latest_hour,
    poisson_tail,
    predictive_tail,
)
from bot.domain.analysis.types import AnalysedPost, Sentiment
from bot.ports.posts import Author, Post
from tests.domain.analysis.synthetic import T0, hourly_series, minute_counts, series_until


def test_tail_probabilities() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(30, 10.0) == pytest.approx(2.51e-7, rel=0.01)
    # A rate learnt from few hours is less sure than Poisson; with many, they meet.
    assert predictive_tail(30, [10, 10, 10]) > poisson_tail(30, 10.0)
    assert predictive_tail(30, [10] * 2000) == pytest.approx(poisson_tail(30, 10.0), rel=0.1)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("base", [3.0, 20.0, 200.0])
def test_calm_diurnal_weekly_series_never_spikes_over_14_days(seed: int, base: float) -> None:
    series = hourly_series(14, seed=seed, base=base)
    assert [h.start for h in hour_scores(series) if h.spike] == []


@pytest.mark.parametrize(("base", "extra"), [(20.0, 60.0), (5.0, 25.0), (150.0, 300.0)])
@pytest.mark.parametrize("minute", [0, 25, 50])
def test_injected_spike_is_flagged_within_its_first_hour(
    base: float, extra: float, minute: int
) -> None:
    at = T0 + timedelta(days=9, hours=15, minutes=minute)
    minutes = minute_counts(11, seed=2, base=base, spike_at=at, spike_rate=extra)
    flagged = None
    for step in range(0, 61, 5):
        now = at + timedelta(minutes=step)
        hour = latest_hour(series_until(minutes, now), now)
        if hour is not None and hour.spike:
            flagged = step
            break
    assert flagged is not None and flagged <= 60
    # ...and not before it began.
    for back in range(1, 48):
        now = at - timedelta(hours=back)
        hour = latest_hour(series_until(minutes, now), now)
        assert hour is None or not hour.spike


WORDS = [
    "batterie",
    "livraison",
    "appli",
    "prix",
    "vélo",
    "cargo",
    "selle",
    "frein",
    "écran",
    "moteur",
]


def _sample(now: datetime, n: int, negative: float, followers: int) -> list[AnalysedPost]:
    out = []
    for i in range(n):
        sentiment = Sentiment.NEGATIVE if i < negative * n else Sentiment.NEUTRAL
        author = Author(f"a{i}", f"h{i}", "A", followers=followers)
        text = f"{WORDS[i % 10]} {WORDS[i // 10 % 10]} {WORDS[(i * 7) % 10]} sur Velora"
        post = Post(str(i), text, now - timedelta(minutes=i), author)
        out.append(AnalysedPost(post, "fr", sentiment))
    return out


def test_crisis_alert_needs_a_spike_and_says_why() -> None:
    at = T0 + timedelta(days=9, hours=15)
    minutes = minute_counts(10, seed=1, base=20, spike_at=at, spike_rate=120)
    now = at + timedelta(minutes=45)
    series = series_until(minutes, now)
    crisis = assess_crisis(series, _sample(now, 60, 0.7, 40_000), now)
    assert crisis.level is CrisisLevel.ALERT and crisis.alert
    codes = [r.code for r in crisis.reasons]
    assert codes[0] is Reason.VOLUME_SPIKE
    assert Reason.NEGATIVE_SHARE_HIGH in codes and Reason.NEGATIVE_REACH in codes
    spike = crisis.reasons[0]
    assert isinstance(spike.figure("observed"), int)
    assert 0.0 <= crisis.score <= 1.0
    assert crisis.sample_recent and crisis.sample.total == 60
    # The same tone on a calm day: no alert (at most "watch", when the hour is a little busy).
    calm_now = at - timedelta(days=1)
    calm = assess_crisis(
        series_until(minutes, calm_now), _sample(calm_now, 60, 0.7, 40_000), calm_now
    )
    assert calm.level is not CrisisLevel.ALERT
    # A spike of praise: watched, not an alert.
    happy = assess_crisis(series, _sample(now, 60, 0.0, 40_000), now)
    assert happy.level is not CrisisLevel.ALERT


def test_missing_data_is_said_not_guessed() -> None:
    now = T0 + timedelta(days=1)
    crisis = assess_crisis(None, [], now)
    assert crisis.level is CrisisLevel.CALM
    assert {r.code for r in crisis.reasons} >= {Reason.NO_COUNTS, Reason.NO_SAMPLE}
    short = hourly_series(1, seed=1)
    few = assess_crisis(short, _sample(now, 5, 1.0, 10), now)
    codes = {r.code for r in few.reasons}
    assert Reason.NO_BASELINE in codes and Reason.THIN_SAMPLE in codes
    assert not few.sample_recent


def test_deterministic() -> None:
    now = T0 + timedelta(days=8, hours=12)
    series = hourly_series(9, seed=4)
    sample = _sample(now, 40, 0.5, 1000)
    assert assess_crisis(series, sample, now) == assess_crisis(series, sample, now)


def test_naive_times_are_refused_by_analyse() -> None:
    from bot.domain.analysis import analyse

    with pytest.raises(ValueError):
        analyse([], None, datetime(2025, 1, 1), UTC)
