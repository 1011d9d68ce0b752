"""Checks the Bot Framework SDK does not make for us: where we may send the bot's token,
which tenants and channels may talk to us."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """`*.example.com` matches any subdomain of example.com (not example.com itself)."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower().strip().rstrip(".")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def service_url_allowed(service_url: str | None, allowed_hosts: Iterable[str]) -> bool:
    """True when the bot may send its token to `service_url`.

    HTTPS to an allowed host, or plain HTTP to an allowed loopback host (local connectors)."""
    if not service_url:
        return False
    try:
        parts = urlsplit(service_url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.username or parts.password:
        return False
    if not host_matches(host, allowed_hosts):
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and _is_loopback(host)


class ServiceUrlNotAllowed(PermissionError):
    def __init__(self, service_url: str | None) -> None:
        host = urlsplit(service_url or "").hostname
        super().__init__(f"refusing to send the bot's credentials to service URL host {host!r}")
