"""Typed settings, read once at start from the environment and `.env`.

Every variable is documented in `.env.example`. `load_settings()` validates everything at once and
raises `ConfigError` whose message lists every problem, so a bad deployment fails with one clear
message instead of one error per restart.
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    mode: Mode = Field(Mode.DEMO, alias="PULSE_MODE")
    host: str | None = Field(None, alias="PULSE_HOST")
    port: int = Field(3978, alias="PULSE_PORT", ge=0, le=65535)
    log_level: str = Field("INFO", alias="PULSE_LOG_LEVEL")
    log_format: str = Field("text", alias="PULSE_LOG_FORMAT", pattern="^(text|json)$")
    public_url: str | None = Field(None, alias="PULSE_PUBLIC_URL")
    # The Teams app package's developer links (https; `make package` requires them with a
    # real MICROSOFT_APP_ID).
    developer_url: str | None = Field(None, alias="PULSE_DEVELOPER_URL")
    privacy_url: str | None = Field(None, alias="PULSE_PRIVACY_URL")
    terms_url: str | None = Field(None, alias="PULSE_TERMS_URL")
    company_name: str = Field("Velora", alias="PULSE_COMPANY_NAME", min_length=1)

    # Bot identity (required in production).
    app_id: str = Field("", alias="MICROSOFT_APP_ID")
    app_password: SecretStr = Field(SecretStr(""), alias="MICROSOFT_APP_PASSWORD")
    app_tenant_id: str = Field("", alias="MICROSOFT_APP_TENANT_ID")
    app_type: AppType = Field(AppType.SINGLE_TENANT, alias="MICROSOFT_APP_TYPE")

    # Edge guards.
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

    # Roles and approvals (Entra object ids).
    admins: CsvList = Field(default_factory=list, alias="PULSE_ADMINS")
    approvers: CsvList = Field(default_factory=list, alias="PULSE_APPROVERS")
    executives: CsvList = Field(default_factory=list, alias="PULSE_EXECUTIVES")
    roles_team_id: str | None = Field(None, alias="PULSE_ROLES_TEAM_ID")
    roles_team_ttl_s: float = Field(600.0, alias="PULSE_ROLES_TEAM_TTL_S", gt=0)
    allow_self_approval: bool = Field(False, alias="PULSE_ALLOW_SELF_APPROVAL")
    approval_policy: str = Field("any", alias="PULSE_APPROVAL_POLICY", pattern="^(any|all)$")
    approval_group: CsvList = Field(default_factory=list, alias="PULSE_APPROVAL_GROUP")
    draft_max_age_hours: int = Field(72, alias="PULSE_DRAFT_MAX_AGE_HOURS", ge=0)

    # Briefings, alerts and the scheduler.
    jobs_secret: SecretStr | None = Field(None, alias="PULSE_JOBS_SECRET")
    scheduler_enabled: bool = Field(True, alias="PULSE_SCHEDULER_ENABLED")
    briefing_default_time: str = Field(
        "08:00", alias="PULSE_BRIEFING_DEFAULT_TIME", pattern=r"^([01]\d|2[0-3]):[0-5]\d$"
    )
    briefing_default_tz: str = Field("Europe/Paris", alias="PULSE_BRIEFING_DEFAULT_TZ")
    briefing_catch_up_hours: float = Field(3.0, alias="PULSE_BRIEFING_CATCH_UP_HOURS", ge=0)
    alert_cooldown_hours: float = Field(6.0, alias="PULSE_ALERT_COOLDOWN_HOURS", ge=0)
    alert_every_minutes: float = Field(5.0, alias="PULSE_ALERT_EVERY_MINUTES", gt=0)
    comms_conversation: str | None = Field(None, alias="PULSE_COMMS_CONVERSATION")

    # Observability.
    applicationinsights_connection_string: SecretStr | None = Field(
        None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING"
    )
    otel_service_name: str = Field("pulse", alias="OTEL_SERVICE_NAME")

    # Storage.
    storage_backend: StorageBackend = Field(StorageBackend.LOCAL, alias="STORAGE_BACKEND")
    data_dir: Path = Field(Path("var/data"), alias="PULSE_DATA_DIR")
    azure_storage_connection_string: SecretStr | None = Field(
        None, alias="AZURE_STORAGE_CONNECTION_STRING"
    )
    azure_storage_account_url: str | None = Field(None, alias="AZURE_STORAGE_ACCOUNT_URL")
    azure_storage_container: str = Field("pulse", alias="AZURE_STORAGE_CONTAINER")
    storage_timeout_s: float = Field(5.0, alias="STORAGE_TIMEOUT_S", gt=0, le=60)
    cache_retention_days: int = Field(7, alias="PULSE_CACHE_RETENTION_DAYS", ge=1)

    # Posts source (X).
    x_bearer_token: SecretStr | None = Field(None, alias="X_BEARER_TOKEN")
    x_posting_enabled: bool = Field(False, alias="X_POSTING_ENABLED")
    x_base_url: str | None = Field(None, alias="X_API_BASE_URL")
    x_timeout_s: float = Field(8.0, alias="X_TIMEOUT_S", gt=0, le=60)
    x_consumer_key: SecretStr | None = Field(None, alias="X_CONSUMER_KEY")
    x_consumer_secret: SecretStr | None = Field(None, alias="X_CONSUMER_SECRET")
    x_access_token: SecretStr | None = Field(None, alias="X_ACCESS_TOKEN")
    x_access_token_secret: SecretStr | None = Field(None, alias="X_ACCESS_TOKEN_SECRET")
    x_user_access_token: SecretStr | None = Field(None, alias="X_USER_ACCESS_TOKEN")
    x_monthly_budget_usd: Decimal | None = Field(None, alias="PULSE_X_MONTHLY_BUDGET_USD", ge=0)
    x_prices: dict[str, Decimal] = Field(default_factory=dict, alias="PULSE_X_PRICES")
    listen_cache_minutes: int = Field(15, alias="PULSE_LISTEN_CACHE_MINUTES", ge=0)
    listen_extend_hours: int = Field(6, alias="PULSE_LISTEN_EXTEND_HOURS", ge=0)
    listen_sample_size: int = Field(100, alias="PULSE_LISTEN_SAMPLE_SIZE", ge=10, le=500)

    # Language engine.
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4.1-mini", alias="OPENAI_MODEL")
    azure_openai_endpoint: str | None = Field(None, alias="AZURE_OPENAI_ENDPOINT")
    azure_openai_deployment: str | None = Field(None, alias="AZURE_OPENAI_DEPLOYMENT")
    azure_openai_api_version: str = Field("2024-10-21", alias="AZURE_OPENAI_API_VERSION")
    azure_openai_api_key: SecretStr | None = Field(None, alias="AZURE_OPENAI_API_KEY")
    openai_timeout_s: float = Field(20.0, alias="OPENAI_TIMEOUT_S", gt=0, le=30)
    openai_max_retries: int = Field(1, alias="OPENAI_MAX_RETRIES", ge=0, le=3)
    openai_max_input_tokens: int = Field(4000, alias="OPENAI_MAX_INPUT_TOKENS", ge=1000)
    openai_max_output_tokens: int = Field(800, alias="OPENAI_MAX_OUTPUT_TOKENS", ge=100)
    openai_temperature: float | None = Field(0.2, alias="OPENAI_TEMPERATURE", ge=0, le=2)
    # Sentiment of the sample of an answer or briefing: the local word model mixed with a head
    # over sentence embeddings (unset: on in production, off in demo mode, where answers stay
    # instant); optionally labelled by the language model in one batched call, the local labels
    # as fallback (off by default; needs a model configured).
    sentiment_embeddings: bool | None = Field(None, alias="SENTIMENT_EMBEDDINGS")
    sentiment_model_scoring: bool = Field(False, alias="SENTIMENT_MODEL_SCORING")

    @field_validator(
        "allowed_tenants",
        "allowed_channels",
        "allowed_service_url_hosts",
        "token_issuers",
        "admins",
        "approvers",
        "executives",
        "approval_group",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    # -- derived values -------------------------------------------------------------------

    @property
    def is_demo(self) -> bool:
        return self.mode is Mode.DEMO

    @property
    def bind_host(self) -> str:
        if self.host:
            return self.host
        return "127.0.0.1" if self.is_demo else "0.0.0.0"  # noqa: S104 - production serves a container port

    @property
    def effective_allowed_tenants(self) -> list[str]:
        if self.allowed_tenants:
            return self.allowed_tenants
        return [self.app_tenant_id] if self.app_tenant_id else []

    @property
    def effective_service_url_hosts(self) -> list[str]:
        hosts = list(self.allowed_service_url_hosts)
        if self.is_demo:
            hosts += ["127.0.0.1", "localhost", "::1"]
        return hosts

    @property
    def roles_open_to_all(self) -> bool:
        """Demo mode with no role configured: the local user plays every role."""
        return self.is_demo and not (self.admins or self.approvers or self.roles_team_id)

    @property
    def effective_allow_self_approval(self) -> bool:
        return self.allow_self_approval or self.roles_open_to_all

    @property
    def use_sentiment_embeddings(self) -> bool:
        """SENTIMENT_EMBEDDINGS, or by default: in production mode only."""
        if self.sentiment_embeddings is None:
            return not self.is_demo
        return self.sentiment_embeddings

    @property
    def has_language_model(self) -> bool:
        """A model endpoint is configured; otherwise the offline engine answers."""
        return bool(self.openai_api_key or self.openai_base_url or self.azure_openai_endpoint)

    @property
    def has_x_user_context(self) -> bool:
        oauth1 = (
            self.x_consumer_key,
            self.x_consumer_secret,
            self.x_access_token,
            self.x_access_token_secret,
        )
        return all(v is not None and v.get_secret_value() for v in oauth1) or bool(
            self.x_user_access_token and self.x_user_access_token.get_secret_value()
        )

    def secrets(self) -> list[str]:
        """Every secret value configured, for the log redaction filter."""
        values = [
            self.app_password,
            self.azure_storage_connection_string,
            self.x_bearer_token,
            self.openai_api_key,
            self.azure_openai_api_key,
            self.x_consumer_key,
            self.x_consumer_secret,
            self.x_access_token,
            self.x_access_token_secret,
            self.x_user_access_token,
            self.applicationinsights_connection_string,
            self.jobs_secret,
        ]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        if self.azure_storage_connection_string is not None:
            for part in self.azure_storage_connection_string.get_secret_value().split(";"):
                key, _, val = part.partition("=")
                if key.strip().lower() in {"accountkey", "sharedaccesssignature"} and val:
                    found.append(val)
        return found

    def mode_problems(self) -> list[str]:
        problems: list[str] = []
        if self.is_demo:
            if self.host and not _is_loopback(self.host):
                problems.append(
                    f"PULSE_HOST={self.host}: demo mode has no authentication and only binds to "
                    "loopback (127.0.0.1, ::1 or localhost)"
                )
            if self.x_posting_enabled and not _points_to_loopback(self.x_base_url):
                problems.append(
                    "X_POSTING_ENABLED=true is not allowed in demo mode "
                    "(except towards a local fake X server: X_API_BASE_URL on 127.0.0.1)"
                )
        else:
            if not self.app_id:
                problems.append("MICROSOFT_APP_ID is required in production mode")
            if not self.app_tenant_id and self.app_type is not AppType.MULTI_TENANT:
                problems.append("MICROSOFT_APP_TENANT_ID is required in production mode")
            if (
                self.app_type is not AppType.USER_ASSIGNED_MSI
                and not self.app_password.get_secret_value()
            ):
                problems.append(
                    "MICROSOFT_APP_PASSWORD is required in production mode "
                    "(or MICROSOFT_APP_TYPE=UserAssignedMSI)"
                )
            if not self.effective_allowed_tenants:
                problems.append(
                    "PULSE_ALLOWED_TENANTS (or MICROSOFT_APP_TENANT_ID) must name a tenant"
                )
        if self.storage_backend is StorageBackend.BLOB and not (
            self.azure_storage_connection_string or self.azure_storage_account_url
        ):
            problems.append(
                "STORAGE_BACKEND=blob needs AZURE_STORAGE_CONNECTION_STRING "
                "or AZURE_STORAGE_ACCOUNT_URL"
            )
        if self.azure_openai_endpoint and not self.azure_openai_deployment:
            problems.append("AZURE_OPENAI_ENDPOINT needs AZURE_OPENAI_DEPLOYMENT")
        if self.sentiment_model_scoring and not self.has_language_model:
            problems.append(
                "SENTIMENT_MODEL_SCORING=true needs a language model "
                "(OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT)"
            )
        if not self.is_demo and not self.x_bearer_token:
            problems.append("X_BEARER_TOKEN is required in production mode (reading posts)")
        if self.x_posting_enabled and not self.has_x_user_context:
            problems.append(
                "X_POSTING_ENABLED=true needs user-context X credentials: X_CONSUMER_KEY, "
                "X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET, "
                "or X_USER_ACCESS_TOKEN"
            )
        return problems


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
        bad_fields: set[str] = set()
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            bad_fields.add(_field_of(name))
            problems.append(f"{name}: {str(err['msg']).removeprefix('Value error, ')}")
        # Re-read with the broken fields at their defaults, to report the remaining problems too.
        defaults = {
            f: Settings.model_fields[f].get_default(call_default_factory=True)
            for f in bad_fields
            if f in Settings.model_fields
        }
        try:
            kept = {k: v for k, v in overrides.items() if _field_of(k) not in bad_fields}
            settings = Settings(**{**kept, **defaults})
        except ValidationError:
            raise ConfigError(problems) from None
    problems.extend(settings.mode_problems())
    if problems:
        raise ConfigError(problems)
    return settings


def _field_of(name: str) -> str:
    for field, info in Settings.model_fields.items():
        if name in (field, info.alias):
            return field
    return name
