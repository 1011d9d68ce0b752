"""Approval benchmark: decisions/s under 50 concurrent approvers on Azurite, exactly-once posts.

    .venv/bin/python bench/bench_approvals.py [--approvers 50] [--drafts 40] [--instances 2]

Starts its own Azurite (in memory, 127.0.0.1) and a fake X server. `instances` independent
service stacks (each with its own BlobStore client) share one container. Every approver clicks
"approve" on every draft, in its own random order, through a random instance; each winning
click publishes at once. Figures: decisions/s (clicks decided, accepted or refused), accepted
decisions, posts on X, duplicate posts, and lost decisions (clicks missing from the audit log).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clients.store.blob import BlobStore
from bot.domain.drafts import Person
from bot.ports.clock import SystemClock
from bot.services.approvals import ApprovalService
from bot.services.publishing import PublishingService
from bot.services.roles import RoleService
from tests.approvals.conftest import ALICE, CONSUMER_KEY, TENANT, make_services, x_source
from tests.support.azurite import start_azurite
from tests.support.fake_x import FakeXServer


async def run(approvers: int, drafts: int, instances: int) -> None:
    azurite = start_azurite("blob")
    container = f"bench{uuid.uuid4().hex[:20]}"
    ids = [f"aad-approver-{i}" for i in range(approvers)]
    try:
        async with FakeXServer(consumer_key=CONSUMER_KEY) as fake_x:
            stacks: list[tuple[ApprovalService, PublishingService, BlobStore]] = []
            sources = []
            for _ in range(instances):
                store = BlobStore(
                    container=container, connection_string=azurite.connection_string, timeout_s=30
                )
                source = x_source(fake_x, timeout_s=10)
                sources.append(source)
                approvals, publishing = make_services(
                    store,
                    SystemClock(),
                    publisher=source,
                    enabled=True,  # type: ignore[arg-type]
                    roles=RoleService(approvers=ids),
                )
                stacks.append((approvals, publishing, store))
            created = [
                await stacks[0][0].submit(TENANT, ALICE, f"Bench post {n} #Velora", "en", {}, None)
                for n in range(drafts)
            ]
            latencies: list[float] = []
            accepted = 0

            async def approver(i: int) -> None:
                nonlocal accepted
                order = list(created)
                random.shuffle(order)
                for draft in order:
                    approvals, publishing, _ = random.choice(stacks)
                    started = time.perf_counter()
                    result = await approvals.decide(
                        TENANT, draft.id, 1, Person(ids[i], f"Approver {i}"), "approve"
                    )
                    latencies.append(time.perf_counter() - started)
                    if result.accepted:
                        accepted += 1
                        await publishing.publish(TENANT, draft.id)

            started = time.perf_counter()
            await asyncio.gather(*(approver(i) for i in range(approvers)))
            elapsed = time.perf_counter() - started
            events = await stacks[0][0].audit_events(TENANT)
            clicks = [e for e in events if e.action in ("approve", "approved")]
            texts = [c["text"] for c in fake_x.created]
            for source in sources:
                await source.close()
            for _, _, store in stacks:
                await store.close()
    finally:
        azurite.stop()
    total = approvers * drafts
    lat = sorted(latencies)
    sys.stdout.write(
        f"approvers={approvers} drafts={drafts} instances={instances} clicks={total}\n"
        f"decisions/s: {total / elapsed:.1f} (elapsed {elapsed:.2f}s)\n"
        f"decision latency ms: median {statistics.median(lat) * 1000:.1f}, "
        f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.1f}\n"
        f"accepted decisions: {accepted} (expected {drafts})\n"
        f"posts on X: {len(texts)}, duplicate posts: {len(texts) - len(set(texts))}\n"
        f"clicks in the audit log: {len(clicks)}, lost decisions: {total - len(clicks)}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvers", type=int, default=50)
    parser.add_argument("--drafts", type=int, default=40)
    parser.add_argument("--instances", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.approvers, args.drafts, args.instances))


if __name__ == "__main__":
    main()
