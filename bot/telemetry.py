"""Traces and metrics (OpenTelemetry), exported to Azure Monitor when configured.

- `setup_telemetry(settings)` builds a tracer and a meter provider for the service
  (`OTEL_SERVICE_NAME`, default "pulse"). With `APPLICATIONINSIGHTS_CONNECTION_STRING` set, spans
  and metrics go to Application Insights through `azure-monitor-opentelemetry-exporter` (imported
  only then); without it they are recorded and dropped (no exporter, no network). Tests pass
  their own `span_exporter` / `metric_reader` (in-memory).
- `telemetry_middleware()` is an aiohttp middleware: one SERVER span per request, named
  "METHOD route" (the route template, never the raw path or query), with the status code, and the
  `http.server.request.duration` histogram (seconds) by method, route and status.
- `job_span(kind, job_id, dequeue_count)` wraps one job delivery in a CONSUMER span; the queue
  runner uses it, and `record_job` counts outcomes (`pulse.jobs`) and durations
  (`pulse.job.duration`).

Before `setup_telemetry` (and in tests that never call it) everything here is a no-op through
the OpenTelemetry API. Logs keep their own path (bot/logs.py, JSON with correlation ids); the
correlation id is set on each request span as `pulse.correlation_id` to join the two.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from opentelemetry import metrics, trace
from opentelemetry.metrics import Counter, Histogram, Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from pydantic import SecretStr

from bot.logs import correlation_id

logger = logging.getLogger(__name__)

INSTRUMENTATION = "pulse"
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TelemetrySettings(Protocol):
    """What `setup_telemetry` reads (fields of `bot.config.Settings`)."""

    @property
    def applicationinsights_connection_string(self) -> SecretStr | None: ...

    @property
    def otel_service_name(self) -> str: ...


@dataclass
class _Instruments:
    tracer: Tracer
    meter: Meter
    http_duration: Histogram
    jobs: Counter
    job_duration: Histogram


def _instruments(tracer: Tracer, meter: Meter) -> _Instruments:
    return _Instruments(
        tracer=tracer,
        meter=meter,
        http_duration=meter.create_histogram(
            "http.server.request.duration", unit="s", description="Duration of HTTP requests"
        ),
        jobs=meter.create_counter(
            "pulse.jobs", unit="{job}", description="Job deliveries handled, by kind and outcome"
        ),
        job_duration=meter.create_histogram(
            "pulse.job.duration", unit="s", description="Duration of job deliveries"
        ),
    )


_state: _Instruments | None = None


def _current() -> _Instruments:
    global _state
    if _state is None:  # the API's globals: no-op until a provider is configured
        _state = _instruments(trace.get_tracer(INSTRUMENTATION), metrics.get_meter(INSTRUMENTATION))
    return _state


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    exporting_to_azure: bool

    def shutdown(self) -> None:
        """Flush and stop (at process exit)."""
        global _state
        try:
            self.tracer_provider.shutdown()
            self.meter_provider.shutdown()
        except Exception:  # telemetry must never take the process down
            logger.warning("telemetry shutdown failed", exc_info=True)
        _state = None


def setup_telemetry(
    settings: TelemetrySettings,
    *,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
    service_version: str | None = None,
    set_global: bool = False,
) -> Telemetry:
    """Configure traces and metrics for this process; see the module docstring.

    `set_global=True` also installs the providers as OpenTelemetry's globals (once per process:
    for third-party instrumentation); Pulse's own spans use them either way."""
    global _state
    resource = Resource.create(
        {
            "service.name": settings.otel_service_name or "pulse",
            "service.version": service_version or _version(),
            "service.instance.id": os.environ.get("CONTAINER_APP_REPLICA_NAME")
            or uuid.uuid4().hex[:12],
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    readers: list[MetricReader] = []
    secret = settings.applicationinsights_connection_string
    connection = secret.get_secret_value() if secret is not None else ""
    to_azure = bool(connection)
    if to_azure:
        from azure.monitor.opentelemetry.exporter import (
            AzureMonitorMetricExporter,
            AzureMonitorTraceExporter,
        )

        options: dict[str, Any] = {"connection_string": connection}
        tracer_provider.add_span_processor(BatchSpanProcessor(AzureMonitorTraceExporter(**options)))
        readers.append(
            PeriodicExportingMetricReader(
                AzureMonitorMetricExporter(**options), export_interval_millis=60_000
            )
        )
    if span_exporter is not None:
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    if metric_reader is not None:
        readers.append(metric_reader)
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    if set_global:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
    _state = _instruments(
        tracer_provider.get_tracer(INSTRUMENTATION), meter_provider.get_meter(INSTRUMENTATION)
    )
    logger.info(
        "telemetry: service %s, %s",
        settings.otel_service_name,
        "exporting to Azure Monitor" if to_azure else "not exported",
    )
    return Telemetry(tracer_provider, meter_provider, to_azure)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pulse")
    except Exception:
        return "0.0.0"


def tracer() -> Tracer:
    return _current().tracer


# -- HTTP ------------------------------------------------------------------------------------


def _route_of(request: web.Request) -> str:
    info = request.match_info
    route = getattr(info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is None:
        return "unmatched"
    return str(resource.canonical)


def telemetry_middleware() -> Callable[[web.Request, _Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware: `web.Application(middlewares=[telemetry_middleware(), ...])`."""

    @web.middleware
    async def middleware(request: web.Request, handler: _Handler) -> web.StreamResponse:
        inst = _current()
        route = _route_of(request)
        started = time.perf_counter()
        status = 500
        with inst.tracer.start_as_current_span(
            f"{request.method} {route}",
            kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "http.route": route},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except Exception as exc:
                status = 500
                span.record_exception(exc)
                raise
            finally:
                _finish_http(span, status)
                inst.http_duration.record(
                    time.perf_counter() - started,
                    {
                        "http.request.method": request.method,
                        "http.route": route,
                        "http.response.status_code": status,
                    },
                )

    return middleware


def _finish_http(span: Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    cid = correlation_id.get()
    if cid != "-":
        span.set_attribute("pulse.correlation_id", cid)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


# -- jobs ------------------------------------------------------------------------------------


@contextmanager
def job_span(kind: str, job_id: str, dequeue_count: int) -> Iterator[Span]:
    """A CONSUMER span around one delivery of a job; an exception marks it as an error."""
    with _current().tracer.start_as_current_span(
        f"job {kind}",
        kind=SpanKind.CONSUMER,
        attributes={
            "pulse.job.kind": kind,
            "pulse.job.id": job_id,
            "pulse.job.dequeue_count": dequeue_count,
        },
    ) as span:
        cid = correlation_id.get()
        if cid != "-":
            span.set_attribute("pulse.correlation_id", cid)
        yield span


def record_job(kind: str, outcome: str, duration_s: float) -> None:
    inst = _current()
    attributes = {"pulse.job.kind": kind, "pulse.job.outcome": outcome}
    inst.jobs.add(1, attributes)
    inst.job_duration.record(duration_s, attributes)
