"""Activities shaped as Teams sends them, and a running Pulse app for scenario tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

_ids = itertools.count(1)

BOT_ID = "28:pulse-bot"
TENANT = "tenant-contoso"


def _base(
    kind: str,
    *,
    service_url: str,
    conversation_id: str,
    user_id: str,
    locale: str,
    tenant: str,
    activity_id: str | None,
    channel_id: str,
    conversation_type: str,
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": activity_id or f"act-{next(_ids)}-{uuid.uuid4().hex[:6]}",
        "timestamp": "2026-11-28T08:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": channel_id,
        "from": {"id": f"29:{user_id}", "name": user_id.title(), "aadObjectId": f"aad-{user_id}"},
        "conversation": {
            "id": conversation_id,
            "conversationType": conversation_type,
            "tenantId": tenant,
        },
        "recipient": {"id": BOT_ID, "name": "Pulse"},
        "locale": locale,
        "channelData": {"tenant": {"id": tenant}},
    }


def message(
    text: str,
    *,
    service_url: str,
    conversation_id: str = "conv-1",
    user_id: str = "alice",
    locale: str = "en-US",
    tenant: str = TENANT,
    activity_id: str | None = None,
    channel_id: str = "msteams",
    conversation_type: str = "personal",
) -> dict[str, Any]:
    activity = _base(
        "message",
        service_url=service_url,
        conversation_id=conversation_id,
        user_id=user_id,
        locale=locale,
        tenant=tenant,
        activity_id=activity_id,
        channel_id=channel_id,
        conversation_type=conversation_type,
    )
    activity["text"] = text
    activity["textFormat"] = "plain"
    return activity


def card_action(verb: str, data: dict[str, Any], *, service_url: str, **kw: Any) -> dict[str, Any]:
    """The invoke Teams sends when a user clicks an Action.Execute button of a card.

    `kw`: what `message` takes (user_id, locale, tenant...)."""
    activity = message("", service_url=service_url, **kw)
    del activity["text"]
    activity.update(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        }
    )
    return activity


def members_added(
    *,
    service_url: str,
    conversation_id: str = "conv-1",
    user_id: str = "alice",
    locale: str = "en-US",
    tenant: str = TENANT,
    activity_id: str | None = None,
    channel_id: str = "msteams",
) -> dict[str, Any]:
    activity = _base(
        "conversationUpdate",
        service_url=service_url,
        conversation_id=conversation_id,
        user_id=user_id,
        locale=locale,
        tenant=tenant,
        activity_id=activity_id,
        channel_id=channel_id,
        conversation_type="personal",
    )
    activity["membersAdded"] = [{"id": BOT_ID}, {"id": f"29:{user_id}"}]
    return activity


# --- a running app ------------------------------------------------------------------------------

from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory  # noqa: E402

OUTBOUND_TOKEN = "outbound-token-for-tests"


class StaticCredentials(AppCredentials):  # type: ignore[misc]
    """Outbound credentials with a fixed token: no identity provider is reachable in tests."""

    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


class StaticCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        return StaticCredentials(app_id=app_id, oauth_scope=oauth_scope)
