"""A running Pulse (real HTTP endpoint, real adapter) with a local Bot Connector for replies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app import COMPONENTS_KEY, Components, create_app
from bot.config import load_settings
from bot.devtools.connector import LocalConnector
from tests.support.openid import LocalIssuer
from tests.support.teams import StaticCredentialsFactory

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "tenant-contoso"


@dataclass
class Pulse:
    url: str
    session: aiohttp.ClientSession
    connector: LocalConnector
    components: Components

    async def post(
        self,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.session.post(
            f"{self.url}/api/messages",
            data=data,
            headers={"Content-Type": content_type, **(headers or {})},
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except json.JSONDecodeError:
                return resp.status, text


PulseFactory = Callable[..., Awaitable[Pulse]]


@pytest.fixture
async def connector() -> AsyncIterator[LocalConnector]:
    local = LocalConnector()
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def issuer() -> AsyncIterator[LocalIssuer]:
    local = LocalIssuer()
    await local.start()
    yield local
    await local.stop()


@pytest.fixture
async def make_pulse(tmp_path: Path, connector: LocalConnector) -> AsyncIterator[PulseFactory]:
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []

    async def factory(**overrides: Any) -> Pulse:
        settings = load_settings(_env_file=None, PULSE_DATA_DIR=str(tmp_path / "data"), **overrides)
        credentials = StaticCredentialsFactory(settings.bot.app_id) if settings.bot.app_id else None
        app = create_app(settings, credentials_factory=credentials)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        session = aiohttp.ClientSession()
        sessions.append(session)
        return Pulse(str(server.make_url("")).rstrip("/"), session, connector, app[COMPONENTS_KEY])

    yield factory
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


@pytest.fixture
async def demo(make_pulse: PulseFactory) -> Pulse:
    return await make_pulse()


def production_settings(issuer: LocalIssuer, **extra: Any) -> dict[str, Any]:
    return {
        "PULSE_MODE": "production",
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "fake-app-password-0123456789",
        "MICROSOFT_APP_TENANT_ID": TENANT,
        "PULSE_OPENID_METADATA_URL": issuer.metadata_url,
        "PULSE_ALLOWED_SERVICE_URL_HOSTS": "127.0.0.1",
        "X_BEARER_TOKEN": "fake-x-bearer-for-tests",
        **extra,
    }
