"""Adaptive Cards (schema 1.5, the Teams ceiling) built from the message catalogues."""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from bot.i18n import t, t_list

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

Card = dict[str, Any]


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def bullets(items: list[str]) -> dict[str, Any]:
    return text_block("\n".join(f"- {item}" for item in items))


def message_action(title: str, text: str) -> dict[str, Any]:
    """A button that sends `text` as if the user had typed it (imBack), for example questions."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"msteams": {"type": "imBack", "value": text}},
    }


def welcome_card(lang: str, company: str, demo: bool) -> Card:
    examples = t_list(lang, "welcome.examples")
    body = [
        text_block(t(lang, "welcome.title"), size="Large", weight="Bolder"),
        text_block(t(lang, "welcome.intro", company=company)),
        bullets(t_list(lang, "welcome.what_i_do")),
        text_block(t(lang, "welcome.try"), weight="Bolder", spacing="Medium"),
    ]
    if demo:
        body.append(text_block(t(lang, "welcome.demo_notice"), isSubtle=True, size="Small"))
    tour = message_action(t(lang, "tour.button.take"), t(lang, "tour.command.take"))
    return adaptive_card(body, [tour, *[message_action(q, q) for q in examples]])


def help_card(lang: str) -> Card:
    body = [
        text_block(t(lang, "help.title"), size="Large", weight="Bolder"),
        text_block(t(lang, "help.commands_title")),
        bullets(t_list(lang, "help.commands")),
        text_block(t(lang, "help.footer"), isSubtle=True, size="Small"),
    ]
    return adaptive_card(body)


def card_text_fallback(card: Card) -> str:
    """Plain text of a card, for clients that cannot show cards and for notifications."""
    parts = [str(el["text"]) for el in card.get("body", []) if el.get("type") == "TextBlock"]
    return "\n\n".join(parts)


def card_activity(card: Card) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = card_text_fallback(card)[:200]
    return activity
