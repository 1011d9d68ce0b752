"""`MemoryQueue`: the `WorkQueue` port inside one process (demo mode, tests).

Same semantics as the Azure backend: visibility timeout and redelivery, dequeue counts, receipts
that go stale, retries with delay, a poison list, enqueue dedupe. Nothing survives the process:
in production use `AzureQueue`.
"""

from __future__ import annotations

import builtins
import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clients.queue._common import (
    DedupeIndex,
    MemoryDedupeIndex,
    check_queue_name,
    decode_job,
    encode_job,
    new_job,
    new_job_id,
)
from bot.ports.queue import JSON, Job, LostMessage, PoisonedJob, Received


@dataclass
class _Message:
    job: Job
    visible_at: float
    dequeue_count: int = 0
    receipt: str = ""


class MemoryQueue:
    def __init__(
        self,
        name: str = "pulse-jobs",
        *,
        dedupe: DedupeIndex | None = None,
        dedupe_ttl: timedelta = timedelta(hours=48),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = check_queue_name(name)
        self._dedupe = dedupe or MemoryDedupeIndex(dedupe_ttl)
        self._clock = clock
        self._messages: dict[str, _Message] = {}  # insertion order is arrival order
        self._poison: list[PoisonedJob] = []

    def __repr__(self) -> str:
        return f"MemoryQueue({self.name!r})"

    async def enqueue(
        self, kind: str, payload: JSON, *, dedupe_key: str | None = None, delay_s: float = 0
    ) -> str:
        job_id = new_job_id()
        job = new_job(kind, payload, dedupe_key, job_id)
        # The same body as on Azure (same size limit; the payload is copied, not shared).
        job = decode_job(encode_job(job))
        if dedupe_key is not None:
            claim = await self._dedupe.claim(self.name, dedupe_key, job_id)
            if not claim.fresh:
                return claim.job_id
            await self._dedupe.confirm(self.name, dedupe_key, claim)
        message_id = uuid.uuid4().hex
        self._messages[message_id] = _Message(job, self._clock() + max(0.0, delay_s))
        return job_id

    async def receive(
        self, *, visibility_timeout_s: float, max_messages: int = 1
    ) -> builtins.list[Received]:
        now = self._clock()
        out: list[Received] = []
        for message_id, message in self._messages.items():
            if len(out) >= max_messages:
                break
            if message.visible_at > now:
                continue
            message.dequeue_count += 1
            message.visible_at = now + visibility_timeout_s
            message.receipt = uuid.uuid4().hex
            out.append(self._handle(message_id, message))
        return out

    def _handle(self, message_id: str, message: _Message) -> Received:
        delivered = dataclasses.replace(message.job, dequeue_count=message.dequeue_count)
        wall = datetime.now(UTC) + timedelta(seconds=message.visible_at - self._clock())
        return Received(delivered, message_id, message.receipt, wall)

    def _owned(self, received: Received) -> _Message:
        message = self._messages.get(received.message_id)
        if message is None or message.receipt != received.receipt:
            raise LostMessage(f"job {received.job.id}: receipt is stale")
        return message

    async def delete(self, received: Received) -> None:
        self._owned(received)
        del self._messages[received.message_id]

    async def release(self, received: Received, *, delay_s: float) -> Received:
        message = self._owned(received)
        message.visible_at = self._clock() + max(0.0, delay_s)
        message.receipt = uuid.uuid4().hex
        return self._handle(received.message_id, message)

    async def extend(self, received: Received, *, visibility_timeout_s: float) -> Received:
        return await self.release(received, delay_s=visibility_timeout_s)

    async def dead_letter(self, received: Received, *, reason: str) -> None:
        self._owned(received)
        del self._messages[received.message_id]
        self._poison.append(PoisonedJob(received.job, reason, datetime.now(UTC)))

    async def poisoned(self, *, limit: int = 32) -> builtins.list[PoisonedJob]:
        return self._poison[:limit]

    async def approximate_length(self) -> int:
        return len(self._messages)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
