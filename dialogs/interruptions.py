"""Help and cancel work at every step of every dialog: handled once, here (the words are in
bot/teams/commands.py)."""

from __future__ import annotations

from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus
from botbuilder.schema import ActivityTypes

from bot.i18n import t
from bot.teams.cards import card_activity, help_card
from bot.teams.commands import command_lang, is_cancel, is_help


class CancelAndHelpDialog(ComponentDialog):
    """Base of every multi-turn dialog: `help`/`aide` shows help and resumes; `cancel` ends."""

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        result = await self.interrupt(inner_dc)
        if result is not None:
            return result
        return await super().on_continue_dialog(inner_dc)

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        activity = inner_dc.context.activity
        if activity.type != ActivityTypes.message:
            return None
        lang = command_lang(activity.text, activity.locale)
        if is_help(activity.text):
            await inner_dc.context.send_activity(card_activity(help_card(lang)))
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if is_cancel(activity.text):
            await inner_dc.context.send_activity(t(lang, "cancelled"))
            return await inner_dc.cancel_all_dialogs()
        return None
