"""Honest when unsure: what Pulse says when the question reader returns `Intent.UNKNOWN`.

- reason "unclear": a short "Did you mean…" / « Vouliez-vous dire… » card with the two or three
  likeliest readings (`Understanding.alternatives`) as buttons. A button is an `Action.Submit`
  whose data carry the chosen intent and the original question (`clarify_choice` reads it back);
  the root dialog then answers the original question as that reading (`as_reading`): the reader
  runs again for the slots (period, topic, competitor) and only the intent is replaced.
- "out_of_scope" (weather, share price, booking a room, a joke): a polite decline and what
  Pulse can do; "smalltalk": a short friendly reply with a hint; "injection": a neutral refusal.

No answer is ever built on a reading the user did not confirm.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from botbuilder.core import MessageFactory, TurnContext

from bot.i18n import t, t_list
from bot.ports.language import Intent, Understanding
from bot.teams.cards import Card, adaptive_card, bullets, card_activity, text_block

CLARIFY_KEY: Final = "clarify"  # the key of the buttons' Action.Submit data
MAX_READINGS: Final = 3
QUESTION_MAX: Final = 500
QUOTE_MAX: Final = 80


def readings_of(understanding: Understanding) -> list[Intent]:
    """The readings worth offering, best first: known intents, at most three."""
    out: list[Intent] = [a for a in understanding.alternatives if a is not Intent.UNKNOWN]
    return list(dict.fromkeys(out))[:MAX_READINGS]


def _quote(text: str) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1].rstrip() + "…"
    return text.replace("[", "(").replace("]", ")").replace("*", "").replace("_", " ")


def clarification_card(understanding: Understanding, question: str) -> Card:
    lang = understanding.lang
    body = [
        text_block(t(lang, "converse.clarify.title"), size="Medium", weight="Bolder"),
        text_block(t(lang, "converse.clarify.intro", question=_quote(question))),
    ]
    data_question = " ".join(question.split())[:QUESTION_MAX]
    actions: list[dict[str, Any]] = [
        {
            "type": "Action.Submit",
            "title": t(lang, f"converse.clarify.readings.{intent.value}"),
            "data": {CLARIFY_KEY: intent.value, "question": data_question, "lang": lang},
        }
        for intent in readings_of(understanding)
    ]
    if Intent.HELP not in readings_of(understanding):
        actions.append(
            {
                "type": "Action.Submit",
                "title": t(lang, "converse.clarify.none"),
                "data": {CLARIFY_KEY: Intent.HELP.value, "question": data_question, "lang": lang},
            }
        )
    return adaptive_card(body, actions)


def decline_card(lang: str) -> Card:
    return adaptive_card(
        [
            text_block(t(lang, "converse.out_of_scope.title"), size="Medium", weight="Bolder"),
            text_block(t(lang, "converse.out_of_scope.intro")),
            bullets(t_list(lang, "converse.out_of_scope.can")),
        ]
    )


def clarify_choice(value: object) -> tuple[Intent, str] | None:
    """(chosen intent, original question) of a "Did you mean…" button, else None."""
    if not isinstance(value, dict):
        return None
    try:
        intent = Intent(str(value.get(CLARIFY_KEY)))
    except ValueError:
        return None
    question = " ".join(str(value.get("question") or "").split())[:QUESTION_MAX]
    if intent is Intent.UNKNOWN or not question:
        return None
    return intent, question


def as_reading(understanding: Understanding, intent: Intent) -> Understanding:
    """The question read again, taken as `intent`: its slots kept, the doubt gone."""
    return replace(
        understanding,
        intent=intent,
        follow_up=False,
        confidence=1.0,
        reason=None,
        alternatives=(),
    )


async def reply_unknown(context: TurnContext, understanding: Understanding, question: str) -> bool:
    """Answer an UNKNOWN understanding by its reason; False when there is nothing better to
    say than "not understood" (an unclear question with no reading to offer)."""
    lang = understanding.lang
    reason = understanding.reason
    if reason == "injection":
        await context.send_activity(MessageFactory.text(t(lang, "converse.injection")))
        return True
    if reason == "out_of_scope":
        await context.send_activity(card_activity(decline_card(lang)))
        return True
    if reason == "smalltalk":
        await context.send_activity(MessageFactory.text(t(lang, "converse.smalltalk")))
        return True
    if readings_of(understanding):
        await context.send_activity(card_activity(clarification_card(understanding, question)))
        return True
    return False


__all__ = [
    "CLARIFY_KEY",
    "as_reading",
    "clarification_card",
    "clarify_choice",
    "decline_card",
    "readings_of",
    "reply_unknown",
]
