"""Proactive delivery to Teams: `adapter.continue_conversation`, failures sorted, bounded retries.

How botbuilder 4.17.1 surfaces connector errors: `ConnectorClient` (msrest, `requests` in a
thread pool) raises `botbuilder.schema.ErrorResponseException`, a
`msrest.exceptions.HttpOperationError` whose `.response` is the `requests.Response` (status
code, headers such as `Retry-After`). Two SDK behaviours are neutralised here:

- msrest's default retry policy (urllib3 `Retry`: 3 retries of every 5xx and 408, back-off
  0.8 s × 2ⁿ, and `Retry-After` obeyed for 429/503 — sleeping in the worker thread for as long as
  the server asks) is replaced on the turn's connector client by one that never retries, so that
  *we* decide, with tenacity: bounded attempts, a capped `Retry-After`, and a per-attempt time
  budget;
- an exception inside a proactive turn goes to the adapter's `on_turn_error`, which would try to
  send an error message into the very conversation that failed: the callback catches and keeps
  the exception instead.

Outcomes: 403 (blocked, bot removed) and 404 (conversation gone) → the reference is deactivated,
never retried; 429 and 5xx/408/timeouts/connection errors → retried with back-off honouring
`Retry-After` (seconds or HTTP date, capped) up to `max_attempts`, then FAILED; other 4xx →
FAILED at once. A reference that is missing, inactive or whose serviceUrl is not allowed is
SKIPPED before any token leaves (`ReferenceStore.usable`; `GuardedConnectorFactory` checks the
host again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference
from botframework.connector import ConnectorClient
from msrest.exceptions import HttpOperationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from bot.ports.store import JSON
from bot.services.briefings import DeliveryOutcome, DeliveryStatus
from bot.teams.cards import card_activity
from bot.teams.guards import ServiceUrlNotAllowed
from bot.teams.references import ReferenceStore, StoredReference

logger = logging.getLogger(__name__)

GONE = frozenset({403, 404})
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_backoff_s: float = 1.0
    max_backoff_s: float = 60.0  # also the cap of an honoured Retry-After
    timeout_s: float = 20.0  # per attempt


def retry_after_seconds(headers: Any, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: an integer, or an HTTP date."""
    if headers is None:
        return None
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if not value:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _status_of(exc: HttpOperationError) -> int | None:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _retryable(exc: BaseException) -> bool:
    """429, 5xx, 408, timeouts and connection errors are tried again; 403/404, other 4xx and a
    service URL that is not allowed are not."""
    if isinstance(exc, ServiceUrlNotAllowed):
        return False
    if isinstance(exc, HttpOperationError):
        return _status_of(exc) in RETRYABLE
    return isinstance(exc, Exception)


def _log_retry(state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome is not None else None
    reason = (
        f"http_{_status_of(failure)}"
        if isinstance(failure, HttpOperationError)
        else type(failure).__name__
    )
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.info(
        "delivery attempt %d failed (%s); retrying in %.1fs", state.attempt_number, reason, wait
    )


def _sdk_retries_off(turn_context: TurnContext, timeout_s: float) -> None:
    """The turn's connector client (a new one per proactive turn) makes no retries of its own
    (msrest's public `retry_policy.retries`), so that only our attempts count and an HTTP error
    comes back as one; each attempt has our timeout."""
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if not isinstance(client, ConnectorClient):
        return
    client.config.retry_policy.retries = False  # no retry; responses returned as they are
    client.config.connection.timeout = timeout_s


def proactive_reference(ref: StoredReference) -> ConversationReference:
    """A copy fit for a new message: no reply-to id (a channel gets a new post, not a reply in an
    old thread), and a channel thread id reduced to the channel."""
    raw = ref.reference.serialize()
    copy: ConversationReference = ConversationReference().deserialize(raw)
    copy.activity_id = None
    if (
        copy.conversation is not None
        and ref.conversation_type == "channel"
        and copy.conversation.id
    ):
        copy.conversation.id = str(copy.conversation.id).split(";messageid=")[0]
    return copy


class TeamsDelivery:
    """Implements `bot.services.briefings.Deliverer` over the CloudAdapter."""

    def __init__(
        self,
        adapter: Any,
        app_id: str,
        references: ReferenceStore,
        *,
        policy: RetryPolicy | None = None,
        concurrency: int = 20,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._references = references
        self.policy = policy or RetryPolicy()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._sleep = sleep

    async def send(self, ref_key: str, card: JSON) -> DeliveryOutcome:
        return await self._deliver(ref_key, card, None)

    async def update(self, ref_key: str, activity_id: str, card: JSON) -> DeliveryOutcome:
        return await self._deliver(ref_key, card, activity_id)

    async def fan_out(self, jobs: Sequence[tuple[str, JSON]]) -> list[DeliveryOutcome]:
        """Send many cards at once; one recipient's failure or slowness never holds the others
        beyond the concurrency bound (each attempt has its own time budget)."""
        return list(await asyncio.gather(*(self.send(k, c) for k, c in jobs)))

    async def _deliver(self, ref_key: str, card: JSON, activity_id: str | None) -> DeliveryOutcome:
        ref = await self._references.get(ref_key)
        if ref is None or not self._references.usable(ref):
            reason = "no_reference" if ref is None else "unusable_reference"
            return DeliveryOutcome(ref_key, DeliveryStatus.SKIPPED, reason=reason)
        p = self.policy
        attempts = 0
        sent_id: str | None = None
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(p.max_attempts),
                wait=self._wait,
                retry=retry_if_exception(_retryable),
                sleep=self._sleep,
                before_sleep=_log_retry,
                reraise=True,
            ):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    async with self._semaphore:
                        sent_id = await asyncio.wait_for(
                            self._attempt(ref, card, activity_id), p.timeout_s
                        )
        except ServiceUrlNotAllowed:
            return DeliveryOutcome(
                ref_key, DeliveryStatus.SKIPPED, attempts=attempts, reason="service_url_not_allowed"
            )
        except HttpOperationError as exc:
            status = _status_of(exc)
            if status in GONE:
                why = "blocked_or_removed" if status == 403 else "not_found"
                await self._references.deactivate(ref_key, why)
                logger.info("delivery: %s, reference deactivated", why)
                return DeliveryOutcome(
                    ref_key, DeliveryStatus.GONE, attempts=attempts, http_status=status, reason=why
                )
            if status not in RETRYABLE:
                logger.warning("delivery refused with HTTP %s: not retried", status)
            else:
                logger.warning("delivery given up after %d attempts (http_%s)", attempts, status)
            return DeliveryOutcome(
                ref_key,
                DeliveryStatus.FAILED,
                attempts=attempts,
                http_status=status,
                reason=f"http_{status}",
            )
        except Exception as exc:  # timeouts, OSError, requests' ConnectionError and the like
            reason = type(exc).__name__
            logger.warning("delivery given up after %d attempts (%s)", attempts, reason)
            return DeliveryOutcome(ref_key, DeliveryStatus.FAILED, attempts=attempts, reason=reason)
        return DeliveryOutcome(ref_key, DeliveryStatus.SENT, sent_id or activity_id, attempts, 200)

    def _wait(self, state: RetryCallState) -> float:
        """Before the next attempt: the server's `Retry-After` if it gave one, else exponential
        back-off with jitter; capped either way."""
        p = self.policy
        failure = state.outcome.exception() if state.outcome is not None else None
        wait = None
        if isinstance(failure, HttpOperationError):
            wait = retry_after_seconds(getattr(failure.response, "headers", None))
        if wait is None:
            backoff = wait_exponential_jitter(
                initial=p.base_backoff_s, max=p.max_backoff_s, jitter=p.base_backoff_s / 2
            )
            wait = backoff(state)
        return min(wait, p.max_backoff_s)

    async def _attempt(
        self, ref: StoredReference, card: JSON, activity_id: str | None
    ) -> str | None:
        result: dict[str, Any] = {}
        timeout_s = self.policy.timeout_s

        async def callback(turn_context: TurnContext) -> None:
            _sdk_retries_off(turn_context, timeout_s)
            # The continuation activity carries a made-up id that the SDK would turn into a
            # replyToId: a new message, not a reply (in a channel: a new post).
            turn_context.activity.id = None
            activity: Activity = card_activity(card)
            try:
                if activity_id is None:
                    response = await turn_context.send_activity(activity)
                    result["id"] = getattr(response, "id", None)
                else:
                    activity.id = activity_id
                    await turn_context.update_activity(activity)
                    result["id"] = activity_id
            except Exception as exc:  # kept, so that on_turn_error does not write to the user
                result["error"] = exc

        await self._adapter.continue_conversation(proactive_reference(ref), callback, self._app_id)
        if "error" in result:
            raise result["error"]
        sent: str | None = result.get("id")
        return sent
