"""Inbound authentication of Bot Framework requests, done by us.

botbuilder 4.17.1 as shipped turns malformed or forged tokens into HTTP 500, accepts Emulator
tokens, and disables authentication when the app id is empty. `TokenValidator` checks the JWT
itself (RS256 only, a key from the channel's OpenID metadata endorsed for the channel, issuer,
audience, lifetime, `serviceurl` claim) and raises `Unauthorized`; the endpoint turns that into
a 401 before any handler runs. `PulseAuthentication` plugs it into the CloudAdapter and wraps
every outbound connector so the bot's token only goes to allowed service URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from botbuilder.schema import Activity
from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)

from bot.teams.guards import ServiceUrlNotAllowed, service_url_allowed

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256",)
CLOCK_SKEW_S = 300
METADATA_TTL_S = 24 * 3600
MIN_REFRESH_INTERVAL_S = 300  # an unknown kid forces a refresh at most this often
FETCH_TIMEOUT_S = 5.0  # one refresh, metadata and keys together
RETRY_AFTER_FAILURE_S = 30.0


class Unauthorized(Exception):
    """The request is not from the Bot Framework channel: answer 401, run nothing."""


@dataclass
class _KeySet:
    keys: dict[str, tuple[Any, list[str]]] = field(
        default_factory=dict
    )  # kid -> (key, endorsements)
    fetched_at: float = 0.0


class OpenIdKeys:
    """Signing keys from an OpenID metadata document, cached.

    - one refresh at a time (single flight): concurrent requests never queue behind each other;
    - stale-while-revalidate: past `ttl_s` the cached keys keep serving while one refresh runs
      in the background;
    - a request waits (at most `wait_s`) only when it cannot be served from the cache: no keys
      yet, or a kid we do not know (a key rollover; looked up at most every
      MIN_REFRESH_INTERVAL_S);
    - every refresh is bounded by `fetch_timeout_s`, and a failed one is not retried for
      `retry_after_failure_s`;
    - `status()` tells /readyz whether keys can be had at all.
    """

    def __init__(
        self,
        metadata_url: str,
        *,
        ttl_s: float = METADATA_TTL_S,
        fetch_timeout_s: float = FETCH_TIMEOUT_S,
        wait_s: float = FETCH_TIMEOUT_S,
        retry_after_failure_s: float = RETRY_AFTER_FAILURE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata_url = metadata_url
        self._keyset = _KeySet()
        self.ttl_s = ttl_s
        self.fetch_timeout_s = fetch_timeout_s
        self.wait_s = wait_s
        self.retry_after_failure_s = retry_after_failure_s
        self.clock = clock
        self._refreshing: asyncio.Task[None] | None = None
        self._last_attempt = -math.inf
        self._last_failure = -math.inf
        self.refreshes = 0  # attempts started (observability, tests)

    @property
    def has_keys(self) -> bool:
        return bool(self._keyset.keys)

    def _stale(self, now: float) -> bool:
        return not self._keyset.keys or now - self._keyset.fetched_at > self.ttl_s

    async def get(self, kid: str) -> tuple[Any, list[str]] | None:
        now = self.clock()
        found = self._keyset.keys.get(kid)
        if found is not None:
            if self._stale(now):
                self._start_refresh(now)  # in the background: serve the cached key meanwhile
            return found
        unknown_kid_lookup = now - self._last_attempt > MIN_REFRESH_INTERVAL_S
        if self._stale(now) or unknown_kid_lookup:
            task = self._start_refresh(now)
            if task is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), self.wait_s)
        return self._keyset.keys.get(kid)

    async def status(self, wait_s: float | None = None) -> str:
        """ "ok", "stale" (cached keys past their TTL: still served) or "unavailable" (none could
        be obtained). With no keys yet, tries to get them, waiting at most `wait_s`."""
        now = self.clock()
        if not self._keyset.keys:
            task = self._start_refresh(now)
            if task is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        asyncio.shield(task), self.wait_s if wait_s is None else wait_s
                    )
        if not self._keyset.keys:
            return "unavailable"
        return "stale" if self._stale(self.clock()) else "ok"

    def _start_refresh(self, now: float) -> asyncio.Task[None] | None:
        """The refresh under way, or a new one; None while a failure is recent."""
        if self._refreshing is not None and not self._refreshing.done():
            return self._refreshing
        if now - self._last_failure < self.retry_after_failure_s:
            return None
        self._last_attempt = now
        self.refreshes += 1
        self._refreshing = asyncio.create_task(self._refresh())
        return self._refreshing

    async def _refresh(self) -> None:
        try:
            async with asyncio.timeout(self.fetch_timeout_s):
                jwks = await self._fetch()
        except Exception as exc:  # any failure to fetch: keep what we have, never raise to waiters
            self._last_failure = self.clock()
            logger.warning("could not refresh the channel's signing keys: %s", type(exc).__name__)
            return
        keys: dict[str, tuple[Any, list[str]]] = {}
        for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            if not isinstance(jwk, dict):
                continue
            kid = jwk.get("kid")
            if not kid or jwk.get("kty") != "RSA":
                continue
            try:
                key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, TypeError):
                continue
            keys[kid] = (key, [str(e) for e in jwk.get("endorsements", [])])
        if not keys:
            self._last_failure = self.clock()
            logger.warning("the channel's key set has no usable key: keeping the cached ones")
            return
        self._keyset = _KeySet(keys, self.clock())

    async def _fetch(self) -> Any:
        timeout = aiohttp.ClientTimeout(total=self.fetch_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(self._metadata_url) as resp:
                resp.raise_for_status()
                metadata = await resp.json(content_type=None)
            async with session.get(str(metadata["jwks_uri"])) as resp:
                resp.raise_for_status()
                return await resp.json(content_type=None)


class TokenValidator:
    """Validates the `Authorization` header of an inbound activity."""

    def __init__(
        self,
        *,
        app_id: str,
        issuers: Sequence[str],
        keys: OpenIdKeys | None,
        require_auth: bool,
    ) -> None:
        self._app_id = app_id
        self._issuers = list(issuers)
        self._keys = keys
        self._require_auth = require_auth

    @property
    def keys(self) -> OpenIdKeys | None:
        return self._keys

    async def validate(self, auth_header: str | None, activity: Activity) -> ClaimsIdentity:
        if not self._require_auth:
            # Demo mode: loopback only, no app id; the local Teams emulator sends no usable token.
            return ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
        if not auth_header:
            raise Unauthorized("missing Authorization header")
        scheme, _, token = auth_header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization is not a bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthorized("token algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or self._keys is None:
            raise Unauthorized("token has no key id")
        found = await self._keys.get(kid)
        if found is None:
            raise Unauthorized("token signed with an unknown key")
        key, endorsements = found
        channel_id = activity.channel_id or ""
        if endorsements and channel_id not in endorsements:
            raise Unauthorized("signing key not endorsed for this channel")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._app_id,
                issuer=self._issuers,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token rejected: {type(exc).__name__}") from exc
        # As botbuilder's ChannelValidation: a channel token names the serviceUrl it is for.
        service_url_claim = claims.get("serviceurl")
        if not isinstance(service_url_claim, str) or not service_url_claim:
            raise Unauthorized("token has no serviceurl claim")
        if service_url_claim != activity.service_url:
            raise Unauthorized("serviceurl claim does not match the activity")
        return ClaimsIdentity(claims, True, "Bearer")


class NoUserSignIn(UserTokenClient):
    """Pulse uses no OAuth sign-in (user tokens): every call is a programming error."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Pulse does not sign users in to other services")

    get_user_token = get_sign_in_resource = sign_out_user = _refuse
    get_token_status = get_aad_tokens = exchange_token = _refuse


class GuardedConnectorFactory(ConnectorFactory):
    """Creates connectors only for allowed service URLs (the bot's token goes with them)."""

    def __init__(self, inner: ConnectorFactory, allowed_hosts: Sequence[str]) -> None:
        self._inner = inner
        self._allowed_hosts = list(allowed_hosts)

    async def create(self, service_url: str, audience: str) -> ConnectorClient:
        if not service_url_allowed(service_url, self._allowed_hosts):
            logger.warning("blocked an outbound call to a service URL that is not allowed")
            raise ServiceUrlNotAllowed(service_url)
        client: ConnectorClient = await self._inner.create(service_url, audience)
        return client


class PulseAuthentication(BotFrameworkAuthentication):
    """Our validator inbound; the SDK's credentials outbound, behind the service-URL guard."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        validator: TokenValidator,
        allowed_service_url_hosts: Sequence[str],
    ) -> None:
        self._inner = inner
        self._validator = validator
        self._allowed_hosts = list(allowed_service_url_hosts)

    @property
    def signing_keys(self) -> OpenIdKeys | None:
        """The channel's signing keys (None in demo mode, which checks no token)."""
        return self._validator.keys

    async def authenticate_request(
        self, activity: Activity, auth_header: str | None
    ) -> AuthenticateRequestResult:
        claims_identity = await self._validator.validate(auth_header, activity)
        result = AuthenticateRequestResult()
        result.claims_identity = claims_identity
        result.audience = self._inner.get_originating_audience()
        result.caller_id = None
        result.connector_factory = self.create_connector_factory(claims_identity)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        raise Unauthorized("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return GuardedConnectorFactory(
            self._inner.create_connector_factory(claims_identity), self._allowed_hosts
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # The SDK builds one per turn (an msrest client: ~7 ms of CPU); Pulse never signs users
        # in to other services, so it gets a client that says so if ever used.
        return NoUserSignIn()

    def get_originating_audience(self) -> str:
        audience: str = self._inner.get_originating_audience()
        return audience
