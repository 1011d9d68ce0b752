"""A separate process that publishes one approved draft and "dies" right after X's answer.

Usage: python -m tests.approvals.publish_worker DATA_DIR X_BASE_URL TENANT DRAFT_ID

It prints "SENT <post id>" once X has answered, before the state write, then waits to be
killed (SIGKILL from the test): exactly the window a real crash would hit.
"""

from __future__ import annotations

import asyncio
import sys

from bot.clients.store import LocalDirStore
from bot.domain.drafts import Draft
from bot.ports.clock import SystemClock
from bot.services.approvals import DraftRepository
from bot.services.publishing import PublishingService
from tests.approvals.conftest import x_source
from tests.support.fake_x import FakeXServer


async def main(data_dir: str, base_url: str, tenant: str, draft_id: str) -> None:
    fake = FakeXServer()
    fake.base_url = base_url
    source = x_source(fake)

    async def hang(draft: Draft, post_id: str, url: str) -> None:
        sys.stdout.write(f"SENT {post_id}\n")
        sys.stdout.flush()
        await asyncio.sleep(3600)

    repo = DraftRepository(LocalDirStore(data_dir), SystemClock())
    service = PublishingService(
        repo, SystemClock(), publisher=source, enabled=True, after_send=hang
    )
    await service.publish(tenant, draft_id)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
