"""Storage down: the bot tells the user, in their language, that it cannot reach its storage;
the service stays up and answers again once storage is back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app import create_app
from bot.clients.store.blob import BlobStore
from bot.config import load_settings
from bot.devtools.connector import LocalConnector, message_text
from tests.store.conftest import new_container
from tests.support.azurite import Azurite, connection_string
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.teams import message

pytestmark = pytest.mark.azurite


@pytest.fixture
async def setup(
    azurite_blob: Azurite, tmp_path: Path
) -> AsyncIterator[tuple[str, FaultProxy, LocalConnector]]:
    connector = LocalConnector()
    await connector.start()
    async with FaultProxy("127.0.0.1", azurite_blob.port) as proxy:
        store = BlobStore(
            container=new_container(),
            connection_string=connection_string("blob", proxy.port),
            timeout_s=1.5,
            retry_total=1,
            retry_backoff_s=0.1,
        )
        await store.ping()
        settings = load_settings(
            _env_file=None, PULSE_DATA_DIR=str(tmp_path), PULSE_SCHEDULER_ENABLED="false"
        )
        app = create_app(settings, store=store, briefings_installed=False)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        try:
            yield str(server.make_url("/api/messages")), proxy, connector
        finally:
            await server.close()
            await connector.stop()


async def _post(url: str, body: dict[str, object]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=json.dumps(body), headers={"Content-Type": "application/json"}
        ) as resp,
    ):
        return resp.status


async def test_user_is_told_in_french_and_the_service_recovers(
    setup: tuple[str, FaultProxy, LocalConnector],
) -> None:
    url, proxy, connector = setup
    proxy.set_mode(Fault.HTTP_503)
    status = await _post(url, message("aide", service_url=connector.url, locale="fr-FR"))
    assert status == 200  # one answer degraded, never the service
    [reply] = await connector.wait_messages(1)
    assert "joindre mon stockage" in message_text(reply)

    proxy.set_mode(Fault.PASS)
    await _post(
        url, message("help", service_url=connector.url, locale="en-US", conversation_id="conv-2")
    )
    [answer] = await connector.wait_messages(1, "conv-2")
    assert "What I can do" in message_text(answer)
