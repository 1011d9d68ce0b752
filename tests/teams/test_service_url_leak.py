"""The bot's token never leaves for a serviceUrl host outside the allowlist (issue 22, item 2):
refused at the door (403) with a genuine token, and again before any proactive send from a
stored reference, at both guards (the reference check and the connector factory)."""

from __future__ import annotations

import pytest
from botbuilder.core import TurnContext
from botframework.connector.auth import ClaimsIdentity

from bot.teams.delivery import TeamsDelivery, proactive_reference
from bot.teams.guards import ServiceUrlNotAllowed
from bot.teams.references import ReferenceStore
from tests.support.openid import LocalIssuer
from tests.support.teams import message
from tests.teams.conftest import APP_ID, Pulse, PulseFactory, production_settings

HOSTILE = [
    "https://localhost\\.botframework.com/",
    "https://localhost%2F.botframework.com/",
    "https://x.botframework.com./",
    "https://x.botframework.com:8443/",
    "https://user@x.botframework.com/",
    "https://xn--80ak6aa92e.botframework.com/",
    "https://\uff58.botframework.com/",
]


@pytest.fixture
async def production(make_pulse: PulseFactory, issuer: LocalIssuer) -> Pulse:
    return await make_pulse(
        **production_settings(
            issuer, PULSE_ALLOWED_SERVICE_URL_HOSTS="*.botframework.com,127.0.0.1"
        )
    )


@pytest.mark.parametrize("service_url", HOSTILE)
async def test_genuine_token_naming_a_hostile_service_url_is_403(
    production: Pulse, issuer: LocalIssuer, service_url: str
) -> None:
    token = issuer.mint(issuer.claims(APP_ID, service_url))
    status, _ = await production.post(
        message("help", service_url=service_url), headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 403
    assert await production.components.store.list("refs") == []
    assert production.connector.received == []


async def test_a_stored_reference_with_a_hostile_service_url_is_never_used(
    production: Pulse, issuer: LocalIssuer
) -> None:
    # A genuine conversation stores its reference...
    good = production.connector.url
    token = issuer.mint(issuer.claims(APP_ID, good))
    status, _ = await production.post(
        message("help", service_url=good), headers={"Authorization": f"Bearer {token}"}
    )
    assert status == 200
    await production.connector.wait_messages(1)
    store = production.components.store
    [key] = await store.list("refs")
    # ...which then holds a hostile serviceUrl (stored by an older release, or tampered with).
    current = await store.read(key)
    assert current is not None
    value = current.value
    value["reference"]["serviceUrl"] = HOSTILE[0]
    await store.write(key, value, if_match=current.etag)

    references: ReferenceStore = production.components.references
    adapter = production.components.adapter
    delivery = TeamsDelivery(adapter, APP_ID, references)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    outcome = await delivery.send(key, card)
    assert outcome.status.value == "skipped"

    # The second guard holds even when the first is bypassed: the connector is never built.
    ref = await references.get(key)
    assert ref is not None

    async def callback(turn_context: TurnContext) -> None:
        await turn_context.send_activity("should never be sent")

    with pytest.raises(ServiceUrlNotAllowed):
        await adapter.continue_conversation(proactive_reference(ref), callback, APP_ID)
    factory = adapter.bot_framework_authentication.create_connector_factory(
        ClaimsIdentity({}, True)
    )
    for hostile in HOSTILE:
        with pytest.raises(ServiceUrlNotAllowed):
            await factory.create(hostile, "https://api.botframework.com")
    assert len(production.connector.received) == 1  # only the first, genuine reply
