"""bot/telemetry.py: request spans and duration metric from the aiohttp middleware, job spans and
outcome counters from the queue runner, Azure Monitor only when configured (imported lazily)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import SecretStr

from bot.clients.queue.memory import MemoryQueue
from bot.clients.queue.runner import HandlerRegistry, QueueWorker, WorkerOptions
from bot.logs import correlation_id
from bot.ports.queue import JSON
from bot.telemetry import Telemetry, setup_telemetry, telemetry_middleware

ROOT = Path(__file__).resolve().parents[2]


class FakeSettings:
    def __init__(self, connection_string: str | None = None) -> None:
        self.applicationinsights_connection_string = (
            SecretStr(connection_string) if connection_string else None
        )
        self.otel_service_name = "pulse-test"


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader, Telemetry]]:
    spans = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    telemetry = setup_telemetry(FakeSettings(), span_exporter=spans, metric_reader=reader)
    try:
        yield spans, reader, telemetry
    finally:
        telemetry.shutdown()


def points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    found: list[Any] = []
    if data is None:
        return found
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == name:
                    found.extend(metric.data.data_points)
    return found


async def test_middleware_makes_one_server_span_per_request(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader, Telemetry],
) -> None:
    spans, reader, _ = otel

    async def ok(request: web.Request) -> web.Response:
        correlation_id.set("turn-7")
        return web.json_response({"ok": True})

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("model fault")

    app = web.Application(middlewares=[telemetry_middleware()])
    app.router.add_get("/healthz", ok)
    app.router.add_get("/items/{item_id}", ok)
    app.router.add_get("/boom", boom)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/items/42?token=secret")).status == 200
        assert (await client.get("/boom")).status == 500
        assert (await client.get("/nowhere")).status == 404

    finished = {s.name: s for s in spans.get_finished_spans()}
    assert set(finished) == {"GET /healthz", "GET /items/{item_id}", "GET /boom", "GET unmatched"}
    health = finished["GET /healthz"]
    assert health.kind is SpanKind.SERVER
    assert health.attributes is not None
    assert health.attributes["http.response.status_code"] == 200
    assert health.attributes["pulse.correlation_id"] == "turn-7"
    item = finished["GET /items/{item_id}"]
    assert item.attributes is not None
    assert "secret" not in str(dict(item.attributes))  # the route template, never the query
    boom_span = finished["GET /boom"]
    assert boom_span.status.status_code is StatusCode.ERROR
    assert [e.name for e in boom_span.events] == ["exception"]
    assert finished["GET unmatched"].attributes["http.response.status_code"] == 404  # type: ignore[index]

    durations = {
        (p.attributes["http.route"], p.attributes["http.response.status_code"]): p.count
        for p in points(reader, "http.server.request.duration")
    }
    assert durations == {
        ("/healthz", 200): 1,
        ("/items/{item_id}", 200): 1,
        ("/boom", 500): 1,
        ("unmatched", 404): 1,
    }


async def test_jobs_run_in_consumer_spans_with_outcome_metrics(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader, Telemetry],
) -> None:
    spans, reader, _ = otel
    queue = MemoryQueue("pulse-jobs")

    async def fine(payload: JSON) -> None:
        return None

    async def broken(payload: JSON) -> None:
        raise ValueError("bad input")

    registry = HandlerRegistry()
    registry.register_handler("briefing", fine)
    registry.register_handler("alert", broken)
    worker = QueueWorker(queue, registry, WorkerOptions(max_dequeues=1, concurrency=1))
    token = correlation_id.set("turn-9")
    try:
        ok_id = await queue.enqueue("briefing", {})
        await queue.enqueue("alert", {})
    finally:
        correlation_id.reset(token)
    assert await worker.run_once()
    assert await worker.run_once()

    by_name = {s.name: s for s in spans.get_finished_spans()}
    briefing = by_name["job briefing"]
    assert briefing.kind is SpanKind.CONSUMER
    assert briefing.attributes is not None
    assert briefing.attributes["pulse.job.id"] == ok_id
    assert briefing.attributes["pulse.job.dequeue_count"] == 1
    assert briefing.attributes["pulse.correlation_id"] == "turn-9"
    assert by_name["job alert"].status.status_code is StatusCode.ERROR
    outcomes = {
        (p.attributes["pulse.job.kind"], p.attributes["pulse.job.outcome"]): p.value
        for p in points(reader, "pulse.jobs")
    }
    assert outcomes == {("briefing", "done"): 1, ("alert", "poisoned"): 1}


def test_azure_monitor_exporter_is_imported_only_when_configured() -> None:
    code = (
        "import sys\n"
        "from tests.deploy.test_telemetry import FakeSettings\n"
        "from bot.telemetry import setup_telemetry\n"
        "t = setup_telemetry(FakeSettings())\n"
        "assert not t.exporting_to_azure\n"
        "assert 'azure.monitor.opentelemetry.exporter' not in sys.modules\n"
        "t.shutdown()\n"
        "t = setup_telemetry(FakeSettings('InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=http://127.0.0.1:9/'))\n"
        "assert t.exporting_to_azure\n"
        "assert 'azure.monitor.opentelemetry.exporter' in sys.modules\n"
        "print('ok')\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        # no statsbeat to Microsoft's endpoints from a test
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().strip().endswith("ok")
