"""Storage benchmark: reads/s and compare-and-set writes/s, LocalDirStore vs BlobStore (Azurite).

    .venv/bin/python bench/bench_store.py [--seconds 2] [--workers 8]

Starts its own Azurite (in memory, 127.0.0.1, OS-chosen port) and a temporary directory.
Figures:
- reads/s: `workers` coroutines reading one 1 KiB value in a loop;
- CAS writes/s: each coroutine rewrites its own key with `if_match` (uncontended);
- contended CAS/s: every coroutine increments the same counter with a read + `if_match` retry
  loop (successful increments per second).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clients.store.blob import BlobStore
from bot.clients.store.local import LocalDirStore
from bot.ports.store import PreconditionFailed, Store
from tests.support.azurite import start_azurite

VALUE = {"text": "x" * 1000}


async def _rate(seconds: float, workers: int, step: Callable[[int], Awaitable[int]]) -> float:
    deadline = time.monotonic() + seconds
    counts = [0] * workers

    async def worker(i: int) -> None:
        while time.monotonic() < deadline:
            counts[i] += await step(i)

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    return sum(counts) / (time.monotonic() - started)


async def measure(store: Store, seconds: float, workers: int) -> dict[str, float]:
    await store.write("bench/read", VALUE)

    async def read(_i: int) -> int:
        await store.read("bench/read")
        return 1

    etags = [await store.write(f"bench/cas/{i}", VALUE) for i in range(workers)]

    async def cas(i: int) -> int:
        etags[i] = await store.write(f"bench/cas/{i}", VALUE, if_match=etags[i])
        return 1

    await store.write("bench/counter", {"n": 0})

    async def contended(_i: int) -> int:
        current = await store.read("bench/counter")
        assert current is not None
        try:
            await store.write("bench/counter", {"n": current.value["n"] + 1}, if_match=current.etag)
        except PreconditionFailed:
            return 0
        return 1

    return {
        "reads/s": await _rate(seconds, workers, read),
        "CAS writes/s": await _rate(seconds, workers, cas),
        "contended CAS/s": await _rate(seconds, workers, contended),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        local = LocalDirStore(tmp, timeout_s=30)
        results["LocalDirStore"] = await measure(local, args.seconds, args.workers)
        await local.close()

    azurite = start_azurite("blob")
    try:
        blob = BlobStore(
            container="bench", connection_string=azurite.connection_string, timeout_s=30
        )
        await blob.ping()
        results["BlobStore (Azurite)"] = await measure(blob, args.seconds, args.workers)
        await blob.close()
    finally:
        azurite.stop()

    names = list(results)
    metrics = list(results[names[0]])
    width = max(len(m) for m in metrics) + 2
    header = f"{'':{width}}" + "".join(f"{n:>22}" for n in names)
    sys.stdout.write(f"{args.workers} concurrent workers, {args.seconds:g}s per figure\n")
    sys.stdout.write(header + "\n")
    for metric in metrics:
        row = f"{metric:{width}}" + "".join(f"{results[n][metric]:>22,.0f}" for n in names)
        sys.stdout.write(row + "\n")


if __name__ == "__main__":
    asyncio.run(main())
