"""The activity handler: thin. It welcomes new members, runs the root dialog for messages, and
saves the turn's state."""

from __future__ import annotations

import logging

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import Dialog, DialogExtensions
from botbuilder.schema import ChannelAccount

from bot.i18n import language_of
from bot.teams.cards import card_activity, welcome_card

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
    ) -> None:
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._dialog = dialog
        self._dialog_state = conversation_state.create_property("DialogState")
        self._welcomed = conversation_state.create_property("Welcomed")
        self._company = company
        self._demo = demo

    async def on_turn(self, turn_context: TurnContext) -> None:
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
        await DialogExtensions.run_dialog(self._dialog, turn_context, self._dialog_state)
