"""What the root dialog does with a message: understand it, then hand it to the capability.

Follow-ups ("et hier ?", "why?") need the previous understanding: it is kept in the
conversation state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botbuilder.core import StatePropertyAccessor, TurnContext
from botbuilder.dialogs import DialogTurnResult, WaterfallStepContext

from bot.ports.language import Intent, Period, Understanding

Understand = Callable[[str, str, Understanding | None, str | None], Awaitable[Understanding]]
"""(text, lang, previous understanding, tenant id) -> what the question asks."""
IntentHandler = Callable[
    [WaterfallStepContext, Understanding, str], Awaitable[DialogTurnResult | None]
]


def understanding_to_json(u: Understanding) -> dict[str, Any]:
    data = asdict(u)
    data["intent"] = u.intent.value
    data["period"] = u.period.value
    data["alternatives"] = [a.value for a in u.alternatives]
    return data


def understanding_from_json(data: dict[str, Any] | None) -> Understanding | None:
    if not data:
        return None
    try:
        return Understanding(
            **{
                **data,
                "intent": Intent(data["intent"]),
                "period": Period(data["period"]),
                "alternatives": tuple(Intent(a) for a in data.get("alternatives") or ()),
            }
        )
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class Routes:
    understand: Understand
    last_understanding: StatePropertyAccessor
    handlers: dict[Intent, IntentHandler] = field(default_factory=dict)

    def on(self, intent: Intent, handler: IntentHandler) -> None:
        self.handlers[intent] = handler

    async def previous(self, context: TurnContext) -> Understanding | None:
        return understanding_from_json(await self.last_understanding.get(context, None))

    async def remember(self, context: TurnContext, understanding: Understanding) -> None:
        await self.last_understanding.set(context, understanding_to_json(understanding))
