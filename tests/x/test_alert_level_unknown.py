"""Issue 22, item 13: with X reads rate-limited (or counts unavailable), the answer card says the
alert level is unknown, never "calm". The real XSource against the fake X server, the real
listening, insights and ask services, the offline engine, the real answer card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.offline_engine import OfflineEngine
from bot.clients.store import LocalDirStore
from bot.clients.x import XSource
from bot.services.ask import AskService
from bot.services.costs import CostLedger
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from bot.teams.answer_cards import answer_card
from tests.support.fake_x import COUNTS_PATH, SEARCH_PATH, TEST_BEARER_TOKEN, FakeXServer
from tests.x.conftest import FakeClock


@pytest.fixture
async def xsource(fake_x: FakeXServer) -> AsyncIterator[XSource]:
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN),
        base_url=fake_x.base_url,
        retry_backoff_s=0.05,
        timeout_s=5.0,
        max_rate_limit_waits=0,
    ) as src:
        yield src


def seed(fake_x: FakeXServer, now: datetime) -> None:
    authors = [fake_x.add_user(f"rider{i}", followers=100 + i) for i in range(10)]
    for i in range(40):
        fake_x.add_post(
            f"Mon Velora roule bien, sortie numéro {i} ce matin",
            author=authors[i % 10],
            created_at=now - timedelta(hours=3) + timedelta(minutes=4 * i),
            lang="fr",
        )


def alert_fact(card: dict[str, Any], title: str) -> str:
    for element in card["body"]:
        if element.get("type") == "FactSet":
            for fact in element["facts"]:
                if fact["title"] == title:
                    return str(fact["value"])
    raise AssertionError(f"no {title!r} fact in the card")


async def ask(xsource: XSource, tmp_path: Path, question: str, lang: str) -> dict[str, Any]:
    store = LocalDirStore(tmp_path / "data")
    clock = FakeClock(datetime.now(UTC))
    listening = ListeningService(
        xsource, store, CostLedger(store, clock), clock, cache_ttl=timedelta(0)
    )
    profiles = ProfileRepository(store, DEFAULT_PROFILE_PATH, clock)
    insights = InsightsService(listening, profiles, clock, sample_size=50)
    offline = OfflineEngine()
    service = AskService(insights, offline, offline)
    understanding = await service.understand(question, lang, None, "tenant-contoso")
    answer = await service.answer(question, understanding, tenant_id="tenant-contoso")
    if answer.insights.listening.partial:  # the engine is not told "calm" either
        assert answer.figures["crisis_level"] != "calm"
    return answer_card(answer, lang, show_cost=False, context_id="ctx")


@pytest.mark.parametrize(
    ("question", "lang", "title", "unknown"),
    [
        ("Comment ça va aujourd'hui ?", "fr", "Niveau d'alerte", "inconnu"),
        ("How are we doing today?", "en", "Alert level", "unknown"),
    ],
)
async def test_rate_limited_reads_give_an_unknown_alert_level(
    fake_x: FakeXServer,
    xsource: XSource,
    tmp_path: Path,
    question: str,
    lang: str,
    title: str,
    unknown: str,
) -> None:
    seed(fake_x, datetime.now(UTC))
    fake_x.fail(COUNTS_PATH, 429, times=None, reset_in=600)
    fake_x.fail(SEARCH_PATH, 429, times=None, reset_in=600)
    card = await ask(xsource, tmp_path, question, lang)
    assert alert_fact(card, title) == unknown


async def test_counts_rate_limited_alone_is_enough_to_say_unknown(
    fake_x: FakeXServer, xsource: XSource, tmp_path: Path
) -> None:
    seed(fake_x, datetime.now(UTC))
    fake_x.fail(COUNTS_PATH, 429, times=None, reset_in=600)
    card = await ask(xsource, tmp_path, "How are we doing today?", "en")
    assert alert_fact(card, "Alert level") == "unknown"


async def test_with_the_data_a_quiet_day_is_still_calm(
    fake_x: FakeXServer, xsource: XSource, tmp_path: Path
) -> None:
    seed(fake_x, datetime.now(UTC))
    card = await ask(xsource, tmp_path, "How are we doing today?", "en")
    assert alert_fact(card, "Alert level") in {"calm", "to watch", "alert"}
