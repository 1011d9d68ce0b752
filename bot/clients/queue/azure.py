"""`AzureQueue`: the `WorkQueue` port on Azure Storage Queues (production; Azurite locally).

- Messages are base64 of a JSON body `{"v": 1, "id", "kind", "payload", "dedupe_key",
  "enqueued_at"}` (what Azure Functions and the portal expect), at most 48 KiB of JSON: store
  big inputs and enqueue their key.
- The poison queue is `<name>-poison`; its messages never expire (`time_to_live=-1`) and add
  `"reason"`, `"dequeue_count"` and `"poisoned_at"` to the body.
- Both queues are created on first use (a 403 — an identity with data rights only — is taken as
  "exists": the Bicep creates them).
- Time budget: each call is bounded by `timeout_s` (asyncio) with at most `retry_total` quick
  linear retries, never the SDK's 15 s+ waits. Unreachable → `QueueUnavailable`.
- Credentials: a connection string (Azurite, or keys), or an account URL
  (`https://<account>.queue.core.windows.net`) with `DefaultAzureCredential` (managed identity;
  the identity needs "Storage Queue Data Contributor"). Keys are never logged.
- Enqueue dedupe needs a shared index: pass `dedupe=StoreDedupeIndex(store, ttl)`. Without one,
  `dedupe_key` is still carried to the handler but repeats are enqueued.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.queue import QueueMessage
from azure.storage.queue._shared.policies_async import LinearRetry  # no public async export
from azure.storage.queue.aio import QueueClient

from bot.clients.azure_transport import transport_options
from bot.clients.queue._common import (
    DedupeIndex,
    check_queue_name,
    decode_body,
    decode_job,
    encode_job,
    new_job,
    new_job_id,
    parse_time,
    poison_name,
)
from bot.ports.queue import (
    JSON,
    Job,
    LostMessage,
    MalformedMessage,
    PoisonedJob,
    QueueError,
    QueueUnavailable,
    Received,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_VISIBILITY_S = 7 * 24 * 3600


def _seconds(value: float) -> int:
    """Azure takes whole seconds (0 … 7 days)."""
    return max(0, min(MAX_VISIBILITY_S, math.ceil(value)))


class AzureQueue:
    def __init__(
        self,
        name: str = "pulse-jobs",
        *,
        connection_string: str | None = None,
        account_url: str | None = None,
        credential: Any | None = None,
        dedupe: DedupeIndex | None = None,
        timeout_s: float = 5.0,
        retry_total: int = 2,
        retry_backoff_s: float = 0.2,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.name = check_queue_name(name)
        self.poison_name = poison_name(name)
        self.timeout_s = timeout_s
        self._dedupe = dedupe
        self._owned_credential: Any | None = None
        options = transport_options(
            LinearRetry,
            timeout_s=timeout_s,
            retry_total=retry_total,
            retry_backoff_s=retry_backoff_s,
        )

        def client(queue: str) -> QueueClient:
            if connection_string:
                return QueueClient.from_connection_string(connection_string, queue, **options)
            assert account_url is not None
            return QueueClient(account_url, queue, credential=credential, **options)

        if not connection_string:
            if not account_url:
                raise ValueError("AzureQueue needs a connection string or an account URL")
            if credential is None:
                from azure.identity.aio import DefaultAzureCredential

                credential = self._owned_credential = DefaultAzureCredential()
        self._queue = client(self.name)
        self._poison = client(self.poison_name)
        self._ready: set[str] = set()
        self._ready_lock = asyncio.Lock()
        self._where = f"{urlsplit(self._queue.url).netloc}/{self.name}"

    def __repr__(self) -> str:
        return f"AzureQueue({self._where!r})"

    # -- plumbing ---------------------------------------------------------------------------

    async def _op(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._ensure(self._queue)
                return await fn()
        except QueueError:
            raise
        except TimeoutError:
            raise QueueUnavailable(
                f"queue {self._where} {what}: no answer within {self.timeout_s:g}s"
            ) from None
        except (ServiceRequestError, ServiceResponseError, aiohttp.ClientError, OSError) as exc:
            raise QueueUnavailable(f"queue {self._where} {what}: {exc.__class__.__name__}") from exc
        except ClientAuthenticationError as exc:
            raise QueueError(f"queue {self._where} {what}: authentication failed") from exc
        except HttpResponseError as exc:
            status = exc.status_code or 0
            code = getattr(exc, "error_code", None) or ""
            if status == 404 or code in ("PopReceiptMismatch", "MessageNotFound"):
                raise LostMessage(f"queue {self._where} {what}: {code or status}") from exc
            if status in (408, 429) or status >= 500:
                raise QueueUnavailable(
                    f"queue {self._where} {what}: HTTP {status} {code}".rstrip()
                ) from exc
            raise QueueError(f"queue {self._where} {what}: HTTP {status} {code}".rstrip()) from exc
        except AzureError as exc:
            raise QueueUnavailable(f"queue {self._where} {what}: {exc.__class__.__name__}") from exc

    async def _ensure(self, queue: QueueClient) -> None:
        if queue.queue_name in self._ready:
            return
        async with self._ready_lock:
            if queue.queue_name in self._ready:
                return
            try:
                await queue.create_queue()
                logger.info("created queue %s", queue.queue_name)
            except ResourceExistsError:
                pass
            except HttpResponseError as exc:
                if exc.status_code != 403:
                    raise
                logger.warning("may not create queue %s (HTTP 403): assuming it exists", queue.url)
            self._ready.add(queue.queue_name)

    def _received(self, message: QueueMessage, job: Job) -> Received:
        return Received(job, message.id, message.pop_receipt or "", message.next_visible_on)

    # -- the port ---------------------------------------------------------------------------

    async def enqueue(
        self, kind: str, payload: JSON, *, dedupe_key: str | None = None, delay_s: float = 0
    ) -> str:
        job_id = new_job_id()
        job = new_job(kind, payload, dedupe_key, job_id)
        claim = None
        if dedupe_key is not None and self._dedupe is not None:
            claim = await self._dedupe.claim(self.name, dedupe_key, job_id)
            if not claim.fresh:
                return claim.job_id
        body = encode_job(job)
        try:
            await self._op(
                "enqueue",
                lambda: self._queue.send_message(body, visibility_timeout=_seconds(delay_s)),
            )
        except BaseException:
            if claim is not None and dedupe_key is not None and self._dedupe is not None:
                try:
                    await self._dedupe.forget(self.name, dedupe_key, claim)
                except Exception:  # the pending marker lapses after its grace period anyway
                    logger.warning("could not forget the dedupe marker of job %s", job_id)
            raise
        if claim is not None and dedupe_key is not None and self._dedupe is not None:
            await self._dedupe.confirm(self.name, dedupe_key, claim)
        return job_id

    async def receive(
        self, *, visibility_timeout_s: float, max_messages: int = 1
    ) -> builtins.list[Received]:
        n = max(1, min(32, max_messages))

        async def get() -> list[QueueMessage]:
            pages = self._queue.receive_messages(
                messages_per_page=n,
                max_messages=n,
                visibility_timeout=_seconds(visibility_timeout_s),
            )
            return [m async for m in pages]

        messages = await self._op("receive", get)
        out: list[Received] = []
        for message in messages:
            try:
                job = decode_job(str(message.content), dequeue_count=message.dequeue_count or 1)
            except MalformedMessage as exc:
                await self._quarantine(message, str(exc))
                continue
            out.append(self._received(message, job))
        return out

    async def _quarantine(self, message: QueueMessage, reason: str) -> None:
        """A message that is not a Pulse job goes to the poison queue as it is."""
        logger.error(
            "queue %s: message %s is malformed (%s): poisoned", self._where, message.id, reason
        )
        raw = str(message.content)
        await self._op("poison", lambda: self._send_poison(raw))
        await self._op(
            "delete malformed", lambda: self._queue.delete_message(message.id, message.pop_receipt)
        )

    async def _send_poison(self, body: str) -> None:
        await self._ensure(self._poison)
        await self._poison.send_message(body, time_to_live=-1)

    async def delete(self, received: Received) -> None:
        await self._op(
            "delete", lambda: self._queue.delete_message(received.message_id, received.receipt)
        )

    async def release(self, received: Received, *, delay_s: float) -> Received:
        message = await self._op(
            "release",
            lambda: self._queue.update_message(
                received.message_id, received.receipt, visibility_timeout=_seconds(delay_s)
            ),
        )
        return Received(
            received.job,
            received.message_id,
            message.pop_receipt or "",
            message.next_visible_on,
        )

    async def extend(self, received: Received, *, visibility_timeout_s: float) -> Received:
        return await self.release(received, delay_s=visibility_timeout_s)

    async def dead_letter(self, received: Received, *, reason: str) -> None:
        extra = {
            "reason": reason[:2000],
            "dequeue_count": received.job.dequeue_count,
            "poisoned_at": datetime.now(UTC).isoformat(),
        }
        body = encode_job(received.job, extra)
        # Copy first, then delete: a crash in between leaves a copy in both, never in none.
        await self._op("poison", lambda: self._send_poison(body))
        await self.delete(received)

    async def poisoned(self, *, limit: int = 32) -> builtins.list[PoisonedJob]:
        async def peek() -> list[QueueMessage]:
            await self._ensure(self._poison)
            return await self._poison.peek_messages(max_messages=max(1, min(32, limit)))

        out: list[PoisonedJob] = []
        for message in await self._op("peek poison", peek):
            text = str(message.content)
            try:
                body = decode_body(text)
                job = decode_job(text, dequeue_count=int(body.get("dequeue_count") or 0))
            except (MalformedMessage, ValueError, TypeError):
                job = Job(message.id, "malformed", {"raw": text[:1000]})
                body = {"reason": "malformed message"}
            out.append(
                PoisonedJob(job, str(body.get("reason", "")), parse_time(body.get("poisoned_at")))
            )
        return out

    async def approximate_length(self) -> int:
        props = await self._op("length", self._queue.get_queue_properties)
        return int(props.approximate_message_count or 0)

    async def ping(self) -> None:
        await self.approximate_length()

    async def close(self) -> None:
        await self._queue.close()
        await self._poison.close()
        if self._owned_credential is not None:
            await self._owned_credential.close()
