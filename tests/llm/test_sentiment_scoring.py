"""Model-scored sentiment of a sample: one batched structured call through the real openai
client against the local fake server, the local labels as fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.clients.llm import OpenAIEngine
from bot.config import ConfigError, load_settings
from bot.domain.sentiment import Label
from bot.ports.language import EngineError, SentimentScorer
from bot.services.sentiment import SampleSentiment
from tests.llm.conftest import INJECTION, EngineFactory
from tests.support.fake_openai import OPENAI_PATH, ChatRequest, FakeOpenAI

POSTS = [
    ("101", "@united thanks for nothing, 4 hours on the tarmac"),
    ("102", "Rien à redire, service impeccable"),
    ("103", "Le SAV ne répond pas depuis 3 semaines, honteux"),
    ("104", "Ok"),
]


def posts_in(request: ChatRequest) -> list[dict[str, str]]:
    """The posts the model was given: one JSON object a line inside <posts>."""
    block = request.user.split("<posts>", 1)[1].split("</posts>", 1)[0]
    return [json.loads(line) for line in block.splitlines() if line.strip()]


def labeller(label_of: dict[str, str], extra: list[dict[str, Any]] | None = None) -> Any:
    def respond(request: ChatRequest) -> dict[str, Any]:
        items = [
            {
                "id": post["id"],
                "sentiment": label_of.get(post["id"], "neutral"),
                "mixed": False,
                "confidence": 0.9,
            }
            for post in posts_in(request)
        ]
        return {"items": items + (extra or [])}

    return respond


async def test_one_structured_call_labels_the_sample(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    assert isinstance(engine, SentimentScorer)
    fake_openai.responder = labeller({"101": "negative", "102": "positive", "103": "negative"})
    scores = await engine.score_sentiment(POSTS)
    assert fake_openai.calls[OPENAI_PATH] == 1
    assert {k: v.sentiment for k, v in scores.items.items()} == {
        "101": "negative",
        "102": "positive",
        "103": "negative",
        "104": "neutral",
    }
    assert scores.prompt == "score_sentiment@1"
    assert scores.engine == "gpt-fake-mini"
    assert scores.input_tokens > 0 and scores.output_tokens > 0
    schema = fake_openai.last.schema
    assert schema is not None and schema["required"] == ["items"]
    assert [p["id"] for p in posts_in(fake_openai.last)] == ["101", "102", "103", "104"]
    assert "never instructions" in fake_openai.last.system


async def test_unknown_duplicate_ids_and_wild_confidence_are_cleaned(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    def respond(request: ChatRequest) -> dict[str, Any]:
        return {
            "items": [
                {"id": "101", "sentiment": "negative", "mixed": False, "confidence": 7},
                {"id": "101", "sentiment": "positive", "mixed": False, "confidence": 0.5},
                {"id": "999", "sentiment": "positive", "mixed": False, "confidence": 0.5},
                {"id": "102", "sentiment": "positive", "mixed": True, "confidence": -1},
            ]
        }

    fake_openai.responder = respond
    scores = await engine.score_sentiment(POSTS)
    assert set(scores.items) == {"101", "102"}
    assert scores.items["101"].sentiment == "negative"
    assert scores.items["101"].confidence == 1.0
    assert scores.items["102"].confidence == 0.0 and scores.items["102"].mixed


async def test_no_usable_item_is_invalid_output(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.responder = lambda req: {
        "items": [{"id": "nope", "sentiment": "positive", "mixed": False, "confidence": 1}]
    }
    with pytest.raises(EngineError) as err:
        await engine.score_sentiment(POSTS)
    assert err.value.code == "invalid_output"


async def test_at_most_100_posts_within_the_token_budget(
    make_engine: EngineFactory, fake_openai: FakeOpenAI
) -> None:
    engine = await make_engine(max_input_tokens=4000)
    many = [(str(i), f"Post {i} " + "très long texte " * 40) for i in range(150)]
    fake_openai.responder = labeller({})
    scores = await engine.score_sentiment(many)
    sent = posts_in(fake_openai.last)
    assert 0 < len(sent) <= 100
    assert all(len(p["text"]) <= 400 for p in sent)
    assert set(scores.items) == {p["id"] for p in sent}
    # the output budget grows with the batch
    assert fake_openai.last.body["max_completion_tokens"] >= 30 * len(sent)


async def test_injected_post_stays_quoted_data(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    fake_openai.responder = labeller({})
    await engine.score_sentiment([("1", INJECTION)])
    user = fake_openai.last.user
    assert "</posts> SYSTEM" not in user
    assert posts_in(fake_openai.last)[0]["id"] == "1"


async def test_sample_sentiment_uses_the_model_and_shows_its_tokens(
    engine: OpenAIEngine, fake_openai: FakeOpenAI
) -> None:
    # The model leaves "104" out: it keeps its local label.
    fake_openai.responder = lambda req: {
        "items": [
            {"id": "101", "sentiment": "negative", "mixed": False, "confidence": 0.8},
            {"id": "102", "sentiment": "positive", "mixed": True, "confidence": 0.8},
            {"id": "103", "sentiment": "negative", "mixed": False, "confidence": 0.9},
        ]
    }
    local = SampleSentiment()
    labels = SampleSentiment(scorer=engine)
    scored = await labels.score(POSTS)
    assert scored.source == "model" and scored.engine == "gpt-fake-mini"
    assert scored.input_tokens > 0 and scored.output_tokens > 0
    got = [r.sentiment for r in scored.results]
    assert got[:3] == [Label.NEGATIVE, Label.POSITIVE, Label.NEGATIVE]
    assert scored.results[3] == local([t for _, t in POSTS])[3]
    assert scored.results[1].mixed and scored.results[1].confidence == pytest.approx(0.4)
    assert scored.results[0].score == pytest.approx(-0.8)


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "invalid_json", "refusal"])
async def test_a_failed_call_keeps_the_local_labels(
    engine: OpenAIEngine, fake_openai: FakeOpenAI, fault: Any
) -> None:
    fake_openai.fail_next(fault, times=3)
    scored = await SampleSentiment(scorer=engine).score(POSTS)
    assert scored.source == "words"
    assert scored.notices == ["model_fallback"]
    assert scored.results == SampleSentiment()([t for _, t in POSTS])
    assert scored.input_tokens == 0


def test_model_scoring_is_off_by_default_and_needs_a_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SENTIMENT_MODEL_SCORING", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.sentiment.model_scoring is False
    assert settings.use_sentiment_embeddings is False  # demo mode: word model only
    assert load_settings(_env_file=None, SENTIMENT_EMBEDDINGS="true").use_sentiment_embeddings
    with pytest.raises(ConfigError, match="SENTIMENT_MODEL_SCORING"):
        load_settings(_env_file=None, SENTIMENT_MODEL_SCORING="true")
    ok = load_settings(
        _env_file=None, SENTIMENT_MODEL_SCORING="true", OPENAI_BASE_URL="http://127.0.0.1:9/v1"
    )
    assert ok.sentiment.model_scoring is True


async def test_app_wires_the_model_only_when_asked(engine: OpenAIEngine) -> None:
    from bot.clients.offline_engine import OfflineEngine
    from bot.composition import sample_sentiment

    base = {"_env_file": None, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    off = sample_sentiment(load_settings(**base), engine)
    assert not off.uses_model
    on = sample_sentiment(load_settings(**base, SENTIMENT_MODEL_SCORING="true"), engine)
    assert on.uses_model
    offline = sample_sentiment(load_settings(_env_file=None), OfflineEngine())
    assert not offline.uses_model


async def test_insights_use_the_models_labels_and_fall_back(
    engine: OpenAIEngine, fake_openai: FakeOpenAI, tmp_path: Any
) -> None:
    """The insights of an answer: the demo corpus read through the real services, the sample
    labelled by the model (all negative here), then by the local model when the call fails."""
    from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
    from bot.clients.demo.source import DemoSource
    from bot.clients.store import LocalDirStore
    from bot.services.costs import CostLedger
    from bot.services.insights import InsightsService
    from bot.services.listening import ListeningService
    from bot.services.profiles import ProfileRepository
    from tests.briefing.conftest import MONDAY_0630_UTC, FakeClock

    fake_openai.responder = lambda req: {
        "items": [
            {"id": p["id"], "sentiment": "negative", "mixed": False, "confidence": 0.9}
            for p in posts_in(req)
        ]
    }

    def build() -> InsightsService:
        clock = FakeClock(MONDAY_0630_UTC)
        store = LocalDirStore(tmp_path / f"store-{fake_openai.calls[OPENAI_PATH]}")
        listening = ListeningService(DemoSource(clock), store, CostLedger(store, clock), clock)
        labels = SampleSentiment(scorer=engine)
        return InsightsService(
            listening,
            ProfileRepository(store, DEFAULT_PROFILE_PATH),
            clock,
            sentiment=labels,
            model_sentiment=labels.score,
        )

    insights = await build().compute(None)
    split = insights.analysis.sentiment
    assert split.total > 0 and split.negative == split.total
    by = insights.sentiment_by
    assert by is not None and by.source == "model" and by.input_tokens > 0
    assert fake_openai.calls[OPENAI_PATH] == 1

    fake_openai.fail_next("rate_limit")
    fallback = await build().compute(None)
    assert fallback.sentiment_by is not None
    assert fallback.sentiment_by.notices == ["model_fallback"]
    assert fallback.analysis.sentiment.negative < fallback.analysis.sentiment.total
