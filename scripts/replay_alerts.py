"""Back-test crisis alerts on a mention stream: the production check path, replayed.

    python scripts/replay_alerts.py [--every MINUTES] < stream.jsonl

stdin: JSON lines, the company's whole mention stream, one post a line:
`{"id", "text", "created_at", "author", "followers"}` (created_at ISO 8601; author a handle).
Every `--every` minutes (default: the configured cadence, PULSE_ALERT_EVERY_MINUTES) from the
first post to the last, the very `AlertService.check` the scheduler calls runs against an
in-memory posts source built from the stream: the counts per minute and per hour the stream
implies (what X's counts endpoint would say) and the sample production would read (top posts
by reach, and the most recent). stdout: one JSON line per check:
`{"at": ISO 8601, "level": "calm"|"watch"|"alert", "score": number, "reasons": [...]}`.
(Level "unknown" appears only when counts are unavailable, which a replay never is.)
Nothing is sent: there are no recipients, and the store is in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.store.memory import MemoryStore
from bot.clients.stream import StreamSource
from bot.ports.posts import (
    Author,
    Post,
)
from bot.services.alerts import AlertReport, AlertService
from bot.services.briefings import DeliveryOutcome, DeliveryStatus
from bot.services.costs import CostLedger
from bot.services.insights import Insights, InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.subscriptions import SubscriptionService

TENANT = "replay"


class ReplayClock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value


def parse_post(line: dict[str, Any]) -> Post:
    created = datetime.fromisoformat(str(line["created_at"]).replace("Z", "+00:00"))
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    handle = str(line.get("author") or "someone").lstrip("@")
    return Post(
        id=str(line["id"]),
        text=str(line.get("text", "")),
        created_at=created.astimezone(UTC),
        author=Author(
            id=handle, handle=handle, name=handle, followers=int(line.get("followers", 0))
        ),
    )


class NoDelivery:
    async def send(self, ref_key: str, card: dict[str, Any]) -> DeliveryOutcome:
        return DeliveryOutcome(ref_key, DeliveryStatus.SENT, "replay")

    async def update(self, ref_key: str, activity_id: str, card: dict[str, Any]) -> DeliveryOutcome:
        return DeliveryOutcome(ref_key, DeliveryStatus.SENT, activity_id)


async def no_statement(kind: str, insights: Insights, lang: str) -> str | None:
    return None


@dataclass
class Replay:
    service: AlertService
    clock: ReplayClock
    source: StreamSource


def build(posts: Iterable[Post], start: datetime, **alert_options: Any) -> Replay:
    """The production alert service over an in-memory store and the stream's source."""
    clock = ReplayClock(start)
    source = StreamSource(posts, clock)
    store = MemoryStore()
    listening = ListeningService(source, store, CostLedger(store, clock), clock)
    insights = InsightsService(listening, ProfileRepository(store, DEFAULT_PROFILE_PATH), clock)
    service = AlertService(
        store,
        clock,
        SubscriptionService(store, clock),
        insights,
        NoDelivery(),
        lambda view: {},
        no_statement,
        **alert_options,
    )
    return Replay(service, clock, source)


def line_of(report: AlertReport) -> dict[str, Any]:
    assert report.at is not None
    return {
        "at": report.at.isoformat().replace("+00:00", "Z"),
        "level": str(report.level),
        "score": report.score,
        "reasons": report.reasons,
    }


async def replay(
    posts: Sequence[Post],
    every: timedelta,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    **alert_options: Any,
) -> AsyncIterator[dict[str, Any]]:
    """One JSON-able dict per check, from `start` (default: the first post, rounded up to the
    cadence) to `end` (default: the last post plus one cadence)."""
    if not posts:
        return
    first = min(p.created_at for p in posts)
    last = max(p.created_at for p in posts)
    t = start or _round_up(first, every)
    stop = end or last + every
    run = build(posts, t, **alert_options)
    while t <= stop:
        run.clock.value = t
        report = await run.service.check(TENANT)
        yield line_of(report)
        t += every


def _round_up(dt: datetime, every: timedelta) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -(-(dt - epoch) // every)
    return epoch + steps * every


def default_every() -> float:
    value = os.environ.get("PULSE_ALERT_EVERY_MINUTES")
    if value:
        return float(value)
    from bot.config import AlertsSettings

    return float(AlertsSettings.model_fields["every_minutes"].default)


async def main_async(every: float) -> int:
    posts = [parse_post(json.loads(line)) for line in sys.stdin if line.strip()]
    async for line in replay(posts, timedelta(minutes=every)):
        sys.stdout.write(json.dumps(line) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--every",
        type=float,
        default=None,
        help="minutes between checks (default: the configured alert cadence)",
    )
    args = parser.parse_args(argv)
    every = args.every if args.every is not None else default_every()
    if every <= 0:
        parser.error("--every must be positive")
    return asyncio.run(main_async(every))


if __name__ == "__main__":
    raise SystemExit(main())
