"""With a model configured, themes are named in one batched structured call, checked."""

from __future__ import annotations

import json

import pytest

from bot.clients.llm import OpenAIEngine
from bot.ports.language import EngineError
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
