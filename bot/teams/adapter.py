"""The Bot Framework adapter and its authentication, from settings: the SDK's side of the
composition (bot.composition builds through these, so the SDK stays in bot/teams)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import TypeAlias

from botbuilder.core import ConversationState, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from bot.config import Settings
from bot.i18n import language_of, t
from bot.logs import correlation_id
from bot.ports.store import StorageError
from bot.teams.auth import OpenIdKeys, PulseAuthentication, TokenValidator

logger = logging.getLogger("pulse.app")

Adapter: TypeAlias = CloudAdapter  # what sends to Teams: the web app's and each worker's
CredentialsFactory: TypeAlias = ServiceClientCredentialsFactory  # outbound credentials (tests)


def _sdk_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute bag botbuilder's configuration classes read (outbound credentials)."""
    identity = settings.bot
    config = SimpleNamespace(
        APP_ID=identity.app_id,
        APP_PASSWORD=identity.app_password.get_secret_value(),
        # Demo mode has no identity: the SDK only accepts an empty app id as "MultiTenant".
        APP_TYPE="MultiTenant" if settings.is_demo else identity.app_type.value,
        APP_TENANTID=identity.app_tenant_id,
    )
    if settings.edge.oauth_authority:
        config.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.edge.oauth_authority
    return config


def build_authentication(
    settings: Settings, credentials_factory: CredentialsFactory | None = None
) -> PulseAuthentication:
    inner = ConfigurationBotFrameworkAuthentication(
        _sdk_configuration(settings), credentials_factory=credentials_factory
    )
    validator = TokenValidator(
        app_id=settings.bot.app_id,
        issuers=settings.edge.token_issuers,
        keys=OpenIdKeys(settings.edge.openid_metadata_url) if not settings.is_demo else None,
        require_auth=not settings.is_demo,
    )
    return PulseAuthentication(inner, validator, settings.effective_service_url_hosts)


def build_adapter(
    auth: PulseAuthentication, conversation_state: ConversationState | None = None
) -> CloudAdapter:
    """The adapter; with the conversation state, a failed turn tells the user (with a reference
    to the logs) and clears the broken dialog."""
    adapter = CloudAdapter(auth)
    if conversation_state is not None:
        adapter.on_turn_error = turn_error_handler(conversation_state)
    return adapter


def turn_error_handler(conversation_state: ConversationState):  # type: ignore[no-untyped-def]
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
