"""Approvals through the real HTTP endpoint: channel set-up, the card, decisions, stale clicks,
tampered data, roles, history, export, the Action.Submit fallback."""

from __future__ import annotations

from typing import Any

from bot.devtools.connector import message_text
from bot.domain.drafts import DraftState, Person
from tests.approvals.conftest import ALICE, TENANT, x_source
from tests.approvals.teams_support import Wired, card_texts, invoke, wire
from tests.support.fake_x import FakeXServer
from tests.support.teams import message
from tests.teams.conftest import Pulse, PulseFactory

COMMS = "19:comms@thread.tacv2"
TEXT = "We are hiring 50 engineers in Lyon. Join us! #Velora"


async def setup_channel(w: Wired, locale: str = "en-US") -> None:
    url = w.pulse.connector.url
    text = (
        "<at>Pulse</at> use this channel for approvals"
        if locale.startswith("en")
        else "<at>Pulse</at> utiliser ce canal pour les validations"
    )
    status, _ = await w.pulse.post(
        message(
            text,
            service_url=url,
            user_id="erin",
            conversation_id=COMMS,
            conversation_type="channel",
            locale=locale,
        )
    )
    assert status == 200
    await w.pulse.connector.wait_messages(1, COMMS)


async def card_activity_id(w: Wired, draft_id: str) -> str:
    found = await w.pulse.components.store.read(w.teams.card_key(TENANT, draft_id))
    assert found is not None
    return str(found.value["activity_id"])


async def submit_and_get_card(w: Wired, requester: Person = ALICE) -> tuple[Any, dict[str, Any]]:
    before = len(w.pulse.connector.messages(COMMS))
    draft = await w.approvals.submit(TENANT, requester, TEXT, "en", {"source": "test"}, None)
    messages = await w.pulse.connector.wait_messages(before + 1, COMMS)
    return draft, messages[-1]


async def test_full_flow_with_publishing_off(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w)
    assert "approval requests will be posted" in message_text(demo.connector.messages(COMMS)[0])
    draft, card_message = await submit_and_get_card(w)
    card = card_message["attachments"][0]["content"]
    assert TEXT in card_texts(card)
    verbs = {a["verb"] for a in card["actions"] if a["type"] == "Action.Execute"} | {
        a["card"]["actions"][0]["verb"] for a in card["actions"] if a["type"] == "Action.ShowCard"
    }
    assert verbs == {"draft.approve", "draft.reject", "draft.edit", "draft.request_changes"}
    assert all(
        a["fallback"]["type"] == "Action.Submit"
        for a in card["actions"]
        if a["type"] == "Action.Execute"
    )

    data = {"verb": "draft.approve", "draft_id": draft.id, "version": 1}
    status, body = await demo.post(
        invoke(url, "carol", "draft.approve", data, conversation_id=COMMS)
    )
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Approved by Carol" in card_texts(body["value"])
    assert "29:carol" in body["value"]["refresh"]["userIds"]
    await w.teams.drain()
    final = await w.approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.READY
    # The original message was updated (channels do not refresh reliably).
    puts = [r for r in demo.connector.received if r.method == "PUT"]
    sent_id = await card_activity_id(w, draft.id)
    assert puts and all(p.path.endswith(f"/activities/{sent_id}") for p in puts)
    last_card = puts[-1].activity["attachments"][0]["content"]
    assert "Posting to X is off" in card_texts(last_card)
    links = [a["url"] for a in last_card.get("actions", []) if a["type"] == "Action.OpenUrl"]
    assert links and links[0].startswith("https://x.com/intent/post?text=We%20are%20hiring")

    # A second approver clicking the same (stale) card is told who decided and when.
    status, body = await demo.post(invoke(url, "bob", "draft.approve", data, conversation_id=COMMS))
    assert "Already decided: approved by Carol" in card_texts(body["value"])


async def test_refusals_non_approver_author_and_tampered_data(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w)
    draft, _ = await submit_and_get_card(w, requester=Person("aad-bob", "Bob"))
    base = {"draft_id": draft.id, "version": 1}
    # Dave is nobody, even claiming to be an approver in the card data.
    tampered = {
        **base,
        "aadObjectId": "aad-carol",
        "approver": "aad-carol",
        "roles": ["admin"],
        "text": "Something else entirely",
    }
    _, body = await demo.post(invoke(url, "dave", "draft.approve", tampered))
    assert "Only the comms approvers" in card_texts(body["value"])
    # Bob wrote it: he may not approve it.
    _, body = await demo.post(invoke(url, "bob", "draft.approve", base))
    assert "another approver must approve" in card_texts(body["value"])
    # Another tenant's id for the draft: not found.
    _, body = await demo.post(invoke(url, "carol", "draft.approve", base, tenant="tenant-other"))
    assert body["value"] == "I could not find this draft."
    # A version that does not exist / edited text in data: no effect.
    _, body = await demo.post(invoke(url, "carol", "draft.approve", {**base, "version": 7}))
    assert "Already decided" in card_texts(body["value"]) or "out of date" in card_texts(
        body["value"]
    )
    still = await w.approvals.get(TENANT, draft.id)
    assert still is not None and still.state is DraftState.PENDING and still.text == TEXT
    # Finally Carol approves: the stored text (not the tampered one) is what is approved.
    await demo.post(invoke(url, "carol", "draft.approve", {**base, "text": "evil"}))
    await w.teams.drain()
    done = await w.approvals.get(TENANT, draft.id)
    assert done is not None and done.state is DraftState.READY and done.text == TEXT
    refused = [e for e in await w.approvals.audit_events(TENANT) if not e.accepted]
    assert [e.reason for e in refused] == ["not_allowed", "self_approval", "already_decided"]


async def test_reject_edit_and_request_changes_by_card(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w)
    draft, _ = await submit_and_get_card(w)
    base = {"draft_id": draft.id, "version": 1}
    _, body = await demo.post(
        invoke(url, "bob", "draft.edit", {**base, "new_text": "Shorter. #Velora"})
    )
    assert "Version 2" in card_texts(body["value"])
    _, body = await demo.post(invoke(url, "carol", "draft.reject", {**base, "version": 2}))
    assert "cannot be done" in card_texts(body["value"])  # a rejection needs a reason
    _, body = await demo.post(
        invoke(
            url, "carol", "draft.request_changes", {**base, "version": 2, "reason": "Add the date"}
        )
    )
    assert "Changes requested by Carol" in card_texts(body["value"])
    final = await w.approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.CHANGES_REQUESTED
    assert final.version == 2 and final.text == "Shorter. #Velora"


async def test_submit_fallback_updates_the_message_and_french_commands(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w, locale="fr-FR")
    draft, card_message = await submit_and_get_card(w)
    card = card_message["attachments"][0]["content"]
    assert "Valider" in [a.get("title") for a in card["actions"]]
    activity = message(
        "",
        service_url=url,
        user_id="carol",
        conversation_id=COMMS,
        conversation_type="channel",
        locale="fr-FR",
    )
    activity["value"] = {
        "verb": "draft.reject",
        "draft_id": draft.id,
        "version": 1,
        "reason": "Hors ligne éditoriale",
    }
    activity["replyToId"] = await card_activity_id(w, draft.id)
    status, _ = await demo.post(activity)
    assert status == 200
    await demo.connector.wait_for(lambda r: any(x.method == "PUT" for x in r))
    final = await w.approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.REJECTED
    assert final.decided is not None and final.decided.reason == "Hors ligne éditoriale"

    before = len(demo.connector.messages(COMMS))
    await demo.post(
        message(
            "historique des validations",
            service_url=url,
            user_id="bob",
            conversation_id=COMMS,
            conversation_type="channel",
            locale="fr-FR",
        )
    )
    msgs = await demo.connector.wait_messages(before + 1, COMMS)
    assert "refusée par Carol" in message_text(msgs[-1])
    await demo.post(
        message(
            "exporter l'audit",
            service_url=url,
            user_id="bob",
            conversation_id=COMMS,
            conversation_type="channel",
            locale="fr-FR",
        )
    )
    msgs = await demo.connector.wait_messages(before + 2, COMMS)
    assert "at,draft_id,version,action" in message_text(msgs[-1])
    # Not for everyone.
    await demo.post(
        message(
            "decisions",
            service_url=url,
            user_id="dave",
            conversation_id=COMMS,
            conversation_type="channel",
        )
    )
    msgs = await demo.connector.wait_messages(before + 3, COMMS)
    assert "Only comms approvers" in message_text(msgs[-1])
    # Only an admin chooses the channel.
    await demo.post(
        message(
            "use this channel for approvals",
            service_url=url,
            user_id="bob",
            conversation_id="19:other@thread.tacv2",
            conversation_type="channel",
        )
    )
    msgs = await demo.connector.wait_messages(1, "19:other@thread.tacv2")
    assert "Only a Pulse admin" in message_text(msgs[-1])


async def test_publishing_on_notifies_and_updates(
    make_pulse: PulseFactory, fake_x: FakeXServer
) -> None:
    pulse = await make_pulse()
    async with x_source(fake_x) as source:
        w = wire(pulse, publisher=source)
        url = pulse.connector.url
        await setup_channel(w)
        # Alice's personal chat is known: she is told the outcome there.
        from botbuilder.schema import ConversationAccount, ConversationReference

        ref = ConversationReference(
            service_url=url,
            channel_id="msteams",
            conversation=ConversationAccount(id="a-dm"),
            locale="en-US",
        )
        await pulse.components.store.write(
            w.teams.requester_key(TENANT, "aad-alice"), {"reference": ref.serialize()}
        )
        draft, _card_message = await submit_and_get_card(w)
        await pulse.post(
            invoke(
                url,
                "carol",
                "draft.approve",
                {"draft_id": draft.id, "version": 1},
                conversation_id=COMMS,
            )
        )
        await w.teams.drain()
    assert [c["text"] for c in fake_x.created] == [TEXT]
    final = await w.approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.PUBLISHED
    puts = [r for r in pulse.connector.received if r.method == "PUT"]
    assert "Published on X" in card_texts(puts[-1].activity["attachments"][0]["content"])
    told = [message_text(m) for m in pulse.connector.messages("a-dm")]
    assert any("approved by Carol" in m for m in told)
    assert any(f"live on X: {final.post_url}" in m for m in told)
