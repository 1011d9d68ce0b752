"""With a model configured, themes are named in one batched structured call, checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.demo.source import DemoSource
from bot.clients.encoder import shared_encoder
from bot.clients.llm import OpenAIEngine
from bot.clients.offline_engine import OfflineEngine
from bot.clients.store import LocalDirStore
from bot.ports.language import EngineError
from bot.services.ask import AskService
from bot.services.costs import CostLedger
from bot.services.embeddings import PostEmbeddings
from bot.services.insights import InsightsService
from bot.services.listening import ListeningService
from bot.services.profiles import ProfileRepository
from tests.drafting.conftest import FakeClock
from tests.support.fake_openai import FakeOpenAI

THEMES = [
    (["retard", "vol annulé"], ["Mon vol est annulé, aucune info", "Vol retardé de 4 heures"]),
    (["bagages perdus"], ["Mes bagages sont perdus depuis 3 jours", "Valise perdue"]),
    (["service client"], ["Le service client ne répond pas", "Aucune réponse du support"]),
]


async def test_one_call_names_every_theme_in_the_answers_language(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.responder = lambda req: {
        "names": [
            {"id": 0, "name": "Flight cancellations and delays"},
            {"id": 1, "name": "Lost luggage for 9 days"},  # a figure the posts do not hold
            {"id": 2, "name": "Ask @support now"},  # a handle
            {"id": 7, "name": "Not a theme"},
        ]
    }
    names = await engine.name_themes(THEMES, "en")
    assert names == ["Flight cancellations and delays", None, None]
    assert len(fake_openai.requests) == 1
    request = fake_openai.requests[0]
    assert "English" in request.system and request.schema is not None
    assert "names" in json.dumps(request.schema)
    sent = request.user
    assert "Valise perdue" in sent and "service client" in sent


async def test_no_themes_no_call_and_a_fault_is_an_engine_error(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    assert await engine.name_themes([], "fr") == []
    assert fake_openai.requests == []
    fake_openai.fail_next("server_error", times=5)
    with pytest.raises(EngineError):
        await engine.name_themes(THEMES, "fr")


async def test_an_answer_names_its_themes_once_per_snapshot(
    engine: OpenAIEngine, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    store = LocalDirStore(tmp_path)
    clock = FakeClock()
    listening = ListeningService(DemoSource(clock), store, CostLedger(store, clock), clock)
    insights = InsightsService(
        listening,
        ProfileRepository(store, DEFAULT_PROFILE_PATH),
        clock,
        embeddings=PostEmbeddings(shared_encoder(), store),
    )
    ask = AskService(insights, engine, OfflineEngine())
    snapshot = await insights.compute("t1", lang="en")
    themes = [t for t in snapshot.analysis.themes.themes if not t.is_other]
    assert themes
    fake_openai.responder = lambda req: {
        "names": [{"id": i, "name": f"Subject {chr(65 + i)}"} for i in range(len(themes))]
    }
    named = await ask.named_themes(snapshot, "en")
    again = await ask.named_themes(snapshot, "en")
    assert again is named and len(fake_openai.requests) == 1
    labels = [t.label for t in named.analysis.themes.themes if not t.is_other]
    assert labels == [f"Subject {chr(65 + i)}" for i in range(len(themes))]
    # Same posts, same figures: only the names changed.
    assert [t.members for t in named.analysis.themes.themes] == [
        t.members for t in snapshot.analysis.themes.themes
    ]
    # A model fault keeps the key phrases.
    fake_openai.fail_next("server_error", times=5)
    kept = await ask.named_themes(snapshot, "fr")
    assert [t.label for t in kept.analysis.themes.themes] == [
        t.label for t in snapshot.analysis.themes.themes
    ]
