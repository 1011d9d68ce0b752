"""Composition root: settings → logging → storage → authentication → adapter → dialogs → bot → app.

`create_app(settings)` builds everything; nothing is built at import time. `python app.py` serves.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.config import ConfigError, Settings, load_settings
from bot.i18n import language_of, t
from bot.logs import correlation_id, setup_logging
from bot.ports.clock import Clock, SystemClock
from bot.ports.store import StorageError, StorageUnavailable, Store
from bot.teams.auth import OpenIdKeys, PulseAuthentication, TokenValidator
from bot.teams.endpoint import ActivityDeduplicator, MessagesEndpoint
from bot.teams.handler import PulseBot
from dialogs.main_dialog import MainDialog

logger = logging.getLogger("pulse.app")

STORE_KEY = web.AppKey("store", Store)
SETTINGS_KEY = web.AppKey("settings", Settings)


@dataclass
class Components:
    """What `create_app` wired, for tests and for the background services of later layers."""

    settings: Settings
    store: Store
    clock: Clock
    adapter: CloudAdapter
    bot: PulseBot
    conversation_state: ConversationState


COMPONENTS_KEY = web.AppKey("components", Components)


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


def make_turn_error_handler(conversation_state: ConversationState):  # type: ignore[no-untyped-def]
    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        ref = correlation_id.get()
        logger.error("turn failed (ref %s)", ref, exc_info=error)
        lang = language_of(context.activity.locale)
        key = "errors.storage" if isinstance(error, StorageError) else "errors.generic"
        try:
            await context.send_activity(t(lang, key, ref=ref))
        except Exception:
            logger.exception("could not tell the user about the failure (ref %s)", ref)
        try:
            await conversation_state.delete(context)  # clears the broken dialog
        except Exception:
            logger.warning("could not clear the conversation state (ref %s)", ref)

    return on_turn_error


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
) -> web.Application:
    """Wire Pulse. `credentials_factory` replaces the bot's outbound credentials (tests, where
    no identity provider is reachable)."""
    from bot.clients.store.factory import create_store
    from bot.teams.state_storage import StoreStorage

    clock = clock or SystemClock()
    store = store or create_store(settings)
    bot_storage = StoreStorage(store)
    conversation_state = ConversationState(bot_storage)
    user_state = UserState(bot_storage)

    auth = build_authentication(settings, credentials_factory)
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = make_turn_error_handler(conversation_state)

    bot = PulseBot(
        conversation_state=conversation_state,
        user_state=user_state,
        dialog=MainDialog(),
        company=settings.company_name,
        demo=settings.is_demo,
    )
    endpoint = MessagesEndpoint(
        adapter=adapter,
        auth=auth,
        logic=bot.on_turn,
        deduplicator=ActivityDeduplicator(store, clock),
        max_body_bytes=settings.max_body_bytes,
        allowed_channels=settings.allowed_channels,
        allowed_tenants=settings.effective_allowed_tenants,
        allowed_service_url_hosts=settings.effective_service_url_hosts,
    )

    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS_KEY] = settings
    app[STORE_KEY] = store
    app[COMPONENTS_KEY] = Components(settings, store, clock, adapter, bot, conversation_state)
    app.router.add_post("/api/messages", endpoint.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        logger.info("Pulse starting in %s mode", settings.mode.value)
        yield
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    try:
        await asyncio.wait_for(store.ping(), timeout=request.app[SETTINGS_KEY].storage_timeout_s)
    except (StorageError, TimeoutError) as exc:
        reason = "unavailable" if isinstance(exc, StorageUnavailable | TimeoutError) else "error"
        return web.json_response({"status": "not ready", "storage": reason}, status=503)
    return web.json_response({"status": "ready", "storage": "ok"})


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)  # logging is not configured yet: the one message goes to stderr
        return 2
    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    app = create_app(settings)
    print(
        f"Pulse ({settings.mode.value} mode) listening on http://{settings.bind_host}:{settings.port}/api/messages",
        flush=True,
    )
    web.run_app(
        app,
        host=settings.bind_host,
        port=settings.port,
        print=None,
        access_log=None if settings.log_level != "DEBUG" else logging.getLogger("aiohttp.access"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
