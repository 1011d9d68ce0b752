"""A new user's first hour, through the real HTTP endpoint and the recording connector: cards
acted on are updated in place, stale buttons answer with the state, one language per card,
people (not internals) on the approval card."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.devtools.connector import message_text
from bot.ports.clock import SystemClock
from bot.ports.language import Intent, Period, Understanding
from bot.services.approvals import DraftRepository
from bot.teams.answer_cards import answer_card
from bot.teams.approval_cards import approval_card
from tests.support.teams import card_action, message
from tests.teams.conftest import Pulse

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "locales"
STATE = re.compile(r"Envoyé pour validation par Alice · \d\d:\d\d UTC")


def _say(pulse: Pulse, text: str = "", value: dict[str, Any] | None = None, **kw: Any) -> Any:
    activity = message(text, service_url=pulse.connector.url, locale="fr-FR", **kw)
    if value is not None:
        activity["value"] = value
        activity["text"] = ""
    return activity


async def _turn(pulse: Pulse, activity: dict[str, Any], count: int = 1) -> list[dict[str, Any]]:
    before = len(pulse.connector.messages())
    status, _ = await pulse.post(activity)
    assert status == 200
    await pulse.connector.wait_for(
        lambda _: len(pulse.connector.messages()) >= before + count, timeout=30
    )
    return pulse.connector.messages()[before:]


def _cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for r in replies for a in r.get("attachments") or []]


def _buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(card.get("actions") or [])
    for el in card.get("body", []):
        if el.get("type") == "ActionSet":
            found += el.get("actions", [])
    return found


def _updates(pulse: Pulse) -> list[dict[str, Any]]:
    return [r.activity for r in pulse.connector.received if r.method == "PUT"]


async def test_a_submitted_flow_updates_its_cards_and_stale_buttons_say_the_state(
    demo: Pulse,
) -> None:
    [variants] = _cards(await _turn(demo, _say(demo, "propose un tweet sur notre atelier")))
    assert any(b["title"] == "Choisir" for b in _buttons(variants))
    [review] = _cards(await _turn(demo, _say(demo, value={"drafting": "pick", "index": 0})))
    assert "Envoyer pour validation" in [b["title"] for b in _buttons(review)]

    replies = await _turn(demo, _say(demo, value={"drafting": "submit"}))
    [confirmation] = [message_text(r) for r in replies if r.get("text")]
    assert STATE.search(confirmation) and not re.search(r"[0-9a-f]{12}", confirmation)
    # Both cards of the flow were updated in place: no button left, the state instead.
    updated = [u["attachments"][0]["content"] for u in _updates(demo)]
    assert len(updated) == 2
    for card in updated:
        assert not _buttons(card)
        assert STATE.search(message_text({"attachments": [{"content": card}]}))

    # A stale "Submit" (a client that kept the old card) answers with the current state.
    [stale] = await _turn(demo, _say(demo, value={"drafting": "submit"}))
    text = message_text(stale)
    assert "Cette carte a déjà servi" in text and STATE.search(text)
    assert "En attente de validation" in text
    assert "pas sûr d'avoir compris" not in text
    # ... and no second approval request was made.
    assert len(await DraftRepository(demo.components.store, SystemClock()).all()) == 1


async def test_stale_buttons_of_a_stateless_flow_give_the_state_not_a_second_request(
    demo: Pulse,
) -> None:
    data = {"topic": "atelier", "lang": "fr", "context": "none"}
    status, _ = await demo.post(
        card_action("answer.draft", data, service_url=demo.connector.url, locale="en-US")
    )
    assert status == 200
    [variants] = _cards(await demo.connector.wait_messages(1))
    pick = next(b for b in _buttons(variants) if b.get("verb") == "draft.pick")
    # The answer was French: the whole card is French, in an en-US client.
    assert pick["title"] == "Choisir" and "Propositions" in message_text(
        {"attachments": [{"content": variants}]}
    )

    async def invoke(verb: str, data: dict[str, Any]) -> dict[str, Any]:
        status, body = await demo.post(
            card_action(verb, data, service_url=demo.connector.url, locale="en-US")
        )
        assert status == 200
        return body  # type: ignore[no-any-return]

    review = (await invoke("draft.pick", pick["data"]))["value"]
    submit = next(b for b in _buttons(review) if b.get("verb") == "draft.submit")
    assert submit["title"] == "Envoyer pour validation"
    done = (await invoke("draft.submit", submit["data"]))["value"]
    assert not _buttons(done) and STATE.search(message_text({"attachments": [{"content": done}]}))

    # The variants card still has its "Choisir" buttons somewhere: they give the state now.
    again = (await invoke("draft.pick", pick["data"]))["value"]
    text = message_text({"attachments": [{"content": again}]})
    assert STATE.search(text) and "En attente de validation" in text
    again = (await invoke("draft.submit", submit["data"]))["value"]
    assert not _buttons(again)
    assert len(await DraftRepository(demo.components.store, SystemClock()).all()) == 1

    # The approval card shows people, not internals: who, when, why, checks, evidence.
    [draft] = await DraftRepository(demo.components.store, SystemClock()).all()
    card = approval_card(draft, "fr")
    text = message_text({"attachments": [{"content": card}]})
    assert "Demandée par Alice · " in text and "Pourquoi : une suggestion sur « atelier »" in text
    assert "✅ Vérifications réussies : longueur" in text
    assert "engine" not in text and "template" not in text and "True" not in text
    if draft.context.get("evidence"):
        assert "Les posts à l'origine" in text and "(https://x.com/" in text


VISIBLE = {"text", "title", "legend", "value", "placeholder", "label", "x", "summary"}


def _visible(node: Any) -> str:
    """Every string a person sees on a card (not types, colours or data)."""
    out: list[str] = []

    def walk(n: Any, key: str | None = None) -> None:
        if isinstance(n, dict):
            for k, v in n.items():
                if not (k == "data" and isinstance(v, dict)):  # a button's data: not shown
                    walk(v, k)
        elif isinstance(n, list):
            for v in n:
                walk(v, key)
        elif isinstance(n, str) and key in VISIBLE:
            out.append(n)

    walk(node)
    return "\n".join(out)


def _found(labels: set[str], text: str) -> list[str]:
    return [label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text)]


def _labels(lang: str, prefix: str) -> set[str]:
    """The catalogue's fixed labels (no placeholder), for "no other language on the card"."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, str) and "{" not in node and len(node) > 3:
            out.add(node)

    walk(json.loads((LOCALES / f"{lang}.{prefix}.json").read_text(encoding="utf-8")))
    return out


async def test_a_french_answer_in_an_english_client_is_all_french(demo: Pulse) -> None:
    """The understanding decides the answer's language (French here, from an en-US client):
    every string of the card follows it, buttons included, and so do the cards the buttons
    bring (drafts, more posts, explanations)."""
    u = Understanding(intent=Intent.PULSE, lang="fr", period=Period.TODAY)
    answer = await demo.components.ask.answer(
        "qu'est-ce qu'on dit de nous aujourd'hui ?", u, tenant_id="tenant-contoso"
    )
    card = answer_card(answer, u.lang, show_cost=True, context_id="c1")
    text = _visible(card)
    english = _labels("en", "answer") - _labels("fr", "answer")
    assert english and not _found(english, text)
    assert {a["title"] for a in card["actions"]} == {
        "Rédiger un post là-dessus",
        "Plus de posts",
        "Expliquer ces chiffres",
    }
    answers: list[str] = []
    for action in card["actions"]:
        status, body = await demo.post(
            card_action(
                action["verb"], action["data"], service_url=demo.connector.url, locale="en-US"
            )
        )
        assert status == 200
        answers.append(_visible(body["value"]))
    sent = await demo.connector.wait_messages(2)  # the drafts, the explanation
    texts = "\n".join([*answers, *(_visible(m) for m in sent)])
    english_drafting = _labels("en", "drafting") - _labels("fr", "drafting")
    assert not _found(english | english_drafting, texts)
    assert "Comment lire ces chiffres" in texts and "Choisir" in json.dumps(sent)
