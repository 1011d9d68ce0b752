"""Asking in Teams: typing at once, the answer card in the turn when quick, otherwise
"je regarde…" and the card as a follow-up. Card buttons: more posts, explain, draft.

Where the answer is built is the `AnswerDispatcher`'s business: `InProcessDispatcher` (here, in
the web instance: the demo default) or `bot.teams.answer_jobs.QueueDispatcher` (an "answer" job
on the work queue, run by a worker process)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ConversationReference

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
from bot.teams.routes import understanding_from_json, understanding_to_json

logger = logging.getLogger(__name__)

DEFAULT_TZ = "Europe/Paris"
MORE_POSTS = 8
StartDraft = Callable[[TurnContext, Actor, str, str], Awaitable[ActionResult]]


@dataclass(frozen=True, slots=True)
class AnswerTask:
    """One question to answer, with everything needed to answer it away from the turn (in a
    background task of the web instance, or in a worker process): JSON-serializable."""

    question: str
    understanding: Understanding
    tenant_id: str | None
    tz: str
    roles: frozenset[str]
    activity_id: str | None
    reference: ConversationReference

    @property
    def lang(self) -> str:
        return self.understanding.lang

    @classmethod
    def of_turn(
        cls,
        turn_context: TurnContext,
        understanding: Understanding,
        question: str,
        roles: frozenset[str] = frozenset(),
    ) -> AnswerTask:
        activity = turn_context.activity
        return cls(
            question=question,
            understanding=understanding,
            tenant_id=actor_of(activity, roles).tenant_id,
            tz=time_zone_of(activity) or DEFAULT_TZ,
            roles=roles,
            activity_id=activity.id,
            reference=TurnContext.get_conversation_reference(activity),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": 1,
            "question": self.question,
            "understanding": understanding_to_json(self.understanding),
            "tenant_id": self.tenant_id,
            "tz": self.tz,
            "roles": sorted(self.roles),
            "activity_id": self.activity_id,
            "reference": self.reference.serialize(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerTask:
        """`ValueError` when `data` is not an answer task."""
        understanding = understanding_from_json(data.get("understanding"))
        reference = data.get("reference")
        if understanding is None or not isinstance(reference, dict):
            raise ValueError("not an answer task: no understanding or no reference")
        try:
            return cls(
                question=str(data["question"]),
                understanding=understanding,
                tenant_id=data.get("tenant_id"),
                tz=str(data.get("tz") or DEFAULT_TZ),
                roles=frozenset(str(r) for r in data.get("roles") or []),
                activity_id=data.get("activity_id"),
                reference=ConversationReference.deserialize(reference),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an answer task: {exc!r}") from exc


class AnswerComposer:
    """Question → answer card (or the failure message): the same in the turn, in a background
    task and in a worker process."""

    def __init__(
        self, ask: AskService, store: Store, clock: Clock, *, show_cost_to_all: bool
    ) -> None:
        self._ask = ask
        self._store = store
        self._clock = clock
        self._show_cost_to_all = show_cost_to_all

    async def compose(self, task: AnswerTask, *, context_id: str | None = None) -> list[Activity]:
        """The answer card; raises when the answer cannot be built (see `failure`).
        `context_id` (what the card's buttons find their data by) is random unless given: a
        worker gives one derived from the job, so that a redone job overwrites, not adds."""
        answer = await self._ask.answer(
            task.question, task.understanding, tenant_id=task.tenant_id, tz=task.tz
        )
        context_id = await self._remember(task.tenant_id, answer, context_id)
        show_cost = self._show_cost_to_all or "admin" in task.roles
        card = answer_card(answer, task.lang, show_cost=show_cost, context_id=context_id)
        logger.info(
            "answered intent %s (%s posts read, engine %s)",
            task.understanding.intent.value,
            answer.insights.listening.cost.posts_read,
            answer.draft.engine,
        )
        return [card_activity(card)]

    @staticmethod
    def failure(task: AnswerTask, exc: BaseException, ref: str) -> list[Activity]:
        key = "errors.storage" if isinstance(exc, StorageError) else "answer.failed"
        return [MessageFactory.text(t(task.lang, key, ref=ref))]

    async def compose_or_failure(
        self, task: AnswerTask, *, context_id: str | None = None
    ) -> list[Activity]:
        try:
            return await self.compose(task, context_id=context_id)
        except Exception as exc:
            logger.exception("answer failed")
            return self.failure(task, exc, correlation_id.get())

    async def _remember(self, tenant_id: str | None, answer: Answer, context_id: str | None) -> str:
        """Keep what the buttons need (the posts read, the topic) for a week."""
        context_id = context_id or uuid.uuid4().hex[:16]
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
            await self._store.write(answer_context_key(tenant_id, context_id), value)
        except StorageError:
            logger.warning("could not keep the answer context; its buttons will say so")
        return context_id


def _card_lang(actor: Actor, data: dict[str, Any]) -> str:
    """The language of the answer a button belongs to (the question's), else the client's."""
    lang = data.get("lang")
    return lang if lang in ("fr", "en") else actor.lang


def answer_context_key(tenant_id: str | None, context_id: str) -> str:
    safe = "".join(c for c in context_id if c.isalnum())[:32] or "none"
    return f"cache/answers/{tenant_id or 'no-tenant'}/{safe}"


class AnswerDispatcher(Protocol):
    """How a question's answer gets built and delivered once the turn has understood it."""

    async def dispatch(self, turn_context: TurnContext, task: AnswerTask) -> None: ...


class InProcessDispatcher:
    """In this process (the demo default): the card in the turn when ready within the in-turn
    budget, else "je regarde…" now and the card later (`BackgroundReplies`)."""

    def __init__(self, background: BackgroundReplies, composer: AnswerComposer) -> None:
        self._background = background
        self._composer = composer

    async def dispatch(self, turn_context: TurnContext, task: AnswerTask) -> None:
        ref = correlation_id.get()

        async def work() -> list[Activity]:
            return await self._composer.compose(task)

        def failed(exc: BaseException) -> list[Activity]:
            return self._composer.failure(task, exc, ref)

        await self._background.reply(
            turn_context, work, ack=t(task.lang, "answer.looking"), on_failure=failed
        )


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
        dispatcher: AnswerDispatcher | None = None,
    ) -> None:
        self._store = store
        self._start_draft = start_draft
        self.composer = AnswerComposer(ask, store, clock, show_cost_to_all=show_cost_to_all)
        self.dispatcher: AnswerDispatcher = dispatcher or InProcessDispatcher(
            background, self.composer
        )

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
        task = AnswerTask.of_turn(turn_context, understanding, question, roles)
        await self.dispatcher.dispatch(turn_context, task)

    @staticmethod
    def _key(actor: Actor, context_id: str) -> str:
        return answer_context_key(actor.tenant_id, context_id)

    async def _context(self, actor: Actor, data: dict[str, Any]) -> dict[str, Any] | None:
        current = await self._store.read(self._key(actor, str(data.get("context", ""))))
        return current.value if current else None

    async def _more(self, context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
        saved = await self._context(actor, data)
        lang = _card_lang(actor, data)
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
        lang = _card_lang(actor, data)
        card = adaptive_card([text_block(t(lang, "answer.explain_text", sample=sample))])
        await context.send_activity(card_activity(card))
        return ActionResult(message=None)

    async def _draft(
        self, context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        topic = str(data.get("topic") or "")
        lang = _card_lang(actor, data)
        if self._start_draft is None:
            return ActionResult(message=t(lang, "placeholder.not_ready"))
        return await self._start_draft(context, replace(actor, lang=lang), topic, lang)
