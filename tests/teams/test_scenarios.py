"""Conversations through the real HTTP endpoint; replies arrive at a local Bot Connector."""

from __future__ import annotations

from bot.devtools.connector import message_text
from tests.support.teams import members_added, message
from tests.teams.conftest import Pulse


async def test_welcome_card_on_installation_in_english(demo: Pulse) -> None:
    status, _ = await demo.post(members_added(service_url=demo.connector.url))
    assert status == 200
    [welcome] = await demo.connector.wait_messages(1)
    card = welcome["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["version"] == "1.5"
    text = message_text(welcome)
    assert "Hello, I'm Pulse" in text
    assert "Velora" in text
    actions = [a["title"] for a in card["content"]["actions"]]
    assert "Is a crisis brewing?" in actions


async def test_welcome_card_in_french_for_a_french_locale(demo: Pulse) -> None:
    await demo.post(members_added(service_url=demo.connector.url, locale="fr-FR"))
    [welcome] = await demo.connector.wait_messages(1)
    assert "Bonjour, je suis Pulse" in message_text(welcome)


async def test_welcome_is_sent_once_per_conversation(demo: Pulse) -> None:
    await demo.post(members_added(service_url=demo.connector.url))
    await demo.post(members_added(service_url=demo.connector.url, user_id="bob"))
    await demo.post(message("help", service_url=demo.connector.url))
    messages = await demo.connector.wait_messages(2)
    assert sum("Hello, I'm Pulse" in message_text(m) for m in messages) == 1


async def test_help_and_aide(demo: Pulse) -> None:
    await demo.post(message("help", service_url=demo.connector.url))
    await demo.post(
        message("Aide !", service_url=demo.connector.url, locale="fr-FR", conversation_id="conv-fr")
    )
    english = (await demo.connector.wait_messages(1, "conv-1"))[0]
    french = (await demo.connector.wait_messages(1, "conv-fr"))[0]
    assert "What I can do" in message_text(english)
    assert "Ce que je sais faire" in message_text(french)
    assert "approval" in message_text(english)


async def test_reply_goes_to_the_conversation_it_came_from(demo: Pulse) -> None:
    await demo.post(message("help", service_url=demo.connector.url, conversation_id="conv-x"))
    await demo.connector.wait_messages(1, "conv-x")
    received = demo.connector.received[0]
    assert received.conversation_id == "conv-x"
    assert received.activity["replyToId"]


async def test_unknown_text_gets_a_kind_answer_in_the_user_language(demo: Pulse) -> None:
    await demo.post(message("blablabla", service_url=demo.connector.url, locale="fr-FR"))
    [reply] = await demo.connector.wait_messages(1)
    assert "aide" in message_text(reply).lower()


async def test_onboarding_tour_through_the_endpoint_hands_a_question_back(demo: Pulse) -> None:
    await demo.post(message("faire la visite", service_url=demo.connector.url, locale="fr-FR"))
    [first] = await demo.connector.wait_messages(1)
    assert first.get("attachments")  # the first stop of the tour is a card
    await demo.post(message("suivant", service_url=demo.connector.url, locale="fr-FR"))
    await demo.connector.wait_messages(2)
    # A real question mid-tour pauses the tour and is answered.
    await demo.post(
        message("c'est quoi un thread ?", service_url=demo.connector.url, locale="fr-FR")
    )
    await demo.connector.wait_for(
        lambda _: any("guide X de Pulse" in message_text(m) for m in demo.connector.messages())
    )
