"""Help and cancel work at every step of every dialog: handled once, here."""

from __future__ import annotations

import re
import unicodedata

from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus
from botbuilder.schema import ActivityTypes

from bot.i18n import language_of, t
from bot.teams.activity import strip_mentions
from bot.teams.cards import card_activity, help_card

HELP_WORDS = {"help", "aide", "?", "menu", "commands", "commandes", "/help", "/aide"}
CANCEL_WORDS = {
    "cancel",
    "annuler",
    "annule",
    "stop",
    "quit",
    "quitter",
    "arrête",
    "arrete",
    "/cancel",
}


def command_of(text: str | None) -> str:
    """The user's text as a bare command word: lower case, no mention markup, no punctuation."""
    if not text:
        return ""
    text = strip_mentions(text)  # Teams mentions of the bot in channels
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = re.sub(r"[\s!.]+$", "", text)
    return text


_FRENCH_WORDS = {"aide", "/aide", "commandes", "annuler", "annule", "arrête", "arrete", "quitter"}
_ENGLISH_WORDS = {"help", "/help", "commands", "cancel", "/cancel", "quit"}


def command_lang(text: str | None, locale: str | None) -> str:
    """The language to answer a message in before it is understood: a command word's own
    language ("aide" is French whatever the client's locale), else the client's locale."""
    word = command_of(text)
    if word in _FRENCH_WORDS:
        return "fr"
    if word in _ENGLISH_WORDS:
        return "en"
    return language_of(locale)


def is_help(text: str | None) -> bool:
    return command_of(text) in HELP_WORDS


def is_cancel(text: str | None) -> bool:
    return command_of(text) in CANCEL_WORDS


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
