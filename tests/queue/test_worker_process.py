"""Workers as real processes on Azurite: killed mid-job (SIGKILL) the job is redone by another
worker and its effect is recorded once; stopped (SIGTERM) a worker finishes the job in hand.
Also the health endpoints of `run_worker`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.clients.queue.azure import AzureQueue
from bot.clients.queue.memory import MemoryQueue
from bot.clients.queue.runner import HandlerRegistry, QueueWorker, WorkerOptions
from bot.clients.store.local import LocalDirStore
from bot.ports.store import StorageUnavailable, Store
from bot.worker import register_handlers, run_worker
from tests.queue.conftest import new_queue_name
from tests.support.azurite import Azurite

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.azurite


class Workers:
    def __init__(self, azurite: Azurite, queue_name: str, root: Path, logs: Path) -> None:
        self.azurite, self.queue_name, self.root, self.logs = azurite, queue_name, root, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        args = [
            sys.executable,
            "-m",
            "tests.queue.worker_proc",
            self.azurite.connection_string,
            self.queue_name,
            str(self.root),
            name,
        ]
        with open(self.logs / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def workers(azurite_queue: Azurite, tmp_path: Path) -> Iterator[Workers]:
    (tmp_path / "logs").mkdir()
    w = Workers(azurite_queue, new_queue_name(), tmp_path / "data", tmp_path / "logs")
    try:
        yield w
    finally:
        w.stop_all()


@pytest.fixture
async def env(workers: Workers) -> AsyncIterator[tuple[AzureQueue, Store]]:
    queue = AzureQueue(
        workers.queue_name, connection_string=workers.azurite.connection_string, timeout_s=20
    )
    store = LocalDirStore(workers.root, timeout_s=20)
    try:
        yield queue, store
    finally:
        await queue.close()
        await store.close()


async def wait_for(check: Callable[[], object], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("kill_point", ["before_effect", "after_effect"])
async def test_worker_killed_mid_job_is_redone_by_another_once(
    workers: Workers, env: tuple[AzureQueue, Store], kill_point: str
) -> None:
    queue, store = env
    sleeps = (
        {"first_sleep_before": 60} if kill_point == "before_effect" else {"first_sleep_after": 60}
    )
    job_id = await queue.enqueue("effect", sleeps)

    a = workers.start("worker-a")
    marker = "attempts/" + job_id + "/worker-a"
    if kill_point == "after_effect":
        await wait_for(lambda: store.list("jobs/effects/effect/"), "worker A's effect")
    else:
        await wait_for(lambda: store.read(marker), "worker A's attempt")
    a.send_signal(signal.SIGKILL)
    assert a.wait(timeout=10) == -signal.SIGKILL

    b = workers.start("worker-b")
    await wait_for(
        lambda: store.read(f"attempts/{job_id}/worker-b"), "worker B's attempt", timeout=30
    )

    async def queue_empty() -> bool:
        return await queue.approximate_length() == 0

    await wait_for(queue_empty, "the job to be deleted", timeout=30)
    b.send_signal(signal.SIGTERM)
    assert b.wait(timeout=15) == 0, workers.log("worker-b")

    effects = await store.list("jobs/effects/effect/")
    assert len(effects) == 1, "the effect must be recorded exactly once"
    recorded = await store.read(effects[0])
    assert recorded is not None
    expected = "worker-a" if kill_point == "after_effect" else "worker-b"
    assert recorded.value == {"worker": expected}
    attempts = await store.list(f"attempts/{job_id}/")
    assert [k.rsplit("/", 1)[1] for k in attempts] == ["worker-a", "worker-b"]
    second = await store.read(f"attempts/{job_id}/worker-b")
    assert second is not None and second.value == {"dequeue_count": 2}
    assert await queue.poisoned() == []


async def test_sigterm_finishes_the_job_in_hand(
    workers: Workers, env: tuple[AzureQueue, Store]
) -> None:
    queue, store = env
    job_id = await queue.enqueue("effect", {"first_sleep_after": 1.5})
    a = workers.start("worker-a")
    await wait_for(lambda: store.read(f"attempts/{job_id}/worker-a"), "worker A's attempt")
    a.send_signal(signal.SIGTERM)
    assert a.wait(timeout=15) == 0, workers.log("worker-a")
    assert len(await store.list("jobs/effects/effect/")) == 1
    assert await queue.approximate_length() == 0
    assert "stopping" in workers.log("worker-a")


# -- health endpoints (in-process) -------------------------------------------------------------


class DownStore(LocalDirStore):
    async def ping(self) -> None:
        raise StorageUnavailable("down")


@pytest.mark.parametrize("store_ok", [True, False])
async def test_readiness_reflects_store_and_queue(tmp_path: Path, store_ok: bool) -> None:
    store = LocalDirStore(tmp_path) if store_ok else DownStore(tmp_path)
    queue = MemoryQueue("pulse-jobs")
    registry = HandlerRegistry()
    register_handlers(registry, store=store, worker_name="w")
    ready: asyncio.Future[tuple[QueueWorker, int | None]] = (
        asyncio.get_running_loop().create_future()
    )
    task = asyncio.create_task(
        run_worker(
            store=store,
            queue=queue,
            registry=registry,
            options=WorkerOptions(concurrency=1),
            handle_signals=False,
            on_ready=lambda w, p: ready.set_result((w, p)),
        )
    )
    worker, port = await asyncio.wait_for(ready, 10)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                body = await resp.json()
                assert resp.status == (200 if store_ok else 503), body
                assert body["storage"] == ("ok" if store_ok else "unavailable")
                assert body["queue"] == "ok"
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)


async def test_echo_handler_runs_in_process(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path)
    queue = MemoryQueue("pulse-jobs")
    registry = HandlerRegistry()
    register_handlers(registry, store=store, worker_name="w")
    worker = QueueWorker(queue, registry, WorkerOptions(concurrency=1))
    await queue.enqueue("echo", {"hello": "world"})
    assert await worker.run_once()
    keys = await store.list("jobs/effects/echo/")
    assert len(keys) == 1
    record = await store.read(keys[0])
    assert record is not None and record.value["payload"] == {"hello": "world"}
    await store.close()
