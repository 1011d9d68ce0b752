from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests
from urllib3.util import parse_url

from bot.config import DEFAULT_SERVICE_URL_HOSTS, load_settings
from bot.teams.guards import host_matches, outbound_target, service_url_allowed

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


# URLs an attacker may put in an activity's serviceUrl (issue 22, item 2). Each is refused.
HOSTILE = [
    "https://localhost\\.botframework.com/",  # urllib3 stops the host at the backslash
    "https://localhost\\@x.botframework.com/",
    "https://evil.example\\x.botframework.com/",
    "https://x.botframework.com\\@evil.example/",
    "https://localhost%2ebotframework.com/",
    "https://localhost%2F.botframework.com/",
    "https://smba.trafficmanager.net%2F@evil.example/",
    "https://evil.example%23.botframework.com/",
    "https://%6cocalhost.botframework.com/",
    "https://evil.example@smba.trafficmanager.net/",
    "https://smba.trafficmanager.net@evil.example/",
    "https://:@smba.trafficmanager.net/",
    "https://evil.example#@smba.trafficmanager.net/",
    "https://evil.example?@x.botframework.com/",
    "https://evil.example/?.botframework.com",
    "https://evil.example#.botframework.com",
    "https://smba.trafficmanager.net:8443/",
    "https://smba.trafficmanager.net:0/",
    "https://smba.trafficmanager.net:443:80/",
    "https://smba.trafficmanager.net./",
    "https://x.botframework.com../",
    "https://.botframework.com/",
    "https://smba.trafficmanager.net\t/",
    " https://smba.trafficmanager.net/",
    "https://smba.trafficmanager.net/ ",
    "https://smba.trafficmanager.net/\n",
    "https://smba.traffic manager.net/",
    "https://smba.trafficmanager.net\r\nHost: evil.example/",
    "https://\uff53mba.trafficmanager.net/",  # fullwidth s: IDNA maps it to "smba"
    "https://x.botframework\u3002com/",  # ideographic full stop: IDNA maps it to "."
    "https://evil\u2100.botframework.com/",  # NFKC turns it into "a/c"
    "https://xn--80ak6aa92e.botframework.com/",  # punycode label
    "https://xn--smba-.trafficmanager.net/",
    "https://evil.example\u200b.botframework.com/",
    "https://SMBA.TRAFFICMANAGER.NET.evil.example/",
    "HTTPS://smba.trafficmanager.net/",
    "https:/smba.trafficmanager.net/",
    "https:smba.trafficmanager.net/",
    "//smba.trafficmanager.net/",
    "https:///smba.trafficmanager.net/",
    "https://[::ffff:127.0.0.1]/",
    "http://127.0.0.1.evil.example:5555/",
    "http://0x7f.0.0.1:5555/",
    "http://2130706433:5555/",
    "https://{url}.botframework.com/",  # msrest formats the base URL with str.format
    "https://x.botframework.com/{conversationId}/",
    "javascript://x.botframework.com/",
    "https://-x.botframework.com/",
    "https://" + "a" * 64 + ".botframework.com/",
    "https://x.botframework.com/" + "a" * 3000,
]


def _library_host(url: str) -> str | None:
    """The host requests + urllib3 would connect to for this serviceUrl (None: unusable)."""
    try:
        prepared = requests.Request("POST", urljoin(url.rstrip("/") + "/", "v3/x")).prepare()
        return parse_url(prepared.url).host
    except Exception:
        return None


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_service_urls_are_refused(url: str) -> None:
    assert service_url_allowed(url, [*ALLOWED, "localhost", "::1"]) is False


@pytest.mark.parametrize("url", [*HOSTILE, "https://SMBA.TrafficManager.net/emea/"])
def test_allowed_means_the_connecting_library_targets_an_allowed_host(url: str) -> None:
    """The guard's verdict checked against requests/urllib3's own parse of the same URL."""
    if service_url_allowed(url, ALLOWED):
        host = _library_host(url)
        assert host is not None and host_matches(host, ALLOWED)


def test_the_outbound_target_is_what_urllib3_sees() -> None:
    assert outbound_target("https://localhost\\.botframework.com/") == ("https", "localhost", None)
    assert outbound_target("https://SMBA.trafficmanager.net/amer/") == (
        "https",
        "smba.trafficmanager.net",
        None,
    )


def test_mixed_case_of_an_allowed_host_is_the_same_host() -> None:
    assert service_url_allowed("https://SMBA.TrafficManager.net/emea/", ALLOWED)
    assert service_url_allowed("https://Europe.BotFramework.com/", ALLOWED)


def test_loopback_connectors_on_any_port() -> None:
    hosts = ["127.0.0.1", "localhost", "::1"]
    assert service_url_allowed("http://127.0.0.1:5555/", hosts)
    assert service_url_allowed("http://localhost:5555/", hosts)
    assert service_url_allowed("http://[::1]:5555/", hosts)


def test_host_matching_is_case_insensitive_and_refuses_trailing_dots() -> None:
    assert host_matches("EUROPE.BotFramework.com", ["*.botframework.com"])
    assert not host_matches("europe.botframework.com.", ["*.botframework.com"])
    assert not host_matches("localhost", ["127.0.0.1"])


def test_default_allowlist_has_no_open_azure_wildcard() -> None:
    assert "*.trafficmanager.net" not in DEFAULT_SERVICE_URL_HOSTS
    settings = load_settings(_env_file=None)
    hosts = settings.effective_service_url_hosts
    assert not service_url_allowed("https://attacker-owned.trafficmanager.net/", hosts)
    assert service_url_allowed("https://smba.trafficmanager.net/emea/", hosts)
    assert service_url_allowed("https://smba.infra.gcc.teams.microsoft.com/teams/", hosts)
