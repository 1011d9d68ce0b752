"""Answers through the work queue: the web instance enqueues an "answer" job, a worker builds
the answer and delivers the card with `continue_conversation`.

The turn (`QueueDispatcher`; the handler has already shown typing): the job is enqueued
(dedupe key: the activity id, so a re-delivered activity enqueues once), then "je regarde…".
No in-turn wait.

The job (`AnswerJobHandler`), run by `bot.worker` (or in the web process on the demo
`MemoryQueue`), exactly once per question as far as the Bot Connector allows:

1. the "answer-sent" marker (`effect_key(job, "answer-sent")`) says "sent": nothing to do;
2. build the card (or the failure message); the answer's button context is keyed on the job,
   so a redone job overwrites it instead of adding one;
3. *claim* the marker, create-only, as ``{"state": "sending", "at": ...}``. Another live claim
   (a second delivery of the job while the first still runs) → retry later; a claim older than
   `claim_lease_s` (its worker died) is taken over with compare-and-set;
4. send with `continue_conversation`; on failure drop the claim and raise (the queue retries
   with backoff);
5. mark "sent" (compare-and-set on the claim's ETag).

Why not `record_once` *before* sending: a worker dying between the marker and the send would
lose the answer for good (at-most-once). Why not only after: two deliveries running at once
(a worker stalled past the visibility timeout) would both send. With the claim the one window
left is a worker dying *during the send or before step 5* (logged as "claimed, sending" with no
"sent" after it): the job is redone after the lease and the card is sent twice. Under load the
send itself takes a while, so a SIGKILL does land there (the scale test sees it in about a third
of its runs, killing a worker that holds 4–8 jobs); SIGTERM does not, as `bot.worker` drains its
jobs first. The Bot Connector has no idempotency key to close it. A send that times out is
treated as failed and retried (the connector may in fact have delivered it: the same duplicate).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from botbuilder.core import BotAdapter, TurnContext

from bot.clients.queue.runner import PermanentJobError, current_job, effect_key
from bot.i18n import t
from bot.logs import correlation_id
from bot.ports.clock import Clock
from bot.ports.queue import JSON, Job, QueueError, WorkQueue
from bot.ports.store import AlreadyExists, PreconditionFailed, StorageError, Store
from bot.teams.ask import AnswerComposer, AnswerTask

logger = logging.getLogger(__name__)

ANSWER_JOB = "answer"
SENT_EFFECT = "answer-sent"


def answer_dedupe_key(task: AnswerTask) -> str | None:
    """One job per incoming activity (per conversation: activity ids are the channel's)."""
    if not task.activity_id:
        return None
    return f"answer:{task.reference.conversation.id}:{task.activity_id}"


class QueueDispatcher:
    """Answers in a worker: the turn only enqueues."""

    def __init__(self, queue: WorkQueue) -> None:
        self._queue = queue

    async def dispatch(self, turn_context: TurnContext, task: AnswerTask) -> None:
        try:
            job_id = await self._queue.enqueue(
                ANSWER_JOB, task.to_json(), dedupe_key=answer_dedupe_key(task)
            )
        except (QueueError, StorageError) as exc:
            logger.error("could not enqueue the answer: %s", exc)
            await turn_context.send_activity(
                t(task.lang, "answer.failed", ref=correlation_id.get())
            )
            return
        logger.info("answer queued as job %s (activity %s)", job_id, task.activity_id)
        await turn_context.send_activity(t(task.lang, "answer.looking"))


class AnswerInFlight(Exception):
    """Another delivery of the same job holds a live claim: retry later."""


class AnswerJobHandler:
    """The "answer" job: `async def __call__(payload)`, for a `HandlerRegistry`."""

    def __init__(
        self,
        composer: AnswerComposer,
        adapter: BotAdapter,
        app_id: str,
        store: Store,
        clock: Clock,
        *,
        worker_name: str,
        claim_lease_s: float = 60.0,
    ) -> None:
        self._composer = composer
        self._adapter = adapter
        self._app_id = app_id
        self._store = store
        self._clock = clock
        self._worker = worker_name
        self._lease_s = claim_lease_s

    async def __call__(self, payload: JSON) -> None:
        job = current_job.get()
        if job is None:
            raise PermanentJobError("the answer job runs inside a QueueWorker")
        try:
            task = AnswerTask.from_json(payload)
        except ValueError as exc:
            raise PermanentJobError(str(exc)) from exc
        key = effect_key(job, SENT_EFFECT)
        found = await self._store.read(key)
        if found is not None and found.value.get("state") == "sent":
            logger.info("answer job %s: already sent, nothing to do", job.id)
            return
        logger.info(
            "answer job %s (activity %s, delivery %d): composing",
            job.id,
            task.activity_id,
            job.dequeue_count,
        )
        context_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        activities = await self._composer.compose_or_failure(task, context_id=context_id)
        etag = await self._claim(key, job)
        if etag is None:
            logger.info("answer job %s: sent meanwhile by another delivery", job.id)
            return
        logger.info("answer job %s: claimed, sending", job.id)

        async def send(context: TurnContext) -> None:
            await context.send_activities(activities)

        try:
            await self._adapter.continue_conversation(task.reference, send, self._app_id)
        except Exception:
            logger.warning("answer job %s: delivery failed; dropping the claim", job.id)
            try:
                await self._store.delete(key, if_match=etag)
            except StorageError:
                logger.warning("answer job %s: could not drop the claim", job.id)
            raise
        try:
            await self._store.write(key, self._marker(job, "sent"), if_match=etag)
        except PreconditionFailed:
            logger.warning("answer job %s: the claim was taken over while sending", job.id)
        logger.info("answer job %s: sent", job.id)

    def _marker(self, job: Job, state: str) -> JSON:
        return {
            "state": state,
            "job_id": job.id,
            "worker": self._worker,
            "dequeue_count": job.dequeue_count,
            "at": self._clock.now().isoformat(),
        }

    async def _claim(self, key: str, job: Job) -> str | None:
        """The claim's ETag; None when the answer was sent meanwhile; `AnswerInFlight` when
        another delivery holds a live claim."""
        try:
            return await self._store.write(key, self._marker(job, "sending"), if_none_match=True)
        except AlreadyExists:
            pass
        current = await self._store.read(key)
        if current is None:  # the other delivery failed to send and dropped its claim
            raise AnswerInFlight(f"job {job.id}: claim dropped meanwhile; retrying")
        if current.value.get("state") == "sent":
            return None
        age = (self._clock.now() - _parse(current.value.get("at"))).total_seconds()
        if age < self._lease_s:
            raise AnswerInFlight(f"job {job.id}: being sent by {current.value.get('worker')}")
        logger.warning(
            "answer job %s: taking over a %.0f s old claim of %s (its worker died?)",
            job.id,
            age,
            current.value.get("worker"),
        )
        try:
            return await self._store.write(key, self._marker(job, "sending"), if_match=current.etag)
        except PreconditionFailed as exc:
            raise AnswerInFlight(f"job {job.id}: claim taken by another delivery") from exc


def _parse(value: object) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
