"""Teams glue of briefings and alerts: commands, card verbs, the jobs endpoint, the scheduler.

bot.composition builds them once (`build_briefings`); the web app serves their routes and runs
their scheduler (`Briefings.attach`); messages of intent BRIEFING go to
`Briefings.handle_command(turn_context, actor, text)`.

`POST /api/jobs/briefing` (and `/api/jobs/alerts`) let an external scheduler (Azure Container
Apps job, Logic App, cron) run the same work as the in-service scheduler. Authentication: a
bearer secret (`PULSE_JOBS_SECRET`, ≥ 32 random characters) compared in constant time — simple
to rotate, nothing to validate online; an Entra token would need its own issuer/audience checks
for no gain while the caller is our own job. No secret configured → the routes answer 404.
Both are idempotent: the markers decide who sends.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.config import Settings
from bot.i18n import language_of, t
from bot.ports.clock import Clock
from bot.ports.store import AlreadyExists, StorageError, Store
from bot.services.alerts import AlertService, AlertView
from bot.services.briefings import (
    BriefingService,
    ContentBuilder,
    SuggestKind,
    SuggestPost,
)
from bot.services.insights import Insights, InsightsService
from bot.services.scheduler import LeaderElection, Scheduler, Sleep, scheduler_cleanup_ctx
from bot.services.subscriptions import (
    WEEKDAYS,
    Action,
    Defaults,
    Recipient,
    Subscription,
    SubscriptionService,
    parse_command,
    parse_hhmm,
    recipient_of,
    tenant_segment,
    valid_tz,
)
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.briefing_cards import (
    ALERT_PROPOSE_VERB,
    PROPOSE_VERB,
    SAVE_VERB,
    alert_card,
    briefing_card,
    days_text,
    settings_card,
)
from bot.teams.cards import card_activity
from bot.teams.delivery import RetryPolicy, TeamsDelivery
from bot.teams.references import ReferenceStore, conversation_key

logger = logging.getLogger(__name__)

_DAY_CODES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class SubmitForApproval(Protocol):
    async def __call__(self, actor: Actor, text: str, lang: str, context: dict[str, Any]) -> str:
        """Submit `text` for approval; returns a short reference shown to the person."""


def _days(value: Any) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value)
    if isinstance(value, str) and value.strip():
        out = []
        for part in value.replace(";", ",").split(","):
            part = part.strip().lower()[:3]
            out.append(_DAY_CODES[part] if part in _DAY_CODES else int(part))
        return tuple(sorted(set(out)))
    return WEEKDAYS


@dataclass(frozen=True, slots=True)
class BriefingSettings:
    """What briefings and alerts run with: the configured values (`from_settings`) and three
    tunables no variable sets, which tests and the bench override."""

    jobs_secret: str | None = None
    default_time: time = time(8, 0)
    default_tz: str = "Europe/Paris"  # also the time zone of the alerts' times
    catch_up_hours: float = 3.0
    scheduler_enabled: bool = True
    alert_every_minutes: float = 5.0
    alert_cooldown_hours: float = 6.0
    comms_conversation: str | None = None
    # Not configured: the scheduler's lease and tick, delivery's parallelism (tests, the bench).
    lease_s: float = 30.0
    tick_s: float = 60.0
    delivery_concurrency: int = 20

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> BriefingSettings:
        """The configured values (`settings.briefings`, `settings.alerts`); the others keep
        their defaults unless `overrides` (tests, the bench) name them."""
        briefings, alerts = settings.briefings, settings.alerts
        secret = briefings.jobs_secret.get_secret_value() if briefings.jobs_secret else ""
        values: dict[str, Any] = {
            "jobs_secret": secret or None,
            "default_time": parse_hhmm(briefings.default_time),
            "default_tz": valid_tz(briefings.default_tz),
            "catch_up_hours": briefings.catch_up_hours,
            "scheduler_enabled": briefings.scheduler_enabled,
            "alert_every_minutes": alerts.every_minutes,
            "alert_cooldown_hours": alerts.cooldown_hours,
            "comms_conversation": alerts.comms_conversation or None,
        }
        values.update(overrides)
        return cls(**values)


def template_suggester(clock: Clock, tz: str = "Europe/Paris") -> SuggestPost:
    """The default drafting: the holding statement from the editorial line's crisis template
    (topic: the largest named theme; next update: two hours from now); no post of the day."""
    from bot.domain.defaults import default_editorial_line

    line = default_editorial_line()

    async def suggest(kind: SuggestKind, insights: Insights, lang: str) -> str | None:
        if kind != "holding_statement":
            return None
        templates = line.crisis.template
        template = templates.get(language_of(lang)) or templates.get(line.default_language)  # type: ignore[call-overload]
        if not template:
            return None
        labels = [th.label for th in insights.analysis.themes.themes if th.label]
        topic = (
            t(lang, "briefing.holding.topic", theme=labels[0])
            if labels
            else t(lang, "briefing.holding.topic_generic")
        )
        when = (clock.now() + timedelta(hours=2)).astimezone(ZoneInfo(tz)).strftime("%H:00")
        text = line.resolve(str(template))
        text = text.replace("{topic}", topic).replace(
            "{next_update}", t(lang, "briefing.holding.next_update", time=when)
        )
        return " ".join(text.split())

    return suggest


@dataclass
class Briefings:
    """Everything `install_briefings` built (for the handler, tests and the bench)."""

    store: Store
    clock: Clock
    settings: BriefingSettings
    references: ReferenceStore
    subscriptions: SubscriptionService
    service: BriefingService
    alerts: AlertService
    delivery: TeamsDelivery
    scheduler: Scheduler
    submit_for_approval: SubmitForApproval
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    def attach(self, app: web.Application) -> None:
        """Serve the jobs routes and run the scheduler (unless disabled) while `app` runs."""
        app.router.add_post("/api/jobs/briefing", self.jobs_briefing)
        app.router.add_post("/api/jobs/alerts", self.jobs_alerts)
        app.cleanup_ctx.append(
            scheduler_cleanup_ctx(self.scheduler, enabled=self.settings.scheduler_enabled)
        )

    # -- messages (Intent.BRIEFING) -----------------------------------------------------------

    async def handle_command(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        await self.references.remember(turn_context)
        activity = turn_context.activity
        conversation = activity.conversation
        conv_type = (conversation.conversation_type if conversation else None) or "personal"
        ref_key = conversation_key(actor.tenant_id, conversation.id if conversation else "")
        stored = await self.references.get(ref_key)
        tz = valid_tz(stored.time_zone if stored else None, self.settings.default_tz)
        cmd = parse_command(text)
        lang = actor.lang
        recipient = recipient_of(ref_key)
        who = Recipient(
            ref_key=ref_key,
            tenant_id=actor.tenant_id,
            kind=conv_type,
            lang=cmd.lang or lang,
            tz=tz,
            user_aad_id=actor.aad_object_id if conv_type == "personal" else None,
            name=actor.name if conv_type == "personal" else "",
        )
        by = actor.key
        if cmd.action is Action.NOW:
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
            try:
                card = await self.service.card_now(
                    actor.tenant_id, tz, cmd.lang or lang, actor.key, recipient
                )
            except Exception:
                logger.exception("on-demand briefing failed")
                await turn_context.send_activity(t(lang, "briefing.reply.failed"))
                return
            await turn_context.send_activity(card_activity(card))
            return
        if cmd.action in (Action.UNSUBSCRIBE, Action.UNSUBSCRIBE_CHANNEL):
            if cmd.action is Action.UNSUBSCRIBE_CHANNEL and conv_type == "personal":
                await turn_context.send_activity(t(lang, "briefing.reply.channel_only"))
                return
            done = await self.subscriptions.unsubscribe(actor.tenant_id, recipient, by=by)
            key = "channel_unsubscribed" if conv_type != "personal" else "unsubscribed"
            await turn_context.send_activity(
                t(lang, f"briefing.reply.{key if done else 'not_subscribed'}")
            )
            return
        if cmd.action is Action.SETTINGS:
            sub = await self.subscriptions.get(actor.tenant_id, recipient)
            card = settings_card(
                lang,
                sub,
                default_time=self.settings.default_time,
                default_days=WEEKDAYS,
                channel=conv_type != "personal",
            )
            await turn_context.send_activity(card_activity(card))
            return
        if cmd.action is Action.SUBSCRIBE_CHANNEL and conv_type == "personal":
            await turn_context.send_activity(t(lang, "briefing.reply.channel_only"))
            return
        sub, created = await self.subscriptions.upsert(
            who, by=by, active=True, at=cmd.at, days=cmd.days, lang=cmd.lang
        )
        if conv_type != "personal":
            key = "channel_subscribed"
        else:
            key = "subscribed" if created else "updated"
        await turn_context.send_activity(self._confirm(lang, key, sub))

    def _confirm(self, lang: str, key: str, sub: Subscription) -> str:
        return t(
            lang,
            f"briefing.reply.{key}",
            time=sub.at.strftime("%H:%M"),
            days=days_text(lang, sub.days),
            tz=sub.tz,
            lang_name=t(lang, f"briefing.lang_name.{sub.lang}"),
        )

    # -- card verbs ---------------------------------------------------------------------------

    async def on_save(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        lang = actor.lang
        conversation = turn_context.activity.conversation
        conv_type = (conversation.conversation_type if conversation else None) or "personal"
        ref_key = conversation_key(actor.tenant_id, conversation.id if conversation else "")
        try:
            at = parse_hhmm(str(data.get("time") or "08:00"))
            days = _days(str(data.get("days") or ""))
            if not str(data.get("days") or "").strip() or not all(0 <= d <= 6 for d in days):
                raise ValueError("no days")
        except (ValueError, KeyError):
            return ActionResult(message=t(lang, "briefing.settings.invalid"))
        chosen = str(data.get("lang") or lang)
        chosen = chosen if chosen in ("fr", "en") else lang
        active = str(data.get("active", "true")).lower() != "false"
        stored = await self.references.get(ref_key)
        who = Recipient(
            ref_key=ref_key,
            tenant_id=actor.tenant_id,
            kind=conv_type,
            lang=chosen,
            tz=valid_tz(stored.time_zone if stored else None, self.settings.default_tz),
            user_aad_id=actor.aad_object_id if conv_type == "personal" else None,
            name=actor.name if conv_type == "personal" else "",
        )
        sub, _ = await self.subscriptions.upsert(
            who, by=actor.key, active=active, at=at, days=days, lang=chosen
        )
        card = settings_card(
            lang,
            sub,
            default_time=self.settings.default_time,
            default_days=WEEKDAYS,
            channel=conv_type != "personal",
        )
        return ActionResult(card=card)

    async def on_propose(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        return await self._propose(actor, data, source="briefing", ref=str(data.get("day", "")))

    async def on_alert_propose(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        return await self._propose(actor, data, source="alert", ref=str(data.get("event", "")))

    async def _propose(
        self, actor: Actor, data: dict[str, Any], *, source: str, ref: str
    ) -> ActionResult:
        lang = actor.lang
        text = str(data.get("text") or "").strip()
        post_lang = str(data.get("lang") or lang)
        kind = str(data.get("kind") or source)
        if not text:
            return ActionResult(message=t(lang, "briefing.propose.invalid"))
        digest = hashlib.sha256(f"{source}\x00{ref}\x00{actor.key}\x00{text}".encode()).hexdigest()
        key = f"proposals/{tenant_segment(actor.tenant_id)}/{digest[:40]}"
        try:
            await self.store.write(
                key,
                {"by": actor.key, "at": self.clock.now().isoformat(), "source": source},
                if_none_match=True,
            )
        except AlreadyExists:
            return ActionResult(message=t(lang, "briefing.propose.already"))
        context = {"source": source, "kind": kind, "ref": ref}
        try:
            reference = await self.submit_for_approval(actor, text, post_lang, context)
        except Exception:
            logger.exception("sending a suggestion for approval failed")
            try:
                await self.store.delete(key)
            except StorageError:
                logger.warning("could not clear the proposal marker")
            return ActionResult(message=t(lang, "briefing.propose.failed"))
        return ActionResult(message=t(lang, "briefing.propose.sent", ref=reference))

    # -- jobs endpoint --------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool | None:
        secret = self.settings.jobs_secret
        if not secret:
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), secret.encode()
        )

    async def jobs_briefing(self, request: web.Request) -> web.Response:
        ok = self._authorised(request)
        if ok is None:
            raise web.HTTPNotFound()
        if not ok:
            return web.json_response(
                {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        report = await self.service.run_due()
        return web.json_response({"status": "ok", **report.to_json()})

    async def jobs_alerts(self, request: web.Request) -> web.Response:
        ok = self._authorised(request)
        if ok is None:
            raise web.HTTPNotFound()
        if not ok:
            return web.json_response(
                {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        reports = await self.alerts.check_all()
        return web.json_response(
            {"status": "ok", "alerts": [{"action": r.action, "event": r.event_id} for r in reports]}
        )


def build_briefings(
    *,
    store: Store,
    clock: Clock,
    adapter: BotAdapter,
    app_id: str,
    router: CardActionRouter,
    insights: InsightsService,
    references: ReferenceStore,
    submit_for_approval: SubmitForApproval,
    settings: BriefingSettings,
    suggest_post: SuggestPost | None = None,
    holder: str | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Briefings:
    """Briefings and alerts with their delivery and scheduler; their card verbs are routed on
    `router`. `Briefings.attach(app)` adds the jobs routes and runs the scheduler; the BRIEFING
    intent calls `Briefings.handle_command`."""
    cfg = settings
    suggest = suggest_post or template_suggester(clock, cfg.default_tz)
    subscriptions = SubscriptionService(
        store, clock, Defaults(cfg.default_time, WEEKDAYS, cfg.default_tz)
    )
    delivery = TeamsDelivery(
        adapter,
        app_id,
        references,
        policy=RetryPolicy(),
        concurrency=cfg.delivery_concurrency,
        sleep=sleep,
    )
    election = LeaderElection(store, holder=holder, lease_s=cfg.lease_s)
    service = BriefingService(
        store,
        clock,
        subscriptions,
        ContentBuilder(insights, suggest, clock),
        delivery,
        briefing_card,
        holder=election.holder,
        catch_up=timedelta(hours=cfg.catch_up_hours),
        concurrency=cfg.delivery_concurrency,
    )

    async def comms(tenant_id: str | None) -> list[tuple[str, str]]:
        if not cfg.comms_conversation:
            return []
        key = conversation_key(tenant_id, cfg.comms_conversation)
        ref = await references.get(key)
        return [(key, ref.lang)] if ref is not None and ref.active else []

    def render_alert(view: AlertView) -> dict[str, Any]:
        return alert_card(view, cfg.default_tz)

    alerts = AlertService(
        store,
        clock,
        subscriptions,
        insights,
        delivery,
        render_alert,
        suggest,
        cooldown=timedelta(hours=cfg.alert_cooldown_hours),
        extra_recipients=comms,
        tz=cfg.default_tz,
        concurrency=cfg.delivery_concurrency,
    )
    scheduler = Scheduler(clock, election, tick_s=cfg.tick_s)
    scheduler.add_job("briefings", timedelta(0), service.run_due)
    scheduler.add_job(
        "alerts", timedelta(minutes=cfg.alert_every_minutes), lambda now: alerts.check_all(now)
    )
    briefings = Briefings(
        store,
        clock,
        cfg,
        references,
        subscriptions,
        service,
        alerts,
        delivery,
        scheduler,
        submit_for_approval,
    )
    router.register(SAVE_VERB, briefings.on_save)
    router.register(PROPOSE_VERB, briefings.on_propose)
    router.register(ALERT_PROPOSE_VERB, briefings.on_alert_propose)
    return briefings
