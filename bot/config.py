"""Typed settings, read once at start from the environment and `.env`.

Every variable is documented in `.env.example`. `load_settings()` validates everything at once and
raises `ConfigError` whose message lists every problem, so a bad deployment fails with one clear
message instead of one error per restart.
"""

from __future__ import annotations

import ipaddress
import json
from decimal import Decimal
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# Where Microsoft documents Teams' Bot Connector (public cloud, GCC, GCC High, DoD) and the Bot
# Framework's own hosts. Not `*.trafficmanager.net`: any Azure customer can register a name there.
DEFAULT_SERVICE_URL_HOSTS = (
    "smba.trafficmanager.net",
    "*.botframework.com",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
)
BOTFRAMEWORK_OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"


class Mode(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


class StorageBackend(StrEnum):
    LOCAL = "local"
    BLOB = "blob"


class QueueBackend(StrEnum):
    MEMORY = "memory"
    AZURE = "azure"


class AnswerDispatch(StrEnum):
    """Where answers are built: `auto` = through the queue when the queue is shared (azure),
    in the web process otherwise; `queue` forces the queue (on the memory queue the web process
    runs the worker itself); `inprocess` never uses it."""

    AUTO = "auto"
    INPROCESS = "inprocess"
    QUEUE = "queue"


class AppType(StrEnum):
    SINGLE_TENANT = "SingleTenant"
    MULTI_TENANT = "MultiTenant"
    USER_ASSIGNED_MSI = "UserAssignedMSI"


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Pulse cannot start: the configuration has {len(problems)} problem(s):\n{lines}"
        )


class _Group(BaseModel):
    """One concern's settings. Each field is read from its own environment variable (its
    alias, e.g. `PULSE_PORT`), exactly as before the settings were grouped."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class ServerSettings(_Group):
    """The process: where it listens and how it logs."""

    host: str | None = Field(None, alias="PULSE_HOST")
    port: int = Field(3978, alias="PULSE_PORT", ge=0, le=65535)
    log_level: str = Field("INFO", alias="PULSE_LOG_LEVEL")
    log_format: str = Field("text", alias="PULSE_LOG_FORMAT", pattern="^(text|json)$")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class AppListing(_Group):
    """The Teams app's public face: the company it speaks for and the package's links (https;
    `make package` requires them with a real MICROSOFT_APP_ID)."""

    company_name: str = Field("Velora", alias="PULSE_COMPANY_NAME", min_length=1)
    public_url: str | None = Field(None, alias="PULSE_PUBLIC_URL")
    developer_url: str | None = Field(None, alias="PULSE_DEVELOPER_URL")
    privacy_url: str | None = Field(None, alias="PULSE_PRIVACY_URL")
    terms_url: str | None = Field(None, alias="PULSE_TERMS_URL")


class BotIdentity(_Group):
    """The bot's Entra identity (required in production)."""

    app_id: str = Field("", alias="MICROSOFT_APP_ID")
    app_password: SecretStr = Field(SecretStr(""), alias="MICROSOFT_APP_PASSWORD")
    app_tenant_id: str = Field("", alias="MICROSOFT_APP_TENANT_ID")
    app_type: AppType = Field(AppType.SINGLE_TENANT, alias="MICROSOFT_APP_TYPE")


class EdgeSettings(_Group):
    """The guards of `/api/messages`: who may call, from where, with which token and body."""

    allowed_tenants: CsvList = Field(default_factory=list, alias="PULSE_ALLOWED_TENANTS")
    allowed_channels: CsvList = Field(
        default_factory=lambda: ["msteams"], alias="PULSE_ALLOWED_CHANNELS"
    )
    allowed_service_url_hosts: CsvList = Field(
        default_factory=lambda: list(DEFAULT_SERVICE_URL_HOSTS),
        alias="PULSE_ALLOWED_SERVICE_URL_HOSTS",
    )
    max_body_bytes: int = Field(256 * 1024, alias="PULSE_MAX_BODY_BYTES", ge=1024)
    openid_metadata_url: str = Field(BOTFRAMEWORK_OPENID_URL, alias="PULSE_OPENID_METADATA_URL")
    token_issuers: CsvList = Field(
        default_factory=lambda: ["https://api.botframework.com"], alias="PULSE_TOKEN_ISSUERS"
    )
    oauth_authority: str | None = Field(None, alias="PULSE_OAUTH_AUTHORITY")
    dedupe_ttl_hours: int = Field(48, alias="PULSE_DEDUPE_TTL_HOURS", ge=1)

    _csv = field_validator(
        "allowed_tenants",
        "allowed_channels",
        "allowed_service_url_hosts",
        "token_issuers",
        mode="before",
    )(_split_list)


class RolesSettings(_Group):
    """Roles (Entra object ids) and the approval policy."""

    admins: CsvList = Field(default_factory=list, alias="PULSE_ADMINS")
    approvers: CsvList = Field(default_factory=list, alias="PULSE_APPROVERS")
    executives: CsvList = Field(default_factory=list, alias="PULSE_EXECUTIVES")
    team_id: str | None = Field(None, alias="PULSE_ROLES_TEAM_ID")
    team_ttl_s: float = Field(600.0, alias="PULSE_ROLES_TEAM_TTL_S", gt=0)
    allow_self_approval: bool = Field(False, alias="PULSE_ALLOW_SELF_APPROVAL")
    approval_policy: str = Field("any", alias="PULSE_APPROVAL_POLICY", pattern="^(any|all)$")
    approval_group: CsvList = Field(default_factory=list, alias="PULSE_APPROVAL_GROUP")
    draft_max_age_hours: int = Field(72, alias="PULSE_DRAFT_MAX_AGE_HOURS", ge=0)

    _csv = field_validator("admins", "approvers", "executives", "approval_group", mode="before")(
        _split_list
    )


class BriefingsSettings(_Group):
    """Daily briefings, the scheduler and the jobs endpoint."""

    jobs_secret: SecretStr | None = Field(None, alias="PULSE_JOBS_SECRET")
    scheduler_enabled: bool = Field(True, alias="PULSE_SCHEDULER_ENABLED")
    default_time: str = Field(
        "08:00", alias="PULSE_BRIEFING_DEFAULT_TIME", pattern=r"^([01]\d|2[0-3]):[0-5]\d$"
    )
    default_tz: str = Field("Europe/Paris", alias="PULSE_BRIEFING_DEFAULT_TZ")
    catch_up_hours: float = Field(3.0, alias="PULSE_BRIEFING_CATCH_UP_HOURS", ge=0)


class AlertsSettings(_Group):
    """Crisis alerts."""

    cooldown_hours: float = Field(6.0, alias="PULSE_ALERT_COOLDOWN_HOURS", ge=0)
    every_minutes: float = Field(5.0, alias="PULSE_ALERT_EVERY_MINUTES", gt=0)
    comms_conversation: str | None = Field(None, alias="PULSE_COMMS_CONVERSATION")


class TelemetrySettings(_Group):
    """Observability (`bot.telemetry`)."""

    applicationinsights_connection_string: SecretStr | None = Field(
        None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING"
    )
    otel_service_name: str = Field("pulse", alias="OTEL_SERVICE_NAME")


class StorageSettings(_Group):
    """The store: a local directory (demo) or Azure Blob."""

    backend: StorageBackend = Field(StorageBackend.LOCAL, alias="STORAGE_BACKEND")
    data_dir: Path = Field(Path("var/data"), alias="PULSE_DATA_DIR")
    connection_string: SecretStr | None = Field(None, alias="AZURE_STORAGE_CONNECTION_STRING")
    account_url: str | None = Field(None, alias="AZURE_STORAGE_ACCOUNT_URL")
    container: str = Field("pulse", alias="AZURE_STORAGE_CONTAINER")
    timeout_s: float = Field(5.0, alias="STORAGE_TIMEOUT_S", gt=0, le=60)
    cache_retention_days: int = Field(7, alias="PULSE_CACHE_RETENTION_DAYS", ge=1)


class QueueSettings(_Group):
    """The work queue (answers, jobs) and the worker processes (`python -m bot.worker`); the
    queue falls back on the storage's connection string, timeout and the edge's dedupe TTL."""

    backend: QueueBackend = Field(QueueBackend.MEMORY, alias="PULSE_QUEUE_BACKEND")
    answer_dispatch: AnswerDispatch = Field(AnswerDispatch.AUTO, alias="PULSE_ANSWER_DISPATCH")
    name: str = Field("pulse-jobs", alias="PULSE_QUEUE_NAME", min_length=3, max_length=56)
    url: str | None = Field(None, alias="AZURE_STORAGE_QUEUE_URL")
    connection_string: SecretStr | None = Field(None, alias="AZURE_STORAGE_QUEUE_CONNECTION_STRING")
    visibility_timeout_s: int = Field(
        60, alias="PULSE_QUEUE_VISIBILITY_TIMEOUT_S", ge=1, le=7 * 24 * 3600
    )
    max_dequeues: int = Field(5, alias="PULSE_QUEUE_MAX_DEQUEUES", ge=1, le=100)
    retry_base_s: float = Field(5.0, alias="PULSE_QUEUE_RETRY_BASE_S", ge=0)
    retry_max_s: float = Field(300.0, alias="PULSE_QUEUE_RETRY_MAX_S", ge=0)
    poll_max_s: float = Field(5.0, alias="PULSE_QUEUE_POLL_MAX_S", gt=0, le=60)
    worker_concurrency: int = Field(4, alias="PULSE_WORKER_CONCURRENCY", ge=1, le=64)
    worker_port: int = Field(8080, alias="PULSE_WORKER_PORT", ge=0, le=65535)
    worker_drain_timeout_s: float = Field(25.0, alias="PULSE_WORKER_DRAIN_TIMEOUT_S", ge=0)

    @property
    def answers_via_queue(self) -> bool:
        if self.answer_dispatch is AnswerDispatch.AUTO:
            return self.backend is QueueBackend.AZURE
        return self.answer_dispatch is AnswerDispatch.QUEUE


class XSettings(_Group):
    """The X API: reading posts (bearer token) and, once approved, posting (user context)."""

    bearer_token: SecretStr | None = Field(None, alias="X_BEARER_TOKEN")
    posting_enabled: bool = Field(False, alias="X_POSTING_ENABLED")
    base_url: str | None = Field(None, alias="X_API_BASE_URL")
    timeout_s: float = Field(8.0, alias="X_TIMEOUT_S", gt=0, le=60)
    consumer_key: SecretStr | None = Field(None, alias="X_CONSUMER_KEY")
    consumer_secret: SecretStr | None = Field(None, alias="X_CONSUMER_SECRET")
    access_token: SecretStr | None = Field(None, alias="X_ACCESS_TOKEN")
    access_token_secret: SecretStr | None = Field(None, alias="X_ACCESS_TOKEN_SECRET")
    user_access_token: SecretStr | None = Field(None, alias="X_USER_ACCESS_TOKEN")

    @property
    def has_user_context(self) -> bool:
        """Credentials that may post: OAuth 1.0a (all four) or an OAuth 2.0 user token."""
        oauth1 = (
            self.consumer_key,
            self.consumer_secret,
            self.access_token,
            self.access_token_secret,
        )
        return all(v is not None and v.get_secret_value() for v in oauth1) or bool(
            self.user_access_token and self.user_access_token.get_secret_value()
        )


class CostsSettings(_Group):
    """What X charges (per operation) and the monthly budget."""

    x_monthly_budget_usd: Decimal | None = Field(None, alias="PULSE_X_MONTHLY_BUDGET_USD", ge=0)
    x_prices: dict[str, Decimal] = Field(default_factory=dict, alias="PULSE_X_PRICES")

    @field_validator("x_prices", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class ListeningSettings(_Group):
    """How posts are fetched and cached for answers."""

    cache_minutes: int = Field(15, alias="PULSE_LISTEN_CACHE_MINUTES", ge=0)
    extend_hours: int = Field(6, alias="PULSE_LISTEN_EXTEND_HOURS", ge=0)
    sample_size: int = Field(100, alias="PULSE_LISTEN_SAMPLE_SIZE", ge=10, le=500)


class LanguageModelSettings(_Group):
    """The language model (OpenAI or Azure OpenAI); none configured: the offline engine."""

    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4.1-mini", alias="OPENAI_MODEL")
    azure_openai_endpoint: str | None = Field(None, alias="AZURE_OPENAI_ENDPOINT")
    azure_openai_deployment: str | None = Field(None, alias="AZURE_OPENAI_DEPLOYMENT")
    azure_openai_api_version: str = Field("2024-10-21", alias="AZURE_OPENAI_API_VERSION")
    azure_openai_api_key: SecretStr | None = Field(None, alias="AZURE_OPENAI_API_KEY")
    timeout_s: float = Field(20.0, alias="OPENAI_TIMEOUT_S", gt=0, le=30)
    max_retries: int = Field(1, alias="OPENAI_MAX_RETRIES", ge=0, le=3)
    max_input_tokens: int = Field(4000, alias="OPENAI_MAX_INPUT_TOKENS", ge=1000)
    max_output_tokens: int = Field(800, alias="OPENAI_MAX_OUTPUT_TOKENS", ge=100)
    temperature: float | None = Field(0.2, alias="OPENAI_TEMPERATURE", ge=0, le=2)

    @property
    def configured(self) -> bool:
        """A model endpoint is configured; otherwise the offline engine answers."""
        return bool(self.openai_api_key or self.openai_base_url or self.azure_openai_endpoint)


class SentimentSettings(_Group):
    """Sentiment of the sample of an answer or briefing: the local word model mixed with a head
    over sentence embeddings (unset: on in production, off in demo mode, where answers stay
    instant); optionally labelled by the language model in one batched call, the local labels
    as fallback (off by default; needs a model configured)."""

    embeddings: bool | None = Field(None, alias="SENTIMENT_EMBEDDINGS")
    model_scoring: bool = Field(False, alias="SENTIMENT_MODEL_SCORING")


def _group(model: type[_Group]) -> Any:
    """A group's field: its defaults, overridden variable by variable."""
    return Field(default_factory=partial(model.model_validate, {}))


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads every grouped field from its flat variable (`PULSE_PORT` → `server.port`) out of
    an inner environment or `.env` source, so the variable names stay as documented."""

    def __init__(self, settings_cls: type[BaseSettings], inner: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: `__call__` reads every variable itself

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        sensitive = bool(self._inner.case_sensitive)
        for variable, (group, _name) in FLAT_NAMES.items():
            value = self._inner.env_vars.get(variable if sensitive else variable.lower())
            if value is None:
                continue
            if group is None:
                found[variable] = value
            else:
                found.setdefault(group, {})[variable] = value
        return found


class Settings(BaseSettings):
    """Every setting, grouped by concern (`settings.x.bearer_token`, `settings.storage.backend`…).

    Each field keeps its documented flat environment variable (`X_BEARER_TOKEN`,
    `STORAGE_BACKEND`…), and `Settings(X_BEARER_TOKEN=...)` with flat names works too."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    mode: Mode = Field(Mode.DEMO, alias="PULSE_MODE")
    server: ServerSettings = _group(ServerSettings)
    app: AppListing = _group(AppListing)
    bot: BotIdentity = _group(BotIdentity)
    edge: EdgeSettings = _group(EdgeSettings)
    roles: RolesSettings = _group(RolesSettings)
    briefings: BriefingsSettings = _group(BriefingsSettings)
    alerts: AlertsSettings = _group(AlertsSettings)
    telemetry: TelemetrySettings = _group(TelemetrySettings)
    storage: StorageSettings = _group(StorageSettings)
    queue: QueueSettings = _group(QueueSettings)
    x: XSettings = _group(XSettings)
    costs: CostsSettings = _group(CostsSettings)
    listening: ListeningSettings = _group(ListeningSettings)
    llm: LanguageModelSettings = _group(LanguageModelSettings)
    sentiment: SentimentSettings = _group(SentimentSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings]
        for source in (env_settings, dotenv_settings):
            if isinstance(source, EnvSettingsSource):  # DotEnvSettingsSource is one too
                sources.append(_FlatEnvironment(settings_cls, source))
        return tuple(sources)

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_names(cls, data: Any) -> Any:
        """Flat keywords (`Settings(PULSE_PORT=...)`) go to their group; they win over the
        environment, as keywords always have."""
        if not isinstance(data, dict):
            return data
        nested: dict[str, Any] = {}
        flat: list[tuple[str, str, Any]] = []
        for key, value in data.items():
            group = FLAT_NAMES[key][0] if key in FLAT_NAMES else None
            if group is None:
                nested[key] = value
            else:
                flat.append((group, key, value))
        for group, variable, value in flat:
            inner = nested.get(group)
            if isinstance(inner, BaseModel):
                inner = inner.model_dump(by_alias=True, exclude_unset=True)
            nested[group] = {**(inner if isinstance(inner, dict) else {}), variable: value}
        return nested

    # -- derived values -------------------------------------------------------------------

    @property
    def is_demo(self) -> bool:
        return self.mode is Mode.DEMO

    @property
    def bind_host(self) -> str:
        if self.server.host:
            return self.server.host
        return "127.0.0.1" if self.is_demo else "0.0.0.0"  # noqa: S104 - production serves a container port

    @property
    def effective_allowed_tenants(self) -> list[str]:
        if self.edge.allowed_tenants:
            return self.edge.allowed_tenants
        return [self.bot.app_tenant_id] if self.bot.app_tenant_id else []

    @property
    def effective_service_url_hosts(self) -> list[str]:
        hosts = list(self.edge.allowed_service_url_hosts)
        if self.is_demo:
            hosts += ["127.0.0.1", "localhost", "::1"]
        return hosts

    @property
    def roles_open_to_all(self) -> bool:
        """Demo mode with no role configured: the local user plays every role."""
        return self.is_demo and not (
            self.roles.admins or self.roles.approvers or self.roles.team_id
        )

    @property
    def effective_allow_self_approval(self) -> bool:
        return self.roles.allow_self_approval or self.roles_open_to_all

    @property
    def use_sentiment_embeddings(self) -> bool:
        """SENTIMENT_EMBEDDINGS, or by default: in production mode only."""
        if self.sentiment.embeddings is None:
            return not self.is_demo
        return self.sentiment.embeddings

    @property
    def posting_enabled(self) -> bool:
        """X_POSTING_ENABLED with the user-context credentials it needs."""
        return self.x.posting_enabled and self.x.has_user_context

    def secrets(self) -> list[str]:
        """Every secret value configured, for the log redaction filter."""
        values = [
            self.bot.app_password,
            self.storage.connection_string,
            self.queue.connection_string,
            self.x.bearer_token,
            self.llm.openai_api_key,
            self.llm.azure_openai_api_key,
            self.x.consumer_key,
            self.x.consumer_secret,
            self.x.access_token,
            self.x.access_token_secret,
            self.x.user_access_token,
            self.telemetry.applicationinsights_connection_string,
            self.briefings.jobs_secret,
        ]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        for connection in (self.storage.connection_string, self.queue.connection_string):
            if connection is None:
                continue
            for part in connection.get_secret_value().split(";"):
                key, _, val = part.partition("=")
                if key.strip().lower() in {"accountkey", "sharedaccesssignature"} and val:
                    found.append(val)
        return found

    def queue_problems(self) -> list[str]:
        """What the shared queue lacks (checked by the worker, and by the web app when answers
        go through the queue)."""
        if self.queue.backend is QueueBackend.AZURE and not (
            self.queue.url or self.queue.connection_string or self.storage.connection_string
        ):
            return [
                "PULSE_QUEUE_BACKEND=azure needs AZURE_STORAGE_QUEUE_URL, "
                "AZURE_STORAGE_QUEUE_CONNECTION_STRING or AZURE_STORAGE_CONNECTION_STRING"
            ]
        return []

    def mode_problems(self) -> list[str]:
        problems: list[str] = []
        bot, x = self.bot, self.x
        if self.is_demo:
            if self.server.host and not _is_loopback(self.server.host):
                problems.append(
                    f"PULSE_HOST={self.server.host}: demo mode has no authentication and only "
                    "binds to loopback (127.0.0.1, ::1 or localhost)"
                )
            if x.posting_enabled and not _points_to_loopback(x.base_url):
                problems.append(
                    "X_POSTING_ENABLED=true is not allowed in demo mode "
                    "(except towards a local fake X server: X_API_BASE_URL on 127.0.0.1)"
                )
        else:
            if not bot.app_id:
                problems.append("MICROSOFT_APP_ID is required in production mode")
            if not bot.app_tenant_id and bot.app_type is not AppType.MULTI_TENANT:
                problems.append("MICROSOFT_APP_TENANT_ID is required in production mode")
            if (
                bot.app_type is not AppType.USER_ASSIGNED_MSI
                and not bot.app_password.get_secret_value()
            ):
                problems.append(
                    "MICROSOFT_APP_PASSWORD is required in production mode "
                    "(or MICROSOFT_APP_TYPE=UserAssignedMSI)"
                )
            if not self.effective_allowed_tenants:
                problems.append(
                    "PULSE_ALLOWED_TENANTS (or MICROSOFT_APP_TENANT_ID) must name a tenant"
                )
        if self.storage.backend is StorageBackend.BLOB and not (
            self.storage.connection_string or self.storage.account_url
        ):
            problems.append(
                "STORAGE_BACKEND=blob needs AZURE_STORAGE_CONNECTION_STRING "
                "or AZURE_STORAGE_ACCOUNT_URL"
            )
        if self.llm.azure_openai_endpoint and not self.llm.azure_openai_deployment:
            problems.append("AZURE_OPENAI_ENDPOINT needs AZURE_OPENAI_DEPLOYMENT")
        if self.sentiment.model_scoring and not self.llm.configured:
            problems.append(
                "SENTIMENT_MODEL_SCORING=true needs a language model "
                "(OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)"
            )
        if not self.is_demo and not x.bearer_token:
            problems.append("X_BEARER_TOKEN is required in production mode (reading posts)")
        if x.posting_enabled and not x.has_user_context:
            problems.append(
                "X_POSTING_ENABLED=true needs user-context X credentials: X_CONSUMER_KEY, "
                "X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET, "
                "or X_USER_ACCESS_TOKEN"
            )
        return problems


def _flat_names() -> dict[str, tuple[str | None, str]]:
    """Each environment variable → (its group, or None at the root; its field)."""
    names: dict[str, tuple[str | None, str]] = {}
    for name, info in Settings.model_fields.items():
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for inner, inner_info in model.model_fields.items():
                names[str(inner_info.alias)] = (name, inner)
        else:
            names[str(info.alias)] = (None, name)
    return names


FLAT_NAMES = _flat_names()


def _points_to_loopback(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return bool(url) and _is_loopback(urlsplit(url or "").hostname or "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings; raise `ConfigError` listing every problem found."""
    problems: list[str] = []
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        bad: set[str] = set()
        for err in exc.errors():
            variable = _variable_of(err["loc"])
            bad.add(variable)
            problems.append(f"{variable}: {str(err['msg']).removeprefix('Value error, ')}")
        # Re-read with the broken variables at their defaults, to report the other problems too.
        defaults = {v: _default_of(v) for v in bad if v in FLAT_NAMES}
        try:
            kept = {k: v for k, v in overrides.items() if k not in bad}
            settings = Settings(**{**kept, **defaults})
        except ValidationError:
            raise ConfigError(problems) from None
    problems.extend(settings.mode_problems())
    if problems:
        raise ConfigError(problems)
    return settings


def _variable_of(loc: tuple[int | str, ...]) -> str:
    """The environment variable an error is about: `("server", "PULSE_PORT")` → PULSE_PORT."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in Settings.model_fields and parts[0] not in FLAT_NAMES:
        parts = parts[1:]
    name = parts[0] if parts else ""
    for variable, (group, field) in FLAT_NAMES.items():
        if name == field and (group is None or loc[0] == group):
            return variable
    return name


def _default_of(variable: str) -> Any:
    group, field = FLAT_NAMES[variable]
    model: type[BaseModel] = Settings
    if group is not None:
        model = _group_model(group)
    return model.model_fields[field].get_default(call_default_factory=True)


def _group_model(group: str) -> type[BaseModel]:
    model = Settings.model_fields[group].annotation
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model
