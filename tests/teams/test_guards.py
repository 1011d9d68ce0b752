from __future__ import annotations

import pytest

from bot.teams.guards import host_matches, service_url_allowed

ALLOWED = ["smba.trafficmanager.net", "*.botframework.com", "127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/emea/", True),
        ("https://europe.botframework.com/", True),
        ("https://botframework.com/", False),  # the wildcard names subdomains only
        ("https://evilbotframework.com/", False),
        ("https://botframework.com.evil.example/", False),
        ("http://smba.trafficmanager.net/emea/", False),  # plain HTTP only on loopback
        ("http://127.0.0.1:5555/", True),
        ("https://user:pw@smba.trafficmanager.net/", False),
        ("https://smba.trafficmanager.net:badport/", False),
        ("ftp://smba.trafficmanager.net/", False),
        ("", False),
        (None, False),
        ("https://attacker.example/", False),
    ],
)
def test_service_url_allowlist(url: str | None, allowed: bool) -> None:
    assert service_url_allowed(url, ALLOWED) is allowed


def test_host_matching_is_case_insensitive_and_ignores_trailing_dot() -> None:
    assert host_matches("EUROPE.BotFramework.com.", ["*.botframework.com"])
    assert not host_matches("localhost", ["127.0.0.1"])
