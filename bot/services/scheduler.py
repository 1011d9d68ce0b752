"""The in-service scheduler: one leader across instances, periodic jobs run by the leader only.

Leadership is a `Store` lease on one key (`scheduler/leader`). Every instance runs the same loop:
try to acquire the lease when not holding it, renew it every third of its duration when holding
it. If the leader dies (crash, kill, network split) without releasing, its lease lapses and
another instance acquires it at its next attempt: takeover within one lease period plus one
attempt interval (lease/3). A graceful stop releases the lease at once.

The lease itself expires on the store's clock (wall time: Azure Blob, or the machine for the
local store); the *schedule* reads the injected `Clock`, so tests drive jobs with a fake clock
and explicit `tick()` calls, never sleeping on real time. Jobs must be idempotent on their own
(the briefing and alert markers make them so): a leader that lost its lease mid-job, or an
external trigger running at the same time, can never double a side effect.

Two loops run in the service: leadership (`LeaderElection.run`, paced on real time, lease/3)
and jobs (`Scheduler.run`, one `tick()` every `tick_s`). A slow job never delays a renewal.
`scheduler_cleanup_ctx(scheduler)` gives aiohttp a `cleanup_ctx` that starts both on startup
and stops them (releasing the lease) on cleanup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.ports.clock import Clock, SystemClock
from bot.ports.store import Lease, StorageError, Store

logger = logging.getLogger(__name__)

LEADER_KEY = "scheduler/leader"
Sleep = Callable[[float], Awaitable[None]]


def instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class LeaderElection:
    def __init__(
        self,
        store: Store,
        *,
        key: str = LEADER_KEY,
        holder: str | None = None,
        lease_s: float = 30.0,
        wall: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._store = store
        self.key = key
        self.holder = holder or instance_id()
        self.lease_s = lease_s
        self._wall = wall or SystemClock()
        self._sleep = sleep
        self._lease: Lease | None = None
        self._renewed_at: datetime | None = None
        self._stopped = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        lease = self._lease
        if lease is None:
            return False
        # Stop acting a little before the store's expiry: another may take over right after.
        margin = timedelta(seconds=min(2.0, self.lease_s / 10))
        return lease.expires_at is None or self._wall.now() < lease.expires_at - margin

    @property
    def renew_every_s(self) -> float:
        return self.lease_s / 3

    async def step(self) -> bool:
        """Acquire (if not leader) or renew (if due: a third of the lease elapsed); returns
        whether we lead now. Storage errors count as "not leader" for this step."""
        now = self._wall.now()
        try:
            if self._lease is None:
                lease = await self._store.acquire_lease(self.key, self.holder, self.lease_s)
                if lease is not None:
                    logger.info("scheduler: this instance is now the leader")
                    self._lease, self._renewed_at = lease, now
            elif self._renewed_at is None or (now - self._renewed_at).total_seconds() >= (
                self.renew_every_s * 0.95
            ):
                renewed = await self._store.renew_lease(self._lease)
                if renewed is None:
                    logger.warning("scheduler: leadership lost (lease lapsed and taken)")
                    self._lease = None
                else:
                    self._lease, self._renewed_at = renewed, now
        except StorageError:
            logger.warning("scheduler: lease step failed (storage); not leading this step")
            if self._lease is not None and not self.is_leader:
                self._lease = None
        return self.is_leader

    async def run(self) -> None:
        """Step every lease/3 until `stop()`."""
        self._stopped.clear()
        while not self._stopped.is_set():
            await self.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self.renew_every_s)

    def abandon(self) -> None:
        """Forget the lease without releasing it (what a crash does; for tests)."""
        self._lease = None
        self._stopped.set()

    async def stop(self) -> None:
        self._stopped.set()
        lease, self._lease = self._lease, None
        if lease is not None:
            try:
                await self._store.release_lease(lease)
                logger.info("scheduler: leadership released")
            except StorageError:
                logger.warning("scheduler: could not release the lease; it will lapse")


JobFn = Callable[[datetime], Awaitable[Any]]


@dataclass
class Job:
    name: str
    every: timedelta
    run: JobFn
    last_run: datetime | None = None
    running: bool = False


class Scheduler:
    """Runs jobs on the leader. `tick()` is the unit of work (tests call it directly)."""

    def __init__(
        self,
        clock: Clock,
        election: LeaderElection,
        *,
        tick_s: float = 60.0,
        job_timeout_s: float = 600.0,
    ) -> None:
        self._clock = clock
        self.election = election
        self._tick_s = tick_s
        self._job_timeout_s = job_timeout_s
        self.jobs: list[Job] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def add_job(self, name: str, every: timedelta, run: JobFn) -> None:
        self.jobs.append(Job(name, every, run))

    async def tick(self, *, elect: bool = True) -> list[str]:
        """One round: a leadership step (unless `elect=False`, when the election loop runs on
        its own), then every due job if we lead. Returns the names of the jobs run."""
        leading = await self.election.step() if elect else self.election.is_leader
        if not leading:
            return []
        now = self._clock.now()
        ran: list[str] = []
        for job in self.jobs:
            if job.running or (job.last_run is not None and now - job.last_run < job.every):
                continue
            job.running, job.last_run = True, now
            try:
                await asyncio.wait_for(job.run(now), self._job_timeout_s)
                ran.append(job.name)
            except Exception:
                logger.exception("scheduled job %s failed", job.name)
            finally:
                job.running = False
        return ran

    async def _jobs_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick(elect=False)
            except Exception:
                logger.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._tick_s)

    def start(self) -> None:
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self.election.run(), name="scheduler-election"),
            asyncio.create_task(self._jobs_loop(), name="scheduler-jobs"),
        ]

    async def stop(self) -> None:
        self._stopping.set()
        await self.election.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []


def scheduler_cleanup_ctx(
    scheduler: Scheduler, *, enabled: bool = True
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp `cleanup_ctx` entry: start the scheduler on startup, stop it on cleanup."""

    async def ctx(app: Any) -> AsyncIterator[None]:
        if enabled:
            scheduler.start()
            logger.info("scheduler started (holder %s)", scheduler.election.holder)
        yield
        if enabled:
            await scheduler.stop()

    return ctx


def utc_now() -> datetime:
    return datetime.now(UTC)
