"""Checks the Bot Framework SDK does not make for us: where we may send the bot's token,
which tenants and channels may talk to us.

The serviceUrl check judges the URL the way the outbound client will use it: botbuilder's
`ConnectorClient` (msrest) joins the operation path to the serviceUrl, `requests` prepares the
URL (IDNA, normalisation) and `urllib3` picks the host to connect to. A URL is allowed only when
that host is an exact allowed host or a dot-suffix match of a `*.` pattern, *and* the standard
library's parser sees the same host (so no two components can disagree about where the token
goes). Anything unusual is refused before parsing: characters outside a conservative set
(backslashes, percent-encoding, whitespace, control and non-ASCII characters, `@`, `?`, `#`,
braces), userinfo, explicit ports on HTTPS, trailing dots, punycode labels. Mixed-case ASCII is
accepted: every parser lower-cases it to the same host.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from requests.exceptions import RequestException
from requests.models import PreparedRequest
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

# Letters, digits, "-._~:/" and the brackets of an IPv6 literal; nothing that any URL parser
# could read as userinfo, query, fragment, escape, path separator or template.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/\[\]]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PROBE_PATH = "v3/conversations"  # what the connector appends (its operations all start so)


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """`*.example.com` matches any subdomain of example.com (not example.com itself).

    Exact comparison on lower-cased ASCII; a trailing dot matches nothing."""
    host = host.lower()
    if not host or host.endswith(".") or not host.isascii():
        return False
    for pattern in patterns:
        pattern = pattern.lower().strip()
        if pattern.startswith("*."):
            suffix = pattern[1:]  # ".example.com"
            if host.endswith(suffix) and len(host) > len(suffix):
                return True
        elif host == pattern:
            return True
    return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _plain_host(host: str) -> bool:
    """A DNS name of ASCII labels (no punycode) or an IP literal."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return all(_LABEL.fullmatch(label) and not label.startswith("xn--") for label in labels)


def outbound_target(service_url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) the Bot Connector client would connect to for `service_url`, as
    msrest + requests + urllib3 compute it; None when they cannot use it."""
    joined = urljoin(service_url.rstrip("/") + "/", _PROBE_PATH)  # msrest's format_url
    prepared = PreparedRequest()
    try:
        prepared.prepare_url(joined, None)
        parsed = parse_url(prepared.url or "")
    except (RequestException, LocationParseError, ValueError, UnicodeError):
        return None
    if parsed.auth or not parsed.host or not parsed.scheme:
        return None
    return parsed.scheme.lower(), parsed.host.lower(), parsed.port


def service_url_allowed(service_url: str | None, allowed_hosts: Iterable[str]) -> bool:
    """True when the bot may send its token to `service_url`.

    HTTPS (default port) to an allowed host, or plain HTTP to an allowed loopback host (local
    connectors, any port)."""
    if not service_url or not isinstance(service_url, str) or len(service_url) > 2048:
        return False
    return _allowed(service_url, tuple(allowed_hosts))


@functools.lru_cache(maxsize=512)  # a few service URLs recur on every turn; parsing is ~0.4 ms
def _allowed(service_url: str, allowed_hosts: tuple[str, ...]) -> bool:
    if not _SAFE_URL.fullmatch(service_url):
        return False
    try:
        parts = urlsplit(service_url)
        stdlib_host = (parts.hostname or "").lower()
        stdlib_port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return False
    target = outbound_target(service_url)
    if target is None:
        return False
    scheme, host, port = target
    if host.strip("[]") != stdlib_host or port != stdlib_port or scheme != parts.scheme.lower():
        return False  # the two parsers disagree: refuse rather than guess who is right
    if not _plain_host(host) or not host_matches(host.strip("[]"), allowed_hosts):
        return False
    if scheme == "https":
        return port in (None, 443)
    return scheme == "http" and _is_loopback(host)


class ServiceUrlNotAllowed(PermissionError):
    def __init__(self, service_url: str | None) -> None:
        try:
            host = urlsplit(service_url or "").hostname
        except ValueError:
            host = None
        super().__init__(f"refusing to send the bot's credentials to service URL host {host!r}")
