"""Crisis alert check benchmark: X cost a day, and time a check, at the configured cadence
beside the hourly one (the old default), both measured in this run.

    .venv/bin/python bench/bench_alerts.py [--every 5] [--days 2]

The production check path (`AlertService.check`, as `scripts/replay_alerts.py` builds it)
runs over a synthetic stream: 8 days of calm mentions (about 550 a day) with one burst on the
last day. Every request to the posts source is counted: counts requests, posts and users read
(a page of posts bills its authors too), priced with the default X price table. Per day,
per watched query. The calm day shows the floor (counts only); the burst day adds the samples
read while the counts deviate.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from replay_alerts import build

from bot.config import AlertsSettings
from bot.domain.costs import PriceTable, Usage
from bot.ports.posts import Author, Post

START = datetime(2026, 11, 16, tzinfo=UTC)


def stream(days: int, seed: int = 3) -> list[Post]:
    rng = random.Random(seed)
    posts = []
    t = START
    end = START + timedelta(days=days)
    n = 0
    while t < end:
        h = t.hour
        per_hour = 6 + 30 * math.exp(-(((h - 13) / 4) ** 2))
        t += timedelta(seconds=rng.expovariate(per_hour / 3600))
        n += 1
        posts.append(Post(f"p{n}", "Ordered again, delivery on time", t, Author("a", "a", "a", 10)))
    burst_at = end - timedelta(hours=10)
    for i in range(300):
        at = burst_at + timedelta(seconds=3 * i)
        posts.append(
            Post(f"b{i}", "Battery fire, recall it now", at, Author(f"c{i}", f"c{i}", "c", 900))
        )
    return sorted(posts, key=lambda p: p.created_at)


class Counting:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.usage = Usage()

    async def search(self, query: str, window: Any, budget: Any, **kw: Any) -> Any:
        result = await self.inner.search(query, window, budget, **kw)
        n = max(len(result.posts), 10)  # a page bills at least 10 posts and their authors
        self.usage = self.usage + Usage(posts_read=n, users_read=n)
        return result

    async def counts(self, query: str, window: Any, granularity: Any) -> Any:
        self.usage = self.usage + Usage(counts_requests=1)
        return await self.inner.counts(query, window, granularity)


async def run(posts: list[Post], every: timedelta, day: datetime) -> tuple[Usage, float, int]:
    replay = build(posts, day - timedelta(hours=1))
    counting = Counting(replay.source)
    listening = replay.service._insights._listening
    listening._source = counting
    t, checks, spent = day, 0, 0.0
    while t < day + timedelta(days=1):
        replay.clock.value = t
        started = time.perf_counter()
        await replay.service.check("bench")
        spent += time.perf_counter() - started
        checks += 1
        t += every
    return counting.usage, spent / max(checks, 1), checks


def main() -> int:
    default = float(AlertsSettings.model_fields["every_minutes"].default)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=default)
    args = parser.parse_args()
    posts = stream(8)
    prices = PriceTable()
    calm_day = START + timedelta(days=6)
    burst_day = START + timedelta(days=7)
    print(
        f"{'cadence':>10} {'day':>6} {'checks':>6} {'counts':>7} {'posts':>6} {'$/day':>7} "
        f"{'ms/check':>8}"
    )
    for minutes in (args.every, 60.0):
        for label, day in (("calm", calm_day), ("burst", burst_day)):
            usage, per_check, checks = asyncio.run(run(posts, timedelta(minutes=minutes), day))
            dollars = usage.dollars(prices)
            print(
                f"{minutes:>7.0f} min {label:>6} {checks:>6} {usage.counts_requests:>7} "
                f"{usage.posts_read:>6} {float(dollars):>7.2f} {per_check * 1000:>8.1f}"
            )
    print("(per watched query; hourly was the old default cadence)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
