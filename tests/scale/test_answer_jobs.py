"""The "answer" job without Azurite: the queue dispatcher in a demo app (memory queue, the worker
in the web process), and the handler's exactly-once claim against every interleaving."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)

from bot.clients.queue.runner import current_job, effect_key
from bot.clients.store.local import LocalDirStore
from bot.devtools.connector import message_text
from bot.ports.language import Intent, Period, Understanding
from bot.ports.queue import Job
from bot.ports.store import Store
from bot.teams.answer_jobs import (
    SENT_EFFECT,
    AnswerInFlight,
    AnswerJobHandler,
    QueueDispatcher,
    answer_dedupe_key,
)
from bot.teams.ask import AnswerTask
from tests.support.teams import message
from tests.teams.conftest import Pulse, PulseFactory

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


async def test_demo_app_answers_through_the_memory_queue(
    make_pulse: PulseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_ANSWER_DISPATCH", "queue")
    pulse: Pulse = await make_pulse()
    assert isinstance(pulse.components.dispatcher, QueueDispatcher)
    activity = message(
        "qu'est-ce qu'on dit de nous aujourd'hui ?",
        service_url=pulse.connector.url,
        locale="fr-FR",
        activity_id="act-queued-1",
    )
    status, _ = await pulse.post(activity)
    assert status == 200
    sent = [r.activity for r in pulse.connector.received]
    assert sent[0]["type"] == "typing"
    [ack] = [a for a in sent if a["type"] == "message" and not a.get("attachments")]
    assert "Je regarde" in ack["text"]  # at once: no in-turn wait when queued
    await pulse.connector.wait_for(
        lambda rs: any(r.activity.get("attachments") for r in rs), timeout=30
    )
    # The same activity delivered again: no second job, no second card.
    await pulse.post(activity)
    await asyncio.sleep(1.0)
    cards = [m for m in pulse.connector.messages() if m.get("attachments")]
    assert len(cards) == 1
    assert "Mentions aujourd'hui" in message_text(cards[0])


# -- the handler -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


class Composer:
    def __init__(self) -> None:
        self.calls = 0

    async def compose_or_failure(
        self, task: AnswerTask, *, context_id: str | None = None
    ) -> list[Activity]:
        self.calls += 1
        return [Activity(type="message", text=f"card for {task.question}")]


class Adapter:
    """Records what `continue_conversation` sends; `fail` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[list[Activity]] = []
        self.fail = 0
        self.before_send: Callable[[], Awaitable[None]] | None = None

    async def continue_conversation(
        self, reference: ConversationReference, callback: Any, bot_id: str
    ) -> None:
        if self.before_send is not None:
            await self.before_send()
        if self.fail:
            self.fail -= 1
            raise ConnectionError("connector unreachable")
        adapter = self

        class Context:
            async def send_activities(self, activities: list[Activity]) -> None:
                adapter.sent.append(activities)

        await callback(Context())


def task() -> AnswerTask:
    return AnswerTask(
        question="Quoi de neuf ?",
        understanding=Understanding(intent=Intent.PULSE, lang="fr", period=Period.TODAY),
        tenant_id="tenant-contoso",
        tz="Europe/Paris",
        roles=frozenset({"admin"}),
        activity_id="act-1",
        reference=ConversationReference(
            activity_id="act-1",
            user=ChannelAccount(id="29:alice"),
            bot=ChannelAccount(id="28:pulse"),
            conversation=ConversationAccount(id="conv-1", tenant_id="tenant-contoso"),
            channel_id="msteams",
            service_url="http://127.0.0.1:1/",
        ),
    )


def job(delivery: int = 1) -> Job:
    return Job(
        id="job-1",
        kind="answer",
        payload=task().to_json(),
        dedupe_key=answer_dedupe_key(task()),
        dequeue_count=delivery,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = LocalDirStore(tmp_path / "data", timeout_s=5)
    yield s
    await s.close()


Run = Callable[..., Awaitable[None]]


@pytest.fixture
def parts(store: Store) -> tuple[Composer, Adapter, Clock]:
    return Composer(), Adapter(), Clock()


def handler(store: Store, parts: tuple[Composer, Adapter, Clock], name: str) -> AnswerJobHandler:
    composer, adapter, clock = parts
    return AnswerJobHandler(
        composer,  # type: ignore[arg-type]
        adapter,  # type: ignore[arg-type]
        "",
        store,
        clock,
        worker_name=name,
        claim_lease_s=60,
    )


async def run(h: AnswerJobHandler, delivery: int = 1) -> None:
    token = current_job.set(job(delivery))
    try:
        await h(job(delivery).payload)
    finally:
        current_job.reset(token)


def test_the_task_survives_json() -> None:
    again = AnswerTask.from_json(task().to_json())
    assert again.question == task().question and again.understanding == task().understanding
    assert again.roles == {"admin"} and again.reference.conversation.id == "conv-1"
    assert TurnContext  # the reference is the SDK's own type
    with pytest.raises(ValueError):
        AnswerTask.from_json({"question": "x"})


async def test_a_redelivered_job_sends_once(
    store: Store, parts: tuple[Composer, Adapter, Clock]
) -> None:
    await run(handler(store, parts, "w1"))
    await run(handler(store, parts, "w2"), delivery=2)
    composer, adapter, _ = parts
    assert len(adapter.sent) == 1 and composer.calls == 1  # the second stops at the marker
    marker = await store.read(effect_key(job(), SENT_EFFECT))
    assert marker is not None and marker.value["state"] == "sent"
    assert marker.value["worker"] == "w1"


async def test_two_deliveries_at_once_send_once(
    store: Store, parts: tuple[Composer, Adapter, Clock]
) -> None:
    _, adapter, _ = parts
    gate = asyncio.Event()

    async def slow_send() -> None:
        await gate.wait()

    adapter.before_send = slow_send
    first = asyncio.create_task(run(handler(store, parts, "w1")))
    await asyncio.sleep(0.2)  # w1 holds the claim, sending
    with pytest.raises(AnswerInFlight):
        await run(handler(store, parts, "w2"), delivery=2)
    gate.set()
    await first
    assert len(adapter.sent) == 1


async def test_a_dead_workers_claim_is_taken_over_after_the_lease(
    store: Store, parts: tuple[Composer, Adapter, Clock]
) -> None:
    _, adapter, clock = parts
    key = effect_key(job(), SENT_EFFECT)
    dead = {"state": "sending", "worker": "w-dead", "at": clock.now().isoformat()}
    await store.write(key, dead, if_none_match=True)
    with pytest.raises(AnswerInFlight):  # maybe still sending: wait for the lease
        await run(handler(store, parts, "w2"), delivery=2)
    assert adapter.sent == []
    clock.at += timedelta(seconds=61)
    await run(handler(store, parts, "w2"), delivery=3)
    assert len(adapter.sent) == 1
    marker = await store.read(key)
    assert marker is not None and marker.value["state"] == "sent"
    assert marker.value["worker"] == "w2"


async def test_a_failed_send_drops_the_claim_and_the_retry_sends(
    store: Store, parts: tuple[Composer, Adapter, Clock]
) -> None:
    _, adapter, _ = parts
    adapter.fail = 1
    with pytest.raises(ConnectionError):
        await run(handler(store, parts, "w1"))
    assert await store.read(effect_key(job(), SENT_EFFECT)) is None
    await run(handler(store, parts, "w1"), delivery=2)
    assert len(adapter.sent) == 1
