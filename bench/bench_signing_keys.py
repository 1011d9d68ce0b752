"""Inbound requests while the channel's OpenID metadata endpoint hangs (issue 22, item 4).

Eight concurrent requests with valid tokens, in production mode against a local issuer: first
with fresh cached keys (the baseline), then after the cached keys' daily expiry with the
metadata endpoint hanging. Before the fix each request refreshed in turn behind one lock
(5, 10 … 40 s); now the cached keys are served while one refresh runs in the background.
Prints each request's latency."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import AUTH_KEY, create_app  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.devtools.connector import LocalConnector  # noqa: E402
from tests.support.openid import LocalIssuer  # noqa: E402
from tests.support.teams import StaticCredentialsFactory, message  # noqa: E402

APP_ID = "11111111-2222-3333-4444-555555555555"
CONCURRENT = 8


async def burst(
    session: aiohttp.ClientSession, url: str, issuer: LocalIssuer, service_url: str
) -> list[float]:
    async def one() -> float:
        token = issuer.mint(issuer.claims(APP_ID, service_url))
        started = time.perf_counter()
        async with session.post(
            f"{url}/api/messages",
            json=message("help", service_url=service_url),
            headers={"Authorization": f"Bearer {token}"},
        ) as resp:
            await resp.read()
            assert resp.status == 200, resp.status
        return time.perf_counter() - started

    return list(await asyncio.gather(*(one() for _ in range(CONCURRENT))))


async def main() -> None:
    connector, issuer = LocalConnector(), LocalIssuer()
    service_url = await connector.start()
    await issuer.start()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            "PULSE_MODE": "production",
            "PULSE_DATA_DIR": data_dir,
            "PULSE_LOG_LEVEL": "ERROR",
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "bench-password-0123456789",
            "MICROSOFT_APP_TENANT_ID": "tenant-contoso",
            "PULSE_OPENID_METADATA_URL": issuer.metadata_url,
            "PULSE_ALLOWED_SERVICE_URL_HOSTS": "127.0.0.1",
            "X_BEARER_TOKEN": "bench-x-token",
        }
        settings = load_settings(_env_file=None, **env)
        app = create_app(settings, credentials_factory=StaticCredentialsFactory(APP_ID))
        keys = app[AUTH_KEY].signing_keys
        assert keys is not None
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        url = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as session:
            await burst(session, url, issuer, service_url)  # warm-up: keys fetched
            fresh = await burst(session, url, issuer, service_url)
            issuer.hang = True
            keys.clock = lambda: time.monotonic() + 25 * 3600
            started = time.perf_counter()
            hanging = await burst(session, url, issuer, service_url)
            wall = time.perf_counter() - started
            refreshes = issuer.metadata_requests - 1
            issuer.unhang()
        await server.close()
    await issuer.stop()
    await connector.stop()

    def row(name: str, values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        return f"{name:44}{statistics.median(ms):>10.0f}{ms[-1]:>10.0f}"

    print(f"\n{CONCURRENT} concurrent requests with a valid token (ms)")
    print(f"{'':44}{'median':>10}{'max':>10}")
    print(row("fresh cached keys (base)", fresh))
    print(row("keys expired, metadata endpoint hanging", hanging))
    print(f"burst wall time {wall:.2f} s; metadata requests during it: {refreshes} (goal: 1)")


if __name__ == "__main__":
    asyncio.run(main())
