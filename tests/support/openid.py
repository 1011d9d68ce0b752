"""A local stand-in for the Bot Framework's token issuer: OpenID metadata and signing keys on
loopback, and a minter of tokens, good and forged."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.devtools.connector import bound_port

CHANNEL_ISSUER = "https://api.botframework.com"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class LocalIssuer:
    def __init__(self) -> None:
        self.key = new_rsa_key()
        self.kid = f"kid-{uuid.uuid4().hex[:8]}"
        self.endorsements = ["msteams"]
        self.url = ""
        self.metadata_requests = 0
        self.hang = False  # metadata requests wait until `unhang()` (a hanging endpoint)
        self.hanging = 0  # metadata requests waiting now
        self._unhung = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def unhang(self) -> None:
        self.hang = False
        self._unhung.set()

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": self.endorsements})
        return {"keys": [jwk]}

    async def start(self) -> str:
        app = web.Application()

        async def metadata(request: web.Request) -> web.Response:
            self.metadata_requests += 1
            if self.hang:
                self.hanging += 1
                try:
                    await self._unhung.wait()
                finally:
                    self.hanging -= 1
            return web.json_response(
                {
                    "issuer": CHANNEL_ISSUER,
                    "jwks_uri": f"{self.url}keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        async def keys(request: web.Request) -> web.Response:
            return web.json_response(self.jwks())

        app.router.add_get("/v1/.well-known/openidconfiguration", metadata)
        app.router.add_get("/keys", keys)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = bound_port(site)
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    @property
    def metadata_url(self) -> str:
        return f"{self.url}v1/.well-known/openidconfiguration"

    async def stop(self) -> None:
        self.unhang()
        if self._runner:
            await self._runner.cleanup()

    def claims(self, app_id: str, service_url: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": CHANNEL_ISSUER,
            "aud": app_id,
            "exp": now + 3600,
            "nbf": now - 10,
            "iat": now - 10,
            "serviceurl": service_url,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(
        self,
        claims: dict[str, Any],
        *,
        key: Any = None,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        signing_key = key if key is not None else self.key
        return jwt.encode(
            claims,
            signing_key,
            algorithm=algorithm,
            headers={"kid": kid if kid is not None else self.kid},
        )
