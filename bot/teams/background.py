"""Fast in Teams: acknowledge at once, answer in the turn when quick, otherwise as a follow-up.

Teams re-delivers an activity when the bot has not answered within ~15 s. A slow answer runs as a
background task; if it is not ready within the in-turn budget (default 3 s) the user gets an
immediate "looking into it…" and the answer arrives later through `continue_conversation`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.logs import correlation_id

logger = logging.getLogger(__name__)

Work = Callable[[], Awaitable[list[Activity]]]
OnFailure = Callable[[BaseException], list[Activity]]


class BackgroundReplies:
    def __init__(self, adapter: BotAdapter, app_id: str, in_turn_budget_s: float = 3.0) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._budget = in_turn_budget_s
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def reply(
        self, turn_context: TurnContext, work: Work, *, ack: Activity | str, on_failure: OnFailure
    ) -> bool:
        """Run `work`; send its activities in this turn if ready within the budget (returns
        True), else send `ack` now and the activities later (returns False)."""
        task = asyncio.ensure_future(work())  # the handler has already shown typing
        done, _ = await asyncio.wait({task}, timeout=self._budget)
        if done:
            try:
                activities = task.result()
            except Exception as exc:
                logger.exception("answer failed in the turn")
                activities = on_failure(exc)
            await turn_context.send_activities(activities)
            return True

        await turn_context.send_activity(ack)
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        follow_up = asyncio.ensure_future(
            self._deliver_later(task, reference, on_failure, correlation_id.get())
        )
        self._tasks.add(follow_up)
        follow_up.add_done_callback(self._tasks.discard)
        return False

    async def _deliver_later(
        self,
        task: asyncio.Future[list[Activity]],
        reference: ConversationReference,
        on_failure: OnFailure,
        ref: str,
    ) -> None:
        correlation_id.set(ref)
        try:
            activities = await task
        except Exception as exc:
            logger.exception("answer failed in the background")
            activities = on_failure(exc)

        async def send(context: TurnContext) -> None:
            await context.send_activities(activities)

        try:
            await self._adapter.continue_conversation(reference, send, self._app_id)
        except Exception:
            logger.exception("could not deliver a follow-up answer")

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for follow-ups still running (on shutdown, and in tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
