"""The web app's components: the core services (`build_core`) and, over them, the Teams side —
adapter and authentication, the bot, its dialogs and intent handlers, approvals in Teams,
briefings and alerts, the messages endpoint, and the work queue of answers.

`app.py` serves what `build_web` returns (routes, middleware, lifecycle); it builds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.clients.queue.factory import create_queue, worker_options
from bot.clients.queue.runner import HandlerRegistry, QueueWorker
from bot.clients.store.factory import create_store
from bot.composition.core import Core, build_core
from bot.composition.worker import build_answer_handler
from bot.config import QueueBackend, Settings
from bot.domain.coach import CoachKnowledge
from bot.ports.clock import Clock
from bot.ports.language import LanguageEngine, Period
from bot.ports.posts import PostSource
from bot.ports.queue import WorkQueue
from bot.ports.store import Store
from bot.services.ask import AskService
from bot.services.drafting import DraftingService, insights_context
from bot.services.insights import InsightsService
from bot.teams.actions import CardActionRouter
from bot.teams.adapter import Adapter, CredentialsFactory, build_adapter, build_authentication
from bot.teams.answer_jobs import ANSWER_JOB, QueueDispatcher
from bot.teams.approvals import ApprovalRequests, ApprovalsTeams, register_approvals
from bot.teams.ask import AnswerDispatcher, AskInTeams
from bot.teams.auth import PulseAuthentication
from bot.teams.background import BackgroundReplies
from bot.teams.briefings import Briefings, BriefingSettings, build_briefings
from bot.teams.coach import CoachInTeams
from bot.teams.drafting_cards import DraftCardFlow
from bot.teams.editorial import EditorialServices, FileFetcher, register_editorial
from bot.teams.endpoint import ActivityDeduplicator, MessagesEndpoint
from bot.teams.handler import PulseBot
from bot.teams.references import ReferenceStore
from bot.teams.roles import TeamsRoleResolver, TeamsTeamMembers
from bot.teams.routes import Routes
from bot.teams.stale_cards import Submissions
from bot.teams.state_storage import BotStates
from bot.teams.watch import WatchServices, is_watch_command, register_watch
from dialogs.drafting_dialog import DraftingDialog
from dialogs.intents import IntentHandlers
from dialogs.main_dialog import MainDialog
from dialogs.tour_dialog import TourDialog

logger = logging.getLogger("pulse.app")


@dataclass
class AnswerQueue:
    """Answers through the work queue: a worker process answers (azure queue), or `worker` in
    this process (memory queue, PULSE_ANSWER_DISPATCH=queue)."""

    queue: WorkQueue
    worker: QueueWorker | None


@dataclass
class Components:
    """What the web app serves, built once by `build_web` (tests reach them too)."""

    core: Core
    auth: PulseAuthentication
    adapter: Adapter
    states: BotStates
    bot: PulseBot
    background: BackgroundReplies
    references: ReferenceStore
    ask_in_teams: AskInTeams
    intents: IntentHandlers
    approvals: ApprovalsTeams
    briefings: Briefings | None
    endpoint: MessagesEndpoint
    answer_queue: AnswerQueue | None

    # The core's parts, by their usual names.
    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def source(self) -> PostSource:
        return self.core.answering.source

    @property
    def engine(self) -> LanguageEngine:
        return self.core.answering.engine

    @property
    def insights(self) -> InsightsService:
        return self.core.answering.insights

    @property
    def ask(self) -> AskService:
        return self.core.answering.ask

    @property
    def dispatcher(self) -> AnswerDispatcher:
        """How answers are built (in process, or through the queue)."""
        return self.ask_in_teams.dispatcher


def build_answer_queue(settings: Settings, core: Core, adapter: Adapter) -> AnswerQueue | None:
    config = settings.queue
    if not config.answers_via_queue:
        return None
    queue = create_queue(settings, core.store)
    if config.backend is not QueueBackend.MEMORY:
        return AnswerQueue(queue, None)
    registry = HandlerRegistry()
    handler = build_answer_handler(
        settings,
        core,
        adapter,
        worker_name="web",
        claim_lease_s=config.visibility_timeout_s,
    )
    registry.register_handler(ANSWER_JOB, handler)
    return AnswerQueue(queue, QueueWorker(queue, registry, worker_options(config)))


def build_web(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    credentials_factory: CredentialsFactory | None = None,
    with_briefings: bool = True,
) -> Components:
    """Everything the web app serves. `store`, `clock` replace the configured ones and
    `credentials_factory` the bot's outbound credentials (tests, where no identity provider is
    reachable); `with_briefings=False` leaves briefings to a test that wires its own."""
    app_id, hosts = settings.bot.app_id, settings.effective_service_url_hosts
    # The adapter first: the roles team's members are read through it.
    auth = build_authentication(settings, credentials_factory)
    store = store or create_store(settings)
    states = BotStates.in_store(store)
    adapter = build_adapter(auth, states.conversation)
    members = TeamsTeamMembers(adapter, app_id, hosts)
    core = build_core(settings, store=store, clock=clock, team_members=members)
    store, clock, answering = core.store, core.clock, core.answering
    insights, ask = answering.insights, answering.ask

    background = BackgroundReplies(adapter, app_id)
    references = ReferenceStore(store, clock, hosts)
    answer_queue = build_answer_queue(settings, core, adapter)
    router = CardActionRouter()
    roles = TeamsRoleResolver(core.approvals.roles, members)
    evidence = insights_context(insights)
    submit = ApprovalRequests(core.approvals.approvals, evidence)
    submissions = Submissions(store, clock, core.approvals.approvals.get)
    drafting = DraftingService(
        core.editorial, answering.engine, fallback=answering.offline, context=evidence
    )
    card_flow = DraftCardFlow(drafting, submit, submissions=submissions)
    ask_in_teams = AskInTeams(
        ask,
        background,
        store,
        clock,
        show_cost_to_all=settings.is_demo,
        start_draft=card_flow.start_draft_from_card,
        dispatcher=QueueDispatcher(answer_queue.queue) if answer_queue is not None else None,
    )

    async def crisis_score(tenant_id: str | None) -> float:
        try:
            found = await insights.compute(tenant_id, period=Period.LAST_24H)
        except Exception:
            logger.warning("no crisis score for the advice; assuming calm")
            return 0.0
        return found.analysis.crisis.score

    offline, engine = answering.offline, answering.engine
    rephrase = getattr(engine, "explain", None) if engine is not offline else None
    coach = CoachInTeams(
        CoachKnowledge.load(), answering.listening.cached_post, crisis_score, rephrase
    )
    briefings = (
        build_briefings(
            store=store,
            clock=clock,
            adapter=adapter,
            app_id=app_id,
            router=router,
            insights=insights,
            references=references,
            submit_for_approval=submit,
            settings=BriefingSettings.from_settings(settings),
        )
        if with_briefings
        else None
    )
    intents = IntentHandlers(
        ask=ask,
        ask_in_teams=ask_in_teams,
        coach=coach,
        roles=roles,
        submissions=submissions,
        editorial=register_editorial(router, EditorialServices(core.editorial, FileFetcher())),
        watch=register_watch(router, WatchServices(insights.profiles, FileFetcher())),
        briefings=briefings,
    )
    routes = Routes(
        understand=ask.understand,
        last_understanding=states.conversation.create_property("LastUnderstanding"),
    )
    intents.register(routes)
    drafting_dialog = DraftingDialog(
        drafting,
        submit,
        roles=roles,
        understand=ask.understand,  # a new question interrupts the drafting
        set_aside=states.conversation.create_property("SetAsideDraft"),
        submissions=submissions,
    )
    tour = TourDialog(states.user.create_property("Tour"), editorial_line=core.editorial.current)
    ask_in_teams.register(router)
    card_flow.register(router)
    approvals = register_approvals(
        None,  # its commands: `PulseBot(commands=...)` below
        router,
        core.approvals,
        adapter=adapter,
        app_id=app_id,
        store=store,
        clock=clock,
        allowed_hosts=hosts,
        requests_to_requester_without_channel=settings.is_demo,
    )
    bot = PulseBot(
        conversation_state=states.conversation,
        user_state=states.user,
        dialog=MainDialog(
            routes,
            [drafting_dialog, tour],
            commands=[(is_watch_command, intents.on_watch)],
            card_values=intents.on_card_value,
        ),
        company=settings.app.company_name,
        demo=settings.is_demo,
        actions=router,
        roles=roles,
        on_every_turn=[references.remember],
        commands=[approvals.try_command],
    )
    endpoint = MessagesEndpoint(
        adapter=adapter,
        auth=auth,
        logic=bot.on_turn,
        deduplicator=ActivityDeduplicator(store, clock),
        max_body_bytes=settings.edge.max_body_bytes,
        allowed_channels=settings.edge.allowed_channels,
        allowed_tenants=settings.effective_allowed_tenants,
        allowed_service_url_hosts=hosts,
    )
    return Components(
        core,
        auth,
        adapter,
        states,
        bot,
        background,
        references,
        ask_in_teams,
        intents,
        approvals,
        briefings,
        endpoint,
        answer_queue,
    )
