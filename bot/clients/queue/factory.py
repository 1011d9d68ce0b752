"""Build the configured `WorkQueue` and worker options from settings.

`QueueSettings` reads the queue, worker and telemetry variables (same env names as the fields
proposed for `bot.config.Settings`); `create_queue` and `worker_options` accept either it or a
`Settings` that has those fields (`QueueConfig`).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clients.queue._common import MemoryDedupeIndex, StoreDedupeIndex
from bot.clients.queue.runner import WorkerOptions
from bot.ports.queue import WorkQueue
from bot.ports.store import Store

logger = logging.getLogger(__name__)


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


class QueueSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    queue_backend: QueueBackend = Field(QueueBackend.MEMORY, alias="PULSE_QUEUE_BACKEND")
    answer_dispatch: AnswerDispatch = Field(AnswerDispatch.AUTO, alias="PULSE_ANSWER_DISPATCH")
    queue_name: str = Field("pulse-jobs", alias="PULSE_QUEUE_NAME", min_length=3, max_length=56)
    azure_storage_queue_url: str | None = Field(None, alias="AZURE_STORAGE_QUEUE_URL")
    azure_storage_queue_connection_string: SecretStr | None = Field(
        None, alias="AZURE_STORAGE_QUEUE_CONNECTION_STRING"
    )
    azure_storage_connection_string: SecretStr | None = Field(
        None, alias="AZURE_STORAGE_CONNECTION_STRING"
    )
    queue_visibility_timeout_s: int = Field(
        60, alias="PULSE_QUEUE_VISIBILITY_TIMEOUT_S", ge=1, le=7 * 24 * 3600
    )
    queue_max_dequeues: int = Field(5, alias="PULSE_QUEUE_MAX_DEQUEUES", ge=1, le=100)
    queue_retry_base_s: float = Field(5.0, alias="PULSE_QUEUE_RETRY_BASE_S", ge=0)
    queue_retry_max_s: float = Field(300.0, alias="PULSE_QUEUE_RETRY_MAX_S", ge=0)
    queue_poll_max_s: float = Field(5.0, alias="PULSE_QUEUE_POLL_MAX_S", gt=0, le=60)
    worker_concurrency: int = Field(4, alias="PULSE_WORKER_CONCURRENCY", ge=1, le=64)
    worker_port: int = Field(8080, alias="PULSE_WORKER_PORT", ge=0, le=65535)
    worker_drain_timeout_s: float = Field(25.0, alias="PULSE_WORKER_DRAIN_TIMEOUT_S", ge=0)
    storage_timeout_s: float = Field(5.0, alias="STORAGE_TIMEOUT_S", gt=0, le=60)
    dedupe_ttl_hours: int = Field(48, alias="PULSE_DEDUPE_TTL_HOURS", ge=1)
    applicationinsights_connection_string: SecretStr | None = Field(
        None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING"
    )
    otel_service_name: str = Field("pulse", alias="OTEL_SERVICE_NAME", min_length=1)

    def problems(self) -> list[str]:
        if self.queue_backend is QueueBackend.AZURE and not (
            self.azure_storage_queue_url
            or self.azure_storage_queue_connection_string
            or self.azure_storage_connection_string
        ):
            return [
                "PULSE_QUEUE_BACKEND=azure needs AZURE_STORAGE_QUEUE_URL, "
                "AZURE_STORAGE_QUEUE_CONNECTION_STRING or AZURE_STORAGE_CONNECTION_STRING"
            ]
        return []

    @property
    def answers_via_queue(self) -> bool:
        if self.answer_dispatch is AnswerDispatch.AUTO:
            return self.queue_backend is QueueBackend.AZURE
        return self.answer_dispatch is AnswerDispatch.QUEUE

    def secrets(self) -> list[str]:
        values = [
            self.azure_storage_queue_connection_string,
            self.azure_storage_connection_string,
            self.applicationinsights_connection_string,
        ]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def load_queue_settings(**overrides: Any) -> QueueSettings:
    """Read `QueueSettings` from the environment and `.env` (pydantic's ValidationError on a
    bad value)."""
    return QueueSettings(**overrides)


class QueueConfig(Protocol):
    @property
    def queue_backend(self) -> QueueBackend: ...
    @property
    def queue_name(self) -> str: ...
    @property
    def azure_storage_queue_url(self) -> str | None: ...
    @property
    def azure_storage_queue_connection_string(self) -> SecretStr | None: ...
    @property
    def azure_storage_connection_string(self) -> SecretStr | None: ...
    @property
    def queue_visibility_timeout_s(self) -> int: ...
    @property
    def queue_max_dequeues(self) -> int: ...
    @property
    def queue_retry_base_s(self) -> float: ...
    @property
    def queue_retry_max_s(self) -> float: ...
    @property
    def queue_poll_max_s(self) -> float: ...
    @property
    def worker_concurrency(self) -> int: ...
    @property
    def worker_drain_timeout_s(self) -> float: ...
    @property
    def storage_timeout_s(self) -> float: ...
    @property
    def dedupe_ttl_hours(self) -> int: ...


def create_queue(settings: QueueConfig, store: Store | None = None) -> WorkQueue:
    """`MemoryQueue` (demo default) or `AzureQueue` (PULSE_QUEUE_BACKEND=azure).

    With a `store`, enqueue dedupe uses create-only markers in it (shared by every instance);
    the memory queue without one dedupes in its own memory. Nothing touches the network here."""
    ttl = timedelta(hours=settings.dedupe_ttl_hours)
    if settings.queue_backend is QueueBackend.AZURE:
        from bot.clients.queue.azure import AzureQueue

        secret = (
            settings.azure_storage_queue_connection_string
            or settings.azure_storage_connection_string
        )
        connection_string = secret.get_secret_value() if secret is not None else None
        queue: WorkQueue = AzureQueue(
            settings.queue_name,
            connection_string=connection_string or None,
            account_url=None if connection_string else settings.azure_storage_queue_url,
            dedupe=StoreDedupeIndex(store, ttl) if store is not None else None,
            timeout_s=settings.storage_timeout_s,
        )
    else:
        from bot.clients.queue.memory import MemoryQueue

        queue = MemoryQueue(
            settings.queue_name,
            dedupe=StoreDedupeIndex(store, ttl) if store is not None else MemoryDedupeIndex(ttl),
        )
    logger.info("work queue: %r", queue)  # host and name only, never a key
    return queue


def worker_options(settings: QueueConfig) -> WorkerOptions:
    return WorkerOptions(
        visibility_timeout_s=settings.queue_visibility_timeout_s,
        max_dequeues=settings.queue_max_dequeues,
        retry_base_s=settings.queue_retry_base_s,
        retry_max_s=settings.queue_retry_max_s,
        concurrency=settings.worker_concurrency,
        poll_max_s=settings.queue_poll_max_s,
        drain_timeout_s=settings.worker_drain_timeout_s,
    )
