"""The morning briefing: who is due, what to tell them (computed once), and exactly-once sending.

No botbuilder here: cards are rendered and delivered through injected callables (the Teams glue
in `bot.teams.briefings` binds them).

Exactly once per (recipient, local day), across instances and restarts
--------------------------------------------------------------------------
Each briefing has a marker, `briefings/<tenant>/<recipient>/<YYYY-MM-DD>` (record kind
`briefing-marker`), written create-only (`if_none_match`) *before* the send: of several
instances (the scheduler leader, an external `POST /api/jobs/briefing`, a leader that just lost
its lease) exactly one wins the create and sends; the others see `AlreadyExists` and skip. The
marker is then updated (compare-and-set on the ETag of our claim) with the outcome:

    claimed  → sent (activity id) | gone (403/404, reference deactivated) | skipped (no usable
               reference) | failed (429/5xx/timeout after the delivery's own retries)

Crash between marker and send — our choice: *retry with the marker's state*, not at-most-once.
A `claimed` marker older than `stale_after` (default 10 min; a send takes seconds) means its
claimer died; a `failed` marker is retryable at once. Either is re-claimed by compare-and-set
(`if_match`: one re-claimer wins), at most `max_attempts` times, and only while the briefing is
within its catch-up window. The card is rendered before the claim, so the claimed→sent gap is one
HTTP call: a duplicate needs a crash after the Bot Connector accepted the message and before
the marker update (milliseconds) *and* a re-claim 10 minutes later; a silent miss (what
at-most-once would give on every crash in that gap) is worse for an executive's morning.

Catch-up: a briefing due at 08:00 is sent by any tick until 08:00 + `catch_up` (default 3 h):
after a downtime at 08:00–09:30 it still goes out at 09:30; not after 11:00.

Shared computation: due recipients are grouped by (tenant, time zone); each group's insights
(company, each competitor, sector; Period.LAST_24H) and each language's suggested post are
computed once, before the fan-out. X reads and model tokens therefore grow with the number of
tenants × time zones due at once, never with the number of recipients.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.clients.store.records import cas_update, make_record
from bot.domain.coach import Tip, tip_for
from bot.domain.queries import build_queries
from bot.ports.clock import Clock
from bot.ports.language import Period
from bot.ports.store import JSON, AlreadyExists, PreconditionFailed, StorageError, Store
from bot.services.insights import Focus, Insights, InsightsService
from bot.services.subscriptions import Subscription, SubscriptionService, tenant_segment

logger = logging.getLogger(__name__)

MARKER_KIND = "briefing-marker"
STATE_KIND = "briefing-state"
SCHEMA = 1
TIP_HISTORY = 60
BRIEFING_PERIOD = Period.LAST_24H

SuggestKind = str  # "post_of_the_day" | "holding_statement"
SuggestPost = Callable[[SuggestKind, Insights, str], Awaitable[str | None]]


# --------------------------------------------------------------------------- delivery port


class DeliveryStatus(StrEnum):
    SENT = "sent"
    GONE = "gone"  # 403/404: the bot was removed or blocked; the reference is deactivated
    FAILED = "failed"  # 429/5xx/timeouts still failing after the bounded retries
    SKIPPED = "skipped"  # no usable reference (missing, inactive, service URL not allowed)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    ref_key: str
    status: DeliveryStatus
    activity_id: str | None = None
    attempts: int = 0
    http_status: int | None = None
    reason: str = ""

    @property
    def retryable(self) -> bool:
        return self.status is DeliveryStatus.FAILED


class Deliverer(Protocol):
    async def send(self, ref_key: str, card: JSON) -> DeliveryOutcome:
        """Send a card to the conversation of `ref_key` (proactively)."""

    async def update(self, ref_key: str, activity_id: str, card: JSON) -> DeliveryOutcome:
        """Replace a card sent before."""


# --------------------------------------------------------------------------- content


@dataclass(frozen=True, slots=True)
class BriefingContent:
    """Everything a briefing says, shared by every recipient of one tenant and time zone."""

    tenant_id: str | None
    tz: str
    company: Insights
    competitors: tuple[Insights, ...]
    sector: Insights | None
    suggestions: dict[str, str | None]  # lang -> suggested post of the day
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class BriefingView:
    """One recipient's briefing: the shared content in their language, with their tip."""

    content: BriefingContent
    lang: str
    tip: Tip
    day: date
    recipient: str


RenderBriefing = Callable[[BriefingView], JSON]


async def no_suggestion(kind: SuggestKind, insights: Insights, lang: str) -> str | None:
    return None


class ContentBuilder:
    """Computes a tenant's briefing content once per time zone (the insights are memoised by
    `InsightsService` too, so concurrent callers share one computation)."""

    def __init__(self, insights: InsightsService, suggest_post: SuggestPost, clock: Clock) -> None:
        self._insights = insights
        self._suggest = suggest_post
        self._clock = clock

    async def build(self, tenant_id: str | None, tz: str, langs: Iterable[str]) -> BriefingContent:
        company = await self._insights.compute(
            tenant_id, focus=Focus.COMPANY, period=BRIEFING_PERIOD, tz=tz
        )
        sets = build_queries(company.profile)
        competitors = tuple(
            await asyncio.gather(
                *(
                    self._insights.compute(
                        tenant_id,
                        focus=Focus.COMPETITOR,
                        competitor=qs.label,
                        period=BRIEFING_PERIOD,
                        tz=tz,
                    )
                    for qs in sets.competitors
                )
            )
        )
        sector = None
        if sets.sector is not None:
            sector = await self._insights.compute(
                tenant_id, focus=Focus.SECTOR, period=BRIEFING_PERIOD, tz=tz
            )
        suggestions: dict[str, str | None] = {}
        for lang in sorted(set(langs)):
            try:
                suggestions[lang] = await self._suggest("post_of_the_day", company, lang)
            except Exception:
                logger.exception("the suggested post of the day failed; briefing sent without it")
                suggestions[lang] = None
        return BriefingContent(
            tenant_id, tz, company, competitors, sector, suggestions, self._clock.now()
        )


# --------------------------------------------------------------------------- markers


def marker_key(tenant_id: str | None, recipient: str, day: date) -> str:
    return f"briefings/{tenant_segment(tenant_id)}/{recipient}/{day.isoformat()}"


def state_key(tenant_id: str | None, recipient: str) -> str:
    return f"briefing-state/{tenant_segment(tenant_id)}/{recipient}"


FINAL_STATES = frozenset({"sent", "gone", "skipped"})


@dataclass
class RunReport:
    due: int = 0
    sent: int = 0
    already: int = 0  # marker held by another run (or done before)
    failed: int = 0
    gone: int = 0
    skipped: int = 0
    errors: int = 0
    groups: int = 0  # (tenant, time zone) computations
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def to_json(self) -> JSON:
        return {
            k: getattr(self, k)
            for k in ("due", "sent", "already", "failed", "gone", "skipped", "errors", "groups")
        }


class BriefingService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        subscriptions: SubscriptionService,
        content: ContentBuilder,
        deliverer: Deliverer,
        render: RenderBriefing,
        *,
        holder: str = "pulse",
        catch_up: timedelta = timedelta(hours=3),
        stale_after: timedelta = timedelta(minutes=10),
        max_attempts: int = 3,
        concurrency: int = 20,
        tips: Callable[[str, date, Sequence[str]], Tip] = tip_for,
    ) -> None:
        if catch_up >= timedelta(hours=23):
            raise ValueError("the catch-up window must stay under a day")
        self._store = store
        self._clock = clock
        self.subscriptions = subscriptions
        self.content = content
        self._deliverer = deliverer
        self._render = render
        self._holder = holder
        self.catch_up = catch_up
        self._stale_after = stale_after
        self._max_attempts = max_attempts
        self._concurrency = concurrency
        self._tips = tips
        self._done: set[str] = set()  # marker keys known final (saves a read per tick)
        self._run_lock = asyncio.Lock()

    # -- due ----------------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[tuple[Subscription, date]]:
        found: list[tuple[Subscription, date]] = []
        for tenant in await self.subscriptions.tenants():
            for sub in await self.subscriptions.all(tenant):
                for day in sub.due_days(now, self.catch_up):
                    if marker_key(sub.tenant_id, sub.recipient, day) not in self._done:
                        found.append((sub, day))
        return found

    async def run_due(self, now: datetime | None = None) -> RunReport:
        """Send every briefing due now that nobody sent yet. Safe to call from several
        instances at once and as often as wanted (the markers make it idempotent)."""
        async with self._run_lock:  # one run at a time in this process
            now = now or self._clock.now()
            report = RunReport()
            due = await self.due(now)
            report.due = len(due)
            groups: dict[tuple[str | None, str], list[tuple[Subscription, date]]] = {}
            for sub, day in due:
                groups.setdefault((sub.tenant_id, sub.tz), []).append((sub, day))
            for (tenant, tz), items in groups.items():
                pending = [(s, d) for s, d in items if await self._claimable(s, d, now)]
                report.already += len(items) - len(pending)
                if not pending:
                    continue
                try:
                    content = await self.content.build(tenant, tz, {s.lang for s, _ in pending})
                except Exception:
                    logger.exception("briefing content failed for a tenant; retried next tick")
                    report.errors += len(pending)
                    continue
                report.groups += 1
                await self._fan_out(pending, content, now, report)
            self._prune(now)
            logger.info("briefings run: %s", report.to_json())
            return report

    async def _fan_out(
        self,
        items: Sequence[tuple[Subscription, date]],
        content: BriefingContent,
        now: datetime,
        report: RunReport,
    ) -> None:
        semaphore = asyncio.Semaphore(self._concurrency)

        async def one(sub: Subscription, day: date) -> DeliveryOutcome | str:
            async with semaphore:
                try:
                    return await self._brief_one(sub, day, content, now) or "already"
                except Exception:
                    logger.exception("a briefing failed")
                    return "error"

        results = await asyncio.gather(*(one(s, d) for s, d in items))
        outcomes = [r for r in results if isinstance(r, DeliveryOutcome)]
        tally = Counter(r.status for r in outcomes)
        report.sent += tally[DeliveryStatus.SENT]
        report.failed += tally[DeliveryStatus.FAILED]
        report.gone += tally[DeliveryStatus.GONE]
        report.skipped += tally[DeliveryStatus.SKIPPED]
        report.already += results.count("already")
        report.errors += results.count("error")
        report.outcomes.extend(outcomes)

    async def _brief_one(
        self, sub: Subscription, day: date, content: BriefingContent, now: datetime
    ) -> DeliveryOutcome | None:
        history = await self._tip_history(sub)
        tip = self._tips(sub.user_aad_id or sub.recipient, day, history)
        card = self._render(BriefingView(content, sub.lang, tip, day, sub.recipient))
        key = marker_key(sub.tenant_id, sub.recipient, day)
        claim = await self._claim(key, now)
        if claim is None:
            return None
        etag, attempt = claim
        outcome = await self._deliverer.send(sub.ref_key, card)
        await self._settle(key, etag, attempt, outcome)
        if outcome.status is DeliveryStatus.SENT:
            await self._remember_tip(sub, tip.id)
        return outcome

    # -- marker state machine ----------------------------------------------------------------

    def _marker(self, state: str, attempt: int, now: datetime, **extra: Any) -> JSON:
        data = {
            "state": state,
            "attempt": attempt,
            "holder": self._holder,
            "at": now.isoformat(),
            **extra,
        }
        return make_record(MARKER_KIND, SCHEMA, data, now=now)

    def _reclaimable(self, data: JSON, now: datetime) -> bool:
        state = data.get("state")
        attempt = int(data.get("attempt", 1))
        if state in FINAL_STATES or attempt >= self._max_attempts:
            return False
        if state == "failed":
            return True
        at = datetime.fromisoformat(str(data.get("at")))
        return state == "claimed" and now - at >= self._stale_after

    async def _claimable(self, sub: Subscription, day: date, now: datetime) -> bool:
        key = marker_key(sub.tenant_id, sub.recipient, day)
        current = await self._store.read(key)
        if current is None:
            return True
        data = current.value.get("data", {})
        exhausted = int(data.get("attempt", 1)) >= self._max_attempts
        if data.get("state") in FINAL_STATES or (exhausted and data.get("state") != "claimed"):
            self._done.add(key)
        return self._reclaimable(data, now)

    async def _claim(self, key: str, now: datetime) -> tuple[str, int] | None:
        """Take the marker before sending: create-only, or re-claim a stale/failed one by
        compare-and-set. None when someone else has (or had) it."""
        current = await self._store.read(key)
        try:
            if current is None:
                return await self._store.write(
                    key, self._marker("claimed", 1, now), if_none_match=True
                ), 1
            data = current.value.get("data", {})
            if not self._reclaimable(data, now):
                return None
            attempt = int(data.get("attempt", 1)) + 1
            logger.info(
                "re-claiming a briefing marker in state %s (attempt %d)", data.get("state"), attempt
            )
            return await self._store.write(
                key, self._marker("claimed", attempt, now), if_match=current.etag
            ), attempt
        except (AlreadyExists, PreconditionFailed):
            return None

    async def _settle(self, key: str, etag: str, attempt: int, outcome: DeliveryOutcome) -> None:
        now = self._clock.now()
        value = self._marker(
            outcome.status.value,
            attempt,
            now,
            activity_id=outcome.activity_id,
            http_status=outcome.http_status,
            reason=outcome.reason,
        )
        try:
            await self._store.write(key, value, if_match=etag)
        except PreconditionFailed:
            logger.warning("briefing marker changed under us (re-claimed as stale?)")
        except StorageError:
            logger.exception("could not record a briefing outcome")
        if outcome.status is not DeliveryStatus.FAILED or attempt >= self._max_attempts:
            self._done.add(key)

    def _prune(self, now: datetime) -> None:
        oldest = (now - timedelta(days=3)).date().isoformat()
        self._done = {k for k in self._done if k.rsplit("/", 1)[-1] >= oldest}

    # -- tips ---------------------------------------------------------------------------------

    async def _tip_history(self, sub: Subscription) -> list[str]:
        found = await self._store.read(state_key(sub.tenant_id, sub.recipient))
        if found is None:
            return []
        return [str(t) for t in found.value.get("data", {}).get("tips", [])]

    async def _remember_tip(self, sub: Subscription, tip_id: str) -> None:
        now = self._clock.now()

        def update(current: JSON | None) -> JSON:
            data = dict((current or {}).get("data", {}))
            tips = [*data.get("tips", []), tip_id][-TIP_HISTORY:]
            data.update(tips=tips, last_sent_at=now.isoformat())
            return make_record(STATE_KIND, SCHEMA, data, now=now)

        try:
            await cas_update(self._store, state_key(sub.tenant_id, sub.recipient), update)
        except StorageError:
            logger.warning("could not remember the tip of the day")

    # -- on demand ----------------------------------------------------------------------------

    async def card_now(
        self, tenant_id: str | None, tz: str, lang: str, user_key: str, recipient: str
    ) -> JSON:
        """A briefing right now for one person ("briefing maintenant"): no marker, not counted
        as the day's briefing."""
        content = await self.content.build(tenant_id, tz, [lang])
        today = self._clock.now().astimezone(_zone(tz)).date()
        history = await self._store.read(state_key(tenant_id, recipient))
        tips = [] if history is None else list(history.value.get("data", {}).get("tips", []))
        tip = self._tips(user_key, today, tips)
        return self._render(BriefingView(content, lang, tip, today, recipient))


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)
