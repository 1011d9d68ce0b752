"""The root dialog: one turn of the user's words routed to the right capability."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botbuilder.dialogs import Dialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext

from bot.i18n import t
from bot.ports.language import Understanding
from bot.teams.actions import actor_of
from bot.teams.cards import card_activity, help_card
from bot.teams.clarify import as_reading, clarify_choice
from bot.teams.commands import command_lang, is_cancel, is_help
from bot.teams.routes import Routes, understanding_from_json, understanding_to_json
from dialogs.drafting_dialog import DRAFTING_DIALOG_ID, DraftHandBack, draft_command
from dialogs.interruptions import CancelAndHelpDialog
from dialogs.tour_dialog import (
    TOUR_DIALOG_ID,
    TourResult,
    handed_back,
    tour_command,
    tour_lang,
)

logger = logging.getLogger(__name__)


# Explicit commands recognised before intent classification: (matches(text), run(step, text)).
Command = tuple[Callable[[str], bool], Callable[[WaterfallStepContext, str], Awaitable[None]]]
# A button of a card whose flow has ended (Action.Submit value, no text): answers it and says
# True, or False when the value is not its own.
CardValues = Callable[[WaterfallStepContext, dict[str, Any]], Awaitable[bool]]


class MainDialog(CancelAndHelpDialog):
    def __init__(
        self,
        routes: Routes | None = None,
        dialogs: Sequence[Dialog] = (),
        commands: Sequence[Command] = (),
        card_values: CardValues | None = None,
    ) -> None:
        super().__init__(MainDialog.__name__)
        self._routes = routes
        self._commands = list(commands)
        self._card_values = card_values
        for dialog in dialogs:  # the multi-turn flows a route may begin (drafting, ...)
            self.add_dialog(dialog)
        self.add_dialog(WaterfallDialog("main", [self.route_step, self.after_step]))
        self.initial_dialog_id = "main"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        text = (activity.text or "").strip()
        # A command word says its language ("aide" from an en-US client is French).
        lang = command_lang(text, activity.locale)
        if is_help(text):
            await step.context.send_activity(card_activity(help_card(lang)))
            return await step.end_dialog()
        if is_cancel(text):
            await step.context.send_activity(t(lang, "cancelled"))
            return await step.end_dialog()
        command = tour_command(text, activity.value)
        if command is not None and await self.find_dialog(TOUR_DIALOG_ID):
            ui = tour_lang(text)  # "faire la visite" from an en-US client: the tour in French
            return await step.begin_dialog(TOUR_DIALOG_ID, {"command": command, "ui": ui})
        said_in = draft_command(text)
        if said_in is not None and await self.find_dialog(DRAFTING_DIALOG_ID):
            return await step.begin_dialog(DRAFTING_DIALOG_ID, {"resume": True, "ui": said_in})
        choice = clarify_choice(activity.value) if not text else None
        if choice is not None and self._routes is not None:
            # A "Did you mean…" button: the original question, answered as the chosen reading.
            intent, question = choice
            tenant = actor_of(activity).tenant_id
            read = await self._routes.understand(question, lang, None, tenant)
            return await self._answer(step, as_reading(read, intent), question)
        value = activity.value
        stale = not text and isinstance(value, dict) and self._card_values is not None
        if stale and self._card_values is not None and await self._card_values(step, value):
            return await step.end_dialog()
        if not text or self._routes is None:
            await step.context.send_activity(t(lang, "errors.not_understood"))
            return await step.end_dialog()
        for matches, run in self._commands:
            if matches(text):
                await run(step, text)
                return await step.end_dialog()
        options = step.options if isinstance(step.options, dict) else {}
        already = understanding_from_json(options.get("read"))
        if already is not None:  # this message, read by the drafting dialog that let it go
            return await self._answer(step, already, text)
        previous = await self._routes.previous(step.context)
        tenant = actor_of(activity).tenant_id
        understanding = await self._routes.understand(text, lang, previous, tenant)
        return await self._answer(step, understanding, text)

    async def _answer(
        self, step: WaterfallStepContext, understanding: Understanding, text: str
    ) -> DialogTurnResult:
        assert self._routes is not None
        await self._routes.remember(step.context, understanding)
        logger.info(
            "intent %s (confidence %.2f, follow-up %s, reason %s)",
            understanding.intent.value,
            understanding.confidence,
            understanding.follow_up,
            understanding.reason,
        )
        handler = self._routes.handlers.get(understanding.intent)
        if handler is None:
            await step.context.send_activity(t(understanding.lang, "errors.not_understood"))
            return await step.end_dialog()
        result = await handler(step, understanding, text)
        return result if result is not None else await step.end_dialog()

    async def after_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        # The tour or the drafting dialog ended on the user's message (a new question): route it
        # now, as the current activity's own text.
        clicked = isinstance(step.result, TourResult) and clarify_choice(
            step.context.activity.value
        )
        if isinstance(step.result, DraftHandBack) and step.result.read is not None:
            return await step.replace_dialog(
                "main", {"read": understanding_to_json(step.result.read)}
            )
        if handed_back(step.result) or isinstance(step.result, DraftHandBack) or clicked:
            return await step.replace_dialog("main")
        return await step.end_dialog(step.result)
