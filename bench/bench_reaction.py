"""Time from a question to the first visible reaction in Teams (the typing indicator), beside
the time to the answer card, for 100 questions on the demo corpus (issue 6: p95 < 300 ms)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.devtools.connector import LocalConnector, bound_port  # noqa: E402

QUESTIONS = [
    "qu'est-ce qu'on dit de nous aujourd'hui ?",
    "What are people saying about us today?",
    "est-ce qu'une crise se prépare ?",
    "que dit-on de notre batterie ?",
    "quelles tendances dans notre secteur ?",
]


class TimedConnector(LocalConnector):
    def __init__(self) -> None:
        super().__init__()
        self.first: dict[str, float] = {}
        self.card: dict[str, float] = {}

    async def _record(self, request: web.Request, activity: dict[str, Any]) -> None:
        now = time.perf_counter()
        cid = request.match_info.get("cid", "")
        self.first.setdefault(cid, now)
        if activity.get("attachments"):
            self.card.setdefault(cid, now)
        await super()._record(request, activity)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def main(total: int = 100, concurrency: int = 10) -> None:
    connector = TimedConnector()
    service_url = await connector.start()
    with tempfile.TemporaryDirectory() as data:
        settings = load_settings(
            _env_file=None,
            PULSE_DATA_DIR=data,
            PULSE_LOG_LEVEL="WARNING",
            PULSE_SCHEDULER_ENABLED="false",
        )
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{bound_port(site)}/api/messages"
        sent: dict[str, float] = {}
        gate = asyncio.Semaphore(concurrency)

        async def ask(i: int, session: aiohttp.ClientSession) -> None:
            cid = f"bench-{uuid.uuid4().hex[:8]}"
            activity = {
                "type": "message",
                "id": uuid.uuid4().hex,
                "text": QUESTIONS[i % len(QUESTIONS)],
                "locale": "fr-FR",
                "serviceUrl": service_url,
                "channelId": "msteams",
                "from": {"id": "29:u", "name": "U", "aadObjectId": f"aad-{i}"},
                "conversation": {"id": cid, "tenantId": "bench"},
                "recipient": {"id": "28:pulse", "name": "Pulse"},
            }
            async with gate:
                sent[cid] = time.perf_counter()
                async with session.post(url, json=activity) as resp:
                    await resp.read()

        async with aiohttp.ClientSession() as session:
            started = time.perf_counter()
            await asyncio.gather(*(ask(i, session) for i in range(total)))
            await connector.wait_for(lambda _: len(connector.card) >= total, timeout=120)
            wall = time.perf_counter() - started
        await runner.cleanup()
    await connector.stop()
    first = [connector.first[c] - t for c, t in sent.items() if c in connector.first]
    card = [connector.card[c] - t for c, t in sent.items() if c in connector.card]
    print(f"\n{total} questions, {concurrency} at a time, demo corpus, offline engine")
    print(f"{'':34}{'p50 ms':>10}{'p95 ms':>10}")
    print(f"{'first visible reaction (typing)':34}{pct(first, 50):>10.0f}{pct(first, 95):>10.0f}")
    print(f"{'answer card':34}{pct(card, 50):>10.0f}{pct(card, 95):>10.0f}")
    print(
        f"answered {len(card)}/{total} in {wall:.1f} s; goal: first reaction p95 < 300 ms "
        f"(Teams re-delivers after ~15,000 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
