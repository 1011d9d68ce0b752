"""The volume detector of crisis alerts, on hand-made counts: low counts and empty hours are
floored, a new profile needs a real surge, a slow build is caught by the CUSUM, the level does
not flicker, one event per crisis and a "calming down" when it ends, unknown without counts."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.analysis.anomaly import (
    DEFAULT_PARAMS,
    AnomalyParams,
    Baseline,
    Detection,
    DetectorState,
    Level,
    Signal,
    step,
)

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday afternoon
Rate = Callable[[datetime], float]  # posts per minute at a time


def flat(per_hour: float) -> Rate:
    return lambda t: per_hour / 60


def history(rate: Rate, days: int = 7, seed: int = 1) -> dict[datetime, int]:
    """Hourly counts of the `days` before NOW, Poisson around `rate`."""
    rng = random.Random(seed)
    out: dict[datetime, int] = {}
    t = NOW - timedelta(days=days)
    while t < NOW:
        lam = rate(t) * 60
        out[t] = sum(1 for _ in range(int(lam * 3) + 3) if rng.random() < lam / (int(lam * 3) + 3))
        t += timedelta(hours=1)
    return out


class Stream:
    """Per-minute counts written as the test goes, and the detector run on them."""

    def __init__(self, hourly: dict[datetime, int], seed: int = 2) -> None:
        self.minutes: dict[datetime, int] = {}
        self.baseline = Baseline.of(hourly, NOW)
        self.state = DetectorState()
        self.rng = random.Random(seed)
        self.now = NOW

    def run(
        self,
        minutes: int,
        per_minute: Callable[[datetime], float],
        params: AnomalyParams | None = None,
    ) -> list[Detection]:
        """Advance `minutes`, posts at `per_minute`, a check every 5 minutes."""
        out = []
        for _ in range(minutes):
            lam = per_minute(self.now)
            whole = int(lam)
            self.minutes[self.now] = whole + (1 if self.rng.random() < lam - whole else 0)
            self.now += timedelta(minutes=1)
            if self.now.minute % 5 == 0:
                d = step(self.minutes, self.baseline, self.now, self.state, params)
                self.state = d.state
                out.append(d)
        return out


def levels(ds: list[Detection]) -> list[str]:
    return [d.level.value for d in ds]


def test_low_counts_are_no_crisis() -> None:
    s = Stream(history(flat(3)))  # a quiet brand: 3 posts an hour
    calm = s.run(120, flat(3))
    assert set(levels(calm)) == {"calm"}
    blip = s.run(15, lambda t: 0.6)  # 9 posts in 15 minutes: three hours' worth, still few
    assert Level.ALERT not in {d.level for d in blip}


def test_an_empty_hour_is_floored() -> None:
    def night(t: datetime) -> float:
        return 0.0 if 1 <= t.hour < 5 else 0.5

    hourly = history(night)
    s = Stream(hourly)
    s.now = NOW.replace(hour=2) + timedelta(days=0)
    s.baseline = Baseline.of(hourly, s.now)
    ten = s.run(60, lambda t: 10 / 60)  # ten posts in an hour where there are usually none
    assert Level.ALERT not in {d.level for d in ten}
    surge = s.run(20, lambda t: 5.0)  # a hundred in 20 minutes is a crisis, night or not
    assert Level.ALERT in {d.level for d in surge}


def test_a_new_profile_needs_a_real_surge() -> None:
    s = Stream({})  # no history at all
    assert s.baseline.days == 0
    few = s.run(30, lambda t: 0.5)
    assert Level.ALERT not in {d.level for d in few}
    assert any(code == Signal.NEW_PROFILE for d in few for code, _ in d.reasons)
    surge = s.run(20, lambda t: 15.0)
    assert Level.ALERT in {d.level for d in surge}


def test_a_burst_alerts_within_minutes_with_its_reasons() -> None:
    s = Stream(history(flat(30)))
    s.run(60, flat(30))
    burst = s.run(15, lambda t: 8.0)  # 16x the usual rate
    first = next(i for i, d in enumerate(burst) if d.level is Level.ALERT)
    assert first <= 1  # at the first or second check (5 or 10 minutes)
    d = burst[first]
    assert d.opened and d.reason_codes()[0] == Signal.BURST.value
    figures = dict(d.reasons[0][1])
    assert figures["observed"] > 3 * float(figures["expected"])


def test_a_slow_build_is_caught_by_the_cusum() -> None:
    s = Stream(history(flat(40)))
    s.run(60, flat(40))
    build = s.run(240, lambda t: 40 * 1.9 / 60)  # x1.9 for four hours: no single burst
    assert not any(d.level is Level.ALERT and Signal.BURST.value in d.reason_codes() for d in build)
    alerted = [i for i, d in enumerate(build) if d.level is Level.ALERT]
    assert alerted, "a sustained doubling must alert within four hours"
    assert Signal.SLOW_BUILD.value in build[alerted[0]].reason_codes()


def test_a_build_is_believed_on_the_last_hour_before_two_hours_catch_up() -> None:
    """x2.2 after a usual hour: the last hour already shows it while the two-hour window is
    still diluted by the usual hour; the build alerts sooner than on two hours alone."""

    def first_alert(params: AnomalyParams) -> int:
        s = Stream(history(flat(40)))
        s.run(120, flat(40))
        build = s.run(180, lambda t: 40 * 2.2 / 60, params)
        alerted = [i for i, d in enumerate(build) if d.level is Level.ALERT]
        assert alerted, "x2.2 for three hours must alert"
        assert Signal.SLOW_BUILD.value in build[alerted[0]].reason_codes()
        return alerted[0]

    two_hours_only = replace(DEFAULT_PARAMS, cusum_windows=(120,))
    assert first_alert(DEFAULT_PARAMS) < first_alert(two_hours_only)


def test_a_build_held_below_x2_is_believed_by_persistence() -> None:
    """x1.85 for four hours never reaches the x2 bar; held above x1.75 it alerts as a slow
    build, and not without the persistence rule."""

    def alerts(params: AnomalyParams) -> list[Detection]:
        s = Stream(history(flat(40)))
        s.run(60, flat(40))
        build = s.run(240, lambda t: 40 * 1.85 / 60, params)
        return [d for d in build if d.level is Level.ALERT]

    held = alerts(DEFAULT_PARAMS)
    assert held and Signal.SLOW_BUILD.value in held[0].reason_codes()
    assert held[0].state.low_since is not None
    assert not alerts(replace(DEFAULT_PARAMS, persist_minutes=0))


def test_a_busy_day_is_not_a_slow_build() -> None:
    """A day 30 % busier than the usual ones all afternoon (days differ): no alert."""
    s = Stream(history(flat(40)))
    s.run(60, flat(40))
    busy = s.run(360, lambda t: 40 * 1.3 / 60)
    assert Level.ALERT not in {d.level for d in busy}


def test_hysteresis_one_event_then_calming_down() -> None:
    s = Stream(history(flat(30)))
    s.run(60, flat(30))
    burst = s.run(20, lambda t: 8.0)
    assert sum(d.opened for d in burst) == 1
    event = next(d for d in burst if d.opened).state.event_id
    # still elevated (x1.6): the level stays ALERT, the same event, no new opening
    after = s.run(30, lambda t: 30 * 1.6 / 60)
    assert set(levels(after)) == {"alert"} and not any(d.opened for d in after)
    assert {d.state.event_id for d in after} == {event}
    # back to usual: calming down once, after the calm spell, then calm
    calm = s.run(120, flat(30))
    assert sum(d.closed for d in calm) == 1
    closing = next(i for i, d in enumerate(calm) if d.closed)
    assert Signal.CALMING.value in calm[closing].reason_codes()
    assert set(levels(calm[closing:])) == {"calm"}
    assert calm[-1].state.event_id is None


def test_no_counts_is_unknown_not_calm() -> None:
    d = step(None, None, NOW, DetectorState())
    assert d.level is Level.UNKNOWN and d.reason_codes() == [Signal.NO_COUNTS.value]
    assert not d.deviating


def test_state_round_trips_through_json() -> None:
    s = Stream(history(flat(30)))
    s.run(60, flat(30))
    s.run(10, lambda t: 8.0)
    assert s.state.event_id is not None
    again = DetectorState.from_json(s.state.to_json())
    assert again.to_json() == s.state.to_json() and again.event_id == s.state.event_id


def test_a_day_busier_than_the_week_raises_the_expected_level() -> None:
    """Days drift: when the last day of the baseline already ran x1.6 the usual, today's level
    is read from it, so the afternoon at that level is no build, while a burst on top of it
    still alerts."""

    def busier_today(t: datetime) -> float:
        return (48 if t >= NOW - timedelta(hours=24) else 30) / 60

    s = Stream(history(busier_today))
    assert 1.3 <= s.baseline.level <= 1.6
    busy = s.run(240, lambda t: 48 / 60)
    assert Level.ALERT not in {d.level for d in busy}
    burst = s.run(15, lambda t: 8.0)
    assert Level.ALERT in {d.level for d in burst}


def test_a_quieter_day_never_lowers_the_expected_level() -> None:
    """A quieter evening before (a Sunday) does not make the next hours look busy."""

    def quiet_evening(t: datetime) -> float:
        return (15 if t >= NOW - timedelta(hours=24) else 30) / 60

    s = Stream(history(quiet_evening))
    assert s.baseline.level == 1.0


def test_the_weekday_factor_reads_last_weeks_same_day() -> None:
    """Weekends at half the weekdays' level: a Monday hour is expected near the weekdays'
    level (last Monday, against the same hours of the other days), above the week's mean."""

    def weekdays(t: datetime) -> float:
        return (20 if t.weekday() >= 5 else 40) / 60

    hourly = history(weekdays, days=7, seed=3)
    baseline = Baseline.of(hourly, NOW)
    mu, _ = baseline.rate(NOW)
    week_mean = (5 * 40 + 2 * 20) / 7
    assert week_mean + 1.5 < mu < 44
