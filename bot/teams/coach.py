"""Demystifying X in Teams: answers from the reviewed guide, and "should I respond?"."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from botbuilder.core import TurnContext

from bot.domain.advisor import Advice, advise
from bot.domain.coach import CoachAnswer, CoachKnowledge
from bot.domain.sentiment import analyse_texts
from bot.i18n import t
from bot.ports.posts import Post
from bot.teams.cards import Card, adaptive_card, card_activity, message_action, text_block

logger = logging.getLogger(__name__)

STATUS_RE = re.compile(r"(?:x|twitter)\.com/\w{1,15}/status(?:es)?/(\d{5,25})", re.IGNORECASE)
Rephrase = Callable[[str, str, str, str], Awaitable[str]]  # (question, title, body, lang)
FindPost = Callable[[str], Awaitable[Post | None]]
CrisisScore = Callable[[str | None], Awaitable[float]]


def coach_card(
    entry: CoachAnswer, lang: str, knowledge: CoachKnowledge, body: str | None = None
) -> Card:
    items = [
        text_block(entry.title, size="Large", weight="Bolder"),
        text_block(body or entry.body),
        text_block(
            t(lang, "coach.source", title=entry.title, date=entry.reviewed_on.isoformat()),
            size="Small",
            isSubtle=True,
        ),
    ]
    if body is not None:
        items.append(text_block(t(lang, "coach.rephrased"), size="Small", isSubtle=True))
    actions = []
    for other_id in entry.see_also[:3]:
        title = knowledge.entry(other_id).title(lang)
        actions.append(message_action(title, title))
    return adaptive_card(items, actions)


def advice_card(post: Post, advice: Advice, lang: str) -> Card:
    reasons = [t(lang, f"coach.reasons.{r.value}") for r in advice.reasons]
    items = [
        text_block(t(lang, "coach.advice_title"), size="Large", weight="Bolder"),
        text_block(
            f"[@{post.author.handle}]({post.url}): « {' '.join(post.text.split())[:200]} »",
            isSubtle=True,
        ),
        text_block(
            t(lang, f"coach.decisions.{advice.decision.value}"), weight="Bolder", size="Medium"
        ),
        text_block(t(lang, "coach.why"), weight="Bolder"),
        text_block("\n".join(f"- {r}" for r in reasons)),
    ]
    if advice.params.get("reply_channel") == "manual" and advice.offer_draft:
        items.append(text_block(t(lang, "coach.reply_channel_manual"), size="Small", isSubtle=True))
    actions = []
    if advice.offer_draft:
        actions.append(
            {
                "type": "Action.Execute",
                "verb": "answer.draft",
                "title": t(lang, "coach.draft_reply"),
                "data": {"topic": f"reply:{post.id}", "lang": lang},
            }
        )
    return adaptive_card(items, actions)


class CoachInTeams:
    def __init__(
        self,
        knowledge: CoachKnowledge,
        find_post: FindPost,
        crisis_score: CrisisScore,
        rephrase: Rephrase | None = None,
    ) -> None:
        self._knowledge = knowledge
        self._find_post = find_post
        self._crisis_score = crisis_score
        self._rephrase = rephrase

    def knows(self, text: str) -> bool:
        return self._knowledge.looks_like_x_question(text)

    async def explain(self, turn_context: TurnContext, text: str, lang: str) -> None:
        entry = self._knowledge.answer(text, lang)
        if entry is None:
            await turn_context.send_activity(t(lang, "coach.unknown"))
            return
        body: str | None = None
        if self._rephrase is not None:
            try:
                body = await self._rephrase(text, entry.title, entry.body, lang)
            except Exception:  # the reviewed entry itself is always a good answer
                logger.warning(
                    "could not rephrase coach entry %s; showing it as reviewed", entry.id
                )
        await turn_context.send_activity(
            card_activity(coach_card(entry, lang, self._knowledge, body))
        )

    async def should_respond(
        self,
        turn_context: TurnContext,
        text: str,
        post_ref: str | None,
        lang: str,
        tenant_id: str | None,
    ) -> None:
        match = STATUS_RE.search(post_ref or "") or STATUS_RE.search(text)
        post_id = (
            match.group(1) if match else (post_ref if post_ref and post_ref.isdigit() else None)
        )
        post = await self._find_post(post_id) if post_id else None
        if post is None:
            await turn_context.send_activity(t(lang, "coach.post_not_found"))
            return
        stance = analyse_texts([post.text])[0].sentiment
        advice = advise(post, stance, crisis_score=await self._crisis_score(tenant_id))
        logger.info("advice on post %s: %s", post.id, advice.decision.value)
        await turn_context.send_activity(card_activity(advice_card(post, advice, lang)))
