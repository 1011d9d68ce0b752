""" "What are people saying today?" on a day with 10,000 mentions: Pulse's bounded listening beside
the naive approach of reading every mention, both through the real tweepy client against the same
fake X API v2 server (its own thread and event loop), measured in the same run.

Reports, for each: posts read (as X would bill them), HTTP requests, estimated X cost (default
price table), wall time; then a repeat within the cache time (expect 0 new reads), and posts
ingested per second (naive read: tweepy + JSON + mapping to `Post`; cache: posts written to the
local store per second).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.store.local import LocalDirStore  # noqa: E402
from bot.clients.x import XSource  # noqa: E402
from bot.ports.clock import SystemClock  # noqa: E402
from bot.ports.posts import ReadBudget, Window  # noqa: E402
from bot.services.costs import CostLedger  # noqa: E402
from bot.services.listening import ListeningService  # noqa: E402
from tests.support.fake_x import TEST_BEARER_TOKEN, FakeXServer  # noqa: E402

T = TypeVar("T")

TEMPLATES_FR = [
    "Mon {brand} est tombé en panne ce matin, le SAV ne répond pas",
    "Franchement le nouveau {brand} est une merveille, bravo à l'équipe",
    "Quelqu'un a essayé la batterie longue autonomie de {brand} ?",
    "{brand} annonce des résultats trimestriels en hausse",
    "Livraison {brand} encore en retard, troisième semaine d'attente",
    "Test du {brand} cargo avec deux enfants : convaincu",
]
TEMPLATES_EN = [
    "Just picked up my {brand} e-bike, loving it so far",
    "{brand} customer service is a nightmare right now",
    "Is anyone else's {brand} app down today?",
    "Great interview with the {brand} CEO on the future of cycling",
]
TEMPLATES_DE = ["Das neue {brand} Lastenrad ist super", "{brand} Lieferung verspätet sich"]


class ServerThread:
    """The fake X server on its own event loop, so its work is not billed to the client."""

    def __init__(self, fake: FakeXServer) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def __enter__(self) -> FakeXServer:
        self.thread.start()
        self.run(self.fake.start())
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.run(self.fake.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def seed(fake: FakeXServer, n: int, window: Window, rng: random.Random) -> None:
    authors = [
        fake.add_user(f"rider{i}", followers=int(rng.paretovariate(1.2) * 50)) for i in range(2000)
    ]
    span = (window.end - window.start).total_seconds() - 120
    for i in range(n):
        lang, templates = rng.choices(
            [("fr", TEMPLATES_FR), ("en", TEMPLATES_EN), ("de", TEMPLATES_DE)], [6, 3, 1]
        )[0]
        text = rng.choice(templates).format(brand=rng.choice(["Velora", "@velora", "#Velora"]))
        fake.add_post(
            f"{text} ({i})",
            author=rng.choice(authors),
            created_at=window.start + timedelta(seconds=60 + rng.uniform(0, span)),
            lang=lang,
            likes=int(rng.paretovariate(1.5)) - 1,
            reposts=int(rng.paretovariate(2.5)) - 1,
            replies=rng.randint(0, 3),
        )


def usage(fake: FakeXServer) -> tuple[int, int]:
    return fake.posts_returned(), sum(fake.calls.values())


async def measure(fake: FakeXServer, window: Window, sample: int) -> dict[str, Any]:
    query = ["velora"]
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalDirStore(Path(tmp) / "store")
        clock = SystemClock()
        async with XSource(
            SecretStr(TEST_BEARER_TOKEN), base_url=fake.base_url, timeout_s=30
        ) as source:
            ledger = CostLedger(store, clock)
            service = ListeningService(source, store, ledger, clock)

            before = usage(fake)
            started = time.perf_counter()
            result = await service.listen(query, window, sample_size=sample)
            elapsed = time.perf_counter() - started
            after = usage(fake)
            out["pulse"] = {
                "volume": result.volume,
                "sample": len(result.sample),
                "posts_read": after[0] - before[0],
                "requests": after[1] - before[1],
                "cost_usd": float(result.cost.dollars),
                "cost_line": result.cost.render(),
                "seconds": elapsed,
                "languages": dict(result.languages),
            }

            before = usage(fake)
            started = time.perf_counter()
            again = await service.listen(query, window, sample_size=sample)
            elapsed = time.perf_counter() - started
            after = usage(fake)
            out["repeat"] = {
                "from_cache": again.from_cache,
                "posts_read": after[0] - before[0],
                "requests": after[1] - before[1],
                "cost_usd": float(again.cost.dollars),
                "cost_line": again.cost.render(),
                "seconds": elapsed,
            }

            # Cache write throughput: the same posts written again, as a cold ingest would.
            posts = list(result.sample)
            started = time.perf_counter()
            await service._cache_posts(posts * 5)  # measuring the store path
            out["cache_write_posts_per_s"] = len(posts) * 5 / (time.perf_counter() - started)

            # Naive: read every mention of the day.
            naive_ledger = CostLedger(LocalDirStore(Path(tmp) / "naive"), clock)
            before = usage(fake)
            started = time.perf_counter()
            everything = await source.search(
                query[0], window, ReadBudget(max_posts=1_000_000, max_seconds=600), sort="recency"
            )
            elapsed = time.perf_counter() - started
            after = usage(fake)
            line = await naive_ledger.record(
                post_ids=everything.read_post_ids, user_ids=everything.read_user_ids
            )
            out["naive"] = {
                "posts_read": after[0] - before[0],
                "requests": after[1] - before[1],
                "cost_usd": float(line.dollars),
                "cost_line": line.render(),
                "seconds": elapsed,
                "posts_per_s": len(everything.posts) / elapsed,
                "partial": everything.partial,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    now = datetime.now(UTC)
    window = Window(now - timedelta(hours=20), now - timedelta(minutes=1))
    fake = FakeXServer()
    started = time.perf_counter()
    seed(fake, args.mentions, window, random.Random(args.seed))
    seeding = time.perf_counter() - started
    with ServerThread(fake):
        figures = asyncio.run(measure(fake, window, args.sample))
    figures["mentions"] = args.mentions
    figures["seed_seconds"] = seeding
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    p, n, r = figures["pulse"], figures["naive"], figures["repeat"]
    print(f"\n'What are people saying today?' — {args.mentions:,} mentions, sample {args.sample}")
    print(f"{'':26}{'posts read':>12}{'requests':>10}{'X cost':>10}{'seconds':>10}")
    for name, row in (
        ("Pulse (counts + sample)", p),
        ("naive (read every post)", n),
        ("Pulse, asked again", r),
    ):
        print(
            f"{name:26}{row['posts_read']:>12,}{row['requests']:>10}"
            f"{'$' + format(row['cost_usd'], ',.2f'):>10}{row['seconds']:>10.2f}"
        )
    print(
        f"volume from counts: {p['volume']:,}; sample kept: {p['sample']}; "
        f"languages: {', '.join(f'{k} {v:.0%}' for k, v in p['languages'].items())}"
    )
    print(f"Pulse cost line: {p['cost_line']}")
    print(f"naive cost line: {n['cost_line']}")
    print(f"repeat: from cache={r['from_cache']}, {r['cost_line']}")
    print(
        f"saving: {n['cost_usd'] / max(p['cost_usd'], 1e-9):,.0f}x cheaper, "
        f"{n['requests'] / max(p['requests'], 1):.0f}x fewer requests"
    )
    print(
        f"ingest: {n['posts_per_s']:,.0f} posts/s read through tweepy (naive run); "
        f"{figures['cache_write_posts_per_s']:,.0f} posts/s written to the local cache"
    )


if __name__ == "__main__":
    main()
