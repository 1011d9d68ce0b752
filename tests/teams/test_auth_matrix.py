"""Forged, malformed and wrongly-issued tokens: every one 401, and no handler runs."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.support.openid import EMULATOR_ISSUER, LocalIssuer, new_rsa_key
from tests.support.teams import OUTBOUND_TOKEN, message
from tests.teams.conftest import APP_ID, Pulse, PulseFactory, production_settings


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged_headers(issuer: LocalIssuer, service_url: str) -> dict[str, dict[str, str]]:
    good = issuer.claims(APP_ID, service_url)
    now = int(time.time())
    return {
        "no header": {},
        "garbage": _bearer("not-a-jwt"),
        "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "empty bearer": {"Authorization": "Bearer "},
        "wrong audience": _bearer(issuer.mint({**good, "aud": "another-bot"})),
        "wrong issuer": _bearer(issuer.mint({**good, "iss": "https://evil.example"})),
        "expired": _bearer(
            issuer.mint({**good, "exp": now - 3600, "nbf": now - 7200, "iat": now - 7200})
        ),
        "not yet valid": _bearer(issuer.mint({**good, "nbf": now + 3600})),
        "no expiry": _bearer(issuer.mint({k: v for k, v in good.items() if k != "exp"})),
        "bad signature": _bearer(issuer.mint(good, key=new_rsa_key())),
        "unknown key id": _bearer(issuer.mint(good, kid="kid-unknown")),
        "HS256 with the public key as secret": _bearer(
            jwt.encode(
                good,
                "a-shared-secret-of-enough-length-0123456789",
                algorithm="HS256",
                headers={"kid": issuer.kid},
            )
        ),
        "alg none": _bearer(jwt.encode(good, None, algorithm="none", headers={"kid": issuer.kid})),
        "serviceurl mismatch": _bearer(
            issuer.mint({**good, "serviceurl": "https://attacker.example/"})
        ),
        "emulator issuer": _bearer(issuer.mint({**good, "iss": EMULATOR_ISSUER})),
        "no serviceurl claim": _bearer(
            issuer.mint({k: v for k, v in good.items() if k != "serviceurl"})
        ),
        "empty serviceurl claim": _bearer(issuer.mint({**good, "serviceurl": ""})),
        "tampered payload": _bearer(_tamper(issuer.mint(good))),
    }


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return ".".join([header, flipped, signature])


CASES = [
    "no header",
    "garbage",
    "not bearer",
    "empty bearer",
    "wrong audience",
    "wrong issuer",
    "expired",
    "not yet valid",
    "no expiry",
    "bad signature",
    "unknown key id",
    "HS256 with the public key as secret",
    "alg none",
    "serviceurl mismatch",
    "emulator issuer",
    "no serviceurl claim",
    "empty serviceurl claim",
    "tampered payload",
]


@pytest.fixture
async def production(make_pulse: PulseFactory, issuer: LocalIssuer) -> Pulse:
    return await make_pulse(**production_settings(issuer))


@pytest.mark.parametrize("case", CASES)
async def test_forged_token_is_401_and_runs_nothing(
    production: Pulse, issuer: LocalIssuer, case: str
) -> None:
    headers = forged_headers(issuer, production.connector.url)[case]
    status, _ = await production.post(
        message("help", service_url=production.connector.url), headers=headers
    )
    assert status == 401
    assert production.connector.received == []
    assert await production.components.store.list("dedupe") == []


async def test_valid_token_runs_the_handler_and_replies_with_the_bot_token(
    production: Pulse, issuer: LocalIssuer
) -> None:
    service_url = production.connector.url
    token = issuer.mint(issuer.claims(APP_ID, service_url))
    status, _ = await production.post(
        message("help", service_url=service_url), headers=_bearer(token)
    )
    assert status == 200
    await production.connector.wait_messages(1)
    assert production.connector.received[0].authorization == f"Bearer {OUTBOUND_TOKEN}"


async def test_key_not_endorsed_for_the_channel_is_refused(
    production: Pulse, issuer: LocalIssuer
) -> None:
    issuer.endorsements = ["skype"]
    service_url = production.connector.url
    token = issuer.mint(issuer.claims(APP_ID, service_url))
    status, _ = await production.post(
        message("help", service_url=service_url), headers=_bearer(token)
    )
    assert status == 401


async def test_unreachable_key_metadata_is_401_not_500(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    pulse = await make_pulse(
        **production_settings(issuer, PULSE_OPENID_METADATA_URL="http://127.0.0.1:9/nothing-here")
    )
    token = issuer.mint(issuer.claims(APP_ID, pulse.connector.url))
    status, _ = await pulse.post(
        message("help", service_url=pulse.connector.url), headers=_bearer(token)
    )
    assert status == 401


async def test_service_url_outside_the_allowlist_never_receives_the_token(
    make_pulse: PulseFactory, issuer: LocalIssuer
) -> None:
    # The token is genuine and names this serviceUrl, but the host is not allowed.
    pulse = await make_pulse(
        **production_settings(issuer, PULSE_ALLOWED_SERVICE_URL_HOSTS="smba.trafficmanager.net")
    )
    service_url = pulse.connector.url
    token = issuer.mint(issuer.claims(APP_ID, service_url))
    status, _ = await pulse.post(message("help", service_url=service_url), headers=_bearer(token))
    assert status == 403
    assert pulse.connector.received == []
