"""The stateless drafting flow of the answer card's "Draft a post on this" button, through the
real endpoint: variants card sent below, pick, check, submit (re-checked on the server)."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.services.drafting import DraftingService
from bot.services.editorial_store import EditorialStore
from bot.teams.actions import ActionResult, Actor
from bot.teams.drafting_cards import DraftCardFlow
from tests.drafting.conftest import CLEAN_FR, FakeClock, RecordingSubmit, StubEngine, clean_writer
from tests.drafting.dialog_harness import actions_of, card_text
from tests.support.teams import card_action
from tests.teams.conftest import Pulse


async def _roles(activity: Activity) -> frozenset[str]:
    return (
        frozenset({"executive"})
        if activity.from_property.aad_object_id == "aad-alice"
        else frozenset()
    )


async def _invoke(
    pulse: Pulse, verb: str, data: dict[str, Any], user: str = "alice"
) -> dict[str, Any]:
    activity = card_action(
        verb, data, service_url=pulse.connector.url, user_id=user, locale="fr-FR"
    )
    status, body = await pulse.post(activity)
    assert status == 200
    return body  # type: ignore[no-any-return]


@pytest.fixture
async def flow(demo: Pulse) -> tuple[Pulse, RecordingSubmit, StubEngine]:
    engine = StubEngine(clean_writer)
    drafting = DraftingService(EditorialStore(demo.components.store, FakeClock()), engine)
    submit = RecordingSubmit()
    cards = DraftCardFlow(drafting, submit)
    router = demo.components.bot.actions
    cards.register(router)

    async def answer_draft(
        context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        return await cards.start_draft_from_card(
            context, actor, str(data["topic"]), str(data["lang"])
        )

    router.register("test.answer_draft", answer_draft)
    bot: Any = demo.components.bot
    bot._roles = _roles
    return demo, submit, engine


async def test_from_the_answer_card_to_approval(
    flow: tuple[Pulse, RecordingSubmit, StubEngine],
) -> None:
    pulse, submit, engine = flow
    body = await _invoke(
        pulse, "test.answer_draft", {"topic": "batterie", "lang": "fr", "context": "c1"}
    )
    assert body["value"] == "Voici des propositions, juste en dessous."
    [sent] = await pulse.connector.wait_messages(1)
    card = sent["attachments"][0]["content"]
    assert engine.requests[0].brief == "batterie"
    picks = [a for a in actions_of(card) if a.get("verb") == "draft.pick"]
    assert len(picks) == 3 and picks[1]["data"]["text"] == CLEAN_FR[1]
    assert picks[1]["data"]["source"] == "answer"

    body = await _invoke(pulse, "draft.pick", picks[1]["data"])
    review = body["value"]
    submit_action = next(a for a in actions_of(review) if a.get("verb") == "draft.submit")
    assert "✅ Conforme à la ligne éditoriale" in card_text(review)

    # the user edits the text in the card and submits: re-checked on the server
    edited = CLEAN_FR[1] + " #promo"
    body = await _invoke(pulse, "draft.submit", {**submit_action["data"], "draft_text": edited})
    assert "Je ne peux pas envoyer ce texte" in card_text(body["value"])
    assert submit.calls == []

    body = await _invoke(
        pulse, "draft.submit", {**submit_action["data"], "draft_text": CLEAN_FR[1]}, user="bob"
    )
    assert body["value"].startswith("Seuls les dirigeants")

    body = await _invoke(
        pulse, "draft.submit", {**submit_action["data"], "draft_text": CLEAN_FR[1]}
    )
    assert "Envoyé pour validation" in card_text(body["value"])
    [(actor, text, lang, context)] = submit.calls
    assert (actor.aad_object_id, text, lang, context["source"]) == (
        "aad-alice",
        CLEAN_FR[1],
        "fr",
        "answer",
    )
    assert context["topic"] == "batterie"


async def test_check_rechecks_an_edited_text(
    flow: tuple[Pulse, RecordingSubmit, StubEngine],
) -> None:
    pulse, _, _ = flow
    data = {"text": CLEAN_FR[0], "lang": "fr", "topic": "t", "brief": "t", "source": "answer",
            "draft_text": "Un vrai scandale, ce retard."}  # fmt: skip
    body = await _invoke(pulse, "draft.check", data)
    text = card_text(body["value"])
    assert "⚠️ Pas conforme" in text and "« scandale » est à éviter" in text
    assert not [a for a in actions_of(body["value"]) if a.get("verb") == "draft.submit"]
