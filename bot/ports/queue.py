"""The work-queue port: slow work (answers, briefings, alerts) handed from the web instances to
workers.

Semantics (both backends, `bot.clients.queue.memory` and `bot.clients.queue.azure`):

- **At-least-once delivery.** `receive` hides a message for `visibility_timeout_s`; the receiver
  `delete`s it when done. A receiver that dies (or is too slow) loses the message: it becomes
  visible again and another receiver gets it, with `dequeue_count` one higher. So a job may run
  more than once, and a job's *effects* must be idempotent: see
  `bot.clients.queue.runner.record_once` (a create-only marker in the `Store`) and docs/queue.md.
- **Retries with backoff.** A failed job is made visible again after a delay (`release`); after
  `max_dequeues` deliveries it is moved to the poison queue (`dead_letter`), where it stays for a
  person to look at (`poisoned`).
- **Enqueue dedupe.** `enqueue(..., dedupe_key=K)` enqueues at most one job per `K` within the
  dedupe window and returns the first job's id for the repeats (a Teams activity re-delivered
  on timeout asks for the same answer twice: one job). It does not make the *handler* run once.
- Each delivery carries a **receipt** (Azure's pop receipt) that is only valid until the message
  is visible again: `delete`/`release`/`extend` with a stale receipt raise `LostMessage` — the
  message belongs to someone else now.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

JSON = dict[str, Any]


class QueueError(Exception):
    """Base class of every queue failure."""


class QueueUnavailable(QueueError):
    """The queue service could not be reached or did not answer within the time budget."""


class LostMessage(QueueError):
    """The receipt is stale: the message was redelivered (or deleted) since we received it."""


class MalformedMessage(QueueError):
    """A message that is not a Pulse job (not base64 JSON of the expected shape)."""


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work. `id` is stable across deliveries (it is Pulse's, not the service's)."""

    id: str
    kind: str
    payload: JSON
    dedupe_key: str | None = None
    enqueued_at: datetime | None = None
    dequeue_count: int = 0
    correlation_id: str | None = None  # of the request that enqueued it, for the logs


@dataclass(frozen=True, slots=True)
class Received:
    """One delivery of a job: the job, and what it takes to delete or release this delivery."""

    job: Job
    message_id: str
    receipt: str
    visible_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PoisonedJob:
    job: Job
    reason: str
    poisoned_at: datetime | None


@runtime_checkable
class WorkQueue(Protocol):
    """A queue of `Job`s. Every call raises `QueueUnavailable` when the service is unreachable."""

    name: str

    async def enqueue(
        self, kind: str, payload: JSON, *, dedupe_key: str | None = None, delay_s: float = 0
    ) -> str:
        """Add a job (visible after `delay_s`) and return its id. With `dedupe_key`, a repeat
        within the dedupe window adds nothing and returns the first job's id."""

    async def receive(
        self, *, visibility_timeout_s: float, max_messages: int = 1
    ) -> builtins.list[Received]:
        """Up to `max_messages` visible jobs, each hidden for `visibility_timeout_s` seconds.
        Empty when none is visible. Never blocks waiting for one."""

    async def delete(self, received: Received) -> None:
        """The job is done: remove it for good. `LostMessage` if the receipt is stale."""

    async def release(self, received: Received, *, delay_s: float) -> Received:
        """Give the job back: visible again after `delay_s` (0: at once). Returns the new
        delivery handle (a new receipt). `LostMessage` if the receipt is stale."""

    async def extend(self, received: Received, *, visibility_timeout_s: float) -> Received:
        """Keep a long job hidden `visibility_timeout_s` more seconds (a new receipt)."""

    async def dead_letter(self, received: Received, *, reason: str) -> None:
        """Move the job to the poison queue (with `reason`) and remove it from this one."""

    async def poisoned(self, *, limit: int = 32) -> builtins.list[PoisonedJob]:
        """Up to `limit` jobs of the poison queue, oldest first, without removing them."""

    async def approximate_length(self) -> int:
        """About how many jobs wait (visible or not): what the autoscaler sees."""

    async def ping(self) -> None:
        """Raise `QueueUnavailable` unless the service answers (readiness)."""

    async def close(self) -> None:
        """Release connections."""
