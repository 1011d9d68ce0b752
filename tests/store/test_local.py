"""LocalDirStore specifics: several OS processes, atomic files, read errors, lock timeouts."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.clients.store.local import LocalDirStore
from bot.clients.store.records import cas_update
from bot.ports.store import CorruptRecord, StorageError, StorageUnavailable

ROOT = Path(__file__).resolve().parents[2]


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.local_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _append_bytes(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def _wait(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


async def test_cas_increments_across_processes(tmp_path: Path) -> None:
    root = str(tmp_path / "data")
    procs = [_spawn("cas", root, "counters/shared", "15") for _ in range(3)]
    store = LocalDirStore(root, timeout_s=30)
    await asyncio.gather(
        *(
            cas_update(store, "counters/shared", lambda v: {"n": (v or {"n": 0})["n"] + 1},
                       attempts=1000)
            for _ in range(5)
        )
    )  # fmt: skip
    for proc in procs:
        await asyncio.to_thread(_wait, proc)
    found = await store.read("counters/shared")
    assert found is not None and found.value == {"n": 50}


async def test_one_lease_holder_across_processes(tmp_path: Path) -> None:
    root = str(tmp_path / "data")
    start_at = time.time() + 1.5  # every process is up and waiting when the race starts
    procs = [_spawn("lease", root, "leader/x", f"p{i}", str(start_at)) for i in range(5)]
    results = [json.loads(await asyncio.to_thread(_wait, p)) for p in procs]
    assert sum(r["got"] for r in results) == 1


async def test_writes_are_atomic_files(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path, timeout_s=5)
    await asyncio.gather(*(store.write("k", {"i": i, "pad": "x" * 10_000}) for i in range(20)))
    files = sorted(p.name for p in (tmp_path / "kv").iterdir())
    assert files == ["k~.json"]  # no temp file left behind
    found = await store.read("k")
    assert found is not None and found.value["pad"] == "x" * 10_000


async def test_a_read_error_is_not_missing(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path, timeout_s=5)
    (tmp_path / "kv" / "weird~.json").mkdir(parents=True)  # unreadable as a file
    with pytest.raises(StorageUnavailable):
        await store.read("weird")


async def test_a_corrupt_file_is_reported(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path, timeout_s=5)
    await store.write("k", {"v": 1})
    (tmp_path / "kv" / "k~.json").write_bytes(b'{"etag": "x", "val')
    with pytest.raises(CorruptRecord):
        await store.read("k")
    await store.write("k", {"v": 2})  # an unconditional write repairs it
    found = await store.read("k")
    assert found is not None and found.value == {"v": 2}


async def test_a_torn_log_line_is_skipped_and_not_glued(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path, timeout_s=5)
    await store.append("audit", {"i": 0})
    _append_bytes(tmp_path / "log" / "audit~.jsonl", b'{"id": "torn", "rec')  # a crash mid-append
    await store.append("audit", {"i": 1})
    assert await store.read_log("audit") == [{"i": 0}, {"i": 1}]


async def test_a_busy_lock_gives_unavailable_in_time(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path, timeout_s=0.5)
    await store.write("k", {"v": 1})
    # Hold every stripe, as a stuck process would.
    fds = []
    for lock in sorted((tmp_path / "locks").glob("*.lock")):
        fd = os.open(lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        fds.append(fd)
    assert fds
    try:
        for n in range(256):
            path = tmp_path / "locks" / f"{n:03d}.lock"
            if not path.exists():
                fd = os.open(path, os.O_RDWR | os.O_CREAT)
                fcntl.flock(fd, fcntl.LOCK_EX)
                fds.append(fd)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await store.write("k", {"v": 2})
        assert time.monotonic() - started < 0.5 + 1.0
        found = await store.read("k")  # reads take no lock
        assert found is not None and found.value == {"v": 1}
    finally:
        for fd in fds:
            os.close(fd)


async def test_ping_fails_on_a_read_only_root(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = LocalDirStore(blocker / "data", timeout_s=2)
    with pytest.raises(StorageError):
        await store.ping()
