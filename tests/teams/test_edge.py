"""The HTTP edge: bodies, tenants, channels, re-deliveries, health."""

from __future__ import annotations

import asyncio

from tests.support.teams import members_added, message
from tests.teams.conftest import Pulse, PulseFactory


async def test_oversized_body_is_413_and_runs_nothing(make_pulse: PulseFactory) -> None:
    pulse = await make_pulse(PULSE_MAX_BODY_BYTES="4096")
    activity = message("x" * 5000, service_url=pulse.connector.url)
    status, _ = await pulse.post(activity)
    assert status == 413
    assert pulse.connector.received == []


async def test_non_json_media_type_is_415(demo: Pulse) -> None:
    status, _ = await demo.post(
        None, raw=b"text=help", content_type="application/x-www-form-urlencoded"
    )
    assert status == 415


async def test_malformed_json_is_400(demo: Pulse) -> None:
    status, _ = await demo.post(None, raw=b'{"type": "message", ')
    assert status == 400


async def test_json_that_is_not_an_activity_is_400(demo: Pulse) -> None:
    for body in ([1, 2, 3], {"hello": "world"}, {"type": "message", "channelId": "msteams"}, "str"):
        status, _ = await demo.post(body)
        assert status == 400, body
    assert demo.connector.received == []


async def test_invalid_utf8_is_400(demo: Pulse) -> None:
    status, _ = await demo.post(None, raw=b'{"type": "\xff\xfe"}')
    assert status == 400


async def test_foreign_tenant_is_dropped_before_any_handler(make_pulse: PulseFactory) -> None:
    pulse = await make_pulse(PULSE_ALLOWED_TENANTS="tenant-contoso")
    status, _ = await pulse.post(
        message("help", service_url=pulse.connector.url, tenant="tenant-fabrikam")
    )
    assert status == 403
    status, _ = await pulse.post(message("help", service_url=pulse.connector.url))
    assert status == 200
    messages = await pulse.connector.wait_messages(1)
    assert len(messages) == 1


async def test_channel_outside_the_allowlist_is_dropped(demo: Pulse) -> None:
    status, _ = await demo.post(
        message("help", service_url=demo.connector.url, channel_id="webchat")
    )
    assert status == 403
    assert demo.connector.received == []


async def test_service_url_outside_the_allowlist_is_dropped(demo: Pulse) -> None:
    status, _ = await demo.post(message("help", service_url="https://attacker.example/"))
    assert status == 403


async def test_redelivered_activity_has_its_effects_once(demo: Pulse) -> None:
    activity = message("help", service_url=demo.connector.url, activity_id="same-id-1")
    first = await demo.post(activity)
    second = await demo.post(activity)
    assert first[0] == 200 and second[0] == 200
    await demo.connector.wait_messages(1)
    await asyncio.sleep(0.3)
    assert len(demo.connector.messages()) == 1


async def test_concurrent_redeliveries_have_their_effects_once(demo: Pulse) -> None:
    activity = members_added(service_url=demo.connector.url, activity_id="same-id-2")
    results = await asyncio.gather(*(demo.post(activity) for _ in range(5)))
    assert all(status == 200 for status, _ in results)
    await demo.connector.wait_messages(1)
    await asyncio.sleep(0.3)
    assert len(demo.connector.messages()) == 1


async def test_same_id_in_another_conversation_is_not_a_duplicate(demo: Pulse) -> None:
    await demo.post(message("help", service_url=demo.connector.url, activity_id="id-9"))
    await demo.post(
        message(
            "help", service_url=demo.connector.url, activity_id="id-9", conversation_id="conv-2"
        )
    )
    assert len(await demo.connector.wait_messages(2)) == 2


async def test_health_and_readiness(demo: Pulse) -> None:
    async with demo.session.get(f"{demo.url}/healthz") as resp:
        assert resp.status == 200
    async with demo.session.get(f"{demo.url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["storage"] == "ok"
