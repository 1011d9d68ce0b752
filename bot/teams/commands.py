"""The command words every turn recognises before understanding a message — help and cancel,
in French and English — and the language they are in. Read by the activity handler (no typing
indicator for them) and by the dialogs' interruptions (dialogs/interruptions.py)."""

from __future__ import annotations

import re

from bot.domain.text import nfc_lower
from bot.i18n import language_of
from bot.teams.activity import strip_mentions

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
    text = nfc_lower(text).strip()
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
