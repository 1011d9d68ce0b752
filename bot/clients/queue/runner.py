"""Running jobs from a `WorkQueue`: the handler registry, the worker loop, and the idempotency
helper handlers use.

The loop, for each delivery:

1. a job delivered more than `max_dequeues` times (its workers kept dying) is poisoned unrun;
2. a job of a kind without a handler is poisoned unrun;
3. the handler runs with the job in `current_job` and its correlation id in the logs, inside a
   span; a heartbeat keeps the job hidden while it runs (every third of the visibility timeout);
4. success → delete; `PermanentJobError` → poison at once; any other error → visible again
   after an exponential backoff, or poisoned when that was the last allowed delivery.

`stop()` stops receiving; jobs in hand finish (up to `drain_timeout_s`, then they are cancelled
and handed back at once, so another worker takes them without waiting for the visibility
timeout).

Delivery is at-least-once: a worker killed mid-job leaves the job to be redone by another. A
handler makes its effects idempotent by keying each on the job (`effect_key`) and guarding it
with `record_once` (a create-only marker in the `Store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.clients.queue._common import backoff_delay, check_kind
from bot.logs import correlation_id
from bot.ports.queue import JSON, Job, LostMessage, QueueError, Received, WorkQueue
from bot.ports.store import AlreadyExists, Store
from bot.telemetry import job_span, record_job

logger = logging.getLogger(__name__)

Handler = Callable[[JSON], Awaitable[None]]

current_job: ContextVar[Job | None] = ContextVar("current_job", default=None)


class PermanentJobError(Exception):
    """Raised by a handler for a job that can never succeed: poisoned at once, not retried."""


class HandlerRegistry:
    """Job kind → `async def handler(payload) -> None`."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register_handler(self, kind: str, handler: Handler) -> None:
        check_kind(kind)
        if kind in self._handlers:
            raise ValueError(f"a handler is already registered for {kind!r}")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    visibility_timeout_s: float = 60.0
    max_dequeues: int = 5
    retry_base_s: float = 5.0
    retry_max_s: float = 300.0
    concurrency: int = 4
    poll_min_s: float = 0.2
    poll_max_s: float = 5.0
    drain_timeout_s: float = 25.0  # below Container Apps' 30 s termination grace period

    def __post_init__(self) -> None:
        if self.visibility_timeout_s < 1:
            raise ValueError("visibility_timeout_s must be at least 1 second")
        if self.max_dequeues < 1 or self.concurrency < 1:
            raise ValueError("max_dequeues and concurrency must be at least 1")


@dataclass
class WorkerStats:
    done: int = 0
    retried: int = 0
    poisoned: int = 0
    lost: int = 0
    receive_errors: int = 0
    last_receive_ok: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)


class QueueWorker:
    def __init__(
        self,
        queue: WorkQueue,
        registry: HandlerRegistry,
        options: WorkerOptions | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.queue = queue
        self.registry = registry
        self.options = options or WorkerOptions()
        self.name = name or f"worker-{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        self._stopping = asyncio.Event()
        self._in_hand: set[asyncio.Task[str]] = set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Stop receiving; jobs in hand finish (see `drain_timeout_s`)."""
        if not self._stopping.is_set():
            logger.info("%s: stopping: no new jobs, finishing %d", self.name, len(self._in_hand))
        self._stopping.set()

    async def run(self) -> None:
        """Receive and run jobs until `stop()`, then drain."""
        loops = [
            asyncio.create_task(self._loop(i), name=f"{self.name}-{i}")
            for i in range(self.options.concurrency)
        ]
        await self._stopping.wait()
        done, pending = await asyncio.wait(loops, timeout=self.options.drain_timeout_s)
        if pending:
            logger.warning(
                "%s: %d job(s) still running after the drain time: cancelled",
                self.name,
                len(self._in_hand),
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                logger.error("%s: a loop failed", self.name, exc_info=task.exception())

    async def _loop(self, index: int) -> None:
        idle = self.options.poll_min_s
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
            except QueueError as exc:
                self.stats.receive_errors += 1
                logger.warning("%s: cannot receive: %s", self.name, exc)
                handled = False
            if handled:
                idle = self.options.poll_min_s
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=idle)
            idle = min(self.options.poll_max_s, idle * 2)

    async def run_once(self) -> bool:
        """Receive at most one job and run it; False when none was waiting."""
        batch = await self.queue.receive(visibility_timeout_s=self.options.visibility_timeout_s)
        self.stats.last_receive_ok = time.monotonic()
        if not batch:
            return False
        task = asyncio.create_task(self.process(batch[0]))
        self._in_hand.add(task)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise
        finally:
            self._in_hand.discard(task)
        return True

    async def process(self, received: Received) -> str:
        """Run one delivery; returns the outcome: done, retry, poisoned or lost."""
        job = received.job
        token = correlation_id.set(job.correlation_id or f"job-{job.id[:12]}")
        started = time.monotonic()
        outcome = "lost"
        try:
            outcome = await self._process(received)
            return outcome
        finally:
            record_job(job.kind, outcome, time.monotonic() - started)
            self.stats.outcomes[outcome] = self.stats.outcomes.get(outcome, 0) + 1
            correlation_id.reset(token)

    async def _process(self, received: Received) -> str:
        job = received.job
        opts = self.options
        if job.dequeue_count > opts.max_dequeues:
            return await self._poison(
                received, f"delivered {job.dequeue_count} times without completing"
            )
        handler = self.registry.get(job.kind)
        if handler is None:
            return await self._poison(received, f"no handler for job kind {job.kind!r}")
        holder = [received]
        heartbeat = asyncio.create_task(self._heartbeat(holder))
        job_token = current_job.set(job)
        try:
            with job_span(job.kind, job.id, job.dequeue_count):
                try:
                    await handler(job.payload)
                finally:
                    heartbeat.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await heartbeat
        except asyncio.CancelledError:
            # Shut down mid-job: hand it back at once rather than after the visibility timeout.
            with contextlib.suppress(QueueError):
                await asyncio.shield(self.queue.release(holder[0], delay_s=0))
            raise
        except PermanentJobError as exc:
            return await self._poison(holder[0], f"permanent failure: {exc}")
        except Exception as exc:
            if job.dequeue_count >= opts.max_dequeues:
                logger.exception(
                    "%s: job %s (%s) failed, last attempt", self.name, job.id, job.kind
                )
                return await self._poison(
                    holder[0], f"failed {job.dequeue_count} times; last: {exc!r}"
                )
            delay = backoff_delay(job.dequeue_count, opts.retry_base_s, opts.retry_max_s)
            logger.warning(
                "%s: job %s (%s) failed (attempt %d/%d), retry in %gs: %r",
                self.name,
                job.id,
                job.kind,
                job.dequeue_count,
                opts.max_dequeues,
                delay,
                exc,
            )
            try:
                await self.queue.release(holder[0], delay_s=delay)
            except LostMessage:
                self.stats.lost += 1
                return "lost"
            self.stats.retried += 1
            return "retry"
        finally:
            current_job.reset(job_token)
        try:
            await self.queue.delete(holder[0])
        except LostMessage:
            # Too slow: the job was redelivered meanwhile. Its effects are idempotent, so the
            # other run will find them done.
            logger.warning("%s: job %s finished after its receipt lapsed", self.name, job.id)
            self.stats.lost += 1
            return "lost"
        self.stats.done += 1
        return "done"

    async def _poison(self, received: Received, reason: str) -> str:
        logger.error(
            "%s: job %s (%s) poisoned: %s", self.name, received.job.id, received.job.kind, reason
        )
        try:
            await self.queue.dead_letter(received, reason=reason)
        except LostMessage:
            self.stats.lost += 1
            return "lost"
        self.stats.poisoned += 1
        return "poisoned"

    async def _heartbeat(self, holder: list[Received]) -> None:
        period = max(0.5, self.options.visibility_timeout_s / 3)
        while True:
            await asyncio.sleep(period)
            try:
                holder[0] = await self.queue.extend(
                    holder[0], visibility_timeout_s=self.options.visibility_timeout_s
                )
            except LostMessage:
                logger.warning(
                    "%s: job %s: lost its receipt while running", self.name, holder[0].job.id
                )
                return
            except QueueError as exc:
                logger.warning("%s: job %s: heartbeat failed: %s", self.name, holder[0].job.id, exc)


# -- idempotent effects ----------------------------------------------------------------------


def effect_key(job: Job, effect: str) -> str:
    """The store key of one effect of one job: the same for every delivery of the job, and for
    every job enqueued with the same dedupe key."""
    basis = f"dedupe:{job.dedupe_key}" if job.dedupe_key else f"job:{job.id}"
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]
    check_kind(effect)
    return f"jobs/effects/{effect}/{digest}"


async def record_once(store: Store, key: str, value: JSON) -> bool:
    """Write `value` at `key` only if nothing is there: True if this call wrote it.

    The exactly-once pattern for an effect that *is* a store write (a result, a draft, an audit
    entry): make the write create-only, keyed on the job. For an effect outside the store (a
    Teams message, an X post), record the marker right after the effect succeeds and check it
    before: a crash between the two repeats the effect once — use the receiver's own
    idempotency (e.g. the activity id) where it has one.
    """
    try:
        await store.write(key, value, if_none_match=True)
    except AlreadyExists:
        return False
    return True
