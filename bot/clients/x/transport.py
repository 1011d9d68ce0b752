"""HTTP plumbing under tweepy's AsyncClient: base URL override, timeouts, log redaction.

tweepy 4.17 hard-codes `https://api.twitter.com` and calls `client.session.request(method, url,
...)` as an async context manager. `RewritingSession` is what we put in `client.session`: it
rewrites the X host to `base_url` (a local fake X server in tests, or a forward proxy) and
carries an explicit `aiohttp.ClientTimeout` (tweepy sets none).

tweepy also logs every request's headers at DEBUG — the bearer token and OAuth header included —
and oauthlib logs the OAuth 1.0a parameters. `guard_tweepy_logs` puts a redacting filter on
those loggers, so nothing secret leaves them whatever the log level or handlers.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

X_HOSTS = frozenset({"api.twitter.com", "api.x.com"})
# tweepy logs request headers; oauthlib (OAuth 1.0a signing) logs the oauth parameters.
GUARDED_LOGGERS = (
    "tweepy.client",
    "tweepy.asynchronous.client",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
)
REDACTED = "***"

_AUTH_HEADER_RE = re.compile(r"""(?i)(['"]?authorization['"]?\s*[:=]\s*['"])[^'"]*(['"])""")
_OAUTH_PARAM_RE = re.compile(r'(?i)(oauth_(?:consumer_key|token|signature)=")[^"]*(")')
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=%-]+")


class RewritingSession:
    """Stands in for `aiohttp.ClientSession` in tweepy: same `request()`, other host."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str | None) -> None:
        self._session = session
        self._base = URL(base_url) if base_url else None

    @property
    def closed(self) -> bool:
        return self._session.closed

    def rewrite(self, url: str | URL) -> URL:
        original = url if isinstance(url, URL) else URL(url)
        if self._base is None or original.host not in X_HOSTS:
            return original
        base = self._base
        return URL.build(
            scheme=base.scheme,
            host=base.raw_host or "",
            port=base.explicit_port,
            path=base.raw_path.rstrip("/") + original.raw_path,
            query_string=original.raw_query_string,
            encoded=True,
        )

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        return self._session.request(method, self.rewrite(url), **kwargs)

    async def close(self) -> None:
        await self._session.close()


class _TweepyRedactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = _AUTH_HEADER_RE.sub(lambda m: m.group(1) + REDACTED + m.group(2), text)
        text = _OAUTH_PARAM_RE.sub(lambda m: m.group(1) + REDACTED + m.group(2), text)
        return _BEARER_RE.sub(lambda m: m.group(1) + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: drop its arguments rather than leak them
            message = str(record.msg)
        record.msg = self.redact(message)
        record.args = None
        return True


_redactor = _TweepyRedactor()


def guard_tweepy_logs(*secrets: str) -> None:
    """Redact `secrets` (also percent-encoded) and every Authorization header from the records
    of tweepy's and oauthlib's loggers (idempotent)."""
    _redactor.secrets.update(s for s in secrets if s and len(s) >= 4)
    for secret in list(secrets):
        if secret and len(secret) >= 4:
            once = quote(secret, safe="")
            _redactor.secrets.update({once, quote(once, safe="")})
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)


def make_session(
    base_url: str | None, *, timeout_s: float, connect_timeout_s: float
) -> RewritingSession:
    """A session with explicit timeouts; must be called inside a running event loop."""
    timeout = aiohttp.ClientTimeout(total=timeout_s, connect=connect_timeout_s, sock_read=timeout_s)
    return RewritingSession(aiohttp.ClientSession(timeout=timeout), base_url)
