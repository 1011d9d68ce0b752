"""The web app: the aiohttp edge (routes, middleware, lifecycle) over what the composition root
builds (`bot.composition.build_web`). `python app.py` serves; nothing is built at import time.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.composition import Components, build_web
from bot.config import ConfigError, Settings, load_settings
from bot.logs import quiet_azure_sdk, setup_logging
from bot.ports.clock import Clock
from bot.ports.store import StorageError, StorageUnavailable, Store
from bot.services.maintenance import purge_cleanup_ctx
from bot.teams.adapter import CredentialsFactory
from bot.teams.auth import PulseAuthentication
from bot.telemetry import setup_telemetry, telemetry_middleware

logger = logging.getLogger("pulse.app")

STORE_KEY = web.AppKey("store", Store)
SETTINGS_KEY = web.AppKey("settings", Settings)
AUTH_KEY = web.AppKey("authentication", PulseAuthentication)
COMPONENTS_KEY = web.AppKey("components", Components)
READYZ_KEYS_WAIT_S = 2.0  # /readyz waits this long at most for the channel's signing keys
APPROVAL_JOBS_EVERY_S = 60.0


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    credentials_factory: CredentialsFactory | None = None,
    briefings_installed: bool = True,
) -> web.Application:
    """Build Pulse (`build_web`, see its arguments) and serve it (`serve`)."""
    return serve(
        build_web(
            settings,
            store=store,
            clock=clock,
            credentials_factory=credentials_factory,
            with_briefings=briefings_installed,
        )
    )


def serve(components: Components) -> web.Application:
    """The aiohttp application over the built components: `/api/messages`, the probes, the
    jobs routes of briefings; the background work started and stopped with the app."""
    settings, store = components.settings, components.store
    middlewares: list[Any] = [telemetry_middleware()]
    app = web.Application(client_max_size=settings.edge.max_body_bytes, middlewares=middlewares)
    app[SETTINGS_KEY] = settings
    app[STORE_KEY] = store
    app[AUTH_KEY] = components.auth
    app[COMPONENTS_KEY] = components
    app.router.add_post("/api/messages", components.endpoint.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.cleanup_ctx.append(_lifecycle(components))
    app.cleanup_ctx.append(
        purge_cleanup_ctx(
            store,
            components.clock,
            cache_retention=timedelta(days=settings.storage.cache_retention_days),
            dedupe_retention=timedelta(hours=settings.edge.dedupe_ttl_hours),
        )
    )
    components.approvals.attach(app, interval_s=APPROVAL_JOBS_EVERY_S)
    if components.briefings is not None:
        components.briefings.attach(app)
    return app


def _lifecycle(components: Components) -> Any:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        logger.info("Pulse starting in %s mode", components.settings.mode.value)
        # The question reader's weights (~2 s to read) load now, before the first request.
        await asyncio.to_thread(components.core.answering.offline.warm_up)
        answers = components.answer_queue
        worker = answers.worker if answers is not None else None
        running = asyncio.create_task(worker.run()) if worker is not None else None
        yield
        await components.background.drain()
        if worker is not None and running is not None:
            worker.stop()
            await running
        if answers is not None:
            await answers.queue.close()
        await components.core.close()

    return lifecycle


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    try:
        await asyncio.wait_for(store.ping(), timeout=request.app[SETTINGS_KEY].storage.timeout_s)
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
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)  # logging is not configured yet: the one message goes to stderr
        return 2
    if settings.queue.answers_via_queue and settings.queue_problems():
        print(
            "Pulse cannot start:\n  - " + "\n  - ".join(settings.queue_problems()), file=sys.stderr
        )
        return 2
    server = settings.server
    setup_logging(server.log_level, settings.secrets(), server.log_format)
    quiet_azure_sdk(server.log_level)
    telemetry = setup_telemetry(settings.telemetry)
    app = create_app(settings)
    app.on_cleanup.append(lambda _: asyncio.to_thread(telemetry.shutdown))
    address = f"http://{settings.bind_host}:{server.port}/api/messages"
    print(f"Pulse ({settings.mode.value} mode) listening on {address}", flush=True)
    web.run_app(
        app,
        host=settings.bind_host,
        port=server.port,
        print=None,
        access_log=logging.getLogger("aiohttp.access") if server.log_level == "DEBUG" else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
