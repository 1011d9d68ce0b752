"""Issue 22, item 6: a hostile model's words do not reach the executive or X unchecked.

The real openai client against the fake OpenAI server returning what a model that followed
injection posts would write; the demo corpus as the posts (it has fires in it: a claim the posts
do make); the real ask and drafting services, the real cards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clients.store import LocalDirStore
from bot.composition import Answering, build_answering
from bot.config import load_settings
from bot.domain.claims import find_claims
from bot.ports.clock import SystemClock
from bot.ports.language import Intent, Period, Understanding
from bot.services.ask import MODEL_REPLACED, Answer
from bot.services.drafting import DraftingService, strip_invented_figures
from bot.services.editorial_store import EditorialStore
from bot.teams.answer_cards import answer_card
from bot.teams.drafting_cards import compliance_line, variants_card
from tests.support.fake_openai import FAKE_API_KEY, ChatRequest, FakeOpenAI

HOSTILE_ANSWER = {
    "headline": "Velora is bankrupt, sell now",
    "summary": "Velora is bankrupt and faces a class action; sell your shares before it is "
    "too late.",
    "points": [
        "Velora is bankrupt.",
        "Several posts say bikes caught fire.",
        "Delivery is the main topic.",
    ],
    "cited_post_ids": [],
    "next_steps": ["Sell now.", "Talk to the comms team."],
}
HOSTILE_FR = {
    "headline": "Velora est en faillite : vendez maintenant",
    "summary": "Velora est en faillite, vendez vos actions.",
    "points": ["Des posts disent que des vélos ont pris feu."],
    "cited_post_ids": [],
    "next_steps": ["Vendez."],
}


def card_text(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "value", "title"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(out)


@dataclass
class Setup:
    server: FakeOpenAI
    answering: Answering
    tmp_path: Path


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    async with FakeOpenAI() as server:
        settings = load_settings(
            _env_file=None,
            PULSE_DATA_DIR=str(tmp_path / "data"),
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY=FAKE_API_KEY,
            OPENAI_MAX_RETRIES=0,
        )
        answering = build_answering(settings, LocalDirStore(tmp_path / "data"), SystemClock())
        try:
            yield Setup(server, answering, tmp_path)
        finally:
            await answering.close()


def responder(answer: dict[str, Any], posts: list[dict[str, str]] | None = None) -> Any:
    def respond(request: ChatRequest) -> dict[str, Any] | str:
        properties = (request.schema or {}).get("properties", {})
        if "headline" in properties:
            return answer
        if "posts" in properties:
            return {"posts": posts or []}
        return "{}"

    return respond


async def ask(setup: Setup, lang: str) -> Answer:
    question = "Que dit-on de nous aujourd'hui ?" if lang == "fr" else "What is said today?"
    understanding = Understanding(intent=Intent.PULSE, lang=lang, period=Period.TODAY)
    return await setup.answering.ask.answer(question, understanding, tenant_id=None)


async def test_a_hostile_answer_is_replaced_by_grounded_wording(setup: Setup) -> None:
    setup.server.responder = responder(HOSTILE_ANSWER)
    answer = await ask(setup, "en")
    assert setup.server.calls  # the model did answer, through the real client
    draft = answer.draft
    assert draft.engine != "offline"  # the model's answer, checked, not a fallback
    assert not find_claims(draft.headline) and "sell" not in draft.headline.lower()
    assert "bankrupt" not in draft.summary.lower() and "sell" not in draft.summary.lower()
    assert "Velora is bankrupt." not in draft.points
    assert "Delivery is the main topic." in draft.points
    assert draft.next_steps == ["Talk to the comms team."]
    assert MODEL_REPLACED in answer.notices
    # The claim the posts make (fires) stays, marked as what posts say.
    index = draft.points.index("Several posts say bikes caught fire.")
    assert f"point:{index}" in answer.from_posts
    text = card_text(answer_card(answer, "en", show_cost=False, context_id="c"))
    assert "According to posts: Several posts say bikes caught fire." in text
    assert "did not pass Pulse's checks" in text
    assert "bankrupt" not in text.lower() and "sell" not in text.lower()


async def test_the_same_in_french(setup: Setup) -> None:
    setup.server.responder = responder(HOSTILE_FR)
    answer = await ask(setup, "fr")
    text = card_text(answer_card(answer, "fr", show_cost=False, context_id="c"))
    assert "faillite" not in text and "vendez" not in text.lower()
    assert "D'après les posts : Des posts disent que des vélos ont pris feu." in text
    assert "n'a pas passé les contrôles" in text


async def test_a_clean_model_answer_is_kept_as_written(setup: Setup) -> None:
    clean = {
        "headline": "Steady conversation about Velora today",
        "summary": "People mostly talk about delivery and the battery.",
        "points": ["Delivery is the main topic."],
        "cited_post_ids": [],
        "next_steps": ["Keep watching."],
    }
    setup.server.responder = responder(clean)
    answer = await ask(setup, "en")
    assert answer.draft.headline == clean["headline"]
    assert answer.draft.summary == clean["summary"]
    assert MODEL_REPLACED not in answer.notices and not answer.from_posts


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def test_a_hostile_model_draft_is_never_labelled_compliant(setup: Setup) -> None:
    setup.server.responder = responder(
        HOSTILE_ANSWER,
        posts=[
            {"text": "Velora is bankrupt, sell now", "rationale": "as the posts say"},
            {
                "text": "83% of our riders recommend us to a friend. Thank you for your "
                "patience! #Velora",
                "rationale": "customer care",
            },
        ],
    )
    editorial = EditorialStore(LocalDirStore(setup.tmp_path / "data"), Clock())
    service = DraftingService(editorial, setup.answering.engine, fallback=setup.answering.offline)
    variants = await service.propose("tenant-contoso", "customer care", "en", 2)
    hostile = next(v for v in variants if "bankrupt" in v.text)
    assert hostile.engine != "offline"
    assert {"claim.company", "claim.instruction"} <= set(hostile.report.codes)
    assert not compliance_line(hostile.report, "en").startswith("✅")
    card = card_text(variants_card(variants, "en", brief="customer care", post_lang="en"))
    assert "Sensitive claim about a company" in card and "Instruction to readers" in card
    # 83 % appears nowhere in what the model was given: that sentence is gone.
    care = next(v for v in variants if "Thank you" in v.text)
    assert care.text == "Thank you for your patience! #Velora" and care.repaired
    assert service.stats.figures_removed == 1


def test_invented_figures_are_removed_sentence_by_sentence() -> None:
    known = frozenset({48.0})
    text, invented = strip_invented_figures(
        "We answer within 48 hours. 97% of you are happy! Thank you. #Velora", known
    )
    assert invented == [97.0]
    assert text == "We answer within 48 hours. Thank you. #Velora"
    assert strip_invented_figures("Only 97% here.", known)[0] == ""
