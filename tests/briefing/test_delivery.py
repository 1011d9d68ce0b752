"""Proactive delivery failures: 403/404 deactivate, 429 honours Retry-After, 5xx retried then
given up, and one recipient's failure never holds the others."""

from __future__ import annotations

from datetime import timedelta

from bot.services.briefings import DeliveryStatus, marker_key
from bot.services.subscriptions import recipient_of
from bot.teams.delivery import retry_after_seconds
from tests.briefing.conftest import (
    TENANT,
    CountingConnector,
    FakeClock,
    InstanceFactory,
    store_reference,
    subscribe,
)

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "hi"}]}


async def test_each_failure_code(
    make_instance: InstanceFactory, local_store, clock: FakeClock, connector: CountingConnector
) -> None:
    inst = await make_instance(local_store, clock)
    delivery = inst.briefings.delivery
    convs = ["ok-1", "blocked", "gone", "throttled", "err-500", "err-503", "ok-2"]
    keys = {c: await store_reference(local_store, connector.url, c) for c in convs}
    connector.fail_with.update(
        {"blocked": 403, "gone": 404, "throttled": 429, "err-500": 500, "err-503": 503}
    )
    connector.fail_headers["throttled"] = {"Retry-After": "7"}
    connector.fail_times["throttled"] = 1
    connector.fail_headers["err-503"] = {"Retry-After": "600"}  # capped

    outcomes = {
        recipient: o
        for recipient, o in zip(
            convs, await delivery.fan_out([(keys[c], CARD) for c in convs]), strict=True
        )
    }

    assert outcomes["ok-1"].status is DeliveryStatus.SENT and outcomes["ok-1"].activity_id
    assert outcomes["ok-2"].status is DeliveryStatus.SENT
    assert len(connector.messages("ok-1")) == 1 and len(connector.messages("ok-2")) == 1
    for conv, code in (("blocked", 403), ("gone", 404)):
        assert outcomes[conv].status is DeliveryStatus.GONE
        assert outcomes[conv].http_status == code
        assert connector.attempts[conv] == 1  # no retry
        ref = await inst.references.get(keys[conv])
        assert ref is not None and not ref.active
    assert outcomes["throttled"].status is DeliveryStatus.SENT
    assert connector.attempts["throttled"] == 2
    assert 7.0 in inst.sleeps.waits  # Retry-After honoured
    max_attempts = delivery.policy.max_attempts
    for conv in ("err-500", "err-503"):
        assert outcomes[conv].status is DeliveryStatus.FAILED
        assert outcomes[conv].attempts == max_attempts
        assert connector.attempts[conv] == max_attempts  # our retries only: the SDK's are off
        ref = await inst.references.get(keys[conv])
        assert ref is not None and ref.active
    assert delivery.policy.max_backoff_s in inst.sleeps.waits  # a huge Retry-After is capped
    assert max(inst.sleeps.waits) <= delivery.policy.max_backoff_s


async def test_unusable_references_are_never_called(
    make_instance: InstanceFactory, local_store, clock: FakeClock, connector: CountingConnector
) -> None:
    inst = await make_instance(local_store, clock)
    evil = await store_reference(local_store, "https://evil.example.com/", "evil")
    gone = await store_reference(local_store, connector.url, "old")
    await inst.references.deactivate(gone, "blocked_or_removed")
    for key in (evil, gone, "refs/tenant-contoso/missing"):
        outcome = await inst.briefings.delivery.send(key, CARD)
        assert outcome.status is DeliveryStatus.SKIPPED
    assert connector.attempts == {}


async def test_other_4xx_fail_at_once_and_keep_the_reference(
    make_instance: InstanceFactory, local_store, clock: FakeClock, connector: CountingConnector
) -> None:
    inst = await make_instance(local_store, clock)
    key = await store_reference(local_store, connector.url, "bad")
    connector.fail_with["bad"] = 400
    outcome = await inst.briefings.delivery.send(key, CARD)
    assert outcome.status is DeliveryStatus.FAILED
    assert (outcome.attempts, outcome.http_status, outcome.reason) == (1, 400, "http_400")
    assert connector.attempts["bad"] == 1 and inst.sleeps.waits == []
    ref = await inst.references.get(key)
    assert ref is not None and ref.active


def test_retry_after_formats() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}) > 0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


async def test_briefing_markers_follow_the_outcome(
    make_instance: InstanceFactory, local_store, clock: FakeClock, connector: CountingConnector
) -> None:
    """403 → marker `gone`, never retried; 5xx → `failed`, re-claimed by the next tick and
    sent once the connector recovers; the healthy recipient gets exactly one briefing."""
    inst = await make_instance(local_store, clock)
    b = inst.briefings
    keys = {
        c: await store_reference(local_store, connector.url, c) for c in ("fine", "no", "flaky")
    }
    for key in keys.values():
        await subscribe(b.subscriptions, key)
    connector.fail_with.update({"no": 403, "flaky": 503})
    clock.advance(minutes=30)  # 08:00 in Paris
    report = await b.service.run_due()
    assert (report.sent, report.gone, report.failed) == (1, 1, 1)
    day = clock.now().date()
    marker = await local_store.read(marker_key(TENANT, recipient_of(keys["flaky"]), day))
    assert marker is not None and marker.value["data"]["state"] == "failed"
    connector.fail_with.pop("flaky")
    clock.advance(minutes=1)
    report = await b.service.run_due()
    assert (report.sent, report.gone, report.failed) == (1, 0, 0)
    marker = await local_store.read(marker_key(TENANT, recipient_of(keys["flaky"]), day))
    assert marker is not None and marker.value["data"]["state"] == "sent"
    assert marker.value["data"]["attempt"] == 2
    clock.advance(minutes=1)
    assert (await b.service.run_due()).sent == 0
    assert connector.attempts["no"] == 1
    assert [len(connector.messages(c)) for c in ("fine", "no", "flaky")] == [1, 0, 1]


async def test_a_crash_between_marker_and_send_is_retried_after_the_stale_delay(
    make_instance: InstanceFactory, local_store, clock: FakeClock, connector: CountingConnector
) -> None:
    inst = await make_instance(local_store, clock)
    b = inst.briefings
    key = await store_reference(local_store, connector.url, "crash")
    await subscribe(b.subscriptions, key)
    clock.advance(minutes=30)
    # what a crashed instance leaves behind: a claimed marker and nothing sent
    claim = await b.service._claim(
        marker_key(TENANT, recipient_of(key), clock.now().date()), clock.now()
    )
    assert claim is not None
    assert (await b.service.run_due()).sent == 0  # claimed by someone alive, maybe
    clock.advance(minutes=11)  # past stale_after (10 min)
    assert (await b.service.run_due()).sent == 1
    clock.advance(hours=3)  # past the catch-up window: nothing more, ever
    assert (await b.service.run_due()).due == 0
    assert len(connector.messages("crash")) == 1
    assert timedelta(hours=3) == b.service.catch_up
