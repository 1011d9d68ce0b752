"""The root dialog: one turn of the user's words routed to the right capability."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from bot.i18n import language_of, t
from bot.teams.cards import card_activity, help_card
from dialogs.interruptions import CancelAndHelpDialog, is_cancel, is_help


class MainDialog(CancelAndHelpDialog):
    def __init__(self) -> None:
        super().__init__(MainDialog.__name__)
        self.add_dialog(WaterfallDialog("main", [self.route_step]))
        self.initial_dialog_id = "main"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        lang = language_of(activity.locale)
        text = activity.text or ""
        if is_help(text):
            await step.context.send_activity(card_activity(help_card(lang)))
        elif is_cancel(text):
            await step.context.send_activity(t(lang, "cancelled"))
        elif not text.strip():
            await step.context.send_activity(t(lang, "errors.not_understood"))
        else:
            await step.context.send_activity(t(lang, "placeholder.not_ready"))
        return await step.end_dialog()
