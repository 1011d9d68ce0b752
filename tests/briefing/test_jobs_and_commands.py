"""`POST /api/jobs/briefing` (auth, idempotency) and the Teams commands and card verbs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.teams.actions import Actor
from bot.teams.references import conversation_key
from tests.briefing.conftest import (
    JOBS_SECRET,
    TENANT,
    CountingConnector,
    FakeClock,
    InstanceFactory,
    store_reference,
    subscribe,
)


async def post(session: aiohttp.ClientSession, url: str, auth: str | None) -> tuple[int, Any]:
    headers = {"Authorization": auth} if auth is not None else {}
    async with session.post(f"{url}/api/jobs/briefing", headers=headers) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body


async def test_jobs_endpoint_needs_the_secret_and_is_idempotent(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
    session: aiohttp.ClientSession,
) -> None:
    inst = await make_instance(local_store, clock)
    key = await store_reference(local_store, connector.url, "alice")
    await subscribe(inst.briefings.subscriptions, key)
    clock.advance(minutes=45)  # 08:15 in Paris
    assert (await post(session, inst.url, None))[0] == 401
    assert (await post(session, inst.url, "Bearer wrong-secret"))[0] == 401
    assert (await post(session, inst.url, JOBS_SECRET))[0] == 401  # no scheme
    assert connector.messages() == []
    status, body = await post(session, inst.url, f"Bearer {JOBS_SECRET}")
    assert status == 200 and body["sent"] == 1
    status, body = await post(session, inst.url, f"Bearer {JOBS_SECRET}")
    assert status == 200 and body["sent"] == 0
    assert len(connector.messages("alice")) == 1


async def test_jobs_endpoint_is_off_without_a_secret(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    session: aiohttp.ClientSession,
) -> None:
    inst = await make_instance(local_store, clock, jobs_secret=None)
    assert (await post(session, inst.url, f"Bearer {JOBS_SECRET}"))[0] == 404


def turn(
    service_url: str, conv: str = "alice", *, locale: str = "fr-FR", conv_type: str = "personal"
) -> tuple[TestAdapter, TurnContext, Actor]:
    adapter = TestAdapter()
    activity = Activity(
        type="message",
        id="act-1",
        text="",
        channel_id="msteams",
        service_url=service_url,
        locale=locale,
        from_property=ChannelAccount(id="29:alice", name="Alice", aad_object_id="aad-alice"),
        recipient=ChannelAccount(id="28:pulse-bot", name="Pulse"),
        conversation=ConversationAccount(id=conv, tenant_id=TENANT, conversation_type=conv_type),
        channel_data={"tenant": {"id": TENANT}},
    )
    lang = "fr" if locale.startswith("fr") else "en"
    return (
        adapter,
        TurnContext(adapter, activity),
        Actor("aad-alice", "29:alice", "Alice", TENANT, lang),
    )


def replies(adapter: TestAdapter) -> list[Activity]:
    return [a for a in adapter.activity_buffer if a.type == "message"]


async def test_commands_subscribe_change_and_unsubscribe(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    inst = await make_instance(local_store, clock)
    b = inst.briefings
    adapter, ctx, actor = turn(connector.url)
    await b.handle_command(ctx, actor, "abonne-moi au briefing")
    assert (
        "08:00" in replies(adapter)[-1].text and "du lundi au vendredi" in replies(adapter)[-1].text
    )
    (sub,) = await b.subscriptions.all(TENANT)
    assert sub.ref_key == conversation_key(TENANT, "alice") and sub.lang == "fr"
    assert await b.references.get(sub.ref_key) is not None  # the reference is kept for delivery
    await b.handle_command(ctx, actor, "briefing à 7h30 tous les jours")
    (sub,) = await b.subscriptions.all(TENANT)
    assert sub.at.strftime("%H:%M") == "07:30" and len(sub.days) == 7
    await b.handle_command(ctx, actor, "my briefing settings")
    card = replies(adapter)[-1].attachments[0].content
    assert card["actions"][0]["verb"] == "briefing.save"
    assert {el.get("id") for el in card["body"]} >= {"time", "days", "lang"}
    await b.handle_command(ctx, actor, "subscribe this channel")
    assert "canal" in replies(adapter)[-1].text  # a channel command in a personal chat
    await b.handle_command(ctx, actor, "désabonne-moi")
    assert await b.subscriptions.all(TENANT) == []


async def test_settings_form_is_saved(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    inst = await make_instance(local_store, clock)
    _, ctx, actor = turn(connector.url, locale="en-US")
    result = await inst.briefings.on_save(
        ctx, actor, {"time": "06:45", "days": "0,2,4", "lang": "en", "active": "true"}
    )
    assert result.card is not None
    (sub,) = await inst.briefings.subscriptions.all(TENANT)
    assert (sub.at.strftime("%H:%M"), sub.days, sub.lang) == ("06:45", (0, 2, 4), "en")
    bad = await inst.briefings.on_save(ctx, actor, {"time": "25:99", "days": ""})
    assert bad.card is None and bad.message


async def test_channel_subscription(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    inst = await make_instance(local_store, clock)
    channel = "19:comms@thread.tacv2;messageid=1700000000"
    _adapter, ctx, actor = turn(connector.url, channel, conv_type="channel")
    await inst.briefings.handle_command(ctx, actor, "abonne ce canal au briefing")
    (sub,) = await inst.briefings.subscriptions.all(TENANT)
    assert sub.is_channel and sub.user_aad_id is None
    clock.advance(minutes=30)
    assert (await inst.briefings.service.run_due()).sent == 1
    # posted to the channel itself, not as a reply in the old thread
    (received,) = [r for r in connector.received if r.method == "POST"]
    assert received.conversation_id == "19:comms@thread.tacv2"
    assert received.path.endswith("/activities")


async def test_briefing_now_sends_a_card_without_marker(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    inst = await make_instance(local_store, clock)
    adapter, ctx, actor = turn(connector.url, locale="en-US")
    await inst.briefings.handle_command(ctx, actor, "briefing now")
    card = replies(adapter)[-1].attachments[0].content
    assert card["body"][0]["text"].startswith("Your briefing")
    assert await local_store.list("briefings/") == []
    await subscribe(inst.briefings.subscriptions, conversation_key(TENANT, "alice"))
    clock.advance(minutes=30)
    assert (await inst.briefings.service.run_due()).sent == 1  # the day's briefing still goes


async def test_suggested_post_goes_to_approval_once(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
) -> None:
    inst = await make_instance(local_store, clock)
    actor = Actor("aad-alice", "29:alice", "Alice", TENANT, "fr")
    data = {"kind": "post_of_the_day", "text": "Bonjour X", "lang": "fr", "day": "2026-11-23"}
    first = await inst.briefings.on_propose(None, actor, data)  # type: ignore[arg-type]
    again = await inst.briefings.on_propose(None, actor, data)  # type: ignore[arg-type]
    assert len(inst.approvals.calls) == 1 and "draft-1" in (first.message or "")
    assert again.message and "déjà" in again.message
    empty = await inst.briefings.on_propose(None, actor, {"text": " "})  # type: ignore[arg-type]
    assert empty.message and len(inst.approvals.calls) == 1
    assert timedelta(0) == timedelta(0)
