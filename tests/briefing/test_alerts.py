"""The scripted demo crisis, replayed hour by hour: one alert with a holding statement, then
updates of the same cards; a calm day gives no alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.teams.actions import Actor
from bot.teams.briefing_cards import ALERT_PROPOSE_VERB
from tests.briefing.conftest import (
    TENANT,
    CountingConnector,
    FakeClock,
    InstanceFactory,
    ReplaySource,
    crisis_start_end,
    store_reference,
    subscribe,
)

COMMS = "19:comms-team@thread.tacv2"


async def setup(
    make_instance: InstanceFactory, store: Any, clock: FakeClock, connector: CountingConnector
) -> Any:
    start, end = crisis_start_end()
    inst = await make_instance(
        store, clock, source=ReplaySource(clock, end), comms_conversation=COMMS
    )
    b = inst.briefings
    for conv, lang in (("exec-fr", "fr"), ("exec-en", "en")):
        key = await store_reference(store, connector.url, conv, lang=lang)
        await subscribe(b.subscriptions, key, lang=lang)
    await store_reference(store, connector.url, COMMS, lang="fr", conversation_type="channel")
    return inst, start


async def test_the_demo_crisis_gives_one_alert_then_updates(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    clock.set(crisis_start_end()[0] - timedelta(hours=3))
    inst, start = await setup(make_instance, local_store, clock, connector)
    alerts = inst.briefings.alerts
    actions = []
    for hour in range(-3, 9):
        clock.set(start + timedelta(hours=hour, minutes=5))
        reports = await alerts.check_all()
        actions.append((hour, reports[0].action))
    alerted = [h for h, a in actions if a == "alerted"]
    assert alerted == [1]  # the spike hour after the thread went viral
    assert all(a == "calm" for h, a in actions if h < 1)
    assert [a for h, a in actions if a == "updated"]  # the next ALERT hour updates the cards
    posts = [r for r in connector.received if r.method == "POST"]
    puts = [r for r in connector.received if r.method == "PUT"]
    assert sorted(r.conversation_id for r in posts) == sorted(["exec-fr", "exec-en", COMMS])
    assert {r.conversation_id for r in puts} == {"exec-fr", "exec-en", COMMS}
    sent_ids = {r.conversation_id: r for r in posts}
    for put in puts:  # the update replaces the very message sent
        assert put.path.endswith("/activities/" + put.activity["id"])
        assert sent_ids[put.conversation_id]
    card = posts[0].activity["attachments"][0]["content"]
    (action,) = card["actions"]
    assert action["verb"] == ALERT_PROPOSE_VERB and action["data"]["kind"] == "holding_statement"
    statement = action["data"]["text"]
    assert "{" not in statement and "Velora" in statement
    texts = [el.get("text", "") for el in card["body"]]
    assert statement in texts
    assert any("x.com/" in t for t in texts)  # key posts, linked
    # one click sends the holding statement to approval; a second click does not resend
    actor = Actor("aad-exec", "29:exec", "Exec", TENANT, action["data"]["lang"])
    first = await inst.briefings.on_alert_propose(None, actor, action["data"])  # type: ignore[arg-type]
    second = await inst.briefings.on_alert_propose(None, actor, action["data"])  # type: ignore[arg-type]
    assert len(inst.approvals.calls) == 1
    _, text, _lang, context = inst.approvals.calls[0]
    assert text == statement and context["source"] == "alert" and context["ref"]
    assert first.message and "draft-1" in first.message
    assert second.message != first.message


async def test_an_open_event_updates_its_cards_instead_of_alerting_again(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    """(A new event after the cool-down: tests/briefing/test_alert_cadence.py.)"""
    clock.set(crisis_start_end()[0])
    inst, start = await setup(make_instance, local_store, clock, connector)
    alerts = inst.briefings.alerts
    clock.set(start + timedelta(hours=1, minutes=5))
    assert (await alerts.check(TENANT)).action == "alerted"
    clock.set(start + timedelta(hours=2, minutes=5))
    report = await alerts.check(TENANT)
    assert report.action == "updated" and report.event_id
    assert len([r for r in connector.received if r.method == "POST"]) == 3
    assert len([r for r in connector.received if r.method == "PUT"]) == 3


async def test_a_calm_day_gives_no_alert(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    clock.set(crisis_start_end()[0] - timedelta(hours=30))
    inst, start = await setup(make_instance, local_store, clock, connector)
    for hour in range(-30, -6, 2):
        clock.set(start + timedelta(hours=hour, minutes=5))
        assert {r.action for r in await inst.briefings.alerts.check_all()} == {"calm"}
    assert connector.received == []
