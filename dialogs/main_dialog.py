"""The root dialog: one turn of the user's words routed to the right capability."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from botbuilder.dialogs import Dialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from bot.i18n import language_of, t
from bot.teams.cards import card_activity, help_card
from bot.teams.routes import Routes
from dialogs.interruptions import CancelAndHelpDialog, is_cancel, is_help

logger = logging.getLogger(__name__)


class MainDialog(CancelAndHelpDialog):
    def __init__(self, routes: Routes | None = None, dialogs: Sequence[Dialog] = ()) -> None:
        super().__init__(MainDialog.__name__)
        self._routes = routes
        for dialog in dialogs:  # the multi-turn flows a route may begin (drafting, ...)
            self.add_dialog(dialog)
        self.add_dialog(WaterfallDialog("main", [self.route_step]))
        self.initial_dialog_id = "main"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        lang = language_of(activity.locale)
        text = (activity.text or "").strip()
        if is_help(text):
            await step.context.send_activity(card_activity(help_card(lang)))
            return await step.end_dialog()
        if is_cancel(text):
            await step.context.send_activity(t(lang, "cancelled"))
            return await step.end_dialog()
        if not text or self._routes is None:
            await step.context.send_activity(t(lang, "errors.not_understood"))
            return await step.end_dialog()
        previous = await self._routes.previous(step.context)
        understanding = await self._routes.understand(text, lang, previous)
        await self._routes.remember(step.context, understanding)
        logger.info(
            "intent %s (confidence %.2f, follow-up %s)",
            understanding.intent.value,
            understanding.confidence,
            understanding.follow_up,
        )
        handler = self._routes.handlers.get(understanding.intent)
        if handler is None:
            await step.context.send_activity(t(understanding.lang, "errors.not_understood"))
            return await step.end_dialog()
        result = await handler(step, understanding, text)
        return result if result is not None else await step.end_dialog()
