"""Past crises, per tenant: what the alert checks saw, for "was there a crisis this week?",
« y a-t-il eu une crise lundi ? », "what happened on Tuesday evening?".

Source of truth: the check log (`alerts/<tenant>/checks/<YYYY-MM-DD>`, one record per check,
appended by `AlertService.check`) and the event records (`alerts/<tenant>/events/<id>`: the
volume, themes and key posts at the alert, the alerts sent). Consecutive checks at WATCH or
ALERT (gaps under `max_gap`) make one episode; an episode with an ALERT is an event with its
record. Drafts approved for an event come from the drafts sent for approval from its card
(context `{"source": "alert", "ref": <event id>}`).

Where no check covers the window (a new deployment, the demo), the history is read back from
the counts instead: the hourly volume of the window scored against the previous days (the
same spike test as the insights), consecutive anomalous hours making one episode, with the
posts of the sample written in those hours as what was said. `source` tells which.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from bot.domain.analysis.crisis import HourScore, hour_scores
from bot.domain.analysis.types import Sentiment
from bot.ports.clock import Clock
from bot.ports.language import Period
from bot.ports.posts import Granularity, Window
from bot.ports.store import JSON, StorageError, Store
from bot.services.alerts import checks_log, event_key
from bot.services.approvals import DraftRepository
from bot.services.insights import X_RECENT_LIMIT, Insights, InsightsService, period_window

logger = logging.getLogger(__name__)

APPROVED_STATES = frozenset({"approved", "ready", "publishing", "published"})


@dataclass(frozen=True, slots=True)
class PastPost:
    url: str
    handle: str
    followers: int
    text: str


@dataclass(frozen=True, slots=True)
class CrisisEvent:
    start: datetime
    end: datetime | None  # None: still going on at the end of the window
    peak_level: str  # "alert" | "watch"
    peak_score: float  # in [0, 1]
    observed: int | None = None  # posts in the busiest window / hour seen...
    expected: float | None = None  # ...against the usual for it
    window_minutes: int | None = None
    themes: tuple[str, ...] = ()
    posts: tuple[PastPost, ...] = ()
    alerts_sent: int = 0
    drafts_approved: int = 0
    event_id: str | None = None
    source: str = "checks"  # "checks" (kept by the alert checks) | "counts" (read back)

    @property
    def ratio(self) -> float | None:
        if self.observed is None or not self.expected:
            return None
        return self.observed / self.expected


@dataclass(frozen=True, slots=True)
class History:
    window: Window
    events: tuple[CrisisEvent, ...]
    checks: int  # alert checks kept in the window (0: read back from the counts)
    source: str  # "checks" | "counts" | "none"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def worst(self) -> CrisisEvent | None:
        rank = {"alert": 2, "watch": 1}
        if not self.events:
            return None
        return max(self.events, key=lambda e: (rank.get(e.peak_level, 0), e.peak_score))


def period_to_window(period: Period, now: datetime, tz: tzinfo) -> Window:
    """The window a question's period means (the insights' own mapping)."""
    return period_window(period, now, tz)[0]


def is_past(period: Period) -> bool:
    """Periods that ask about what happened (history), not only about now."""
    return period is not Period.TODAY


class CrisisHistory:
    def __init__(
        self,
        store: Store,
        insights: InsightsService,
        clock: Clock,
        *,
        max_gap: timedelta = timedelta(minutes=30),
    ) -> None:
        self._store = store
        self._insights = insights
        self._clock = clock
        self._max_gap = max_gap

    async def events(
        self, tenant_id: str | None, window: Window, *, tz: str = "Europe/Paris"
    ) -> History:
        """The crisis events of `tenant_id` in [window.start, window.end)."""
        checks = await self._checks(tenant_id, window)
        if checks:
            events = await self._from_checks(tenant_id, checks)
            return History(window, tuple(events), len(checks), "checks")
        try:
            events = await self._from_counts(tenant_id, window, tz)
        except Exception:
            logger.exception("crisis history: no counts to read back")
            return History(window, (), 0, "none", ("no_counts",))
        return History(window, tuple(events), 0, "counts")

    # -- from the kept checks ------------------------------------------------------------------

    async def _checks(self, tenant_id: str | None, window: Window) -> list[JSON]:
        out: list[JSON] = []
        day = datetime.combine(window.start.astimezone(UTC).date(), time(0), tzinfo=UTC)
        while day < window.end:
            try:
                records = await self._store.read_log(checks_log(tenant_id, day))
            except StorageError:
                logger.warning("crisis history: a day of checks could not be read")
                records = []
            for r in records:
                at = datetime.fromisoformat(str(r.get("at")))
                if window.start <= at < window.end:
                    out.append(r)
            day += timedelta(days=1)
        out.sort(key=lambda r: str(r.get("at")))
        return out

    async def _from_checks(
        self, tenant_id: str | None, checks: Sequence[JSON]
    ) -> list[CrisisEvent]:
        episodes: list[list[JSON]] = []
        last: datetime | None = None
        for r in checks:
            at = datetime.fromisoformat(str(r["at"]))
            hot = r.get("level") in ("alert", "watch")
            if hot:
                if episodes and last is not None and at - last <= self._max_gap:
                    episodes[-1].append(r)
                else:
                    episodes.append([r])
                last = at
        drafts = await self._approved_by_event(tenant_id)
        events = []
        for episode in episodes:
            events.append(await self._event(tenant_id, episode, checks, drafts))
        return events

    async def _event(
        self,
        tenant_id: str | None,
        episode: Sequence[JSON],
        checks: Sequence[JSON],
        drafts: dict[str, int],
    ) -> CrisisEvent:
        start = datetime.fromisoformat(str(episode[0]["at"]))
        last_at = datetime.fromisoformat(str(episode[-1]["at"]))
        after = [r for r in checks if datetime.fromisoformat(str(r["at"])) > last_at]
        end = datetime.fromisoformat(str(after[0]["at"])) if after else None
        level = "alert" if any(r.get("level") == "alert" for r in episode) else "watch"
        peak = max(episode, key=lambda r: float(r.get("score", 0.0)))
        busiest = max(
            episode,
            key=lambda r: float(r.get("observed", 0)) / max(float(r.get("expected", 1.0)), 1.0),
        )
        event_id = next((str(r["event_id"]) for r in episode if r.get("event_id")), None)
        themes: tuple[str, ...] = ()
        posts: tuple[PastPost, ...] = ()
        alerts_sent, score = 0, float(peak.get("score", 0.0))
        if event_id is not None:
            found = await self._store.read(event_key(tenant_id, event_id))
            if found is not None:
                data = found.value.get("data", {})
                summary: dict[str, Any] = data.get("summary", {})
                themes = tuple(str(t) for t in summary.get("themes", []))
                posts = tuple(
                    PastPost(str(p["url"]), str(p["handle"]), int(p["followers"]), str(p["text"]))
                    for p in summary.get("posts", [])
                )
                alerts_sent = int(data.get("alerts_sent", len(data.get("deliveries", {}))))
                score = max(score, float(data.get("peak_score", 0.0)))
                if data.get("started_at"):
                    start = min(start, datetime.fromisoformat(str(data["started_at"])))
        return CrisisEvent(
            start=start,
            end=end,
            peak_level=level,
            peak_score=round(score, 3),
            observed=int(busiest["observed"]) if "observed" in busiest else None,
            expected=float(busiest["expected"]) if "expected" in busiest else None,
            window_minutes=int(busiest["window_minutes"]) if "window_minutes" in busiest else None,
            themes=themes,
            posts=posts,
            alerts_sent=alerts_sent,
            drafts_approved=drafts.get(event_id, 0) if event_id else 0,
            event_id=event_id,
            source="checks",
        )

    async def _approved_by_event(self, tenant_id: str | None) -> dict[str, int]:
        """Drafts sent for approval from an alert card and approved, per event id."""
        if tenant_id is None:
            return {}
        out: dict[str, int] = {}
        try:
            drafts = await DraftRepository(self._store, self._clock).all(tenant_id)
        except StorageError:
            logger.warning("crisis history: drafts unreadable")
            return out
        for d in drafts:
            if d.context.get("source") == "alert" and d.state.value in APPROVED_STATES:
                ref = str(d.context.get("ref", ""))
                out[ref] = out.get(ref, 0) + 1
        return out

    # -- read back from the counts -------------------------------------------------------------

    async def _from_counts(
        self, tenant_id: str | None, window: Window, tz: str
    ) -> list[CrisisEvent]:
        now = self._clock.now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        counts = await self._insights.company_counts(
            tenant_id, Window(hour - X_RECENT_LIMIT + timedelta(hours=1), now), Granularity.HOUR
        )
        if counts is None:
            raise LookupError("no counts")
        insights = await self._insights.compute(tenant_id, period=Period.LAST_7_DAYS, tz=tz)
        scores = [
            s for s in hour_scores(counts, now) if window.start <= s.start < window.end and _hot(s)
        ]
        episodes: list[list[HourScore]] = []
        for s in scores:
            if episodes and s.start - episodes[-1][-1].end <= timedelta(hours=1):
                episodes[-1].append(s)
            else:
                episodes.append([s])
        return [_read_back(episode, insights) for episode in episodes]


def _hot(s: HourScore) -> bool:
    return s.spike or (s.z >= 3.0 and s.ratio is not None and s.ratio >= 2.0)


def _read_back(episode: Sequence[HourScore], insights: Insights) -> CrisisEvent:
    start, end = episode[0].start, episode[-1].end
    peak = max(episode, key=lambda s: s.z)
    a = insights.analysis
    theme_of = a.themes.theme_of
    inside = [
        (i, ap)
        for i, ap in enumerate(a.posts)
        if start - timedelta(hours=1) <= ap.post.created_at < end
    ]
    negative = sorted(
        (ap for _, ap in inside if ap.sentiment is Sentiment.NEGATIVE),
        key=lambda ap: (ap.post.author.followers + ap.post.metrics.engagement, ap.post.id),
        reverse=True,
    )[:3]
    labels: dict[str, int] = {}
    for i, _ap in inside:
        k = theme_of[i] if i < len(theme_of) else -1
        if k >= 0:
            theme = a.themes.themes[k]
            if not theme.is_other and theme.label:
                labels[theme.label] = labels.get(theme.label, 0) + 1
    themes = tuple(sorted(labels, key=lambda k: -labels[k])[:3])
    level = "alert" if any(s.spike for s in episode) else "watch"
    score = min(1.0, max(0.0, (peak.z - 2.25) / (10.0 - 2.25)))
    return CrisisEvent(
        start=start,
        end=end,
        peak_level=level,
        peak_score=round(score, 3),
        observed=peak.observed,
        expected=round(peak.expected, 1),
        window_minutes=60,
        themes=themes,
        posts=tuple(
            PastPost(ap.post.url, ap.post.author.handle, ap.post.author.followers, ap.post.text)
            for ap in negative
        ),
        source="counts",
    )
