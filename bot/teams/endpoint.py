"""`POST /api/messages`: every inbound activity passes these checks, in this order, before any
handler runs:

1. media type is JSON (415), body within the size limit (413), body a JSON object that parses as
   an activity (400);
2. the bearer token is valid for this bot and this channel (401, never 500);
3. the channel, the tenant and the serviceUrl host are allowed (403, logged, dropped);
4. the activity id was not seen before (a re-delivery gets the first answer, effects run once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import Activity, ActivityTypes

from bot.clients.store.records import make_record
from bot.logs import correlation_id
from bot.ports.clock import Clock
from bot.ports.store import AlreadyExists, StorageError, Store
from bot.teams.auth import PulseAuthentication, Unauthorized
from bot.teams.guards import service_url_allowed

logger = logging.getLogger(__name__)

JSON_TYPES = ("application/json",)


def tenant_of(activity: Activity) -> str | None:
    conversation = activity.conversation
    if conversation is not None and getattr(conversation, "tenant_id", None):
        return str(conversation.tenant_id)
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return None


class ActivityDeduplicator:
    """Remembers activity ids with create-only markers, so a re-delivery has its effects once."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def _key(self, activity: Activity, day: datetime) -> str:
        conversation_id = activity.conversation.id if activity.conversation else ""
        raw = f"{activity.channel_id}|{conversation_id}|{activity.id}".encode()
        return f"dedupe/{day:%Y%m%d}/{hashlib.sha256(raw).hexdigest()[:40]}"

    async def first_delivery(self, activity: Activity) -> tuple[bool, str | None]:
        """(True, marker key) the first time an activity is seen; (False, key) afterwards."""
        key = self._key(activity, self._clock.now())
        try:
            await self._store.write(
                key, make_record("seen", 1, {}, now=self._clock.now()), if_none_match=True
            )
        except AlreadyExists:
            return False, key
        return True, key

    async def remember_response(self, key: str, status: int, body: Any) -> None:
        try:
            current = await self._store.read(key)
            if current is None:
                return
            value = {**current.value, "response": {"status": status, "body": body}}
            await self._store.write(key, value, if_match=current.etag)
        except StorageError:
            logger.warning("could not remember the invoke response for a re-delivery")

    async def previous_response(self, key: str) -> tuple[int, Any] | None:
        try:
            current = await self._store.read(key)
        except StorageError:
            return None
        if current is None or "response" not in current.value:
            return None
        response = current.value["response"]
        return int(response["status"]), response.get("body")


class MessagesEndpoint:
    def __init__(
        self,
        *,
        adapter: CloudAdapterBase,
        auth: PulseAuthentication,
        logic: Callable[[TurnContext], Awaitable[None]],
        deduplicator: ActivityDeduplicator,
        max_body_bytes: int,
        allowed_channels: Sequence[str],
        allowed_tenants: Sequence[str],
        allowed_service_url_hosts: Sequence[str],
    ) -> None:
        self._adapter = adapter
        self._auth = auth
        self._logic = logic
        self._dedupe = deduplicator
        self._max_body = max_body_bytes
        self._channels = set(allowed_channels)
        self._tenants = set(allowed_tenants)
        self._service_hosts = list(allowed_service_url_hosts)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token = correlation_id.set(uuid.uuid4().hex[:12])
        try:
            return await self._handle(request)
        finally:
            correlation_id.reset(token)

    async def _read_activity(self, request: web.Request) -> Activity:
        if request.content_type not in JSON_TYPES:
            raise web.HTTPUnsupportedMediaType(text="expected application/json")
        if request.content_length is not None and request.content_length > self._max_body:
            raise web.HTTPRequestEntityTooLarge(
                max_size=self._max_body, actual_size=request.content_length
            )
        raw = await request.content.read(self._max_body + 1)
        if len(raw) > self._max_body:
            raise web.HTTPRequestEntityTooLarge(max_size=self._max_body, actual_size=len(raw))
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise web.HTTPBadRequest(text="body is not valid JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="body is not an activity")
        try:
            activity = Activity().deserialize(body)
        except Exception:  # msrest raises several unrelated types on bad shapes
            raise web.HTTPBadRequest(text="body is not an activity") from None
        if (
            not activity.type
            or not activity.channel_id
            or not activity.service_url
            or not (activity.conversation and activity.conversation.id)
        ):
            raise web.HTTPBadRequest(
                text="activity lacks type, channelId, serviceUrl or conversation"
            )
        return activity

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        activity = await self._read_activity(request)
        if activity.id:
            correlation_id.set(f"{activity.id[:24]}")
        try:
            auth_result = await self._auth.authenticate_request(
                activity, request.headers.get("Authorization")
            )
        except Unauthorized as exc:
            logger.warning("rejected an unauthenticated request: %s", exc)
            raise web.HTTPUnauthorized() from None

        if activity.channel_id not in self._channels:
            logger.warning("dropped an activity from channel %r (not allowed)", activity.channel_id)
            raise web.HTTPForbidden()
        tenant = tenant_of(activity)
        if self._tenants and tenant not in self._tenants:
            logger.warning("dropped an activity from tenant %r (not allowed)", tenant)
            raise web.HTTPForbidden()

        if not service_url_allowed(activity.service_url, self._service_hosts):
            logger.warning("dropped an activity whose serviceUrl host is not allowed")
            raise web.HTTPForbidden()

        marker: str | None = None
        if activity.id:
            try:
                first, marker = await self._dedupe.first_delivery(activity)
            except StorageError:
                # Storage down: the turn will find out and tell the user; nothing durable happens.
                logger.warning("could not check for a re-delivered activity")
                first = True
            if not first:
                logger.info("re-delivered activity ignored (type %s)", activity.type)
                previous = await self._dedupe.previous_response(marker) if marker else None
                if previous is not None:
                    return web.json_response(previous[1], status=previous[0])
                return web.Response(status=200)

        invoke_response = await self._adapter.process_activity(auth_result, activity, self._logic)
        if activity.type == ActivityTypes.invoke:
            status = invoke_response.status if invoke_response else 200
            body = invoke_response.body if invoke_response else None
            if marker:
                await self._dedupe.remember_response(marker, status, body)
            return web.json_response(body, status=status)
        return web.Response(status=200)
