"""Re-deliveries (issue 22, items 3 and 10): a crash mid-turn does not lose the answer, concurrent
re-deliveries of an invoke all get the proper invoke response, and the duplicate key does not
change at midnight."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.clients.store.local import LocalDirStore
from bot.devtools.connector import LocalConnector
from bot.ports.clock import SystemClock
from bot.ports.store import StorageUnavailable
from bot.teams.actions import ActionResult, Actor
from bot.teams.endpoint import ActivityDeduplicator, ClaimOwner, Verdict
from tests.support.teams import card_action, message
from tests.teams.conftest import Pulse, PulseFactory

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def _activity(activity_id: str = "a-1", conversation: str = "conv-1") -> Activity:
    return Activity().deserialize(
        message(
            "help",
            service_url="http://127.0.0.1:1/",
            activity_id=activity_id,
            conversation_id=conversation,
        )
    )


async def test_the_duplicate_key_does_not_change_at_midnight(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 23, 59, 59, tzinfo=UTC))
    dedupe = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    first = await dedupe.claim(_activity())
    assert first.verdict is Verdict.RUN
    await dedupe.finish(first, 200, None)
    clock.at += timedelta(seconds=2)  # the next UTC day
    assert (await dedupe.claim(_activity())).verdict is Verdict.DONE


async def test_a_claim_renewed_by_a_live_instance_is_left_to_it(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 10, tzinfo=UTC))
    elsewhere = ActivityDeduplicator(
        LocalDirStore(tmp_path), clock, owner=ClaimOwner(host="other-host", pid=1)
    )
    here = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    assert (await elsewhere.claim(_activity())).verdict is Verdict.RUN
    clock.at += timedelta(seconds=here.lease_s - 1)
    assert (await here.claim(_activity())).verdict is Verdict.RUNNING


async def test_a_turn_of_another_app_in_this_process_is_left_to_it(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 10, tzinfo=UTC))
    one = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    two = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    assert (await one.claim(_activity())).verdict is Verdict.RUN
    assert (await two.claim(_activity())).verdict is Verdict.RUNNING


async def test_a_claim_not_renewed_within_the_lease_is_taken_over(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 7, 10, tzinfo=UTC))
    elsewhere = ActivityDeduplicator(
        LocalDirStore(tmp_path), clock, owner=ClaimOwner(host="other-host", pid=1)
    )
    here = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    stale = await elsewhere.claim(_activity())
    clock.at += timedelta(seconds=here.lease_s + 1)
    taken = await here.claim(_activity())
    assert taken.verdict is Verdict.RUN
    # Only one takes it over; the late first owner cannot overwrite the new claim's outcome.
    assert (await here.claim(_activity())).verdict is Verdict.RUNNING
    await elsewhere.finish(stale, 200, {"late": True})
    await here.finish(taken, 200, {"from": "here"})
    again = await here.claim(_activity())
    assert again.verdict is Verdict.DONE and again.response == (200, {"from": "here"})


async def test_a_running_turn_renews_its_claim_past_the_lease(tmp_path: Path) -> None:
    clock = SystemClock()
    here = ActivityDeduplicator(LocalDirStore(tmp_path), clock, lease_s=0.3)
    there = ActivityDeduplicator(
        LocalDirStore(tmp_path), clock, lease_s=0.3, owner=ClaimOwner(host="other-host")
    )
    claim = await here.claim(_activity())
    async with here.held(claim):
        await asyncio.sleep(1.0)  # more than three leases
        assert (await there.claim(_activity())).verdict is Verdict.RUNNING
    await here.finish(claim, 200, None)
    assert (await there.claim(_activity())).verdict is Verdict.DONE


async def test_a_claim_of_a_dead_process_on_this_machine_is_taken_over_at_once(
    tmp_path: Path,
) -> None:
    dead = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await dead.wait()
    clock = Clock(datetime(2026, 12, 7, 10, tzinfo=UTC))
    ghost = ActivityDeduplicator(
        LocalDirStore(tmp_path), clock, owner=ClaimOwner(pid=dead.pid, run="an-earlier-process")
    )
    assert (await ghost.claim(_activity())).verdict is Verdict.RUN
    del ghost  # gone with its process
    gc.collect()
    here = ActivityDeduplicator(LocalDirStore(tmp_path), clock)
    assert (await here.claim(_activity())).verdict is Verdict.RUN


async def test_a_failed_turn_releases_its_claim(tmp_path: Path) -> None:
    dedupe = ActivityDeduplicator(LocalDirStore(tmp_path), Clock(datetime.now(UTC)))
    claim = await dedupe.claim(_activity())
    await dedupe.release(claim)
    assert (await dedupe.claim(_activity())).verdict is Verdict.RUN


class DoneNotStored:
    """A store whose writes of finished turns fail (storage outage at the worst moment)."""

    def __init__(self, inner: LocalDirStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def write(self, key: str, value: dict[str, Any], **kw: Any) -> str:
        if value.get("data", {}).get("state") == "done":
            raise StorageUnavailable("down")
        return await self.inner.write(key, value, **kw)


async def test_a_waiting_redelivery_gets_the_response_even_if_it_could_not_be_stored(
    tmp_path: Path,
) -> None:
    dedupe = ActivityDeduplicator(DoneNotStored(LocalDirStore(tmp_path)), SystemClock())  # type: ignore[arg-type]
    claim = await dedupe.claim(_activity())
    again = await dedupe.claim(_activity())
    assert again.verdict is Verdict.RUNNING
    waiting = asyncio.create_task(dedupe.pause(again.key, 10))
    await asyncio.sleep(0)  # the re-delivery is waiting
    await dedupe.finish(claim, 200, {"ok": 1})
    assert await waiting == (200, {"ok": 1})
    # and one that comes later is answered from this process's memory, not run again
    later = await dedupe.claim(_activity())
    assert later.verdict is Verdict.DONE and later.response == (200, {"ok": 1})


# -- concurrent re-deliveries of an invoke ------------------------------------------------------

runs: list[dict[str, Any]] = []


async def _slow_echo(context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
    runs.append(data)
    await asyncio.sleep(0.5)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "ok"}]}
    return ActionResult(card=card)


async def test_concurrent_redeliveries_of_an_invoke_get_the_same_invoke_response(
    demo: Pulse,
) -> None:
    runs.clear()
    demo.components.bot.actions.register("test.slow", _slow_echo)
    activity = card_action("test.slow", {"n": 1}, service_url=demo.connector.url)
    results = await asyncio.gather(*(demo.post(activity) for _ in range(6)))
    assert len(runs) == 1
    first = results[0]
    assert first[0] == 200 and first[1]["statusCode"] == 200
    assert first[1]["value"]["body"][0]["text"] == "ok"
    assert all(r == first for r in results)
    # and a late re-delivery, after the turn ended, too
    assert await demo.post(activity) == first
    assert len(runs) == 1


# -- a crash mid-turn -----------------------------------------------------------------------------


class HoldingConnector(LocalConnector):
    """Holds the first reply it receives (neither answered nor recorded) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = True
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def _send(self, request: web.Request) -> web.Response:
        if self.holding:
            self.arrived.set()
            await self.release.wait()
            return web.json_response({"error": {"code": "Gone"}}, status=503)
        return await super()._send(request)


@pytest.fixture
async def connector() -> AsyncIterator[LocalConnector]:  # overrides the conftest's
    local = HoldingConnector()
    await local.start()
    yield local
    local.release.set()
    await local.stop()


async def test_a_turn_killed_between_marker_and_reply_is_answered_on_redelivery(
    tmp_path: Path, make_pulse: PulseFactory, connector: HoldingConnector
) -> None:
    data_dir = tmp_path / "data"  # the same directory make_pulse gives the second instance
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.teams.pulse_proc",
        str(data_dir),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        first_url = f"http://127.0.0.1:{int(line)}/api/messages"
        activity = message("help", service_url=connector.url, activity_id="killed-1")

        async def deliver() -> None:
            async with aiohttp.ClientSession() as session:
                await session.post(
                    first_url,
                    data=json.dumps(activity),
                    headers={"Content-Type": "application/json"},
                )

        first = asyncio.create_task(deliver())
        await asyncio.wait_for(connector.arrived.wait(), 60)  # marker written, reply in flight
        os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()
        with pytest.raises(aiohttp.ClientError):
            await first
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    connector.holding = False
    connector.release.set()
    assert connector.received == []  # the first delivery's answer never arrived

    pulse = await make_pulse()  # the channel re-delivers, here to another instance
    assert await pulse.post(activity) == (200, None)
    assert len(await connector.wait_messages(1)) == 1
    assert await pulse.post(activity) == (200, None)  # a further re-delivery: done, not rerun
    await asyncio.sleep(0.3)
    assert len(connector.messages()) == 1
