"""Run as a separate process by test_local.py: CAS increments or a lease attempt on a LocalDirStore.

python -m tests.store.local_worker cas ROOT KEY COUNT
python -m tests.store.local_worker lease ROOT KEY HOLDER START_AT_EPOCH
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bot.clients.store.local import LocalDirStore
from bot.clients.store.records import cas_update


async def cas(root: str, key: str, count: int) -> None:
    store = LocalDirStore(root, timeout_s=30)

    async def one() -> None:
        await cas_update(store, key, lambda v: {"n": (v or {"n": 0})["n"] + 1}, attempts=1000)

    await asyncio.gather(*(one() for _ in range(count)))


async def lease(root: str, key: str, holder: str, start_at: float) -> None:
    store = LocalDirStore(root, timeout_s=30)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    got = await store.acquire_lease(key, holder, 30)
    sys.stdout.write(json.dumps({"holder": holder, "got": got is not None}) + "\n")


def main(argv: list[str]) -> None:
    if argv[0] == "cas":
        asyncio.run(cas(argv[1], argv[2], int(argv[3])))
    else:
        asyncio.run(lease(argv[1], argv[2], argv[3], float(argv[4])))


if __name__ == "__main__":
    main(sys.argv[1:])
