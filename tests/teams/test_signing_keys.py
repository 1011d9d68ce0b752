"""The channel's signing keys when its OpenID metadata endpoint hangs (issue 22, item 4): one
refresh at a time, cached keys served while it runs, bounded waits, and /readyz that says when
no keys can be had at all."""

from __future__ import annotations

import asyncio
import time

from bot.teams.auth import OpenIdKeys, PulseAuthentication
from tests.support.openid import LocalIssuer
from tests.support.teams import message
from tests.teams.conftest import APP_ID, Pulse, PulseFactory, production_settings


def signing_keys(pulse: Pulse) -> OpenIdKeys:
    auth = pulse.components.adapter.bot_framework_authentication
    assert isinstance(auth, PulseAuthentication) and auth.signing_keys is not None
    return auth.signing_keys


async def _ask(pulse: Pulse, issuer: LocalIssuer, **claims: str) -> int:
    token = issuer.mint(issuer.claims(APP_ID, pulse.connector.url, **claims))
    status, _ = await pulse.post(
        message("help", service_url=pulse.connector.url),
        headers={"Authorization": f"Bearer {token}"},
    )
    return status


async def _readyz(pulse: Pulse) -> tuple[int, dict[str, str]]:
    async with pulse.session.get(f"{pulse.url}/readyz") as resp:
        return resp.status, await resp.json()


async def test_hanging_metadata_with_expired_cache_serves_from_the_cache(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    pulse = await make_pulse(**production_settings(issuer))
    assert await _ask(pulse, issuer) == 200  # keys fetched and cached
    keys = signing_keys(pulse)
    keys.fetch_timeout_s = 120  # a refresh that hangs for good, as far as this test goes
    issuer.hang = True
    started = time.monotonic()
    keys.clock = lambda: time.monotonic() + 25 * 3600  # the daily expiry has passed

    statuses = await asyncio.wait_for(
        asyncio.gather(*(_ask(pulse, issuer) for _ in range(8))), timeout=60
    )

    assert statuses == [200] * 8
    # All eight were answered while the one refresh was still hanging: nobody waited on it.
    assert issuer.hanging == 1
    assert issuer.metadata_requests == 2 and keys.refreshes == 2
    assert await _ask(pulse, issuer) == 200  # a ninth: still no second refresh
    assert issuer.metadata_requests == 2
    status, body = await _readyz(pulse)
    assert (status, body["signing_keys"]) == (200, "stale")

    issuer.unhang()
    for _ in range(100):
        if (await _readyz(pulse))[1]["signing_keys"] == "ok":
            break
        await asyncio.sleep(0.05)
    assert (await _readyz(pulse))[1]["signing_keys"] == "ok"
    assert time.monotonic() - started < 60


async def test_a_refresh_is_bounded_by_its_timeout(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    pulse = await make_pulse(**production_settings(issuer))
    keys = signing_keys(pulse)
    keys.fetch_timeout_s = 0.5
    issuer.hang = True
    # No keys yet: the request waits for the refresh, which gives up; a 401, not a hang.
    assert await asyncio.wait_for(_ask(pulse, issuer), timeout=30) == 401
    assert issuer.metadata_requests == 1
    # A failure is not retried at once: the next requests do not wait again.
    statuses = await asyncio.gather(*(_ask(pulse, issuer) for _ in range(8)))
    assert statuses == [401] * 8 and issuer.metadata_requests == 1


async def test_readyz_says_not_ready_while_no_keys_can_be_had(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    issuer.hang = True
    pulse = await make_pulse(**production_settings(issuer))
    status, body = await _readyz(pulse)
    assert status == 503
    assert body == {"status": "not ready", "storage": "ok", "signing_keys": "unavailable"}
    issuer.unhang()  # the refresh under way now completes
    for _ in range(100):
        status, body = await _readyz(pulse)
        if status == 200:
            break
        await asyncio.sleep(0.05)
    assert (status, body["signing_keys"]) == (200, "ok")
    assert await _ask(pulse, issuer) == 200


async def test_readyz_with_an_unreachable_metadata_endpoint(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    pulse = await make_pulse(
        **production_settings(issuer, PULSE_OPENID_METADATA_URL="http://127.0.0.1:9/nothing")
    )
    status, body = await _readyz(pulse)
    assert status == 503 and body["signing_keys"] == "unavailable"


async def test_an_unknown_kid_waits_for_one_refresh_and_others_do_not(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    pulse = await make_pulse(**production_settings(issuer))
    assert await _ask(pulse, issuer) == 200
    keys = signing_keys(pulse)
    keys.wait_s = 0.5
    keys.fetch_timeout_s = 120
    issuer.hang = True
    keys.clock = lambda: time.monotonic() + 3600  # past the unknown-kid look-up interval
    rolled = issuer.mint(issuer.claims(APP_ID, pulse.connector.url), kid="kid-next")

    async def with_rolled_key() -> int:
        status, _ = await pulse.post(
            message("help", service_url=pulse.connector.url),
            headers={"Authorization": f"Bearer {rolled}"},
        )
        return status

    results = await asyncio.wait_for(
        asyncio.gather(with_rolled_key(), *(_ask(pulse, issuer) for _ in range(8))), timeout=60
    )
    assert results == [401] + [200] * 8
    assert issuer.metadata_requests == 2  # one refresh for the unknown kid, none for the others
