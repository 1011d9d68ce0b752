"""`POST /api/messages`: every inbound activity passes these checks, in this order, before any
handler runs:

1. media type is JSON (415), body within the size limit (413, however it arrives: in pieces,
   chunked, or all at once), body a JSON object that parses as an activity (400: also for hostile
   JSON — deep nesting, huge numbers, lone surrogates in identifiers — never 500);
2. the bearer token is valid for this bot and this channel (401, never 500);
3. the channel, the tenant and the serviceUrl host are allowed (403, logged, dropped);
4. the activity was not handled before (a re-delivery gets the first answer, effects run once).

Re-deliveries (`ActivityDeduplicator`): the first delivery *claims* the activity with a
create-only marker in the running state, renewed while the turn runs, and marks it done with the
invoke response when the turn ends. A re-delivery that finds it done gets the stored response; one
that finds it running waits for the outcome; one that finds it abandoned — its process is dead, or
it was not renewed within the lease — runs the turn again. So a crash mid-turn does not lose the
answer, and concurrent re-deliveries of an invoke all get the proper invoke response. The key is
the channel, conversation and activity id (not the date: it must not change at midnight).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import uuid
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.schema import Activity, ActivityTypes

from bot.clients.store.records import make_record
from bot.logs import correlation_id
from bot.ports.clock import Clock
from bot.ports.store import AlreadyExists, PreconditionFailed, StorageError, Store
from bot.teams.activity import tenant_of
from bot.teams.auth import PulseAuthentication, Unauthorized
from bot.teams.guards import service_url_allowed

logger = logging.getLogger(__name__)

JSON_TYPES = ("application/json",)
MAX_JSON_DEPTH = 64  # a real activity nests a dozen levels; the SDK's deserialiser recurses
BODY_READ_TIMEOUT_S = 10.0  # the whole body, however slowly it trickles in
# Free text where a lone surrogate (an emoji cut in half by a client) becomes U+FFFD instead of
# refusing the message; anywhere else (ids, types, URLs) it is a 400.
FREE_TEXT_FIELDS = frozenset({"text", "summary", "speak", "value", "attachments", "entities"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadActivity(ValueError):
    """The body is not an activity we can read: answer 400."""


def _refuse_constant(name: str) -> Any:
    raise BadActivity(f"JSON constant {name} is not allowed")


def _clean_text(value: str) -> str:
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def check_json(body: Any) -> Any:
    """Depth within MAX_JSON_DEPTH; no lone surrogate outside free text (there: replaced).

    Iterative, so that hostile nesting cannot exhaust the stack here either."""
    stack: list[tuple[Any, int, bool]] = [(body, 1, False)]
    while stack:
        node, depth, free = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadActivity("JSON nested too deeply")
        if isinstance(node, dict):
            for key in list(node):
                if not key.isascii() and _SURROGATE.search(key):
                    raise BadActivity("lone surrogate in a JSON key")
                value = node[key]
                in_free = free or (depth == 1 and key in FREE_TEXT_FIELDS) or key == "name"
                if isinstance(value, str):
                    if not value.isascii() and _SURROGATE.search(value):
                        if not in_free:
                            raise BadActivity(f"lone surrogate in {key!r}")
                        node[key] = _clean_text(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1, in_free))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    if not value.isascii() and _SURROGATE.search(value):
                        if not free:
                            raise BadActivity("lone surrogate in a list")
                        node[i] = _clean_text(value)
                elif isinstance(value, dict | list):
                    stack.append((value, depth + 1, free))
    return body


_STRING_FIELDS = ("type", "id", "channelId", "serviceUrl", "replyToId", "name", "locale")
_ACCOUNT_FIELDS = ("conversation", "from", "recipient")


def _check_shapes(body: dict[str, Any]) -> None:
    """Identifiers are strings and accounts objects (the SDK would turn anything into a str)."""
    for name in _STRING_FIELDS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadActivity(f"{name} is not a string")
    for name in _ACCOUNT_FIELDS:
        account = body.get(name)
        if account is None:
            continue
        if not isinstance(account, dict):
            raise BadActivity(f"{name} is not an object")
        if account.get("id") is not None and not isinstance(account["id"], str):
            raise BadActivity(f"{name}.id is not a string")


def parse_activity(raw: bytes) -> Activity:
    """The activity in a request body, or `BadActivity` (never another exception)."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: malformed JSON, an integer beyond Python's digit limit, NaN/Infinity.
        raise BadActivity("body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise BadActivity("body is not an activity")
    check_json(body)
    _check_shapes(body)
    try:
        activity = Activity().deserialize(body)
    except Exception as exc:  # msrest raises several unrelated types on bad shapes
        raise BadActivity("body is not an activity") from exc
    conversation_id = activity.conversation.id if activity.conversation else None
    required = (activity.type, activity.channel_id, activity.service_url, conversation_id)
    if not all(isinstance(v, str) and v for v in required):
        raise BadActivity("activity lacks type, channelId, serviceUrl or conversation")
    if activity.id is not None and not isinstance(activity.id, str):
        raise BadActivity("activity id is not a string")
    return activity


class Verdict(Enum):
    RUN = "run"  # first delivery, or the first one was abandoned: run the turn
    DONE = "done"  # handled before: answer with the stored response
    RUNNING = "running"  # being handled by a live process: wait for its outcome


@dataclass
class Claim:
    verdict: Verdict
    key: str
    etag: str | None = None
    response: tuple[int, Any] | None = None


# Deduplicators alive in this process (each has its own run id; a later process may get the
# same pid, but never one of these).
_LIVE_RUNS: weakref.WeakValueDictionary[str, ActivityDeduplicator] = weakref.WeakValueDictionary()
_FINISHED_MAX = 2048


@dataclass
class ClaimOwner:
    """Who runs a claimed turn: a deduplicator in a process of a machine."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    run: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid, "run": self.run}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but not ours, or unknown: assume alive (the lease decides)
    return True


class _LocalTurns:
    """The turns a deduplicator runs now (a re-delivery waits on them directly) and the last ones
    it finished, with their responses (they answer re-deliveries even when the "done" marker
    could not be written)."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[tuple[int, Any] | None]] = {}
        self._finished: OrderedDict[str, tuple[int, Any]] = OrderedDict()

    def get(self, key: str) -> asyncio.Future[tuple[int, Any] | None] | None:
        return self._running.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._running

    def __setitem__(self, key: str, future: asyncio.Future[tuple[int, Any] | None]) -> None:
        self._running[key] = future

    def pop(self, key: str, default: None = None) -> asyncio.Future[tuple[int, Any] | None] | None:
        return self._running.pop(key, default)

    def finished(self, key: str, outcome: tuple[int, Any]) -> None:
        self._finished[key] = outcome
        self._finished.move_to_end(key)
        while len(self._finished) > _FINISHED_MAX:
            self._finished.popitem(last=False)

    def outcome(self, key: str) -> tuple[int, Any] | None:
        return self._finished.get(key)


class ActivityDeduplicator:
    """Claims activities with leased markers, so a re-delivery has its effects once and a crash
    mid-turn does not lose the answer (see the module docstring)."""

    KIND = "activity"
    SCHEMA = 2

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        lease_s: float = 10.0,
        wait_s: float = 12.0,
        owner: ClaimOwner | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.lease_s = lease_s
        self.wait_s = wait_s  # how long a re-delivery waits for a running turn's outcome
        self._owner = owner or ClaimOwner()
        self._local = _LocalTurns()
        _LIVE_RUNS[self._owner.run] = self

    @staticmethod
    def key(activity: Activity) -> str:
        conversation_id = activity.conversation.id if activity.conversation else ""
        raw = f"{activity.channel_id}|{conversation_id}|{activity.id}"
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"dedupe/{digest}"

    def _running_record(self) -> dict[str, Any]:
        now = self._clock.now()
        data = {"state": "running", "owner": self._owner.to_json(), "renewed_at": now.isoformat()}
        return make_record(self.KIND, self.SCHEMA, data, now=now)

    def _abandoned(self, key: str, data: dict[str, Any]) -> bool:
        found = data.get("owner")
        owner: dict[str, Any] = found if isinstance(found, dict) else {}
        me = self._owner
        if owner.get("host") == me.host:
            if owner.get("run") == me.run:
                return key not in self._local  # ours, but no turn of ours is running it
            if owner.get("run") in _LIVE_RUNS:
                pass  # another deduplicator of this process: alive, the lease decides
            elif isinstance(owner.get("pid"), int) and (
                owner["pid"] == me.pid or not _pid_alive(owner["pid"])
            ):
                return True  # a dead process of this machine (or our pid, reused after it)
        try:
            renewed = datetime.fromisoformat(str(data.get("renewed_at")))
        except ValueError:
            return True
        if renewed.tzinfo is None:
            renewed = renewed.replace(tzinfo=UTC)
        return self._clock.now() - renewed > timedelta(seconds=self.lease_s)

    @staticmethod
    def _state(value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        data = value.get("data")
        if value.get("kind") == ActivityDeduplicator.KIND and isinstance(data, dict):
            return str(data.get("state", "done")), data
        return "done", value  # a marker of an older release: "seen", maybe with a response

    @staticmethod
    def _response(data: dict[str, Any]) -> tuple[int, Any] | None:
        response = data.get("response")
        if not isinstance(response, dict) or not isinstance(response.get("status"), int):
            return None
        return int(response["status"]), response.get("body")

    async def claim(self, activity: Activity) -> Claim:
        """Raises StorageError when the store cannot tell."""
        key = self.key(activity)
        for _ in range(5):
            future = self._local.get(key)
            if future is not None and not future.done():
                return Claim(Verdict.RUNNING, key)
            finished_here = self._local.outcome(key)
            if finished_here is not None:
                return Claim(Verdict.DONE, key, response=finished_here)
            self._local[key] = asyncio.get_running_loop().create_future()
            try:
                etag = await self._store.write(key, self._running_record(), if_none_match=True)
                return Claim(Verdict.RUN, key, etag)
            except AlreadyExists:
                self._settle(key, None)
            except BaseException:
                self._settle(key, None)
                raise
            current = await self._store.read(key)
            if current is None:
                continue  # purged meanwhile: claim again
            state, data = self._state(current.value)
            if state != "running":
                return Claim(Verdict.DONE, key, response=self._response(data))
            if not self._abandoned(key, data):
                return Claim(Verdict.RUNNING, key)
            self._local[key] = asyncio.get_running_loop().create_future()
            try:
                etag = await self._store.write(key, self._running_record(), if_match=current.etag)
            except PreconditionFailed:
                self._settle(key, None)
                continue  # another re-delivery took it over first
            except BaseException:
                self._settle(key, None)
                raise
            logger.warning("re-running an activity whose first delivery never completed")
            return Claim(Verdict.RUN, key, etag)
        return Claim(Verdict.RUNNING, key)

    @contextlib.asynccontextmanager
    async def held(self, claim: Claim) -> AsyncIterator[None]:
        """Renew the claim while the turn runs, so other instances know its process lives."""

        stop = asyncio.Event()

        async def renew() -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.lease_s / 3)
                    return
                try:
                    claim.etag = await self._store.write(
                        claim.key, self._running_record(), if_match=claim.etag
                    )
                except PreconditionFailed:
                    logger.warning("another instance took over a turn still running here")
                    return
                except StorageError:
                    logger.warning("could not renew the claim of a running turn")

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            stop.set()  # not cancelled: a renewal under way completes and its ETag is kept
            await task

    async def finish(self, claim: Claim, status: int, body: Any) -> None:
        """The turn ran to its end: later re-deliveries get this response."""
        done = make_record(
            self.KIND,
            self.SCHEMA,
            {"state": "done", "response": {"status": status, "body": body}},
            now=self._clock.now(),
        )
        try:
            try:
                await self._store.write(claim.key, done, if_match=claim.etag)
            except PreconditionFailed:
                # A renewal whose answer we missed, or another instance that took over.
                current = await self._store.read(claim.key)
                state, data = self._state(current.value) if current else ("gone", {})
                if (
                    current is None
                    or state != "running"
                    or data.get("owner") != self._owner.to_json()
                ):
                    logger.info("a turn finished after another instance took it over")
                else:
                    await self._store.write(claim.key, done, if_match=current.etag)
        except (StorageError, TypeError, ValueError):
            logger.warning("could not record that an activity was handled")
        self._local.finished(claim.key, (status, body))
        self._settle(claim.key, (status, body))

    async def release(self, claim: Claim) -> None:
        """The turn failed before its end: let a re-delivery run it again."""
        try:
            await self._store.delete(claim.key, if_match=claim.etag)
        except StorageError:
            logger.warning("could not release the claim of a failed turn")
        self._settle(claim.key, None)

    def _settle(self, key: str, outcome: tuple[int, Any] | None) -> None:
        future = self._local.pop(key, None)
        if future is not None and not future.done():
            future.set_result(outcome)

    async def pause(self, key: str, timeout_s: float) -> tuple[int, Any] | None:
        """Until the turn running `key` in this process settles (its response, if it finished),
        or `timeout_s` (another process's turn: just sleep, the caller claims again to see
        where it stands)."""
        future = self._local.get(key)
        if future is not None and not future.done():
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        else:
            await asyncio.sleep(timeout_s)
        return None


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

    async def _read_body(self, request: web.Request) -> bytes:
        """The whole body, however it arrives (several writes, chunked), up to the cap."""
        if request.content_length is not None and request.content_length > self._max_body:
            raise web.HTTPRequestEntityTooLarge(
                max_size=self._max_body, actual_size=request.content_length
            )
        body = bytearray()
        try:
            async with asyncio.timeout(BODY_READ_TIMEOUT_S):
                async for chunk in request.content.iter_any():
                    if len(body) + len(chunk) > self._max_body:
                        raise web.HTTPRequestEntityTooLarge(
                            max_size=self._max_body, actual_size=len(body) + len(chunk)
                        )
                    body += chunk
        except TimeoutError:
            raise web.HTTPRequestTimeout() from None
        return bytes(body)

    async def _read_activity(self, request: web.Request) -> Activity:
        if request.content_type not in JSON_TYPES:
            raise web.HTTPUnsupportedMediaType(text="expected application/json")
        raw = await self._read_body(request)
        try:
            return parse_activity(raw)
        except BadActivity as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None

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

        is_invoke = activity.type == ActivityTypes.invoke
        claim: Claim | None = None
        if activity.id:
            claim, answer = await self._claim(activity, is_invoke)
            if answer is not None:
                return answer

        if claim is None:
            return (await self._run(auth_result, activity, is_invoke))[0]
        async with self._dedupe.held(claim):
            try:
                response, status, body = await self._run(auth_result, activity, is_invoke)
            except BaseException:
                await self._dedupe.release(claim)
                raise
        await self._dedupe.finish(claim, status, body)
        return response

    async def _run(
        self, auth_result: Any, activity: Activity, is_invoke: bool
    ) -> tuple[web.StreamResponse, int, Any]:
        invoke_response = await self._adapter.process_activity(auth_result, activity, self._logic)
        if is_invoke:
            status = invoke_response.status if invoke_response else 200
            body = invoke_response.body if invoke_response else None
            return web.json_response(body, status=status), status, body
        return web.Response(status=200), 200, None

    async def _claim(
        self, activity: Activity, is_invoke: bool
    ) -> tuple[Claim | None, web.StreamResponse | None]:
        """(claim to run under, None) or (None, the answer to a re-delivery)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._dedupe.wait_s
        pause = 0.05
        while True:
            try:
                claim = await self._dedupe.claim(activity)
            except StorageError:
                # Storage down: the turn will find out and tell the user; nothing durable happens.
                logger.warning("could not check for a re-delivered activity")
                return None, None
            if claim.verdict is Verdict.RUN:
                return claim, None
            if claim.verdict is Verdict.DONE:
                logger.info("re-delivered activity answered again (type %s)", activity.type)
                if claim.response is not None and is_invoke:
                    status, body = claim.response
                    return None, web.json_response(body, status=status)
                return None, web.Response(status=200)
            remaining = deadline - loop.time()
            if remaining <= 0:
                # Still running in a live process: it will answer. An invoke needs its response
                # now, which we do not have: ask the channel to retry.
                logger.info(
                    "re-delivered activity still running elsewhere (type %s)", activity.type
                )
                if is_invoke:
                    return None, web.json_response(
                        {"error": "still processing"}, status=503, headers={"Retry-After": "1"}
                    )
                return None, web.Response(status=200)
            outcome = await self._dedupe.pause(claim.key, min(pause, remaining))
            if outcome is not None:  # the same turn, run here, just finished
                status, body = outcome
                if is_invoke:
                    return None, web.json_response(body, status=status)
                return None, web.Response(status=200)
            pause = min(pause * 2, 0.5)
