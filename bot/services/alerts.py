"""Crisis alerts: an hourly check (scheduler job, leader only) of spikes and the crisis score;
one alert per event to executives (the briefing subscribers) and comms, updated in place.

One event, one alert: when the analysis says ALERT, the event is identified by its tenant and
the start hour of the anomalous hour (`alerts/<tenant>/events/<YYYYMMDDTHH>`, written
create-only: whoever creates it sends). A pointer `alerts/<tenant>/current` remembers the open
event; while ALERT is seen again within the cool-down (default 6 h after the last ALERT) the
check *updates* the cards already sent (the event keeps each recipient's activity id) instead of
sending new ones. After the cool-down, a new ALERT is a new event.

No botbuilder here: cards and delivery are injected (see `bot.teams.briefings`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clients.store.records import cas_update, make_record
from bot.domain.analysis.crisis import CrisisLevel
from bot.ports.clock import Clock
from bot.ports.language import Period
from bot.ports.store import JSON, AlreadyExists, PreconditionFailed, StorageError, Store
from bot.services.briefings import Deliverer, DeliveryOutcome, DeliveryStatus, SuggestPost
from bot.services.insights import Insights, InsightsService
from bot.services.subscriptions import SubscriptionService, tenant_segment

logger = logging.getLogger(__name__)

EVENT_KIND = "alert-event"
POINTER_KIND = "alert-current"
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


RenderAlert = Callable[[AlertView], JSON]
# (tenant) -> [(ref_key, lang)] of conversations alerted besides the subscribers (comms channel)
ExtraRecipients = Callable[[str | None], Awaitable[list[tuple[str, str]]]]


async def no_extra_recipients(tenant_id: str | None) -> list[tuple[str, str]]:
    return []


@dataclass
class AlertReport:
    tenant_id: str | None
    level: CrisisLevel
    action: str  # "calm" | "alerted" | "updated" | "duplicate" | "error"
    event_id: str | None = None
    outcomes: list[DeliveryOutcome] = field(default_factory=list)


def event_key(tenant_id: str | None, event_id: str) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/events/{event_id}"


def pointer_key(tenant_id: str | None) -> str:
    return f"alerts/{tenant_segment(tenant_id)}/current"


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
        insights = await self._insights.compute(tenant_id, period=Period.LAST_24H, tz=self._tz)
        crisis = insights.analysis.crisis
        if crisis.level is not CrisisLevel.ALERT:
            return AlertReport(tenant_id, crisis.level, "calm")
        now = self._clock.now()
        pointer = await self._store.read(pointer_key(tenant_id))
        if pointer is not None:
            data = pointer.value.get("data", {})
            last = datetime.fromisoformat(str(data["last_alert_at"]))
            if now - last < self.cooldown:
                return await self._update(tenant_id, str(data["event_id"]), insights, now)
        start = (crisis.hour.start if crisis.hour is not None else now).replace(
            minute=0, second=0, microsecond=0
        )
        event_id = start.strftime("%Y%m%dT%H")
        key = event_key(tenant_id, event_id)
        record = {
            "state": "claimed",
            "started_at": start.isoformat(),
            "deliveries": {},
            "updates": 0,
            "langs": {},
        }
        try:
            await self._store.write(
                key, make_record(EVENT_KIND, SCHEMA, record, now=now), if_none_match=True
            )
        except AlreadyExists:
            return AlertReport(tenant_id, crisis.level, "duplicate", event_id)
        await self._point(tenant_id, event_id, now)
        recipients = await self.recipients(tenant_id)
        holding = await self._holding(insights, {lang for _, lang in recipients})
        semaphore = asyncio.Semaphore(self._concurrency)

        async def send(ref_key: str, lang: str) -> DeliveryOutcome:
            async with semaphore:
                view = AlertView(insights, lang, event_id, start, holding.get(lang), 0, now)
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
            )
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        await cas_update(self._store, key, settle)
        logger.info("crisis alert sent to %d of %d recipients", len(deliveries), len(recipients))
        return AlertReport(tenant_id, crisis.level, "alerted", event_id, outcomes)

    async def _holding(self, insights: Insights, langs: set[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for lang in sorted(langs):
            try:
                out[lang] = await self._suggest("holding_statement", insights, lang)
            except Exception:
                logger.exception("holding statement draft failed")
                out[lang] = None
        return out

    async def _point(self, tenant_id: str | None, event_id: str, now: datetime) -> None:
        def update(current: JSON | None) -> JSON:
            data = dict((current or {}).get("data", {}))
            if data.get("event_id") != event_id:
                data = {"event_id": event_id, "first_alert_at": now.isoformat()}
            data["last_alert_at"] = now.isoformat()
            return make_record(POINTER_KIND, SCHEMA, data, now=now)

        await cas_update(self._store, pointer_key(tenant_id), update)

    async def _update(
        self, tenant_id: str | None, event_id: str, insights: Insights, now: datetime
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
            data.update(updates=updates, last_update_at=now.isoformat())
            return make_record(EVENT_KIND, SCHEMA, data, now=now)

        try:
            written = await cas_update(self._store, key, bump)
            await self._point(tenant_id, event_id, now)
        except (PreconditionFailed, StorageError):
            logger.warning("could not record an alert update")
            return AlertReport(tenant_id, CrisisLevel.ALERT, "error", event_id)
        if written is None:
            return AlertReport(tenant_id, CrisisLevel.ALERT, "error", event_id)
        data = written["data"]
        started = datetime.fromisoformat(str(data["started_at"]))
        langs: dict[str, str] = data.get("langs", {})
        holding: dict[str, str] = data.get("holding", {})
        deliveries: dict[str, str] = data.get("deliveries", {})

        async def refresh(ref_key: str, activity_id: str) -> DeliveryOutcome:
            lang = langs.get(ref_key, "fr")
            view = AlertView(insights, lang, event_id, started, holding.get(lang), updates, now)
            return await self._deliverer.update(ref_key, activity_id, self._render(view))

        outcomes: Sequence[DeliveryOutcome] = await asyncio.gather(
            *(refresh(r, a) for r, a in deliveries.items())
        )
        return AlertReport(tenant_id, CrisisLevel.ALERT, "updated", event_id, list(outcomes))
