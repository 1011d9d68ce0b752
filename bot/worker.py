"""`python -m bot.worker`: run queued jobs apart from the web instances.

Loads the settings, builds the store and the work queue they name, registers the job handlers
(`register_handlers`), and runs a `QueueWorker` until SIGTERM/SIGINT: then it stops receiving,
finishes the jobs in hand (up to PULSE_WORKER_DRAIN_TIMEOUT_S), and exits 0.

It serves `/healthz` (alive) and `/readyz` (store and queue answer, not stopping) on
PULSE_WORKER_PORT for the container probes — on 127.0.0.1 in demo mode.

A worker process only makes sense with a shared queue (PULSE_QUEUE_BACKEND=azure): with the
in-memory queue (demo default) the web process runs the same `QueueWorker` in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.clients.queue.runner import (
    HandlerRegistry,
    QueueWorker,
    WorkerOptions,
    current_job,
    effect_key,
    record_once,
)
from bot.ports.queue import JSON, QueueError, WorkQueue
from bot.ports.store import StorageError, Store

logger = logging.getLogger("pulse.worker")


def make_echo_handler(store: Store, worker_name: str) -> Callable[[JSON], Awaitable[None]]:
    """The "echo" job: records its payload once per job (`jobs/effects/echo/...`). For smoke
    tests of a deployment and as the pattern of an idempotent handler."""

    async def echo(payload: JSON) -> None:
        job = current_job.get()
        assert job is not None, "echo runs inside a QueueWorker"
        done = await record_once(
            store,
            effect_key(job, "echo"),
            {"job_id": job.id, "payload": payload, "worker": worker_name},
        )
        logger.info("echo job %s: %s", job.id, "recorded" if done else "already recorded")

    return echo


def register_handlers(
    registry: HandlerRegistry,
    *,
    store: Store,
    worker_name: str,
    answers: Callable[[JSON], Awaitable[None]] | None = None,
) -> None:
    """Every job kind this worker runs: "echo", and "answer" when given its handler
    (`bot.composition.build_worker`). The services register "briefing" and "alert" here."""
    registry.register_handler("echo", make_echo_handler(store, worker_name))
    if answers is not None:
        from bot.teams.answer_jobs import ANSWER_JOB

        registry.register_handler(ANSWER_JOB, answers)


@dataclass
class Health:
    store: Store
    queue: WorkQueue
    worker: QueueWorker
    timeout_s: float = 5.0

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(self, request: web.Request) -> web.Response:
        body: dict[str, str] = {"storage": "ok", "queue": "ok"}
        ok = not self.worker.stopping
        if not ok:
            body["worker"] = "stopping"
        try:
            await asyncio.wait_for(self.store.ping(), self.timeout_s)
        except (StorageError, TimeoutError):
            body["storage"], ok = "unavailable", False
        try:
            await asyncio.wait_for(self.queue.ping(), self.timeout_s)
        except (QueueError, TimeoutError):
            body["queue"], ok = "unavailable", False
        body["status"] = "ready" if ok else "not ready"
        return web.json_response(body, status=200 if ok else 503)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        return app


async def run_worker(
    *,
    store: Store,
    queue: WorkQueue,
    registry: HandlerRegistry,
    options: WorkerOptions,
    host: str = "127.0.0.1",
    port: int | None = 0,
    name: str | None = None,
    handle_signals: bool = True,
    on_ready: Callable[[QueueWorker, int | None], None] | None = None,
) -> QueueWorker:
    """Serve health on `host:port` (None: no server), run the worker until it is stopped (by
    SIGTERM/SIGINT when `handle_signals`), drain, close the queue and the store."""
    worker = QueueWorker(queue, registry, options, name=name)
    runner: web.AppRunner | None = None
    bound: int | None = None
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
    try:
        if port is not None:
            runner = web.AppRunner(Health(store, queue, worker).app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            server = site._server
            sockets = getattr(server, "sockets", None) or []
            bound = sockets[0].getsockname()[1] if sockets else port
        logger.info(
            "%s ready: queue %r, kinds %s, health on %s:%s",
            worker.name,
            queue,
            registry.kinds,
            host,
            bound,
        )
        if on_ready is not None:
            on_ready(worker, bound)
        await worker.run()
    finally:
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        if runner is not None:
            await runner.cleanup()
        with contextlib.suppress(Exception):
            await queue.close()
        with contextlib.suppress(Exception):
            await store.close()
    logger.info("%s stopped: %s", worker.name, worker.stats)
    return worker


def main() -> int:
    from bot.clients.queue.factory import worker_options
    from bot.config import ConfigError, load_settings
    from bot.logs import quiet_azure_sdk, setup_logging
    from bot.telemetry import setup_telemetry

    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")  # logging is not configured yet
        return 2
    if settings.queue_problems():
        problems = "\n  - ".join(settings.queue_problems())
        sys.stderr.write(f"Pulse worker cannot start:\n  - {problems}\n")
        return 2
    setup_logging(settings.server.log_level, settings.secrets(), settings.server.log_format)
    quiet_azure_sdk(settings.server.log_level)
    telemetry = setup_telemetry(settings.telemetry, set_global=True)

    async def serve() -> None:
        from bot.composition import build_worker

        name = os.environ.get("CONTAINER_APP_REPLICA_NAME") or f"worker-{uuid.uuid4().hex[:8]}"
        built = build_worker(settings, name=name)
        registry = HandlerRegistry()
        register_handlers(registry, store=built.core.store, worker_name=name, answers=built.answers)
        # The question reader's weights load before the first job, not during it.
        await asyncio.to_thread(built.core.answering.offline.warm_up)
        try:
            await run_worker(
                store=built.core.store,
                queue=built.queue,
                registry=registry,
                options=worker_options(settings.queue),
                host=settings.bind_host,
                port=settings.queue.worker_port,
                name=name,
            )
        finally:
            await built.core.answering.close()

    try:
        asyncio.run(serve())
    finally:
        telemetry.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
