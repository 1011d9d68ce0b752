"""Briefing fan-out benchmark: N recipients across Paris, New York and Singapore, delivered
through a local Bot Connector by a real Pulse app (CloudAdapter, continue_conversation).

    .venv/bin/python bench/bench_briefing.py [--recipients 100 1000] [--concurrency 20]

For each N: a fresh store and app; recipients spread evenly over the three time zones (half in
French, half in English); the clock is set to 08:05 local in each zone in turn and the due
briefings are run. Printed side by side: wall time, briefings sent, X posts read and X requests
(counted at the posts source), and model tokens (a stand-in drafting call for the suggested
post, counted with `bot.domain.tokens.estimate_tokens` on its prompt and answer). X reads and
tokens depend on tenants × time zones × languages, not on N.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time as wall
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import COMPONENTS_KEY, create_app
from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.demo.source import DemoSource
from bot.clients.store import LocalDirStore
from bot.clients.store.records import make_record
from bot.config import load_settings
from bot.devtools.connector import LocalConnector
from bot.domain.tokens import estimate_tokens
from bot.services.costs import CostLedger
from bot.services.insights import Insights, InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.subscriptions import KIND, SCHEMA, Subscription, subscriptions_key
from bot.teams.briefings import BriefingSettings, build_briefings
from tests.briefing.conftest import CountingSource, store_reference

TENANT = "tenant-bench"
ZONES = ("Europe/Paris", "America/New_York", "Asia/Singapore")
DAY = datetime(2026, 11, 24)  # a Tuesday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


class TokenCounter:
    """A drafting stand-in: builds the prompt a model would get and counts tokens."""

    def __init__(self) -> None:
        self.calls = 0
        self.tokens = 0

    async def __call__(self, kind: str, insights: Insights, lang: str) -> str | None:
        a = insights.analysis
        prompt = "\n".join(
            [f"Write the {kind} in {lang} for {insights.label}."]
            + [f"theme: {t.label} ({t.size})" for t in a.themes.themes[:5]]
            + [ap.post.text for ap in a.posts[:20]]
        )
        answer = f"[{lang}] {insights.label}: {a.total_mentions} mentions."
        self.calls += 1
        self.tokens += estimate_tokens(prompt) + estimate_tokens(answer)
        return answer


async def approvals(actor: Any, text: str, lang: str, context: dict[str, Any]) -> str:
    return "n/a"


async def run(n: int, concurrency: int, connector: LocalConnector) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-briefing-"))
    store = LocalDirStore(root / "store", timeout_s=30)
    clock = Clock(DAY.replace(tzinfo=UTC))
    source = CountingSource(DemoSource(clock))
    listening = ListeningService(source, store, CostLedger(store, clock), clock)
    insights = InsightsService(listening, ProfileRepository(store, DEFAULT_PROFILE_PATH), clock)
    settings = load_settings(_env_file=None, PULSE_DATA_DIR=str(root / "data"))
    app = create_app(settings, store=store, clock=clock, briefings_installed=False)
    tokens = TokenCounter()
    from bot.teams.references import ReferenceStore

    components = app[COMPONENTS_KEY]
    briefings = build_briefings(
        store=store,
        clock=clock,
        adapter=components.adapter,
        app_id=settings.bot.app_id,
        router=components.bot.actions,
        insights=insights,
        references=ReferenceStore(store, clock, settings.effective_service_url_hosts),
        submit_for_approval=approvals,
        suggest_post=tokens,
        settings=BriefingSettings(scheduler_enabled=False, delivery_concurrency=concurrency),
    )
    briefings.attach(app)
    subscribers: dict[str, Any] = {}
    for i in range(n):
        tz = ZONES[i % len(ZONES)]
        lang = "fr" if i % 2 else "en"
        key = await store_reference(
            store, connector.url, f"bench-{n}-{i}", tenant=TENANT, lang=lang, tz=tz
        )
        sub = Subscription(
            key.rsplit("/", 1)[1],
            TENANT,
            key,
            lang=lang,
            tz=tz,
            at=time(8, 0),
            days=(0, 1, 2, 3, 4, 5, 6),
        )
        subscribers[sub.recipient] = sub.to_json()
    await store.write(
        subscriptions_key(TENANT), make_record(KIND, SCHEMA, {"subscribers": subscribers})
    )
    before = len(connector.received)
    started = wall.perf_counter()
    sent = 0
    for tz in ZONES:
        local = datetime.combine(DAY.date(), time(8, 5), tzinfo=ZoneInfo(tz))
        clock.t = local.astimezone(UTC)
        report = await briefings.service.run_due()
        sent += report.sent
    elapsed = wall.perf_counter() - started
    await store.close()
    return {
        "recipients": n,
        "sent": sent,
        "delivered": len(connector.received) - before,
        "wall_s": round(elapsed, 2),
        "per_briefing_ms": round(1000 * elapsed / max(sent, 1), 1),
        "x_posts_read": source.posts_read,
        "x_search_requests": source.search_calls,
        "x_counts_requests": source.count_calls,
        "model_calls": tokens.calls,
        "model_tokens": tokens.tokens,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    connector = LocalConnector()
    await connector.start()
    try:
        rows = [await run(n, args.concurrency, connector) for n in args.recipients]
    finally:
        await connector.stop()
    keys = list(rows[0])
    width = max(len(k) for k in keys)
    out = sys.stdout
    out.write(f"{'':{width}}" + "".join(f"{'N=' + str(r['recipients']):>12}" for r in rows) + "\n")
    for k in keys[1:]:
        out.write(f"{k:{width}}" + "".join(f"{r[k]!s:>12}" for r in rows) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
