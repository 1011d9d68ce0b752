"""The activity handler: thin. It welcomes new members, runs the root dialog for messages, and
saves the turn's state."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import Dialog, DialogExtensions
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, InvokeResponse

from bot.i18n import language_of
from bot.teams.actions import ActionResult, CardActionRouter, RoleResolver, actor_of
from bot.teams.cards import card_activity, welcome_card
from bot.teams.commands import is_cancel, is_help

TurnHook = Callable[[TurnContext], Awaitable[None]]
# A command answered before the root dialog (e.g. the approvals' "decisions"); True: handled.
MessageCommand = Callable[[TurnContext], Awaitable[bool]]


def is_instant(text: str | None) -> bool:
    """Answered at once from memory (help, cancel): no typing indicator needed."""
    return not (text or "").strip() or is_help(text) or is_cancel(text)


async def no_roles(activity: Activity) -> frozenset[str]:
    return frozenset()


logger = logging.getLogger(__name__)


class PulseBot(TeamsActivityHandler):
    def __init__(
        self,
        *,
        conversation_state: ConversationState,
        user_state: UserState,
        dialog: Dialog,
        company: str,
        demo: bool,
        actions: CardActionRouter | None = None,
        roles: RoleResolver = no_roles,
        on_every_turn: list[TurnHook] | None = None,
        commands: list[MessageCommand] | None = None,
    ) -> None:
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._dialog = dialog
        self._dialog_state = conversation_state.create_property("DialogState")
        self._welcomed = conversation_state.create_property("Welcomed")
        self._company = company
        self._demo = demo
        self.actions = actions or CardActionRouter()
        self._roles = roles
        self._hooks = list(on_every_turn or [])
        self._commands = list(commands or [])

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.type == ActivityTypes.message and not is_instant(activity.text):
            # The first visible reaction, before any storage or analysis work.
            await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        for hook in self._hooks:  # e.g. remember the conversation reference for proactive messages
            await hook(turn_context)
        await super().on_turn(turn_context)
        await self._conversation_state.save_changes(turn_context)
        await self._user_state.save_changes(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        # Personal installs add the bot; team/group installs add the bot, then people: welcome the
        # conversation once either way.
        if await self._welcomed.get(turn_context, False):
            return
        lang = language_of(turn_context.activity.locale)
        await turn_context.send_activity(
            card_activity(welcome_card(lang, self._company, self._demo))
        )
        await self._welcomed.set(turn_context, True)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        for command in self._commands:
            if await command(turn_context):
                return
        value = turn_context.activity.value
        if isinstance(value, dict) and self.actions.handles(value.get("verb")):
            # Action.Submit fallback of a card action.
            actor = actor_of(turn_context.activity, await self._roles(turn_context.activity))
            await self.actions.submit_fallback(turn_context, actor, str(value["verb"]), value)
            return
        await DialogExtensions.run_dialog(self._dialog, turn_context, self._dialog_state)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            response: InvokeResponse = await super().on_invoke_activity(turn_context)
            return response
        value: Any = activity.value if isinstance(activity.value, dict) else {}
        action: dict[str, Any] = (
            value.get("action") if isinstance(value.get("action"), dict) else {}
        )
        verb = action.get("verb")
        data: dict[str, Any] = action["data"] if isinstance(action.get("data"), dict) else {}
        if not isinstance(verb, str) or not self.actions.handles(verb):
            return CardActionRouter.invoke_response(
                ActionResult(status=400, message="unknown action")
            )
        actor = actor_of(activity, await self._roles(activity))
        result = await self.actions.execute(turn_context, actor, verb, data)
        return CardActionRouter.invoke_response(result)
