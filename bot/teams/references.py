"""Conversation references, kept for proactive messages (briefings, alerts, approvals).

Captured on installation and on every turn, with the tenant, the user, the locale and the time
zone (Teams sends it in the `clientInfo` entity). The `serviceUrl` host is checked against the
allowlist before storing and again before use: the bot's token goes with every proactive send.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.i18n import language_of
from bot.ports.clock import Clock
from bot.ports.store import PreconditionFailed, StorageError, Store
from bot.teams.activity import tenant_of
from bot.teams.guards import service_url_allowed

logger = logging.getLogger(__name__)

SCHEMA = 1
PREFIX = "refs"


def conversation_key(tenant_id: str | None, conversation_id: str) -> str:
    digest = hashlib.sha256(conversation_id.encode()).hexdigest()[:32]
    return f"{PREFIX}/{tenant_id or 'no-tenant'}/{digest}"


def time_zone_of(activity: Activity) -> str | None:
    for entity in activity.entities or []:
        props: dict[str, Any] = getattr(entity, "additional_properties", None) or {}
        if getattr(entity, "type", None) == "clientInfo" or props.get("type") == "clientInfo":
            tz = props.get("timezone") or getattr(entity, "timezone", None)
            if isinstance(tz, str) and tz:
                return tz
    return None


@dataclass(frozen=True, slots=True)
class StoredReference:
    key: str
    reference: ConversationReference
    tenant_id: str | None
    conversation_type: str
    user_aad_id: str | None
    user_name: str
    lang: str
    time_zone: str | None
    active: bool
    updated_at: str

    @property
    def conversation_id(self) -> str:
        return str(self.reference.conversation.id)


class ReferenceStore:
    def __init__(self, store: Store, clock: Clock, allowed_service_url_hosts: list[str]) -> None:
        self._store = store
        self._clock = clock
        self._hosts = allowed_service_url_hosts

    async def remember(self, turn_context: TurnContext) -> None:
        """Keep this conversation's reference up to date (every turn; cheap when unchanged)."""
        activity = turn_context.activity
        if not activity.conversation or not service_url_allowed(activity.service_url, self._hosts):
            return
        reference = TurnContext.get_conversation_reference(activity)
        tenant = tenant_of(activity)
        sender = activity.from_property
        record = {
            "schema": SCHEMA,
            "reference": reference.serialize(),
            "tenant_id": tenant,
            "conversation_type": activity.conversation.conversation_type or "personal",
            "user_aad_id": getattr(sender, "aad_object_id", None) if sender else None,
            "user_name": (sender.name or "") if sender else "",
            "lang": language_of(activity.locale),
            "time_zone": time_zone_of(activity),
            "active": True,
        }
        key = conversation_key(tenant, activity.conversation.id)
        try:
            current = await self._store.read(key)
            if current is not None:
                previous = {k: v for k, v in current.value.items() if k != "updated_at"}
                if previous == record:
                    return
                if current.value.get("time_zone") and not record["time_zone"]:
                    record["time_zone"] = current.value["time_zone"]
            record["updated_at"] = self._clock.now().isoformat()
            await self._store.write(
                key,
                record,
                if_match=current.etag if current else None,
                if_none_match=current is None,
            )
        except PreconditionFailed:
            pass  # another instance stored it at the same moment: theirs is as good
        except StorageError:
            logger.warning("could not store the conversation reference")

    async def get(self, key: str) -> StoredReference | None:
        current = await self._store.read(key)
        if current is None:
            return None
        return self._parse(key, current.value)

    async def all(
        self, tenant_id: str | None = None, *, active_only: bool = True
    ) -> list[StoredReference]:
        prefix = f"{PREFIX}/{tenant_id}/" if tenant_id else f"{PREFIX}/"
        found: list[StoredReference] = []
        for key in await self._store.list(prefix):
            ref = await self.get(key)
            if ref is not None and (ref.active or not active_only):
                found.append(ref)
        return found

    async def deactivate(self, key: str, reason: str) -> None:
        """The bot was removed or blocked there (403/404): never send there again."""
        for _ in range(5):
            current = await self._store.read(key)
            if current is None:
                return
            value = {
                **current.value,
                "active": False,
                "deactivated_reason": reason,
                "updated_at": self._clock.now().isoformat(),
            }
            try:
                await self._store.write(key, value, if_match=current.etag)
                return
            except PreconditionFailed:
                continue

    def usable(self, ref: StoredReference) -> bool:
        return ref.active and service_url_allowed(ref.reference.service_url, self._hosts)

    @staticmethod
    def _parse(key: str, value: dict[str, Any]) -> StoredReference:
        reference = ConversationReference().deserialize(value["reference"])
        return StoredReference(
            key=key,
            reference=reference,
            tenant_id=value.get("tenant_id"),
            conversation_type=value.get("conversation_type", "personal"),
            user_aad_id=value.get("user_aad_id"),
            user_name=value.get("user_name", ""),
            lang=value.get("lang", "en"),
            time_zone=value.get("time_zone"),
            active=bool(value.get("active", True)),
            updated_at=str(value.get("updated_at", datetime.min.isoformat())),
        )
