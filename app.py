"""Composition root: settings → logging → storage → authentication → adapter → dialogs → bot → app.

`create_app(settings)` builds everything; nothing is built at import time. `python app.py` serves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web
from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.dialogs import DialogTurnResult, WaterfallStepContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.clients.queue.factory import QueueBackend, QueueSettings
from bot.clients.queue.runner import HandlerRegistry, QueueWorker
from bot.composition import (
    build_answer_handler,
    build_answering,
    build_authentication,
)
from bot.config import ConfigError, Settings, load_settings
from bot.domain.coach import CoachKnowledge
from bot.domain.drafts import Person
from bot.i18n import language_of, t
from bot.logs import correlation_id, quiet_azure_sdk, setup_logging
from bot.ports.clock import Clock, SystemClock
from bot.ports.language import LISTENING_INTENTS, Intent, LanguageEngine, Period, Understanding
from bot.ports.posts import PostSource
from bot.ports.store import StorageError, StorageUnavailable, Store
from bot.services.ask import AskService
from bot.services.drafting import DraftingService, insights_context
from bot.services.editorial_store import EditorialStore
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.maintenance import purge_cleanup_ctx
from bot.teams.actions import Actor, actor_of
from bot.teams.answer_jobs import ANSWER_JOB, QueueDispatcher
from bot.teams.approvals import build_approval_services, register_approvals
from bot.teams.ask import AnswerDispatcher, AskInTeams
from bot.teams.auth import PulseAuthentication
from bot.teams.background import BackgroundReplies
from bot.teams.briefings import Briefings, install_briefings
from bot.teams.cards import card_activity, help_card
from bot.teams.clarify import reply_unknown
from bot.teams.coach import CoachInTeams
from bot.teams.drafting_cards import SUBMIT_KEY, DraftCardFlow
from bot.teams.editorial import EditorialServices, FileFetcher, register_editorial
from bot.teams.endpoint import ActivityDeduplicator, MessagesEndpoint
from bot.teams.handler import PulseBot
from bot.teams.references import ReferenceStore
from bot.teams.roles import TeamsRoleResolver, TeamsTeamMembers
from bot.teams.routes import Routes
from bot.teams.stale_cards import Submissions
from bot.teams.watch import WatchServices, is_watch_command, register_watch
from bot.telemetry import setup_telemetry, telemetry_middleware
from dialogs.drafting_dialog import DRAFTING_DIALOG_ID, DraftingDialog, DraftOptions
from dialogs.main_dialog import MainDialog
from dialogs.tour_dialog import TourDialog

logger = logging.getLogger("pulse.app")

STORE_KEY = web.AppKey("store", Store)
SETTINGS_KEY = web.AppKey("settings", Settings)
AUTH_KEY = web.AppKey("authentication", PulseAuthentication)
READYZ_KEYS_WAIT_S = 2.0  # /readyz waits this long at most for the channel's signing keys


@dataclass
class Components:
    """What `create_app` wired, for tests and for the background services of later layers."""

    settings: Settings
    store: Store
    clock: Clock
    adapter: CloudAdapter
    bot: PulseBot
    conversation_state: ConversationState
    source: PostSource
    engine: LanguageEngine
    offline: LanguageEngine
    listening: ListeningService
    insights: InsightsService
    ask: AskService
    background: BackgroundReplies
    references: ReferenceStore
    dispatcher: AnswerDispatcher | None = None  # how answers are built (in process / queue)


COMPONENTS_KEY = web.AppKey("components", Components)


def make_turn_error_handler(conversation_state: ConversationState):  # type: ignore[no-untyped-def]
    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        ref = correlation_id.get()
        logger.error("turn failed (ref %s)", ref, exc_info=error)
        lang = language_of(context.activity.locale)
        key = "errors.storage" if isinstance(error, StorageError) else "errors.generic"
        try:
            await context.send_activity(t(lang, key, ref=ref))
        except Exception:
            logger.exception("could not tell the user about the failure (ref %s)", ref)
        try:
            await conversation_state.delete(context)  # clears the broken dialog
        except Exception:
            logger.warning("could not clear the conversation state (ref %s)", ref)

    return on_turn_error


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
    briefings_installed: bool = True,
    queue_settings: QueueSettings | None = None,
) -> web.Application:
    """Wire Pulse. `credentials_factory` replaces the bot's outbound credentials (tests, where
    no identity provider is reachable). `queue_settings` (default: from the environment) say
    whether answers go through the work queue (PULSE_ANSWER_DISPATCH, PULSE_QUEUE_BACKEND)."""
    from bot.clients.queue.factory import create_queue, load_queue_settings, worker_options
    from bot.clients.store.factory import create_store
    from bot.teams.state_storage import StoreStorage

    clock = clock or SystemClock()
    store = store or create_store(settings)
    bot_storage = StoreStorage(store)
    conversation_state = ConversationState(bot_storage)
    user_state = UserState(bot_storage)

    auth = build_authentication(settings, credentials_factory)
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = make_turn_error_handler(conversation_state)

    # Listening, analysis and answers.
    answering = build_answering(settings, store, clock)
    source, listening, insights = answering.source, answering.listening, answering.insights
    offline, engine, ask = answering.offline, answering.engine, answering.ask
    background = BackgroundReplies(adapter, settings.app_id)
    # Answers through the work queue: a worker process answers (azure), or a worker in this
    # process (memory queue, PULSE_ANSWER_DISPATCH=queue).
    queue_settings = queue_settings or load_queue_settings()
    answer_queue = create_queue(queue_settings, store) if queue_settings.answers_via_queue else None
    local_worker: QueueWorker | None = None
    if answer_queue is not None and queue_settings.queue_backend is QueueBackend.MEMORY:
        registry = HandlerRegistry()
        handler, _ = build_answer_handler(
            settings,
            store,
            clock,
            worker_name="web",
            claim_lease_s=queue_settings.queue_visibility_timeout_s,
            answering=answering,
            adapter=adapter,
        )
        registry.register_handler(ANSWER_JOB, handler)
        local_worker = QueueWorker(answer_queue, registry, worker_options(queue_settings))
    references = ReferenceStore(store, clock, settings.effective_service_url_hosts)

    async def crisis_score(tenant_id: str | None) -> float:
        try:
            found = await insights.compute(tenant_id, period=Period.LAST_24H)
        except Exception:
            logger.warning("no crisis score for the advice; assuming calm")
            return 0.0
        return found.analysis.crisis.score

    rephrase = getattr(engine, "explain", None) if engine is not offline else None
    coach = CoachInTeams(CoachKnowledge.load(), listening.cached_post, crisis_score, rephrase)
    routes = Routes(
        understand=ask.understand,
        last_understanding=conversation_state.create_property("LastUnderstanding"),
    )

    async def on_ask(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await ask_in_teams.handle(step.context, u, text)

    async def on_explain(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await coach.explain(step.context, text, u.lang)

    async def on_should_respond(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        tenant = actor_of(step.context.activity).tenant_id
        await coach.should_respond(step.context, text, u.post_ref, u.lang, tenant)

    async def on_unknown(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        if u.reason in (None, "unclear") and coach.knows(text):
            await coach.explain(step.context, text, u.lang)
        elif not await reply_unknown(step.context, u, text):  # a decline, a "Did you mean…"
            await step.context.send_activity(t(u.lang, "errors.not_understood"))

    async def on_help(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await step.context.send_activity(card_activity(help_card(u.lang)))

    for intent in LISTENING_INTENTS:
        routes.on(intent, on_ask)
    routes.on(Intent.EXPLAIN, on_explain)
    routes.on(Intent.SHOULD_RESPOND, on_should_respond)
    routes.on(Intent.UNKNOWN, on_unknown)
    routes.on(Intent.HELP, on_help)

    # Drafting, editorial line, approvals.
    members = TeamsTeamMembers(adapter, settings.app_id, settings.effective_service_url_hosts)
    approval_services = build_approval_services(
        settings, store, clock, team_members=members, costs=answering.ledger
    )
    roles = TeamsRoleResolver(approval_services.roles, members)
    editorial_store = EditorialStore(store, clock)
    approval_services.approvals.line_for = editorial_store.current
    drafting = DraftingService(
        editorial_store, engine, fallback=offline, context=insights_context(insights)
    )

    async def submit_for_approval(
        actor: Actor, text: str, lang: str, context: dict[str, Any] | None
    ) -> str:
        requester = Person(actor.key, actor.name)
        context = dict(context or {})
        topic = context.get("topic") or context.get("brief")
        if topic and "evidence" not in context:  # the posts behind it, for the approvers
            try:
                async with asyncio.timeout(5):
                    posts = await evidence_posts(actor.tenant_id, str(topic), lang)
                context["evidence"] = [p.url for p in posts[:3]]
            except Exception:
                logger.warning("approval request without evidence links")
        draft = await approval_services.approvals.submit(
            actor.tenant_id or "demo", requester, text, lang, context
        )
        return draft.id

    evidence_posts = insights_context(insights)
    submissions = Submissions(store, clock, approval_services.approvals.get)

    async def on_card_value(step: WaterfallStepContext, value: dict[str, Any]) -> bool:
        if SUBMIT_KEY not in value:  # a drafting card's button, its dialog over
            return False
        actor = actor_of(step.context.activity)
        flow = DraftingDialog.flow_of(step.context)
        await step.context.send_activity(
            await submissions.stale_answer(actor.lang, actor.tenant_id, flow)
        )
        return True

    card_flow = DraftCardFlow(drafting, submit_for_approval, submissions=submissions)
    ask_in_teams = AskInTeams(
        ask,
        background,
        store,
        clock,
        show_cost_to_all=settings.is_demo,
        start_draft=card_flow.start_draft_from_card,
        dispatcher=QueueDispatcher(answer_queue) if answer_queue is not None else None,
    )
    drafting_dialog = DraftingDialog(
        drafting,
        submit_for_approval,
        roles=roles,
        understand=ask.understand,  # a new question interrupts the drafting
        set_aside=conversation_state.create_property("SetAsideDraft"),
        submissions=submissions,
    )

    async def actor_in(step: WaterfallStepContext, lang: str | None = None) -> Actor:
        """The sender; `lang`, the message's language, overrides the client's locale."""
        actor = actor_of(step.context.activity, await roles(step.context.activity))
        return dataclasses.replace(actor, lang=lang) if lang else actor

    async def on_draft(step: WaterfallStepContext, u: Understanding, text: str) -> DialogTurnResult:
        options = DraftOptions(brief=u.topic, lang=u.lang, ui=u.lang)
        result: DialogTurnResult = await step.begin_dialog(DRAFTING_DIALOG_ID, options)
        return result

    async def on_editorial(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await editorial_teams.handle_editorial_command(
            step.context, await actor_in(step, u.lang), text
        )

    installed: list[Briefings] = []

    async def on_briefing(step: WaterfallStepContext, u: Understanding, text: str) -> None:
        if installed:
            await installed[0].handle_command(step.context, await actor_in(step, u.lang), text)
        else:
            await step.context.send_activity(t(u.lang, "placeholder.not_ready"))

    async def on_watch(step: WaterfallStepContext, text: str) -> None:
        # A command, not a question: read only for its language (« profil de veille »: French).
        actor = await actor_in(step)
        said = await ask.understand(text, actor.lang, None, actor.tenant_id)
        await watch_teams.handle_command(
            step.context, dataclasses.replace(actor, lang=said.lang), text
        )

    routes.on(Intent.DRAFT, on_draft)
    routes.on(Intent.EDITORIAL_LINE, on_editorial)
    routes.on(Intent.BRIEFING, on_briefing)

    bot = PulseBot(
        conversation_state=conversation_state,
        user_state=user_state,
        dialog=MainDialog(
            routes,
            [
                drafting_dialog,
                TourDialog(
                    user_state.create_property("Tour"), editorial_line=editorial_store.current
                ),
            ],
            commands=[(is_watch_command, on_watch)],
            card_values=on_card_value,
        ),
        company=settings.company_name,
        demo=settings.is_demo,
        roles=roles,
        on_every_turn=[references.remember],
    )
    ask_in_teams.register(bot.actions)
    card_flow.register(bot.actions)
    watch_teams = register_watch(bot.actions, WatchServices(insights.profiles, FileFetcher()))
    editorial_teams = register_editorial(
        bot.actions, EditorialServices(editorial_store, FileFetcher())
    )
    approvals_teams = register_approvals(
        bot,
        bot.actions,
        approval_services,
        adapter=adapter,
        app_id=settings.app_id,
        store=store,
        clock=clock,
        allowed_hosts=settings.effective_service_url_hosts,
    )
    endpoint = MessagesEndpoint(
        adapter=adapter,
        auth=auth,
        logic=bot.on_turn,
        deduplicator=ActivityDeduplicator(store, clock),
        max_body_bytes=settings.max_body_bytes,
        allowed_channels=settings.allowed_channels,
        allowed_tenants=settings.effective_allowed_tenants,
        allowed_service_url_hosts=settings.effective_service_url_hosts,
    )

    middlewares: list[Any] = [telemetry_middleware()]
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=middlewares)
    app[SETTINGS_KEY] = settings
    app[STORE_KEY] = store
    app[AUTH_KEY] = auth
    app[COMPONENTS_KEY] = Components(
        settings,
        store,
        clock,
        adapter,
        bot,
        conversation_state,
        source,
        engine,
        offline,
        listening,
        insights,
        ask,
        background,
        references,
        ask_in_teams.dispatcher,
    )
    app.router.add_post("/api/messages", endpoint.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        logger.info("Pulse starting in %s mode", settings.mode.value)
        # The question reader's weights (~2 s to read) load now, before the first request.
        await asyncio.to_thread(answering.offline.warm_up)
        running = asyncio.create_task(local_worker.run()) if local_worker is not None else None
        yield
        await background.drain()
        if local_worker is not None and running is not None:
            local_worker.stop()
            await running
        if answer_queue is not None:
            await answer_queue.close()
        await answering.close()
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    app.cleanup_ctx.append(
        purge_cleanup_ctx(
            store,
            clock,
            cache_retention=timedelta(days=settings.cache_retention_days),
            dedupe_retention=timedelta(hours=settings.dedupe_ttl_hours),
        )
    )
    approvals_teams.attach(app, interval_s=60)
    approvals_teams.requests_to_requester_without_channel = settings.is_demo
    if briefings_installed:  # tests that wire their own scheduler pass False
        installed.append(
            install_briefings(
                app,
                app[COMPONENTS_KEY],
                insights=insights,
                references=references,
                submit_for_approval=submit_for_approval,
            )
        )
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    try:
        await asyncio.wait_for(store.ping(), timeout=request.app[SETTINGS_KEY].storage_timeout_s)
    except (StorageError, TimeoutError) as exc:
        reason = "unavailable" if isinstance(exc, StorageUnavailable | TimeoutError) else "error"
        return web.json_response({"status": "not ready", "storage": reason}, status=503)
    auth = request.app.get(AUTH_KEY)
    keys = auth.signing_keys if auth is not None else None
    if keys is not None:
        # Production: not ready while the channel's token-signing keys cannot be had at all
        # (stale ones are still served while a refresh is tried).
        keys_status = await keys.status(wait_s=READYZ_KEYS_WAIT_S)
        body = {"storage": "ok", "signing_keys": keys_status}
        if keys_status == "unavailable":
            return web.json_response({"status": "not ready", **body}, status=503)
        return web.json_response({"status": "ready", **body})
    return web.json_response({"status": "ready", "storage": "ok"})


def main() -> int:
    from bot.clients.queue.factory import load_queue_settings

    try:
        settings = load_settings()
        queue_settings = load_queue_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)  # logging is not configured yet: the one message goes to stderr
        return 2
    except ValueError as exc:  # pydantic's ValidationError, of the queue settings
        print(f"Pulse cannot start: {exc}", file=sys.stderr)
        return 2
    if queue_settings.answers_via_queue and queue_settings.problems():
        print(
            "Pulse cannot start:\n  - " + "\n  - ".join(queue_settings.problems()), file=sys.stderr
        )
        return 2
    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    quiet_azure_sdk(settings.log_level)
    telemetry = setup_telemetry(settings)
    app = create_app(settings, queue_settings=queue_settings)
    app.on_cleanup.append(lambda _: asyncio.to_thread(telemetry.shutdown))
    print(
        f"Pulse ({settings.mode.value} mode) listening on http://{settings.bind_host}:{settings.port}/api/messages",
        flush=True,
    )
    web.run_app(
        app,
        host=settings.bind_host,
        port=settings.port,
        print=None,
        access_log=None if settings.log_level != "DEBUG" else logging.getLogger("aiohttp.access"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
