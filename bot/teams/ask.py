"""Asking in Teams: typing at once, the answer card in the turn when quick, otherwise
"je regarde…" and the card as a follow-up. Card buttons: more posts, explain, draft."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.i18n import t
from bot.logs import correlation_id
from bot.ports.clock import Clock
from bot.ports.language import Understanding
from bot.ports.store import StorageError, Store
from bot.services.ask import Answer, AskService
from bot.services.listening import post_from_json, post_to_json
from bot.teams.actions import ActionResult, Actor, CardActionRouter, actor_of
from bot.teams.answer_cards import (
    VERB_DRAFT,
    VERB_EXPLAIN,
    VERB_MORE,
    answer_card,
    more_posts_card,
)
from bot.teams.background import BackgroundReplies
from bot.teams.cards import adaptive_card, card_activity, text_block
from bot.teams.references import time_zone_of

logger = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Paris"
MORE_POSTS = 8
StartDraft = Callable[[TurnContext, Actor, str, str], Awaitable[ActionResult]]


class AskInTeams:
    def __init__(
        self,
        ask: AskService,
        background: BackgroundReplies,
        store: Store,
        clock: Clock,
        *,
        show_cost_to_all: bool,
        start_draft: StartDraft | None = None,
    ) -> None:
        self._ask = ask
        self._background = background
        self._store = store
        self._clock = clock
        self._show_cost_to_all = show_cost_to_all
        self._start_draft = start_draft

    def register(self, router: CardActionRouter) -> None:
        router.register(VERB_MORE, self._more)
        router.register(VERB_EXPLAIN, self._explain)
        router.register(VERB_DRAFT, self._draft)

    async def handle(
        self,
        turn_context: TurnContext,
        understanding: Understanding,
        question: str,
        roles: frozenset[str] = frozenset(),
    ) -> None:
        activity = turn_context.activity
        actor = actor_of(activity, roles)
        lang = understanding.lang
        tz = time_zone_of(activity) or DEFAULT_TZ

        async def work() -> list[Activity]:
            answer = await self._ask.answer(
                question, understanding, tenant_id=actor.tenant_id, tz=tz
            )
            context_id = await self._remember(actor, answer)
            show_cost = self._show_cost_to_all or "admin" in actor.roles
            card = answer_card(answer, lang, show_cost=show_cost, context_id=context_id)
            logger.info(
                "answered intent %s (%s posts read, engine %s)",
                understanding.intent.value,
                answer.insights.listening.cost.posts_read,
                answer.draft.engine,
            )
            return [card_activity(card)]

        ref = correlation_id.get()

        def failed(exc: BaseException) -> list[Activity]:
            key = "errors.storage" if isinstance(exc, StorageError) else "answer.failed"
            return [MessageFactory.text(t(lang, key, ref=ref))]

        await self._background.reply(
            turn_context, work, ack=t(lang, "answer.looking"), on_failure=failed
        )

    async def _remember(self, actor: Actor, answer: Answer) -> str:
        """Keep what the buttons need (the posts read, the topic) for a week."""
        context_id = uuid.uuid4().hex[:16]
        cited = {p.id for p in answer.cited}
        posts = sorted(
            answer.analysis.posts,
            key=lambda ap: (ap.post.id not in cited, -ap.post.metrics.engagement),
        )
        value = {
            "schema": 1,
            "written_at": self._clock.now().isoformat(),
            "question": answer.question,
            "lang": answer.understanding.lang,
            "topic": answer.understanding.topic,
            "sample_size": answer.analysis.sample_size,
            "posts": [post_to_json(ap.post) for ap in posts[:40]],
            "shown": [p.id for p in answer.cited],
        }
        try:
            await self._store.write(self._key(actor, context_id), value)
        except StorageError:
            logger.warning("could not keep the answer context; its buttons will say so")
        return context_id

    @staticmethod
    def _key(actor: Actor, context_id: str) -> str:
        safe = "".join(c for c in context_id if c.isalnum())[:32] or "none"
        return f"cache/answers/{actor.tenant_id or 'no-tenant'}/{safe}"

    async def _context(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        current = await self._store.read(self._key(actor, str(data.get("context", ""))))
        return current.value if current else None

    async def _more(self, context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        saved = await self._context(actor, data)
        lang = actor.lang
        if saved is None:
            return ActionResult(message=t(lang, "answer.no_more"))
        shown = set(saved.get("shown", []))
        posts = [post_from_json(p) for p in saved["posts"] if p["id"] not in shown]
        await context.send_activity(card_activity(more_posts_card(posts[:MORE_POSTS], lang)))
        return ActionResult(message=None)

    async def _explain(
        self, context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        saved = await self._context(actor, data)
        sample = saved.get("sample_size", 0) if saved else 0
        card = adaptive_card([text_block(t(actor.lang, "answer.explain_text", sample=sample))])
        await context.send_activity(card_activity(card))
        return ActionResult(message=None)

    async def _draft(
        self, context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        topic = str(data.get("topic") or "")
        if self._start_draft is None:
            return ActionResult(message=t(actor.lang, "placeholder.not_ready"))
        return await self._start_draft(context, actor, topic, actor.lang)
