"""Crisis alerts: a frequent check (scheduler job, leader only; every 5 minutes by default) of
the volume, one alert per event to executives (the briefing subscribers) and comms, updated in
place, and a "calming down" update when the event ends.

Volume first, cheap and often: each check reads the counts only (per minute over the last
`lookback`, one counts request per query; the hourly baseline of the previous days is kept in
the store and re-read every `baseline_refresh`), and runs the detector
(`bot.domain.analysis.anomaly.step`, state kept per tenant in `alerts/<tenant>/detector`). A
sample of posts is read (through `InsightsService`) only when the counts deviate (and while
they do, at most once per `update_every`, when the cards are refreshed): its negative
share and the reach of negative voices raise the score and shape the card; they never gate the
alert. Counts that cannot be read give the level UNKNOWN, never "calm".

One event, one alert: the detector opens an event (its id is its onset, to the minute); the
event record `alerts/<tenant>/events/<id>` is written create-only: whoever creates it sends. A
pointer `alerts/<tenant>/current` remembers the last event; an event opened within the cool-down
(default 6 h after the last alert) of the previous one *updates* the cards already sent (the
event keeps each recipient's activity id) instead of sending new ones. While an event is open,
the cards are refreshed at most every `update_every`.

Every check's result is appended to `alerts/<tenant>/checks/<YYYY-MM-DD>` (one log per UTC
day): the history that past-crisis questions are answered from (`bot.services.crisis_history`).

No botbuilder here: cards and delivery are injected (see `bot.teams.briefings`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clients.store.records import cas_update, make_record
from bot.domain.analysis.anomaly import (
    AnomalyParams,
    Baseline,
    Detection,
    DetectorState,
    Level,
    Signal,
)
from bot.domain.analysis.anomaly import step as detect
from bot.domain.analysis.crisis import CrisisLevel
from bot.ports.clock import Clock
from bot.ports.language import Period
from bot.ports.posts import CountSeries, Granularity, Window
from bot.ports.store import JSON, AlreadyExists, PreconditionFailed, StorageError, Store
from bot.services.briefings import Deliverer, DeliveryOutcome, DeliveryStatus, SuggestPost
from bot.services.insights import Insights, InsightsService
from bot.services.subscriptions import SubscriptionService, tenant_segment

logger = logging.getLogger(__name__)

EVENT_KIND = "alert-event"
POINTER_KIND = "alert-current"
STATE_KIND = "alert-detector"
BASELINE_KIND = "alert-baseline"
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class AlertView:
    insights: Insights
    lang: str
    event_id: str
    started_at: datetime
    holding_statement: str | None
    updates: int  # 0 for the first card, then 1, 2... for each update
    updated_at: datetime
    calming: bool = False  # the event has ended: the "calming down" update
    volume: tuple[tuple[str, int | float | str], ...] = ()  # the detector's figures
    score: float | None = None  # the alert's score (volume and severity)


RenderAlert = Callable[[AlertView], JSON]
# (tenant) -> [(ref_key, lang)] of conversations alerted besides the subscribers (comms channel)
ExtraRecipients = Callable[[str | None], Awaitable[list[tuple[str, str]]]]


async def no_extra_recipients(tenant_id: str | None) -> list[tuple[str, str]]:
    return []


@dataclass
class AlertReport:
    tenant_id: str | None
    level: CrisisLevel | Level
    # "calm" | "watch" | "unknown" | "alerted" | "updated" | "ongoing" | "calming" |
    # "duplicate" | "error"
    action: str
    event_id: str | None = None
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    at: datetime | None = None


def event_key(tenant_id: str | None, event_id: str) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/events/{event_id}"


def pointer_key(tenant_id: str | None) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/current"


def state_key(tenant_id: str | None) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/detector"


def baseline_key(tenant_id: str | None) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/baseline"


def checks_log(tenant_id: str | None, day: datetime) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/checks/{day.strftime('%Y-%m-%d')}"


def severity(negative: float, reach: float) -> float:
    """What the sample adds to the volume score (each part in [0, 1])."""
    return 0.25 * negative + 0.15 * reach


class AlertService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        subscriptions: SubscriptionService,
        insights: InsightsService,
        deliverer: Deliverer,
        render: RenderAlert,
        suggest_post: SuggestPost,
        *,
        cooldown: timedelta = timedelta(hours=6),
        extra_recipients: ExtraRecipients = no_extra_recipients,
        tz: str = "Europe/Paris",
        concurrency: int = 20,
        params: AnomalyParams | None = None,
        lookback: timedelta = timedelta(hours=3),
        baseline_refresh: timedelta = timedelta(hours=6),
        update_every: timedelta = timedelta(minutes=30),
    ) -> None:
        self._store = store
        self._clock = clock
        self._subs = subscriptions
        self._insights = insights
        self._deliverer = deliverer
        self._render = render
        self._suggest = suggest_post
        self.cooldown = cooldown
        self._extra = extra_recipients
        self._tz = tz
        self._concurrency = concurrency
        self.params = params or AnomalyParams()
        self.lookback = lookback
        self.baseline_refresh = baseline_refresh
        self.update_every = update_every

    async def tenants(self) -> list[str | None]:
        return await self._subs.tenants()

    async def check_all(self, now: datetime | None = None) -> list[AlertReport]:
        reports = []
        for tenant in await self.tenants():
            try:
                reports.append(await self.check(tenant))
            except Exception:
                logger.exception("alert check failed for a tenant")
                reports.append(AlertReport(tenant, CrisisLevel.CALM, "error"))
        return reports

    async def recipients(self, tenant_id: str | None) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for sub in await self._subs.all(tenant_id):
            found.setdefault(sub.ref_key, sub.lang)
        for ref_key, lang in await self._extra(tenant_id):
            found.setdefault(ref_key, lang)
        return sorted(found.items())

    async def check(self, tenant_id: str | None) -> AlertReport:
        """One check of one tenant: counts, detector, (a sample if deviating), the alert or
        its update or its "calming down", and the result appended to the history."""
        now = self._clock.now()
        state, sampled_at = await self._load_state(tenant_id)
        minutes, baseline = await self._volume(tenant_id, now)
        detection = detect(minutes, baseline, now, state, self.params)
        insights: Insights | None = None
        score = detection.score
        # A sample only when the counts deviate, and while they do, once per `update_every`.
        due = sampled_at is None or now - sampled_at >= self.update_every
        if detection.opened or (detection.deviating and due):
            sampled_at = now
            try:
                insights = await self._insights.compute(
                    tenant_id, period=Period.LAST_24H, tz=self._tz
                )
                parts = insights.analysis.crisis.parts
                score = min(1.0, score + severity(parts.negative, parts.reach))
            except Exception:
                logger.exception("alert check: no sample (volume alone decides)")
        await self._save_state(tenant_id, detection.state, sampled_at)
        reasons = detection.reason_codes()
        if insights is not None:
            reasons += [r.code.value for r in insights.analysis.crisis.reasons[:3]]
            reasons = list(dict.fromkeys(reasons))
        action = detection.level.value
        event_id = detection.state.event_id
        outcomes: list[DeliveryOutcome] = []
        if detection.opened and insights is not None:
            report = await self._open(tenant_id, detection, insights, score, now)
            action, event_id, outcomes = report.action, report.event_id, report.outcomes
        elif detection.opened:
            action = "error"  # no sample, no card: the next check tries again
            await self._save_state(tenant_id, state, None)
        elif detection.closed:
            event_id = state.event_id
            action = "calming"
            outcomes = await self._calm(tenant_id, detection, now)
        elif detection.level is Level.ALERT and insights is not None:
            report = await self._maybe_update(tenant_id, detection, insights, score, now)
            action, outcomes = report.action, report.outcomes
            event_id = report.event_id or event_id
        elif detection.level is Level.ALERT:
            action = "ongoing"
        await self._record_check(tenant_id, now, detection, score, reasons, action, event_id)
        return AlertReport(
            tenant_id,
            detection.level,
            action,
            event_id,
            outcomes,
            score=round(score, 3),
            reasons=reasons,
            at=now,
        )

    # -- volume --------------------------------------------------------------------------------

    async def _volume(
        self, tenant_id: str | None, now: datetime
    ) -> tuple[dict[datetime, int] | None, Baseline | None]:
        """Per-minute counts of the last `lookback`, and the hourly baseline (kept in the
        store, re-read every `baseline_refresh`). (None, None) when the counts are unknown."""
        end = now.replace(second=0, microsecond=0)
        try:
            series = await self._insights.company_counts(
                tenant_id, Window(end - self.lookback, end), Granularity.MINUTE
            )
            hourly = await self._baseline(tenant_id, now)
        except Exception:
            logger.warning("alert check: counts unavailable", exc_info=True)
            return None, None
        if series is None or hourly is None:
            return None, None
        minutes: dict[datetime, int] = {}
        for b in series.buckets:
            m = b.start.replace(second=0, microsecond=0)
            minutes[m] = minutes.get(m, 0) + b.count
        return minutes, Baseline.of(hourly, end - self.lookback, self.params)

    async def _baseline(self, tenant_id: str | None, now: datetime) -> dict[datetime, int] | None:
        key = baseline_key(tenant_id)
        found = await self._store.read(key)
        if found is not None:
            data = found.value.get("data", {})
            read_at = datetime.fromisoformat(str(data.get("read_at")))
            if now - read_at < self.baseline_refresh:
                return {datetime.fromisoformat(k): int(v) for k, v in data["hours"].items()}
        hour = now.replace(minute=0, second=0, microsecond=0)
        window = Window(hour - timedelta(days=self.params.baseline_days), hour)
        series = await self._insights.company_counts(tenant_id, window, Granularity.HOUR)
        if series is None:
            return None
        hours = _hourly(series)
        record = {"read_at": now.isoformat(), "hours": {k.isoformat(): v for k, v in hours.items()}}
        try:
            await self._store.write(key, make_record(BASELINE_KIND, SCHEMA, record, now=now))
        except StorageError:
            logger.warning("alert baseline not kept (storage); read again next time")
        return hours

    async def _load_state(self, tenant_id: str | None) -> tuple[DetectorState, datetime | None]:
        """The detector's state, and when a sample was last read."""
        found = await self._store.read(state_key(tenant_id))
        if found is None:
            return DetectorState(), None
        data = found.value.get("data", {})
        sampled = data.get("sampled_at")
        return DetectorState.from_json(data), (
            datetime.fromisoformat(str(sampled)) if sampled else None
        )

    async def _save_state(
        self, tenant_id: str | None, state: DetectorState, sampled_at: datetime | None
    ) -> None:
        now = self._clock.now()
        data = {**state.to_json(), "sampled_at": sampled_at.isoformat() if sampled_at else None}
        record = make_record(STATE_KIND, SCHEMA, data, now=now)
        await cas_update(self._store, state_key(tenant_id), lambda _current: record)

    async def _record_check(
        self,
        tenant_id: str | None,
        now: datetime,
        detection: Detection,
        score: float,
        reasons: list[str],
        action: str,
        event_id: str | None,
    ) -> None:
        w = detection.window
        record: JSON = {
            "at": now.isoformat(),
            "level": detection.level.value,
            "score": round(score, 3),
            "reasons": reasons,
            "action": action,
            "event_id": event_id,
        }
        if w is not None:
            record.update(
                window_minutes=w.minutes, observed=w.observed, expected=round(w.expected, 2)
            )
        try:
            await self._store.append(checks_log(tenant_id, now), record)
        except StorageError:
            logger.warning("alert check not kept in the history (storage)")

    # -- events --------------------------------------------------------------------------------

    def _view_figures(self, detection: Detection) -> tuple[tuple[str, int | float | str], ...]:
        for signal, figures in detection.reasons:
            if signal in (Signal.BURST, Signal.ELEVATED, Signal.SLOW_BUILD):
                return (("signal", signal.value), *figures)
        return ()

    async def _open(
        self,
        tenant_id: str | None,
        detection: Detection,
        insights: Insights,
        score: float,
        now: datetime,
    ) -> AlertReport:
        pointer = await self._store.read(pointer_key(tenant_id))
        if pointer is not None:
            data = pointer.value.get("data", {})
            last = datetime.fromisoformat(str(data["last_alert_at"]))
            if now - last < self.cooldown:  # the same story again: update, no new alert
                event_id = str(data["event_id"])
                await self._save_state(
                    tenant_id, _with_event(detection.state, event_id, data.get("started_at")), now
                )
                return await self._update(tenant_id, event_id, insights, now, detection, score)
        start = detection.onset or now
        event_id = start.strftime("%Y%m%dT%H%M")
        key = event_key(tenant_id, event_id)
        record = {
            "state": "claimed",
            "started_at": start.isoformat(),
            "deliveries": {},
            "updates": 0,
            "langs": {},
            "peak_score": round(score, 3),
            "summary": _summary(insights, detection),
        }
        try:
            await self._store.write(
                key, make_record(EVENT_KIND, SCHEMA, record, now=now), if_none_match=True
            )
        except AlreadyExists:
            return AlertReport(tenant_id, CrisisLevel.ALERT, "duplicate", event_id)
        await self._point(tenant_id, event_id, now, start)
        recipients = await self.recipients(tenant_id)
        holding = await self._holding(insights, {lang for _, lang in recipients})
        semaphore = asyncio.Semaphore(self._concurrency)
        figures = self._view_figures(detection)

        async def send(ref_key: str, lang: str) -> DeliveryOutcome:
            async with semaphore:
                view = AlertView(
                    insights,
                    lang,
                    event_id,
                    start,
                    holding.get(lang),
                    0,
                    now,
                    volume=figures,
                    score=score,
                )
                return await self._deliverer.send(ref_key, self._render(view))

        outcomes = list(await asyncio.gather(*(send(r, lang) for r, lang in recipients)))
        deliveries = {
            o.ref_key: o.activity_id
            for o in outcomes
            if o.status is DeliveryStatus.SENT and o.activity_id
        }
        langs = dict(recipients)

        def settle(current: JSON | None) -> JSON:
            data = dict((current or {}).get("data", {}))
            data.update(
                state="sent",
                deliveries=deliveries,
                langs=langs,
                holding={k: v for k, v in holding.items() if v},
                alerts_sent=len(deliveries),
            )
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        await cas_update(self._store, key, settle)
        logger.info("crisis alert sent to %d of %d recipients", len(deliveries), len(recipients))
        return AlertReport(tenant_id, CrisisLevel.ALERT, "alerted", event_id, outcomes)

    async def _maybe_update(
        self,
        tenant_id: str | None,
        detection: Detection,
        insights: Insights,
        score: float,
        now: datetime,
    ) -> AlertReport:
        pointer = await self._store.read(pointer_key(tenant_id))
        if pointer is None:
            return AlertReport(tenant_id, Level.ALERT, "ongoing", detection.state.event_id)
        data = pointer.value.get("data", {})
        event_id = str(data["event_id"])
        last = datetime.fromisoformat(str(data.get("last_update_at") or data["last_alert_at"]))
        if now - last < self.update_every:
            await self._peak(tenant_id, event_id, score, now)
            return AlertReport(tenant_id, Level.ALERT, "ongoing", event_id)
        return await self._update(tenant_id, event_id, insights, now, detection, score)

    async def _peak(
        self, tenant_id: str | None, event_id: str, score: float, now: datetime
    ) -> None:
        def bump(current: JSON | None) -> JSON | None:
            if current is None:
                return None
            data = dict(current.get("data", {}))
            if float(data.get("peak_score", 0.0)) >= score:
                return None
            data["peak_score"] = round(score, 3)
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        try:
            await cas_update(self._store, event_key(tenant_id, event_id), bump)
        except StorageError:
            logger.warning("could not record an alert's peak")

    async def _calm(
        self, tenant_id: str | None, detection: Detection, now: datetime
    ) -> list[DeliveryOutcome]:
        """The event has ended: record it, and update the cards with a "calming down"."""
        pointer = await self._store.read(pointer_key(tenant_id))
        if pointer is None:
            return []
        event_id = str(pointer.value.get("data", {}).get("event_id"))
        key = event_key(tenant_id, event_id)

        def end(current: JSON | None) -> JSON | None:
            if current is None:
                return None
            data = dict(current.get("data", {}))
            data.update(ended_at=now.isoformat(), state="ended")
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        try:
            written = await cas_update(self._store, key, end)
        except StorageError:
            logger.warning("could not record the end of an alert")
            return []
        if written is None:
            return []
        data = written["data"]
        if not data.get("deliveries"):
            return []
        try:
            insights = await self._insights.compute(tenant_id, period=Period.LAST_24H, tz=self._tz)
        except Exception:
            logger.exception("no insights for the calming-down update")
            return []
        return await self._refresh_cards(
            data,
            insights,
            event_id,
            now,
            int(data.get("updates", 0)) + 1,
            calming=True,
            score=float(data.get("peak_score", 0.0)),
        )

    async def _holding(self, insights: Insights, langs: set[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for lang in sorted(langs):
            try:
                out[lang] = await self._suggest("holding_statement", insights, lang)
            except Exception:
                logger.exception("holding statement draft failed")
                out[lang] = None
        return out

    async def _point(
        self,
        tenant_id: str | None,
        event_id: str,
        now: datetime,
        started: datetime | None = None,
        *,
        updated: bool = False,
    ) -> None:
        def update(current: JSON | None) -> JSON:
            data = dict((current or {}).get("data", {}))
            if data.get("event_id") != event_id:
                data = {"event_id": event_id, "first_alert_at": now.isoformat()}
            if started is not None:
                data["started_at"] = started.isoformat()
            if updated:
                data["last_update_at"] = now.isoformat()
            else:
                data["last_alert_at"] = now.isoformat()
                data["last_update_at"] = now.isoformat()
            return make_record(POINTER_KIND, SCHEMA, data, now=now)

        await cas_update(self._store, pointer_key(tenant_id), update)

    async def _update(
        self,
        tenant_id: str | None,
        event_id: str,
        insights: Insights,
        now: datetime,
        detection: Detection | None = None,
        score: float | None = None,
    ) -> AlertReport:
        """The same event is still on: refresh the cards already sent (no new alert)."""
        key = event_key(tenant_id, event_id)
        updates = 0

        def bump(current: JSON | None) -> JSON | None:
            nonlocal updates
            if current is None:
                return None
            data = dict(current.get("data", {}))
            updates = int(data.get("updates", 0)) + 1
            data.update(updates=updates, last_update_at=now.isoformat(), state="sent")
            data.pop("ended_at", None)
            if score is not None and score > float(data.get("peak_score", 0.0)):
                data["peak_score"] = round(score, 3)
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        try:
            written = await cas_update(self._store, key, bump)
            await self._point(tenant_id, event_id, now, updated=True)
        except (PreconditionFailed, StorageError):
            logger.warning("could not record an alert update")
            return AlertReport(tenant_id, CrisisLevel.ALERT, "error", event_id)
        if written is None:
            return AlertReport(tenant_id, CrisisLevel.ALERT, "error", event_id)
        outcomes = await self._refresh_cards(
            written["data"],
            insights,
            event_id,
            now,
            updates,
            volume=self._view_figures(detection) if detection is not None else (),
            score=score,
        )
        return AlertReport(tenant_id, CrisisLevel.ALERT, "updated", event_id, outcomes)

    async def _refresh_cards(
        self,
        data: JSON,
        insights: Insights,
        event_id: str,
        now: datetime,
        updates: int,
        **view: Any,
    ) -> list[DeliveryOutcome]:
        """Update every card sent for the event (its record's deliveries), in its reader's
        language, with the event's holding statement."""
        started = datetime.fromisoformat(str(data["started_at"]))
        langs: dict[str, str] = data.get("langs", {})
        holding: dict[str, str] = data.get("holding", {})
        deliveries: dict[str, str] = data.get("deliveries", {})

        async def refresh(ref_key: str, activity_id: str) -> DeliveryOutcome:
            lang = langs.get(ref_key, "fr")
            card = AlertView(
                insights, lang, event_id, started, holding.get(lang), updates, now, **view
            )
            return await self._deliverer.update(ref_key, activity_id, self._render(card))

        return list(await asyncio.gather(*(refresh(r, a) for r, a in deliveries.items())))


def _hourly(series: CountSeries) -> dict[datetime, int]:
    hours: dict[datetime, int] = {}
    for b in series.buckets:
        h = b.start.replace(minute=0, second=0, microsecond=0)
        hours[h] = hours.get(h, 0) + b.count
    return hours


def _with_event(state: DetectorState, event_id: str, started: object) -> DetectorState:
    start = datetime.fromisoformat(str(started)) if started else state.event_start
    return replace(state, event_id=event_id, event_start=start)


def _summary(insights: Insights, detection: Detection) -> JSON:
    """What the history keeps of an event at its alert: the volume, themes, key posts."""
    a = insights.analysis
    themes = [t.label for t in a.themes.themes if not t.is_other and t.label][:3]
    since = (detection.onset or datetime.min.replace(tzinfo=UTC)) - timedelta(minutes=5)
    negative = sorted(
        (ap for ap in a.posts if ap.post.created_at >= since),
        key=lambda ap: (
            ap.sentiment.value == "negative",
            ap.post.author.followers + ap.post.metrics.engagement,
            ap.post.id,
        ),
        reverse=True,
    )[:3]
    w = detection.window
    return {
        "observed": w.observed if w is not None else None,
        "expected": round(w.expected, 2) if w is not None else None,
        "window_minutes": w.minutes if w is not None else None,
        "themes": themes,
        "negative_share": a.sentiment.negative_share,
        "posts": [
            {
                "id": ap.post.id,
                "url": ap.post.url,
                "handle": ap.post.author.handle,
                "followers": ap.post.author.followers,
                "text": ap.post.text[:280],
            }
            for ap in negative
        ],
    }
