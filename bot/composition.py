"""What the web app (`app.py`) and the worker (`bot.worker`) both build: the services that
answer a question, the X cost ledger, the "answer" job handler and the bot's authentication.

Below both: it imports neither `app` nor `bot.worker`, so the worker imports nothing from the
web app's composition root.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import ServiceClientCredentialsFactory
from pydantic import SecretStr

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.demo.source import DemoSource
from bot.clients.encoder import shared_encoder
from bot.clients.llm.openai_engine import OpenAIConfig, OpenAIEngine
from bot.clients.offline_engine import OfflineEngine
from bot.clients.x.source import OAuth1UserAuth, OAuth2UserAuth, UserAuth, XSource
from bot.config import Settings
from bot.domain.costs import PriceTable
from bot.ports.clock import Clock
from bot.ports.language import LanguageEngine, SentimentScorer
from bot.ports.posts import PostSource
from bot.ports.store import Store
from bot.services.ask import AskService
from bot.services.costs import CostLedger
from bot.services.crisis_history import CrisisHistory
from bot.services.embeddings import PostEmbeddings
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.sentiment import SampleSentiment
from bot.teams.answer_jobs import AnswerJobHandler
from bot.teams.ask import AnswerComposer
from bot.teams.auth import OpenIdKeys, PulseAuthentication, TokenValidator


def build_source(settings: Settings, clock: Clock) -> PostSource:
    if settings.is_demo and not settings.x_bearer_token:
        return DemoSource(clock)
    user_auth: UserAuth | None = None
    if settings.x_user_access_token:
        user_auth = OAuth2UserAuth(settings.x_user_access_token)
    elif settings.has_x_user_context:
        user_auth = OAuth1UserAuth(
            settings.x_consumer_key or SecretStr(""),
            settings.x_consumer_secret or SecretStr(""),
            settings.x_access_token or SecretStr(""),
            settings.x_access_token_secret or SecretStr(""),
        )
    return XSource(
        settings.x_bearer_token,
        user_auth=user_auth,
        base_url=settings.x_base_url,
        clock=clock,
        timeout_s=settings.x_timeout_s,
    )


def build_engine(settings: Settings, offline: LanguageEngine) -> LanguageEngine:
    if not settings.has_language_model:
        return offline
    config = OpenAIConfig(
        model=settings.azure_openai_deployment or settings.openai_model,
        api_key=(
            settings.azure_openai_api_key or settings.openai_api_key or SecretStr("")
        ).get_secret_value()
        or None,
        base_url=settings.openai_base_url,
        azure_endpoint=settings.azure_openai_endpoint,
        azure_deployment=settings.azure_openai_deployment,
        azure_api_version=settings.azure_openai_api_version,
        timeout_s=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
        max_input_tokens=settings.openai_max_input_tokens,
        max_output_tokens=settings.openai_max_output_tokens,
        temperature=settings.openai_temperature,
    )
    return OpenAIEngine(config, company=settings.company_name)


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
        for closer in ("close", "aclose"):
            for part in (self.source, self.engine):
                close = getattr(part, closer, None)
                if close is not None:
                    await close()


def sample_sentiment(settings: Settings, engine: LanguageEngine) -> SampleSentiment:
    """How the sample of an answer or briefing gets its sentiment (bot/services/sentiment.py)."""
    scorer = (
        engine if settings.sentiment_model_scoring and isinstance(engine, SentimentScorer) else None
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
        prices=PriceTable.from_mapping(settings.x_prices),
        monthly_budget_usd=settings.x_monthly_budget_usd,
    )


def build_answering(settings: Settings, store: Store, clock: Clock) -> Answering:
    source = build_source(settings, clock)
    ledger = build_ledger(settings, store, clock)
    listening = ListeningService(
        source,
        store,
        ledger,
        clock,
        cache_ttl=timedelta(minutes=settings.listen_cache_minutes),
        extend_within=timedelta(hours=settings.listen_extend_hours),
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
        sample_size=settings.listen_sample_size,
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


def build_answer_handler(
    settings: Settings,
    store: Store,
    clock: Clock,
    *,
    worker_name: str,
    claim_lease_s: float,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
    answering: Answering | None = None,
    adapter: CloudAdapter | None = None,
) -> tuple[AnswerJobHandler, Answering]:
    """The "answer" job handler with its own services and its own `CloudAdapter` (same outbound
    credentials and serviceUrl guard as the web instances), for `bot.worker`."""
    answering = answering or build_answering(settings, store, clock)
    adapter = adapter or CloudAdapter(build_authentication(settings, credentials_factory))
    composer = AnswerComposer(answering.ask, store, clock, show_cost_to_all=settings.is_demo)
    handler = AnswerJobHandler(
        composer,
        adapter,
        settings.app_id,
        store,
        clock,
        worker_name=worker_name,
        claim_lease_s=claim_lease_s,
    )
    return handler, answering


def _sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute bag botbuilder's configuration classes read (outbound credentials)."""
    config = SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password.get_secret_value(),
        # Demo mode has no identity: the SDK only accepts an empty app id as "MultiTenant".
        APP_TYPE="MultiTenant" if settings.is_demo else settings.app_type.value,
        APP_TENANTID=settings.app_tenant_id,
    )
    if settings.oauth_authority:
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.oauth_authority
    return config


def build_authentication(
    settings: Settings, credentials_factory: ServiceClientCredentialsFactory | None = None
) -> PulseAuthentication:
    inner = ConfigurationBotFrameworkAuthentication(
        _sdk_configuration(settings), credentials_factory=credentials_factory
    )
    validator = TokenValidator(
        app_id=settings.app_id,
        issuers=settings.token_issuers,
        keys=OpenIdKeys(settings.openid_metadata_url) if not settings.is_demo else None,
        require_auth=not settings.is_demo,
    )
    return PulseAuthentication(inner, validator, settings.effective_service_url_hosts)
