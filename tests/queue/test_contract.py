"""One contract for every `WorkQueue` backend: in-process memory and Azure Storage Queues
(Azurite). Visibility timeouts are whole seconds on Azure: the tests use 1 s."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.clients.queue.runner import (
    HandlerRegistry,
    PermanentJobError,
    QueueWorker,
    WorkerOptions,
    current_job,
    effect_key,
    record_once,
)
from bot.logs import correlation_id
from bot.ports.queue import JSON, LostMessage, Received, WorkQueue
from bot.ports.store import Store

VT = 1.0


async def receive_one(queue: WorkQueue, vt: float = VT, wait_s: float = 0.0) -> Received | None:
    """One delivery, polling up to `wait_s` seconds."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        got = await queue.receive(visibility_timeout_s=vt)
        if got:
            return got[0]
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(0.1)


async def test_enqueue_receive_delete(queue: WorkQueue) -> None:
    token = correlation_id.set("turn-42")
    try:
        job_id = await queue.enqueue("echo", {"text": "héllo", "n": 1})
    finally:
        correlation_id.reset(token)
    assert await queue.approximate_length() == 1
    received = await receive_one(queue)
    assert received is not None
    job = received.job
    assert (job.id, job.kind, job.payload) == (job_id, "echo", {"text": "héllo", "n": 1})
    assert job.dequeue_count == 1
    assert job.correlation_id == "turn-42"
    assert job.enqueued_at is not None
    assert await queue.receive(visibility_timeout_s=VT) == []  # hidden while in hand
    await queue.delete(received)
    assert await queue.approximate_length() == 0
    await asyncio.sleep(VT + 0.3)
    assert await queue.receive(visibility_timeout_s=VT) == []  # gone for good


async def test_visibility_timeout_redelivers_and_stale_receipt_is_lost(queue: WorkQueue) -> None:
    job_id = await queue.enqueue("echo", {})
    first = await receive_one(queue)
    assert first is not None
    second = await receive_one(queue, wait_s=VT + 2)
    assert second is not None
    assert second.job.id == job_id
    assert second.job.dequeue_count == 2
    with pytest.raises(LostMessage):
        await queue.delete(first)  # it belongs to the second receiver now
    await queue.delete(second)
    assert await queue.approximate_length() == 0


async def test_release_makes_visible_again_after_the_delay(queue: WorkQueue) -> None:
    await queue.enqueue("echo", {"k": 1})
    received = await receive_one(queue, vt=30)
    assert received is not None
    released = await queue.release(received, delay_s=0)
    assert released.receipt != received.receipt
    again = await receive_one(queue, vt=30, wait_s=1)
    assert again is not None and again.job.dequeue_count == 2
    later = await queue.release(again, delay_s=2)
    assert await queue.receive(visibility_timeout_s=VT) == []
    with pytest.raises(LostMessage):
        await queue.delete(again)  # the receipt changed with the release
    await queue.delete(later)


async def test_extend_keeps_a_long_job_hidden(queue: WorkQueue) -> None:
    await queue.enqueue("echo", {})
    received = await receive_one(queue)
    assert received is not None
    extended = await queue.extend(received, visibility_timeout_s=5)
    await asyncio.sleep(VT + 0.5)
    assert await queue.receive(visibility_timeout_s=VT) == []
    await queue.delete(extended)


async def test_enqueue_delay(queue: WorkQueue) -> None:
    await queue.enqueue("echo", {}, delay_s=1)
    assert await queue.receive(visibility_timeout_s=VT) == []
    assert await receive_one(queue, wait_s=3) is not None


async def test_dead_letter_moves_the_job_to_the_poison_queue(queue: WorkQueue) -> None:
    job_id = await queue.enqueue("echo", {"x": 1})
    received = await receive_one(queue)
    assert received is not None
    await queue.dead_letter(received, reason="broken beyond repair")
    assert await queue.approximate_length() == 0
    poisoned = await queue.poisoned()
    assert [(p.job.id, p.job.payload, p.reason) for p in poisoned] == [
        (job_id, {"x": 1}, "broken beyond repair")
    ]


async def test_dedupe_key_enqueues_once(
    make_queue: Callable[[], WorkQueue],
) -> None:
    one, other = make_queue(), make_queue()  # two instances (two clients on Azure)
    first = await one.enqueue("answer", {"q": 1}, dedupe_key="activity-1")
    again = await other.enqueue("answer", {"q": 1}, dedupe_key="activity-1")
    different = await one.enqueue("answer", {"q": 2}, dedupe_key="activity-2")
    assert again == first
    assert different != first
    assert await one.approximate_length() == 2
    got = await one.receive(visibility_timeout_s=VT, max_messages=10)
    assert sorted(r.job.dedupe_key or "" for r in got) == ["activity-1", "activity-2"]


async def test_invalid_input_is_refused(queue: WorkQueue) -> None:
    with pytest.raises(ValueError):
        await queue.enqueue("Bad Kind", {})
    with pytest.raises(TypeError):
        await queue.enqueue("echo", {"x": object()})
    with pytest.raises(ValueError):
        await queue.enqueue("echo", {"big": "x" * 60_000})


# -- the worker loop on each backend -----------------------------------------------------------


def fast_options(**overrides: float) -> WorkerOptions:
    values: dict[str, float] = {
        "visibility_timeout_s": VT,
        "max_dequeues": 3,
        "retry_base_s": 0,
        "retry_max_s": 0,
        "concurrency": 1,
        "poll_min_s": 0.05,
        "poll_max_s": 0.2,
        "drain_timeout_s": 5,
    }
    values.update(overrides)
    return WorkerOptions(**values)  # type: ignore[arg-type]


async def drain(worker: QueueWorker, until: Callable[[], bool], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not until():
        assert asyncio.get_running_loop().time() < deadline, worker.stats
        if not await worker.run_once():
            await asyncio.sleep(0.1)


async def test_failing_job_is_retried_then_poisoned(queue: WorkQueue) -> None:
    attempts: list[int] = []

    async def always_fails(payload: JSON) -> None:
        job = current_job.get()
        assert job is not None
        attempts.append(job.dequeue_count)
        raise RuntimeError("model fault")

    registry = HandlerRegistry()
    registry.register_handler("answer", always_fails)
    worker = QueueWorker(queue, registry, fast_options(max_dequeues=3))
    job_id = await queue.enqueue("answer", {"q": "?"})
    await drain(worker, lambda: worker.stats.poisoned == 1)
    assert attempts == [1, 2, 3]
    assert worker.stats.retried == 2
    poisoned = await queue.poisoned()
    assert [p.job.id for p in poisoned] == [job_id]
    assert "model fault" in poisoned[0].reason
    assert await queue.approximate_length() == 0


async def test_permanent_error_and_unknown_kind_are_poisoned_at_once(queue: WorkQueue) -> None:
    async def refuses(payload: JSON) -> None:
        raise PermanentJobError("no such conversation")

    registry = HandlerRegistry()
    registry.register_handler("alert", refuses)
    worker = QueueWorker(queue, registry, fast_options())
    await queue.enqueue("alert", {})
    await queue.enqueue("mystery", {})
    await drain(worker, lambda: worker.stats.poisoned == 2)
    reasons = sorted(p.reason for p in await queue.poisoned())
    assert reasons[0].startswith("no handler for job kind 'mystery'")
    assert reasons[1] == "permanent failure: no such conversation"
    assert worker.stats.retried == 0


async def test_idempotent_handler_records_its_effect_once(queue: WorkQueue, store: Store) -> None:
    """A delivery that made its effect then failed is redone; the effect is not."""
    runs: list[bool] = []

    async def effect_then_fail_once(payload: JSON) -> None:
        job = current_job.get()
        assert job is not None
        wrote = await record_once(store, effect_key(job, "answer"), {"text": payload["text"]})
        runs.append(wrote)
        if job.dequeue_count == 1:
            raise ConnectionError("Teams did not answer")

    registry = HandlerRegistry()
    registry.register_handler("answer", effect_then_fail_once)
    worker = QueueWorker(queue, registry, fast_options())
    await queue.enqueue("answer", {"text": "hi"}, dedupe_key="act-9")
    await drain(worker, lambda: worker.stats.done == 1)
    assert runs == [True, False]
    effects = await store.list("jobs/effects/answer/")
    assert len(effects) == 1


async def test_slow_job_is_kept_hidden_by_the_heartbeat(queue: WorkQueue) -> None:
    other = QueueWorker(queue, HandlerRegistry(), fast_options())
    calls = 0

    async def slow(payload: JSON) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(2.5 * VT)  # longer than the visibility timeout
        assert await queue.receive(visibility_timeout_s=VT) == [], "redelivered while running"

    registry = HandlerRegistry()
    registry.register_handler("briefing", slow)
    worker = QueueWorker(queue, registry, fast_options(visibility_timeout_s=2))
    await queue.enqueue("briefing", {})
    await drain(worker, lambda: worker.stats.done == 1)
    assert calls == 1 and worker.stats.lost == 0
    assert not await other.run_once()


async def test_stop_finishes_the_job_in_hand_and_receives_no_more(queue: WorkQueue) -> None:
    started = asyncio.Event()
    finished: list[str] = []

    async def job(payload: JSON) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(payload["n"])

    registry = HandlerRegistry()
    registry.register_handler("echo", job)
    worker = QueueWorker(queue, registry, fast_options(concurrency=1))
    await queue.enqueue("echo", {"n": "first"})
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 10)
    await queue.enqueue("echo", {"n": "second"})
    worker.stop()
    await asyncio.wait_for(running, 10)
    assert finished == ["first"]
    assert await queue.approximate_length() == 1  # the second waits for another worker
