"""A run at DEBUG level with fake secrets configured: none of them reaches the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import setup_logging
from tests.support.openid import LocalIssuer
from tests.support.teams import OUTBOUND_TOKEN, message
from tests.teams.conftest import APP_ID, PulseFactory, production_settings

SECRETS = {
    "MICROSOFT_APP_PASSWORD": "fake-app-password-0123456789",
    "X_BEARER_TOKEN": "fake-x-bearer-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "OPENAI_API_KEY": "fake-openai-key-abcdefghijklmnopqrstuvwxyz",
    "X_CONSUMER_SECRET": "fake-consumer-secret-0123456789abcdef",
    "X_ACCESS_TOKEN_SECRET": "fake-access-token-secret-0123456789",
    "AZURE_OPENAI_API_KEY": "fake-azure-openai-key-0123456789abcdef",
    "AZURE_STORAGE_CONNECTION_STRING": (
        "DefaultEndpointsProtocol=http;AccountName=fakeaccount;"
        "AccountKey=ZmFrZS1hY2NvdW50LWtleQ==;"
        "BlobEndpoint=http://127.0.0.1:1/fakeaccount;"
    ),
}


@pytest.fixture
def debug_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pulse", False):
            root.removeHandler(handler)
    root.setLevel(logging.WARNING)


async def test_no_secret_in_debug_logs(
    make_pulse: PulseFactory,
    issuer: LocalIssuer,
    capsys: pytest.CaptureFixture[str],
    debug_logging: None,
) -> None:
    pulse = await make_pulse(**production_settings(issuer, PULSE_LOG_LEVEL="DEBUG", **SECRETS))
    settings = pulse.components.settings
    setup_logging("DEBUG", settings.secrets(), "text")

    inbound = issuer.mint(issuer.claims(APP_ID, pulse.connector.url))
    status, _ = await pulse.post(
        message("help", service_url=pulse.connector.url),
        headers={"Authorization": f"Bearer {inbound}"},
    )
    assert status == 200
    await pulse.connector.wait_messages(1)
    forged = issuer.mint(issuer.claims(APP_ID, pulse.connector.url, aud="someone-else"))
    status, _ = await pulse.post(
        message("help", service_url=pulse.connector.url),
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert status == 401
    # Third-party libraries do log credentials at DEBUG (tweepy logs its bearer token):
    logging.getLogger("tweepy.client").debug(
        "Making API request: headers={'Authorization': 'Bearer %s'}", SECRETS["X_BEARER_TOKEN"]
    )
    logging.getLogger("azure.core").debug("conn %s", SECRETS["AZURE_STORAGE_CONNECTION_STRING"])
    logging.getLogger("openai").debug("api_key=%s", SECRETS["OPENAI_API_KEY"])
    logging.getLogger("msal").debug("client_secret=%s&x=1", SECRETS["MICROSOFT_APP_PASSWORD"])

    logs = capsys.readouterr().err
    assert "DEBUG" in logs and "tweepy.client" in logs  # the run really logged at DEBUG
    for name, value in SECRETS.items():
        assert value not in logs, name
    assert "ZmFrZS1hY2NvdW50LWtleQ==" not in logs
    assert inbound not in logs and forged not in logs
    assert OUTBOUND_TOKEN not in logs
