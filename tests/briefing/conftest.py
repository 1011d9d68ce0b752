"""Fixtures of the briefing tests: a controllable clock, the demo corpus replayed at a chosen
moment, stored conversation references, a counting Bot Connector, and running Pulse instances
with briefings installed (scheduler driven by explicit ticks, never by real time)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from app import COMPONENTS_KEY, create_app
from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH, load_labels
from bot.clients.demo.source import DemoSource
from bot.clients.store import BlobStore, LocalDirStore
from bot.config import load_settings
from bot.devtools.connector import LocalConnector
from bot.ports.store import Store
from bot.services.costs import CostLedger
from bot.services.insights import Insights, InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.subscriptions import Recipient, SubscriptionService
from bot.teams.actions import Actor
from bot.teams.briefings import Briefings, BriefingSettings, build_briefings
from bot.teams.references import SCHEMA as REF_SCHEMA
from bot.teams.references import ReferenceStore, conversation_key
from tests.support.azurite import Azurite, azurite_blob

__all__ = ["azurite_blob"]

TENANT = "tenant-contoso"
JOBS_SECRET = "jobs-secret-0123456789abcdef0123456789"
BOT_ID = "28:pulse-bot"
# Monday 23 November 2026, 06:30 UTC = 07:30 in Paris.
MONDAY_0630_UTC = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class ReplaySource(DemoSource):
    """The demo corpus with its end pinned to a chosen instant (`end`), so that the test clock
    can walk through the story hour by hour. (DemoSource has no anchor option: it always maps the
    corpus end to `clock.now()`; the minimal change would be an `anchor: Callable[[], datetime]`
    constructor argument used by `anchor()`.) Posts after `clock.now()` stay invisible:
    `_clamp` cuts every window at now."""

    def __init__(self, clock: FakeClock, end: datetime) -> None:
        super().__init__(clock, recent_days=None)
        self.end = end

    def anchor(self) -> datetime:
        return self.end


def crisis_start_end() -> tuple[datetime, datetime]:
    """(crisis start, corpus end) when the crisis starts on Monday 23 Nov 2026 at 17:00 UTC."""
    start = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    offset = int(load_labels()["crisis"]["start_offset_s"])
    return start, start - timedelta(seconds=offset)


class CountingSource:
    """Counts what the source returns (X reads), around any PostSource."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.posts_read = 0
        self.search_calls = 0
        self.count_calls = 0

    async def search(self, query: str, window: Any, budget: Any, **kw: Any) -> Any:
        result = await self.inner.search(query, window, budget, **kw)
        self.search_calls += 1
        self.posts_read += len(result.posts)
        return result

    async def counts(self, query: str, window: Any, granularity: Any) -> Any:
        self.count_calls += 1
        return await self.inner.counts(query, window, granularity)


def make_insights(store: Store, clock: Any, source: Any | None = None) -> InsightsService:
    src = source if source is not None else DemoSource(clock)
    listening = ListeningService(src, store, CostLedger(store, clock), clock)
    return InsightsService(listening, ProfileRepository(store, DEFAULT_PROFILE_PATH), clock)


async def store_reference(
    store: Store,
    service_url: str,
    conversation_id: str,
    *,
    tenant: str = TENANT,
    lang: str = "fr",
    tz: str | None = "Europe/Paris",
    conversation_type: str = "personal",
    user: str | None = None,
) -> str:
    """A conversation reference as `ReferenceStore.remember` stores it; returns its key."""
    user = user or conversation_id
    reference = ConversationReference(
        activity_id="act-0",
        user=ChannelAccount(id=f"29:{user}", name=user, aad_object_id=f"aad-{user}"),
        bot=ChannelAccount(id=BOT_ID, name="Pulse"),
        conversation=ConversationAccount(
            id=conversation_id, tenant_id=tenant, conversation_type=conversation_type
        ),
        channel_id="msteams",
        locale="fr-FR" if lang == "fr" else "en-US",
        service_url=service_url,
    )
    key = conversation_key(tenant, conversation_id)
    await store.write(
        key,
        {
            "schema": REF_SCHEMA,
            "reference": reference.serialize(),
            "tenant_id": tenant,
            "conversation_type": conversation_type,
            "user_aad_id": f"aad-{user}",
            "user_name": user,
            "lang": lang,
            "time_zone": tz,
            "active": True,
            "updated_at": "2026-11-20T08:00:00+00:00",
        },
    )
    return key


async def subscribe(
    subs: SubscriptionService,
    ref_key: str,
    *,
    tenant: str = TENANT,
    lang: str = "fr",
    tz: str = "Europe/Paris",
    kind: str = "personal",
    **fields: Any,
) -> None:
    who = Recipient(ref_key=ref_key, tenant_id=tenant, kind=kind, lang=lang, tz=tz)
    await subs.upsert(who, by="test", **fields)


class CountingConnector(LocalConnector):
    """The local Bot Connector, counting every request per conversation (failed ones too) and
    able to answer a status with headers (Retry-After)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts: dict[str, int] = {}
        self.fail_headers: dict[str, dict[str, str]] = {}
        self.fail_times: dict[str, int] = {}  # fail only the first N requests

    async def _send(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        self.attempts[cid] = self.attempts.get(cid, 0) + 1
        if cid in self.fail_with:
            left = self.fail_times.get(cid)
            if left is None or left > 0:
                if left is not None:
                    self.fail_times[cid] = left - 1
                return web.json_response(
                    {"error": {"code": "Failure", "message": "injected"}},
                    status=self.fail_with[cid],
                    headers=self.fail_headers.get(cid, {}),
                )
        return await _pass(self, request)


async def _pass(connector: LocalConnector, request: web.Request) -> web.Response:
    cid = request.match_info["cid"]
    saved = connector.fail_with.pop(cid, None)
    try:
        return await LocalConnector._send(connector, request)
    finally:
        if saved is not None:
            connector.fail_with[cid] = saved


@dataclass
class Approvals:
    calls: list[tuple[Actor, str, str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, actor: Actor, text: str, lang: str, context: dict[str, Any]) -> str:
        self.calls.append((actor, text, lang, context))
        return f"draft-{len(self.calls)}"


class Sleeps:
    """A sleep that records the waits asked and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Instance:
    app: web.Application
    briefings: Briefings
    server: TestServer
    url: str
    store: Store
    approvals: Approvals
    sleeps: Sleeps

    @property
    def references(self) -> ReferenceStore:
        return self.briefings.references


InstanceFactory = Callable[..., Awaitable[Instance]]


@pytest.fixture
async def connector() -> AsyncIterator[CountingConnector]:
    local = CountingConnector()
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0630_UTC)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def make_instance(tmp_path: Path) -> AsyncIterator[InstanceFactory]:
    servers: list[TestServer] = []

    async def factory(
        store: Store,
        clock: FakeClock,
        *,
        source: Any | None = None,
        insights: InsightsService | None = None,
        holder: str | None = None,
        **settings: Any,
    ) -> Instance:
        app_settings = load_settings(_env_file=None, PULSE_DATA_DIR=str(tmp_path / "data"))
        app = create_app(app_settings, store=store, clock=clock, briefings_installed=False)
        components = app[COMPONENTS_KEY]
        options: dict[str, Any] = {
            "scheduler_enabled": False,
            "jobs_secret": JOBS_SECRET,
            "lease_s": 15.0,
        }
        options.update(settings)
        cfg = BriefingSettings.from_settings(app_settings, **options)
        approvals, sleeps = Approvals(), Sleeps()
        references = ReferenceStore(store, clock, app_settings.effective_service_url_hosts)
        briefings = build_briefings(
            store=store,
            clock=clock,
            adapter=components.adapter,
            app_id=app_settings.bot.app_id,
            router=components.bot.actions,
            insights=insights or make_insights(store, clock, source),
            references=references,
            submit_for_approval=approvals,
            settings=cfg,
            holder=holder,
            sleep=sleeps,
        )
        briefings.attach(app)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        url = str(server.make_url("")).rstrip("/")
        return Instance(app, briefings, server, url, store, approvals, sleeps)

    yield factory
    for server in servers:
        await server.close()


@pytest.fixture
def local_store(tmp_path: Path) -> LocalDirStore:
    return LocalDirStore(tmp_path / f"store-{uuid.uuid4().hex[:6]}", timeout_s=20.0)


def blob_store(azurite: Azurite, container: str) -> BlobStore:
    return BlobStore(
        container=container, connection_string=azurite.connection_string, timeout_s=20.0
    )


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = activity["attachments"][0]["content"]
    return content


def elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("body", []))


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(str(el.get("text", "")) for el in elements(card) if el["type"] == "TextBlock")


def insights_of(x: Insights) -> Insights:
    return x
