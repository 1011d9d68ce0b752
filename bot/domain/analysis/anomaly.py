"""Volume anomaly detector for crisis alerts: cheap, run every few minutes on the counts only.

Three pieces, all pure:

- **A seasonal baseline** (`Baseline`): the expected rate of mentions for each hour, from the
  hourly counts of the previous days at the same hour of day (and its neighbours), scaled by a
  weekday factor (the same calendar day a week ago against the same hours of the other days)
  and by today's level (the latest hours of the baseline against what it expected of them,
  never below 1: a busier day than the week's is no build), and floored (`floor_per_hour`, and
  a share of the overall mean rate) so that an empty hour at night or a new profile does not
  make ten posts a full-strength spike. The rate is uncertain (learnt from few hours, days
  differ): the count over a window is read with a negative-binomial law whose dispersion adds the
  days' own over-dispersion to the uncertainty of a rate learnt from `n` hours.
- **A burst test** over the last 10, 20, 30 and 60 minutes (the negative-binomial tail): the
  strength of the evidence is `-log10(p)`; a burst also needs a ratio and an excess of posts.
- **A slow-build test**: a Poisson CUSUM for a rate `cusum_k` times the baseline, carried from
  check to check in `DetectorState` (minute by minute; never counts a minute twice), and only
  believed when the last hour or the last two hours are also above the usual (or held above a
  lower bar for a while); its alert
  threshold is the calm days' maximum times a margin (see `AnomalyParams.cusum_alert`).

`step()` turns the evidence into a level with hysteresis (an open event stays ALERT while the
volume is still elevated, and ends after `calm_minutes` of calm: a "calming down"), one event
per crisis (its id is its start), and an explicit UNKNOWN level when the counts are missing.
The severity from the sample (negative share, reach of negative voices) is added by the caller:
it raises the score and shapes the message, it never gates the alert.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from scipy.special import betainc

Figure = int | float | str


class Level(StrEnum):
    CALM = "calm"
    WATCH = "watch"
    ALERT = "alert"
    UNKNOWN = "unknown"  # the counts could not be read: nothing is known, not "calm"


class Signal(StrEnum):
    BURST = "volume_burst"  # window_minutes, observed, expected, ratio, p_value
    ELEVATED = "volume_elevated"  # same figures, below the alert bar
    SLOW_BUILD = "slow_build"  # cusum, observed, expected, ratio (the window that passed)
    ONGOING = "event_ongoing"  # the event is still open (hysteresis)
    CALMING = "calming_down"  # the event has ended
    NEW_PROFILE = "short_baseline"  # days of history
    NO_COUNTS = "no_counts"


@dataclass(frozen=True, slots=True)
class AnomalyParams:
    baseline_days: int = 7
    neighbour_hours: int = 1
    floor_per_hour: float = 2.0  # the expected rate never goes below this...
    floor_share_of_mean: float = 0.25  # ...nor below this share of the mean hourly rate
    min_dispersion: float = 0.04  # days differ: at least this over-dispersion (CV 20 %)
    short_history_dispersion: float = 0.1  # added under a week of history (weekdays unknown)
    weekday_shrink: float = 0.5  # weekday factor pulled halfway to 1 (one week is one sample)
    windows: tuple[int, ...] = (10, 20, 30, 60)  # minutes of the burst test
    alert_strength: float = 7.0  # -log10(p) at or above which a burst is an alert...
    alert_ratio: float = 2.0  # ...with observed / expected at least this...
    alert_excess: float = 12.0  # ...and this many posts above the expected count.
    surge_strength: float = 4.5  # or a surge: weaker evidence, but a ratio this high...
    surge_ratio: float = 3.0
    surge_excess: float = 15.0  # ...and this many posts above the expected count.
    watch_strength: float = 3.0
    watch_ratio: float = 1.5
    watch_excess: float = 5.0
    cusum_k: float = 2.0  # CUSUM tuned to detect a rate this many times the usual
    # CUSUM statistic for an alert: the highest it reached while "building" over 48 calm days
    # of `scripts/eval_crisis.py`'s events' stream (15.0) x a margin of 1.25, not fitted to the
    # events (on the drifting calm families it reaches its cap: the x2 belief below gates)...
    cusum_alert: float = 18.75
    # ...when the last hour or two hours are this much above today's usual (1.5 before the
    # harder calm streams: drifting days and viral posts reached x2 and more)
    cusum_ratio: float = 2.0
    cusum_strength: float = 2.5  # unlikely at this -log10(p) on their own...
    cusum_excess: float = 10.0  # ...and this many posts above the usual
    cusum_windows: tuple[int, ...] = (60, 120)  # the windows those are read over (any passes)
    cusum_cap: float = 40.0  # keeps an old build from lingering for hours after it ends
    hold_strength: float = 2.0  # an open event stays open while the evidence is this strong
    hold_ratio: float = 1.3  # or the last half hour is this much above the usual
    calm_minutes: int = 30  # calm this long closes the event ("calming down")
    min_history_days: int = 1  # less history: the short-baseline reason is given
    level_hours: int = 24  # today's level is read over these latest hours of the baseline...
    level_prior: float = 100.0  # ...shrunk toward 1 by this many expected posts...
    level_bounds: tuple[float, float] = (1.0, 1.6)  # ...and kept within these (never below
    # the usual: a quiet day raises no false alarm, a busier one should not either)
    # Tried on the tuning events and calm families, kept off (see README "Crisis alerts"):
    level_gap_hours: int = 0  # today's level leaves out the latest hours of the baseline
    level_median: bool = False  # today's level: the median of the hourly ratios, not the sum
    # Persistence: a build held above this lower bar (same strength and excess) on every check
    # for this long is believed too: calm drift and viral posts are short, builds keep on
    # (0 minutes: off). x1.75 held 20 min: no calm alert added on the calm families.
    persist_ratio: float = 1.75
    persist_minutes: int = 20


DEFAULT_PARAMS = AnomalyParams()


# -- baseline --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baseline:
    """Expected mentions per hour, from previous days' hourly counts."""

    hourly: Mapping[datetime, int]  # hour start (UTC) -> count
    mean_per_hour: float  # over the days, or over the last day if higher (a new normal)
    days: float  # how much history it is learnt from
    params: AnomalyParams = DEFAULT_PARAMS
    level: float = 1.0  # today's level against the seasonal baseline (see `of`)
    _cache: dict[datetime, tuple[float, float]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls, hourly: Mapping[datetime, int], before: datetime, params: AnomalyParams | None = None
    ) -> Baseline:
        p = params or DEFAULT_PARAMS
        start = before - timedelta(days=p.baseline_days)
        kept = {h: c for h, c in hourly.items() if start <= h and h + timedelta(hours=1) <= before}
        mean = statistics.fmean(kept.values()) if kept else 0.0
        last_day = [c for h, c in kept.items() if h >= before - timedelta(days=1)]
        recent = statistics.fmean(last_day) if len(last_day) >= 12 else 0.0
        days = len(kept) / 24
        plain = cls(kept, max(mean, recent), days, p)
        if p.level_hours <= 0 or days < p.min_history_days:
            return plain
        # Today's level: the latest hours against what the seasonal baseline expected of them
        # (shrunk toward 1 by a pseudo-count, bounded), so a busier or quieter day than the
        # week's is neither a build nor a dip.
        last = max(kept) - timedelta(hours=p.level_gap_hours)
        since = last + timedelta(hours=1 - p.level_hours)
        recent_hours = [h for h in kept if since <= h <= last]
        if not recent_hours:
            return plain
        observed = sum(kept[h] for h in recent_hours)
        expected = sum(plain.rate(h)[0] for h in recent_hours)
        if p.level_median:
            # robust to a few busy hours: the median hourly ratio, shrunk by the same prior
            ratio = statistics.median(kept[h] / plain.rate(h)[0] for h in recent_hours)
            w = expected / (expected + p.level_prior)
            level = w * ratio + (1 - w)
        else:
            level = (observed + p.level_prior) / (expected + p.level_prior)
        level = min(p.level_bounds[1], max(p.level_bounds[0], level))
        return cls(kept, max(mean, recent), days, p, level)

    def rate(self, hour: datetime, levelled: bool = False) -> tuple[float, float]:
        """(expected count for the hour starting at `hour`, over-dispersion phi) for a NB law
        of variance mu + phi * mu^2; `levelled`: at today's level (the slow-build test)."""
        hour = hour.replace(minute=0, second=0, microsecond=0)
        if levelled and self.level != 1.0:
            mu, phi = self.rate(hour)
            floor = max(
                self.params.floor_per_hour, self.params.floor_share_of_mean * self.mean_per_hour
            )
            return max(mu * self.level, floor), phi
        cached = self._cache.get(hour)
        if cached is not None:
            return cached
        p = self.params
        samples: list[int] = []
        same_hour: list[int] = []  # the days' spread is read on the very hour (neighbours slope)
        for day in range(1, p.baseline_days + 1):
            for k in range(-p.neighbour_hours, p.neighbour_hours + 1):
                c = self.hourly.get(hour - timedelta(days=day) + timedelta(hours=k))
                if c is not None:
                    samples.append(c)
                    if k == 0:
                        same_hour.append(c)
        floor = max(p.floor_per_hour, p.floor_share_of_mean * self.mean_per_hour)
        if not samples:
            mu = max(floor, self.mean_per_hour)
            result = (mu, 1.0)  # nothing known about this hour: wide
            self._cache[hour] = result
            return result
        mean = statistics.fmean(samples)
        median = statistics.median(samples)
        centre = max(mean, median)
        spread = same_hour if len(same_hour) > 2 else samples
        var = statistics.pvariance(spread) if len(spread) > 1 else centre
        phi = max(p.min_dispersion, (var - centre) / centre**2 if centre > 0 else 0.0)
        phi += 1.0 / (sum(samples) + 0.5)  # a rate learnt from few posts is uncertain
        if self.days < p.baseline_days - 1:  # a new profile: its weekdays are not known yet
            phi += p.short_history_dispersion
        mu = centre * self._weekday(hour)
        result = (max(mu, floor), phi)
        self._cache[hour] = result
        return result

    def _weekday(self, hour: datetime) -> float:
        """This weekday's level against the usual day: the same calendar day a week ago (the
        part of it still in the 7 days known, at least 6 hours) against the same hours of the
        other days (one sample: shrunk toward 1, and never below 1)."""
        p = self.params
        day = hour.replace(hour=0) - timedelta(days=7)
        hours = [h for h in range(24) if day + timedelta(hours=h) in self.hourly]
        if len(hours) < 6:
            return 1.0
        week_ago = sum(self.hourly[day + timedelta(hours=h)] for h in hours)
        others = [
            sum(self.hourly[d + timedelta(hours=h)] for h in hours)
            for d in (day + timedelta(days=k) for k in range(1, 7))
            if all(d + timedelta(hours=h) in self.hourly for h in hours)
        ]
        if not others or statistics.fmean(others) <= 0:
            return 1.0
        local = week_ago / statistics.fmean(others)
        # Raising only: one week is one sample, and a day that drifted low last week must not
        # lower this week's bar (a quieter weekday is safe: it is only detected a bit later).
        return max(1.0, min(2.0, 1.0 + p.weekday_shrink * (local - 1.0)))

    def expected(
        self, start: datetime, end: datetime, levelled: bool = False
    ) -> tuple[float, float]:
        """Expected count over [start, end) (minute resolution) and its dispersion."""
        mu, phi_weighted = 0.0, 0.0
        t = start
        while t < end:
            hour_end = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            stop = min(end, hour_end)
            rate, phi = self.rate(t, levelled)
            part = rate * (stop - t).total_seconds() / 3600
            mu += part
            phi_weighted += phi * part
            t = stop
        return mu, (phi_weighted / mu if mu > 0 else 1.0)


def tail(observed: int, mu: float, phi: float) -> float:
    """P(X >= observed) for X negative binomial of mean mu and variance mu + phi mu^2."""
    if observed <= 0:
        return 1.0
    r = 1.0 / max(phi, 1e-9)
    # P(X >= k) = I_{1-p}(k, r), the regularised incomplete beta (what nbinom.sf computes,
    # without scipy.stats' per-call overhead: the check runs every few minutes per tenant)
    return float(betainc(observed, r, mu / (r + mu)))


# -- evidence ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    minutes: int
    observed: int
    expected: float
    p_value: float

    @property
    def strength(self) -> float:
        return -math.log10(max(self.p_value, 1e-300))

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf

    @property
    def excess(self) -> float:
        return self.observed - self.expected


@dataclass(frozen=True, slots=True)
class DetectorState:
    """What a check leaves for the next one (stored per tenant)."""

    level: Level = Level.CALM
    cusum: float = 0.0
    through: datetime | None = None  # the last minute counted into the CUSUM (its end)
    event_id: str | None = None  # the open event
    event_start: datetime | None = None
    calm_since: datetime | None = None  # the open event has been calm since then
    peak_score: float = 0.0
    low_since: datetime | None = None  # the build has held above the lower bar since then

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "cusum": round(self.cusum, 4),
            "through": self.through.isoformat() if self.through else None,
            "event_id": self.event_id,
            "event_start": self.event_start.isoformat() if self.event_start else None,
            "calm_since": self.calm_since.isoformat() if self.calm_since else None,
            "peak_score": self.peak_score,
            "low_since": self.low_since.isoformat() if self.low_since else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DetectorState:
        def when(key: str) -> datetime | None:
            v = data.get(key)
            return datetime.fromisoformat(str(v)) if v else None

        level = str(data.get("level", "calm"))
        return cls(
            level=Level(level) if level in Level.__members__.values() else Level.CALM,
            cusum=float(str(data.get("cusum", 0.0))),
            through=when("through"),
            event_id=str(data["event_id"]) if data.get("event_id") else None,
            event_start=when("event_start"),
            calm_since=when("calm_since"),
            peak_score=float(str(data.get("peak_score", 0.0))),
            low_since=when("low_since"),
        )


@dataclass(frozen=True, slots=True)
class Detection:
    level: Level
    score: float  # volume evidence in [0, 1] (severity from the sample is added by the caller)
    reasons: tuple[tuple[Signal, tuple[tuple[str, Figure], ...]], ...]
    deviating: bool  # worth reading a sample of posts
    state: DetectorState  # to store for the next check
    opened: bool = False  # this check opened a new event
    closed: bool = False  # this check ended the open event ("calming down")
    window: Window | None = None  # the strongest window
    onset: datetime | None = None  # when the anomaly started (the event's start)

    def reason_codes(self) -> list[str]:
        return [s.value for s, _ in self.reasons]


def _minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def window_counts(minutes: Mapping[datetime, int], end: datetime, length: int) -> int:
    start = end - timedelta(minutes=length)
    return sum(c for m, c in minutes.items() if start <= m < end)


def step(
    minutes: Mapping[datetime, int] | None,
    baseline: Baseline | None,
    now: datetime,
    state: DetectorState,
    params: AnomalyParams | None = None,
) -> Detection:
    """One check: the counts per minute up to `now` (minute starts, UTC), the baseline, the
    previous state -> the level, its reasons and the next state."""
    p = params or DEFAULT_PARAMS
    if minutes is None or baseline is None:
        return Detection(
            Level.UNKNOWN, 0.0, ((Signal.NO_COUNTS, ()),), False, replace(state, through=None)
        )
    end = _minute(now)  # complete minutes only
    reasons: list[tuple[Signal, tuple[tuple[str, Figure], ...]]] = []

    # 1. Bursts over short windows.
    windows: list[Window] = []
    for length in p.windows:
        obs = window_counts(minutes, end, length)
        mu, phi = baseline.expected(end - timedelta(minutes=length), end)
        windows.append(Window(length, obs, mu, tail(obs, mu, phi)))

    def passes(w: Window, strength: float, ratio: float, excess: float) -> bool:
        return w.strength >= strength and w.ratio >= ratio and w.excess >= excess

    alert_w = [
        w
        for w in windows
        if passes(w, p.alert_strength, p.alert_ratio, p.alert_excess)
        or passes(w, p.surge_strength, p.surge_ratio, p.surge_excess)
    ]
    watch_w = [w for w in windows if passes(w, p.watch_strength, p.watch_ratio, p.watch_excess)]
    best = max(windows, key=lambda w: (w.strength, -w.minutes))

    # 2. Slow build: CUSUM over the minutes not yet counted.
    cusum = state.cusum
    first = state.through if state.through is not None and state.through < end else None
    start = first if first is not None else end - timedelta(minutes=max(p.windows))
    if state.through is not None and state.through >= end:
        start = end
    log_k = math.log(p.cusum_k)
    t = start
    while t < end:
        mu_min = baseline.rate(t, levelled=True)[0] / 60
        cusum = max(0.0, cusum + minutes.get(t, 0) * log_k - (p.cusum_k - 1) * mu_min)
        t += timedelta(minutes=1)
    cusum = min(cusum, p.cusum_cap)
    if baseline.days < p.min_history_days:
        cusum = 0.0  # no slow build without knowing what is usual (a new profile)
    recent = next((w for w in windows if w.minutes == 30), best)  # the last half hour
    # The build is believed when one of the longer windows (the last hour, two hours) is also
    # above the usual: the first of them that passes, else the longest, gives the figures.
    builds: list[tuple[bool, int, float, float]] = []
    low = False  # above the lower bar of the persistence rule
    for length in p.cusum_windows:
        obs_b = window_counts(minutes, end, length)
        mu_b, phi_b = baseline.expected(end - timedelta(minutes=length), end, levelled=True)
        ratio_b = obs_b / mu_b if mu_b > 0 else math.inf
        strength_b = -math.log10(max(tail(obs_b, mu_b, phi_b), 1e-300))
        ok = (
            ratio_b >= p.cusum_ratio
            and strength_b >= p.cusum_strength
            and obs_b - mu_b >= p.cusum_excess
        )
        builds.append((ok, obs_b, mu_b, ratio_b))
        low = low or (
            p.persist_minutes > 0
            and ratio_b >= p.persist_ratio
            and strength_b >= p.cusum_strength
            and obs_b - mu_b >= p.cusum_excess
        )
    chosen = next((b for b in builds if b[0]), builds[-1])
    _, built, built_mu, built_ratio = chosen
    low = low and recent.ratio >= p.hold_ratio
    low_since = (state.low_since or end) if low else None
    held = low_since is not None and end - low_since >= timedelta(minutes=p.persist_minutes)
    building = recent.ratio >= p.hold_ratio and (chosen[0] or held)  # still going on now
    slow = cusum >= p.cusum_alert and building

    # 3. Level before hysteresis.
    def figures(w: Window) -> tuple[tuple[str, Figure], ...]:
        return (
            ("window_minutes", w.minutes),
            ("observed", w.observed),
            ("expected", round(w.expected, 1)),
            ("ratio", round(min(w.ratio, 999.0), 2)),
            ("p_value", float(f"{w.p_value:.2e}")),
        )

    strength = best.strength
    if alert_w:
        top = max(alert_w, key=lambda w: w.strength)
        raw = Level.ALERT
        reasons.append((Signal.BURST, figures(top)))
    elif slow:
        top = best
        raw = Level.ALERT
    elif watch_w:
        top = max(watch_w, key=lambda w: w.strength)
        raw = Level.WATCH
        reasons.append((Signal.ELEVATED, figures(top)))
    else:
        top = best
        raw = Level.CALM
    if cusum >= p.cusum_alert / 2 and building:
        reasons.append(
            (
                Signal.SLOW_BUILD,
                (
                    ("cusum", round(cusum, 1)),
                    ("observed", built),
                    ("expected", round(built_mu, 1)),
                    ("ratio", round(min(built_ratio, 999.0), 2)),
                ),
            )
        )
        if raw is Level.CALM:
            raw = Level.WATCH
    if baseline.days < p.min_history_days:
        reasons.append((Signal.NEW_PROFILE, (("days", round(baseline.days, 1)),)))

    score = max(
        min(1.0, strength / (2 * p.alert_strength)) if top.ratio >= p.watch_ratio else 0.0,
        min(1.0, cusum / (2 * p.cusum_alert)) if building else 0.0,
    )

    # 4. Hysteresis: one event per crisis, ended by a calm spell.
    opened = closed = False
    event_id, event_start, calm_since = state.event_id, state.event_start, state.calm_since
    peak = state.peak_score
    level = raw
    if event_id is None:
        if raw is Level.ALERT:
            opened = True
            event_start = _onset(minutes, baseline, end, top)
            event_id = event_start.strftime("%Y%m%dT%H%M")
            calm_since, peak = None, score
    else:
        holding = raw is not Level.CALM or (
            strength >= p.hold_strength or recent.ratio >= p.hold_ratio
        )
        if holding:
            level = Level.ALERT
            calm_since = None
            reasons.append((Signal.ONGOING, _since(event_start)))
        else:
            calm_since = calm_since or end
            if end - calm_since >= timedelta(minutes=p.calm_minutes):
                closed = True
                reasons.append((Signal.CALMING, (("since", calm_since.isoformat()),)))
                level = Level.CALM
            else:
                level = Level.ALERT
                reasons.append((Signal.ONGOING, _since(event_start)))
        peak = max(peak, score)
    next_state = DetectorState(
        level=level,
        cusum=cusum,
        through=end,
        event_id=None if closed else event_id,
        event_start=None if closed else event_start,
        calm_since=None if closed else calm_since,
        peak_score=0.0 if closed else peak,
        low_since=low_since,
    )
    deviating = raw is not Level.CALM or level is not Level.CALM
    return Detection(
        level=level,
        score=round(score, 3),
        reasons=tuple(reasons),
        deviating=deviating,
        state=next_state,
        opened=opened,
        closed=closed,
        window=top,
        onset=event_start if level is Level.ALERT else None,
    )


def _onset(
    minutes: Mapping[datetime, int], baseline: Baseline, end: datetime, w: Window
) -> datetime:
    """Where the anomaly started: walking back from `end` in 15-minute slots while each slot is
    above the usual (ratio 1.3), at most 6 hours; at least the start of the window that fired."""
    onset = end - timedelta(minutes=w.minutes)
    t = end
    for _ in range(24):
        slot = t - timedelta(minutes=15)
        obs = window_counts(minutes, t, 15)
        mu, _ = baseline.expected(slot, t)
        if obs < 1.3 * mu or obs - mu < 1:
            break
        t = slot
    start = min(onset, t)
    # to the minute: the first minute of that slot well above the usual rate
    rate = baseline.rate(start)[0] / 60
    for i in range(15):
        m = start + timedelta(minutes=i)
        if m >= end:
            break
        if minutes.get(m, 0) >= max(2.0, 3 * rate):
            return m
    return start


def _since(start: datetime | None) -> tuple[tuple[str, Figure], ...]:
    return (("since", start.isoformat()),) if start is not None else ()


def minutes_of(buckets: Sequence[tuple[datetime, int]]) -> dict[datetime, int]:
    """Per-minute counts keyed by minute start (buckets already per minute)."""
    out: dict[datetime, int] = {}
    for start, count in buckets:
        m = _minute(start)
        out[m] = out.get(m, 0) + count
    return out
