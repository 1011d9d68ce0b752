"""Card actions routed by an explicit verb (`draft.approve`, ...).

Universal Actions (`Action.Execute` → invoke `adaptiveCard/action`) are the primary path; the
handler's return value becomes the refreshed card. `Action.Submit` (a message whose `value`
holds the verb) is the fallback for clients without Universal Actions: the same handler runs
and the original message is updated with the returned card.

Who acts is always read from the activity (`from.aadObjectId`), never from card data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import CardFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, InvokeResponse

from bot.i18n import language_of
from bot.teams.activity import tenant_of

logger = logging.getLogger(__name__)

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an activity, as Teams vouches for them."""

    aad_object_id: str | None
    user_id: str
    name: str
    tenant_id: str | None
    lang: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return self.aad_object_id or self.user_id


def actor_of(activity: Activity, roles: frozenset[str] = frozenset()) -> Actor:
    sender = activity.from_property
    return Actor(
        aad_object_id=getattr(sender, "aad_object_id", None) if sender else None,
        user_id=sender.id if sender else "",
        name=(sender.name or "") if sender else "",
        tenant_id=tenant_of(activity),
        lang=language_of(activity.locale),
        roles=roles,
    )


@dataclass(frozen=True, slots=True)
class ActionResult:
    """A card to show in place of the one clicked, or a short message."""

    card: dict[str, Any] | None = None
    message: str | None = None
    status: int = 200


ActionHandler = Callable[[TurnContext, Actor, dict[str, Any]], Awaitable[ActionResult]]
RoleResolver = Callable[[Activity], Awaitable[frozenset[str]]]


class CardActionRouter:
    def __init__(self) -> None:
        self._handlers: dict[str, ActionHandler] = {}

    def register(self, verb: str, handler: ActionHandler) -> None:
        """Route `verb` to `handler`; registering a verb again replaces its handler."""
        if verb in self._handlers:
            logger.info("card verb %s re-routed", verb)
        self._handlers[verb] = handler

    def handles(self, verb: str | None) -> bool:
        return verb is not None and verb in self._handlers

    async def execute(
        self, turn_context: TurnContext, actor: Actor, verb: str, data: dict[str, Any]
    ) -> ActionResult:
        handler = self._handlers.get(verb)
        if handler is None:
            logger.warning("card action with an unknown verb")
            return ActionResult(status=400, message="unknown action")
        return await handler(turn_context, actor, data)

    @staticmethod
    def invoke_response(result: ActionResult) -> InvokeResponse:
        if result.card is not None:
            body = {"statusCode": 200, "type": ADAPTIVE_CARD_CONTENT_TYPE, "value": result.card}
        elif result.status >= 400:
            body = {
                "statusCode": result.status,
                "type": "application/vnd.microsoft.error",
                "value": {"code": "BadRequest", "message": result.message or ""},
            }
        else:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": result.message or "",
            }
        return InvokeResponse(status=200, body=body)

    async def submit_fallback(
        self, turn_context: TurnContext, actor: Actor, verb: str, data: dict[str, Any]
    ) -> None:
        """`Action.Submit`: run the handler, then replace the clicked card's message."""
        result = await self.execute(turn_context, actor, verb, data)
        reply_to = turn_context.activity.reply_to_id
        if result.card is not None and reply_to:
            update = Activity(
                type=ActivityTypes.message,
                id=reply_to,
                attachments=[CardFactory.adaptive_card(result.card)],
            )
            await turn_context.update_activity(update)
        elif result.card is not None:
            await turn_context.send_activity(
                Activity(
                    type=ActivityTypes.message, attachments=[CardFactory.adaptive_card(result.card)]
                )
            )
        if result.message:
            await turn_context.send_activity(result.message)
