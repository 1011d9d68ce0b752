"""Ask Pulse through the real HTTP endpoint, on the demo corpus with the offline engine."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.clients.demo.corpus import load_corpus
from bot.devtools.connector import message_text
from tests.support.teams import card_action, message
from tests.teams.conftest import Pulse


def _cards(pulse: Pulse) -> list[dict[str, Any]]:
    return [m for m in pulse.connector.messages() if m.get("attachments")]


async def _ask(
    pulse: Pulse,
    text: str,
    *,
    locale: str = "fr-FR",
    count: int = 1,
    conversation_id: str = "conv-1",
) -> list[dict[str, Any]]:
    before = len(_cards(pulse))
    status, _ = await pulse.post(
        message(
            text, service_url=pulse.connector.url, locale=locale, conversation_id=conversation_id
        )
    )
    assert status == 200
    await pulse.connector.wait_for(lambda _: len(_cards(pulse)) >= before + count, timeout=30)
    return _cards(pulse)[before:]


async def test_what_is_said_today_in_french_is_grounded(demo: Pulse) -> None:
    [card] = await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?")
    text = message_text(card)
    content = card["attachments"][0]["content"]
    assert "Mentions aujourd'hui" in text and "Tonalité" in text
    # Every linked post is a real post of the demo corpus, with its link.
    links = re.findall(r"\(https://x\.com/(\w+)/status/(\d+)\)", text)
    assert links
    corpus_ids = {e.id for e in load_corpus().entries}
    assert {post_id for _, post_id in links} <= corpus_ids
    kinds = {el["type"] for el in content["body"]}
    assert {"Chart.Donut", "FactSet"} <= kinds
    verbs = {a["verb"] for a in content["actions"]}
    assert verbs == {"answer.draft", "answer.more", "answer.explain"}
    assert "hors ligne" in text  # honest about the offline engine
    assert "posts lus" in text  # the cost line (everyone is an admin in demo mode)


async def test_english_question_gets_an_english_answer(demo: Pulse) -> None:
    [card] = await _ask(demo, "What are people saying about us today?", locale="en-US")
    text = message_text(card)
    assert "Mentions today" in text and "Tone" in text


async def test_follow_up_keeps_the_subject(demo: Pulse) -> None:
    await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?")
    [card] = await _ask(demo, "et hier ?")
    assert "hier" in message_text(card)


async def test_asking_again_reads_nothing_new_from_x(demo: Pulse) -> None:
    await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?")
    [again] = await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?", conversation_id="c2")
    # One wording of a free re-ask everywhere (the card, `make chat`): nothing billed, no "≈ $".
    [cost] = [line for line in message_text(again).splitlines() if line.startswith("Coût")]
    assert cost.endswith("rien de facturé") and "≈" not in cost


async def test_more_posts_button_lists_other_real_posts(demo: Pulse) -> None:
    [card] = await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?")
    action = next(
        a for a in card["attachments"][0]["content"]["actions"] if a["verb"] == "answer.more"
    )
    invoke = card_action(
        "answer.more", action["data"], service_url=demo.connector.url, locale="fr-FR"
    )
    status, body = await demo.post(invoke)
    assert status == 200 and body["statusCode"] == 200
    await demo.connector.wait_for(lambda _: len(_cards(demo)) >= 2)
    more = message_text(_cards(demo)[-1])
    assert "autres posts, parmi les" in more and "https://x.com/" in more


async def test_x_question_is_answered_from_the_reviewed_guide(demo: Pulse) -> None:
    [card] = await _ask(demo, "c'est quoi un quote post ?")
    text = message_text(card)
    assert "Source : le guide X de Pulse" in text


async def test_should_i_respond_to_a_post_we_have_read(demo: Pulse) -> None:
    [card] = await _ask(demo, "qu'est-ce qu'on dit de nous aujourd'hui ?")
    post = re.search(r"\(https://x\.com/\w+/status/\d+\)", message_text(card))
    assert post
    url = post.group(0)[1:-1]
    [advice] = await _ask(demo, f"dois-je répondre à ce post {url} ?")
    assert "Faut-il répondre ?" in message_text(advice)


async def test_slow_answer_acknowledges_then_follows_up(demo: Pulse) -> None:
    demo.components.background._budget = 0.0  # force the follow-up path
    status, _ = await demo.post(
        message("est-ce qu'une crise se prépare ?", service_url=demo.connector.url, locale="fr-FR")
    )
    assert status == 200
    texts = [message_text(m) for m in demo.connector.messages()]
    assert any("Je regarde" in x for x in texts)  # acknowledged within the turn
    await demo.connector.wait_for(lambda _: len(_cards(demo)) >= 1, timeout=30)
    assert "Niveau d'alerte" in message_text(_cards(demo)[0])


async def test_redelivered_question_is_answered_once(demo: Pulse) -> None:
    activity = message(
        "quoi de neuf sur X pour nous ?",
        service_url=demo.connector.url,
        locale="fr-FR",
        activity_id="question-1",
    )
    await asyncio.gather(demo.post(activity), demo.post(activity))
    await demo.connector.wait_for(lambda _: len(_cards(demo)) >= 1, timeout=30)
    await asyncio.sleep(0.5)
    assert len(_cards(demo)) == 1
