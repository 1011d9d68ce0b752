"""The services every process builds from `Settings`, without Teams: the posts source, the
language engines, answering, the X cost ledger, the editorial line and approvals.

The web app (`bot.composition.web`) and the worker (`bot.composition.worker`) build these
through `build_core`; nothing here imports the Bot Framework SDK.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.demo.source import DemoSource
from bot.clients.encoder import shared_encoder
from bot.clients.llm.openai_engine import OpenAIConfig, OpenAIEngine
from bot.clients.offline_engine import OfflineEngine
from bot.clients.store.factory import create_store
from bot.clients.x.source import OAuth1UserAuth, OAuth2UserAuth, UserAuth, XSource
from bot.config import Settings, XSettings
from bot.domain.costs import PriceTable
from bot.domain.defaults import default_editorial_line
from bot.domain.editorial import EditorialLine
from bot.ports.clock import Clock, SystemClock
from bot.ports.language import LanguageEngine, SentimentScorer
from bot.ports.posts import PostPublisher, PostSource
from bot.ports.store import Store
from bot.services.approvals import ApprovalService, ApprovalServices, DraftEvents
from bot.services.ask import AskService
from bot.services.costs import CostLedger
from bot.services.crisis_history import CrisisHistory
from bot.services.editorial_store import EditorialStore
from bot.services.embeddings import PostEmbeddings
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.publishing import PublishingService
from bot.services.roles import RoleService, TeamMembersLoader
from bot.services.sentiment import SampleSentiment

EditorialLineOf = Callable[[str], Awaitable[EditorialLine]]  # a tenant's editorial line


def x_user_auth(x: XSettings) -> UserAuth | None:
    """The X user context that may post (OAuth 2.0 user token, or OAuth 1.0a), if configured."""
    if x.user_access_token:
        return OAuth2UserAuth(x.user_access_token)
    if x.has_user_context:
        return OAuth1UserAuth(
            x.consumer_key or SecretStr(""),
            x.consumer_secret or SecretStr(""),
            x.access_token or SecretStr(""),
            x.access_token_secret or SecretStr(""),
        )
    return None


def build_source(settings: Settings, clock: Clock) -> PostSource:
    """The demo corpus (demo mode without an X token), or the X API client, which also posts
    when user-context credentials are configured."""
    if settings.is_demo and not settings.x.bearer_token:
        return DemoSource(clock)
    return XSource(
        settings.x.bearer_token,
        user_auth=x_user_auth(settings.x),
        base_url=settings.x.base_url,
        clock=clock,
        timeout_s=settings.x.timeout_s,
    )


def build_publisher(settings: Settings, source: PostSource) -> PostPublisher | None:
    """What posts approved drafts to X: the reading client when it holds the user context,
    else a posting-only client; None while posting is off."""
    if not settings.posting_enabled:
        return None
    if isinstance(source, XSource):
        return source
    return XSource(
        None,
        user_auth=x_user_auth(settings.x),
        base_url=settings.x.base_url,
        timeout_s=settings.x.timeout_s,
    )


def build_engine(settings: Settings, offline: LanguageEngine) -> LanguageEngine:
    llm = settings.llm
    if not llm.configured:
        return offline
    config = OpenAIConfig(
        model=llm.azure_openai_deployment or llm.openai_model,
        api_key=(llm.azure_openai_api_key or llm.openai_api_key or SecretStr("")).get_secret_value()
        or None,
        base_url=llm.openai_base_url,
        azure_endpoint=llm.azure_openai_endpoint,
        azure_deployment=llm.azure_openai_deployment,
        azure_api_version=llm.azure_openai_api_version,
        timeout_s=llm.timeout_s,
        max_retries=llm.max_retries,
        max_input_tokens=llm.max_input_tokens,
        max_output_tokens=llm.max_output_tokens,
        temperature=llm.temperature,
    )
    return OpenAIEngine(config, company=settings.app.company_name)


def sample_sentiment(settings: Settings, engine: LanguageEngine) -> SampleSentiment:
    """How the sample of an answer or briefing gets its sentiment (bot/services/sentiment.py)."""
    scorer = (
        engine if settings.sentiment.model_scoring and isinstance(engine, SentimentScorer) else None
    )
    return SampleSentiment(
        encoder=shared_encoder() if settings.use_sentiment_embeddings else None, scorer=scorer
    )


def build_ledger(settings: Settings, store: Store, clock: Clock) -> CostLedger:
    """The X cost ledger with the configured prices and monthly budget: built once, shared by
    listening (reads) and publishing (posts)."""
    return CostLedger(
        store,
        clock,
        prices=PriceTable.from_mapping(settings.costs.x_prices),
        monthly_budget_usd=settings.costs.x_monthly_budget_usd,
    )


@dataclass
class Answering:
    """Everything that answers a question: what the web instances and the workers share."""

    source: PostSource
    listening: ListeningService
    insights: InsightsService
    offline: OfflineEngine
    engine: LanguageEngine
    ask: AskService
    ledger: CostLedger

    async def close(self) -> None:
        for part in (self.source, self.engine):
            for closer in ("close", "aclose"):
                close = getattr(part, closer, None)
                if close is not None:
                    await close()


def build_answering(settings: Settings, store: Store, clock: Clock) -> Answering:
    source = build_source(settings, clock)
    ledger = build_ledger(settings, store, clock)
    listening = ListeningService(
        source,
        store,
        ledger,
        clock,
        cache_ttl=timedelta(minutes=settings.listening.cache_minutes),
        extend_within=timedelta(hours=settings.listening.extend_hours),
    )
    profiles = ProfileRepository(store, DEFAULT_PROFILE_PATH, clock)
    demo_profile = profiles.default()
    # The default profile's names serve only when a tenant's own profile cannot be read: each
    # question is understood with its tenant's names (AskService.vocabulary).
    offline = OfflineEngine(
        competitors=[n for c in demo_profile.competitors for n in c.names],
        own_names=demo_profile.names,
        sector_terms=demo_profile.sector_terms,
    )
    engine = build_engine(settings, offline)
    labels = sample_sentiment(settings, engine)
    insights = InsightsService(
        listening,
        profiles,
        clock,
        sample_size=settings.listening.sample_size,
        sentiment=labels,
        model_sentiment=labels.score if labels.uses_model else None,
        embeddings=PostEmbeddings(shared_encoder(), store),  # themes from meaning, vectors kept
    )
    return Answering(
        source,
        listening,
        insights,
        offline,
        engine,
        AskService(insights, engine, offline, CrisisHistory(store, insights, clock)),
        ledger,
    )


def build_approval_services(
    settings: Settings,
    store: Store,
    clock: Clock,
    *,
    ledger: CostLedger,
    publisher: PostPublisher | None,
    line_for: EditorialLineOf | None = None,
    team_members: TeamMembersLoader | None = None,
) -> ApprovalServices:
    """Roles, approvals (each tenant's editorial line through `line_for`) and publishing, which
    counts what it posts on the app's `ledger` (the configured prices and budget)."""
    config = settings.roles
    roles = RoleService(
        admins=config.admins,
        approvers=config.approvers,
        executives=config.executives,
        team_id=config.team_id,
        team_members=team_members,
        team_ttl_s=config.team_ttl_s,
        open_to_all=settings.roles_open_to_all,
    )
    events = DraftEvents()
    approvals = ApprovalService(
        store,
        clock,
        roles,
        line=default_editorial_line(),
        allow_self_approval=settings.effective_allow_self_approval,
        policy=config.approval_policy,
        policy_approvers=tuple(config.approval_group),
        max_age=timedelta(hours=config.draft_max_age_hours) if config.draft_max_age_hours else None,
        events=events,
        line_for=line_for,
    )
    publishing = PublishingService(
        approvals.repo,
        clock,
        publisher=publisher,
        enabled=publisher is not None,
        timeout_s=settings.x.timeout_s + 2.0,
        events=events,
        costs=ledger,
    )
    return ApprovalServices(approvals=approvals, publishing=publishing, roles=roles)


@dataclass
class Core:
    """What every process builds from the settings, once."""

    settings: Settings
    store: Store
    clock: Clock
    answering: Answering
    editorial: EditorialStore
    approvals: ApprovalServices

    async def close(self) -> None:
        await self.answering.close()
        await self.store.close()


def build_core(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    team_members: TeamMembersLoader | None = None,
) -> Core:
    """`store` and `clock` replace the configured ones (tests); `team_members` reads a roles
    team's members (Teams)."""
    clock = clock or SystemClock()
    store = store or create_store(settings)
    answering = build_answering(settings, store, clock)
    editorial = EditorialStore(store, clock)
    approvals = build_approval_services(
        settings,
        store,
        clock,
        ledger=answering.ledger,
        publisher=build_publisher(settings, answering.source),
        line_for=editorial.current,
        team_members=team_members,
    )
    return Core(settings, store, clock, answering, editorial, approvals)
