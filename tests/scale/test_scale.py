"""Pulse past one machine: 3 web instances and 2 worker processes (`python -m bot.worker`) on one
Azurite (blob store + work queue), the fake X server and a fake model (~0.2 s a call).

200 conversations ask at once, spread over the 3 instances; while they are answered, the worker
holding a deliberately slow question is killed (SIGKILL) and a fresh one started, as the
platform would. Every conversation gets one "je regarde…" and exactly one answer card; the
killed worker's jobs are redone by another worker, once; no effect is recorded twice.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bot.teams.answer_jobs import SENT_EFFECT
from tests.support.azurite import Azurite
from tests.support.scale import QUESTION, SLOW_MARKER, Rig
from tests.support.teams import TENANT

pytestmark = [pytest.mark.azurite, pytest.mark.scale, pytest.mark.timeout(240)]

CONVERSATIONS = int(os.environ.get("PULSE_SCALE_CONVERSATIONS", "200"))
LOOKING = "Je regarde"


@pytest.fixture
async def rig(azurite_blob: Azurite, azurite_queue: Azurite, tmp_path: Path) -> Rig:
    rig = Rig(azurite_blob, azurite_queue, tmp_path / "workers")
    try:
        await rig.start(web_instances=3, workers=2)
        yield rig  # type: ignore[misc]
    finally:
        await rig.close()


async def test_200_conversations_three_instances_two_workers_one_killed(rig: Rig) -> None:
    started = time.monotonic()
    # A slow question first: its worker is the one killed, mid-task.
    assert await rig.ask("conv-slow", instance=0, text=f"{QUESTION} {SLOW_MARKER}") == 200
    deadline = time.monotonic() + 20
    while (victim := rig.holder_of("act-conv-slow")) is None:
        assert time.monotonic() < deadline, "no worker took the slow question"
        await asyncio.sleep(0.05)

    conversations = [f"conv-{i:03d}" for i in range(CONVERSATIONS)]
    flood_at = time.monotonic()
    flood = asyncio.gather(*(rig.ask(c, instance=i) for i, c in enumerate(conversations)))
    for _ in range(200):  # up to 10 s, until the victim also holds some of the 200
        if rig.composing(victim) >= 4:
            break
        await asyncio.sleep(0.05)
    in_hand = rig.composing(victim)
    rig.kill(victim)
    rig.start_worker("worker-replacement")
    statuses = await flood
    turns = time.monotonic() - flood_at
    assert set(statuses) == {200}
    everyone = {*conversations, "conv-slow"}
    await rig.wait_cards(everyone, timeout=150)
    answered = time.monotonic() - flood_at
    await asyncio.sleep(1.0)  # late duplicates, if any, would arrive now
    elapsed = time.monotonic() - started

    # Exactly one card and one "je regarde…" per conversation; the only exception allowed is
    # the documented one: the victim was killed after the connector took a card and before it
    # marked it sent (its log shows the send started, not finished): that card comes twice.
    cards = rig.cards()
    assert set(cards) == everyone
    in_send_window = rig.unfinished_sends(victim)
    twice = {c for c, n in cards.items() if n == 2 and c in in_send_window}
    assert {c: n for c, n in cards.items() if n != 1 and c not in twice} == {}
    looking = rig.texts(LOOKING)
    assert {c: looking[c] for c in everyone if looking[c] != 1} == {}

    # One "sent" marker per question; the slow one was redone by another worker, after the kill.
    store = rig.store()
    try:
        keys = await store.list(f"jobs/effects/{SENT_EFFECT}/")
        assert len(keys) == len(everyone)
        markers = [(await store.read(k)) for k in keys]
        values = [m.value for m in markers if m is not None]
        assert all(v["state"] == "sent" for v in values)
        redone = [v for v in values if v["dequeue_count"] >= 2]
        assert redone, "the killed worker's jobs were not redone"
        assert all(v["worker"] != victim for v in redone)
        contexts = await store.list(f"cache/answers/{TENANT}/")
        assert len(contexts) == len(everyone)  # a redone job overwrote its context, no extra
    finally:
        await store.close()
    # The queue drains: a job whose receipt lapsed while its worker was busy comes back once
    # more, finds its "sent" marker and is deleted without sending anything.
    queue = rig.queue()
    try:
        deadline = time.monotonic() + 4 * rig.visibility_timeout_s
        while await queue.approximate_length() > 0:
            assert time.monotonic() < deadline, "the queue did not drain"
            await asyncio.sleep(0.5)
        assert await queue.poisoned() == []
    finally:
        await queue.close()
    assert rig.cards() == cards  # and nothing more was sent meanwhile
    print(  # the test's own report, shown with -s
        f"\n{len(everyone)} questions, 3 web + 2 workers (1 killed holding {in_hand} jobs, "
        f"{len(redone)} redone, {len(twice)} card(s) sent twice as killed mid-send): "
        f"turns done in {turns:.1f}s, every card in {answered:.1f}s "
        f"({elapsed:.1f}s with the slow one before)"
    )
