"""XSource through the real tweepy AsyncClient against the fake X API v2 server."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from yarl import URL

from bot.clients.x import OAuth2UserAuth, XSource
from bot.clients.x.transport import RewritingSession
from bot.ports.posts import (
    CreditsExhausted,
    Granularity,
    PostPublisher,
    PostRejected,
    PostSource,
    PublishUncertain,
    ReadBudget,
    SourceConfigError,
    Window,
)
from tests.support.fake_x import (
    COUNTS_PATH,
    CREATE_PATH,
    SEARCH_PATH,
    TEST_BEARER_TOKEN,
    FakeXServer,
)
from tests.x.conftest import OAUTH1, last_hours

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def seed_mentions(
    fake_x: FakeXServer, n: int, *, text: str = "Contoso is great", minutes_apart: float = 1.0
) -> None:
    now = datetime.now(UTC)
    for i in range(n):
        fake_x.add_post(
            f"{text} #{i}", created_at=now - timedelta(minutes=5 + i * minutes_apart), likes=i % 17
        )


async def test_is_a_post_source_and_publisher(source: XSource) -> None:
    assert isinstance(source, PostSource)
    assert isinstance(source, PostPublisher)


async def test_search_maps_posts_authors_and_metrics(fake_x: FakeXServer, source: XSource) -> None:
    ceo = fake_x.add_user(
        "jane_ceo", name="Jane", followers=12_345, verified=True, description="CEO"
    )
    parent = fake_x.add_post(
        "Contoso launches a thing",
        author=ceo,
        created_at=datetime.now(UTC) - timedelta(hours=2),
        likes=40,
        reposts=5,
        replies=3,
        quotes=2,
        impressions=9000,
        lang="en",
    )
    fake_x.add_post(
        "@contoso bravo pour le lancement",
        lang="fr",
        created_at=datetime.now(UTC) - timedelta(hours=1),
        reply_to_id=parent.id,
    )
    fake_x.add_post("unrelated", created_at=datetime.now(UTC) - timedelta(hours=1))

    result = await source.search("contoso", last_hours(), ReadBudget(max_posts=50))

    assert not result.partial and result.requests == 1
    assert result.posts[0].id == parent.id  # relevancy: most engaged first
    first = result.posts[0]
    assert first.author.handle == "jane_ceo" and first.author.followers == 12_345
    assert first.author.verified and first.author.name == "Jane"
    assert (
        first.metrics.likes,
        first.metrics.reposts,
        first.metrics.replies,
        first.metrics.quotes,
        first.metrics.impressions,
    ) == (40, 5, 3, 2, 9000)
    assert first.created_at.tzinfo is not None and first.lang == "en"
    assert first.url == f"https://x.com/jane_ceo/status/{parent.id}"
    reply = result.posts[1]
    assert reply.reply_to_id == parent.id and reply.lang == "fr"
    assert result.newest_id == reply.id
    assert set(result.read_post_ids) == {parent.id, reply.id}
    assert len(result.read_user_ids) == 2
    sent = fake_x.requests[-1].query
    assert sent["expansions"] == "author_id"
    assert {"public_metrics", "created_at", "lang", "author_id"} <= set(
        sent["tweet.fields"].split(",")
    )
    assert {"username", "name", "public_metrics", "verified"} <= set(sent["user.fields"].split(","))
    assert fake_x.auth_seen == [f"Bearer {TEST_BEARER_TOKEN}"]


async def test_paginates_up_to_the_read_budget(fake_x: FakeXServer, source: XSource) -> None:
    seed_mentions(fake_x, 260)
    result = await source.search("contoso", last_hours(), ReadBudget(max_posts=150), sort="recency")
    assert len(result.posts) == 150 and not result.partial
    assert result.requests == 2
    assert [r.query["max_results"] for r in fake_x.requests] == ["100", "50"]
    assert "next_token" in fake_x.requests[1].query
    ids = [int(p.id) for p in result.posts]
    assert ids == sorted(ids, reverse=True)  # recency: newest first
    assert fake_x.posts_returned() == 150


async def test_small_budget_asks_for_the_minimum_page_and_reports_what_was_billed(
    fake_x: FakeXServer, source: XSource
) -> None:
    seed_mentions(fake_x, 30)
    result = await source.search("contoso", last_hours(), ReadBudget(max_posts=3))
    assert len(result.posts) == 3
    assert fake_x.requests[0].query["max_results"] == "10"
    assert len(result.read_post_ids) == 10  # X bills the whole page


async def test_stops_when_everything_is_read(fake_x: FakeXServer, source: XSource) -> None:
    seed_mentions(fake_x, 12)
    result = await source.search("contoso", last_hours(), ReadBudget(max_posts=500))
    assert len(result.posts) == 12 and result.requests == 1 and not result.partial


async def test_since_id_reads_only_newer_posts(fake_x: FakeXServer, source: XSource) -> None:
    seed_mentions(fake_x, 20)
    first = await source.search("contoso", last_hours(), ReadBudget(100), sort="recency")
    assert first.newest_id is not None
    new = fake_x.add_post("contoso again", created_at=datetime.now(UTC) - timedelta(minutes=1))
    again = await source.search(
        "contoso", last_hours(), ReadBudget(100), since_id=first.newest_id, sort="recency"
    )
    assert [p.id for p in again.posts] == [new.id]
    assert fake_x.requests[-1].query["since_id"] == first.newest_id
    assert again.newest_id == new.id


async def test_window_is_respected(fake_x: FakeXServer, source: XSource) -> None:
    now = datetime.now(UTC)
    inside = fake_x.add_post("contoso inside", created_at=now - timedelta(hours=3))
    fake_x.add_post("contoso before", created_at=now - timedelta(hours=30))
    fake_x.add_post("contoso after", created_at=now - timedelta(minutes=30))
    window = Window(now - timedelta(hours=5), now - timedelta(hours=1))
    result = await source.search("contoso", window, ReadBudget(100))
    assert [p.id for p in result.posts] == [inside.id]
    assert fake_x.requests[0].query["start_time"].endswith("Z")


async def test_window_ending_now_is_clamped_for_x(fake_x: FakeXServer, source: XSource) -> None:
    fake_x.add_post("contoso", created_at=datetime.now(UTC) - timedelta(minutes=2))
    now = datetime.now(UTC)
    result = await source.search("contoso", Window(now - timedelta(days=9), now), ReadBudget())
    assert len(result.posts) == 1 and not result.partial  # no 400 for start or end


async def test_rate_limit_within_budget_is_waited_out(fake_x: FakeXServer, source: XSource) -> None:
    seed_mentions(fake_x, 5)
    fake_x.fail(SEARCH_PATH, 429, reset_in=0.3)
    started = time.monotonic()
    result = await source.search("contoso", last_hours(), ReadBudget(100, max_seconds=5))
    assert not result.partial and len(result.posts) == 5
    assert fake_x.calls[SEARCH_PATH] == 2 and result.requests == 2
    assert time.monotonic() - started < 3


async def test_rate_limit_beyond_budget_returns_partial_at_once(
    fake_x: FakeXServer, source: XSource
) -> None:
    seed_mentions(fake_x, 150)
    fake_x.fail(SEARCH_PATH, 429, reset_in=600, after=1, times=None)
    started = time.monotonic()
    result = await source.search(
        "contoso", last_hours(), ReadBudget(150, max_seconds=3), sort="recency"
    )
    assert result.partial and result.reason == "rate_limited"
    assert len(result.posts) == 100  # the first page is kept
    assert fake_x.calls[SEARCH_PATH] == 2
    assert time.monotonic() - started < 1.5


async def test_rate_limit_without_reset_header_is_bounded(fake_x: FakeXServer) -> None:
    fake_x.fail(SEARCH_PATH, 429, times=None, headers={"x-rate-limit-reset": ""})
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN), base_url=fake_x.base_url, rate_limit_default_wait_s=0.05
    ) as src:
        result = await src.search("contoso", last_hours(), ReadBudget(10, max_seconds=2))
    assert result.partial and result.reason == "rate_limited"
    assert fake_x.calls[SEARCH_PATH] == 3  # two bounded waits, then give up


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("html", [False, True])
async def test_refused_credentials_are_a_config_error(
    fake_x: FakeXServer, source: XSource, status: int, html: bool
) -> None:
    fake_x.fail(SEARCH_PATH, status, html=html)
    with pytest.raises(SourceConfigError):
        await source.search("contoso", last_hours(), ReadBudget())
    assert fake_x.calls[SEARCH_PATH] == 1


async def test_wrong_bearer_token_is_a_config_error(fake_x: FakeXServer) -> None:
    async with XSource(SecretStr("not-the-token"), base_url=fake_x.base_url) as src:
        with pytest.raises(SourceConfigError, match="401"):
            await src.search("contoso", last_hours(), ReadBudget())


@pytest.mark.parametrize("html", [False, True])
async def test_402_is_credits_exhausted(fake_x: FakeXServer, source: XSource, html: bool) -> None:
    fake_x.fail(SEARCH_PATH, 402, html=html)
    with pytest.raises(CreditsExhausted):
        await source.search("contoso", last_hours(), ReadBudget())
    fake_x.fail(COUNTS_PATH, 402)
    with pytest.raises(CreditsExhausted):
        await source.counts("contoso", last_hours(), Granularity.HOUR)


@pytest.mark.parametrize("html", [False, True])
async def test_server_errors_are_retried_a_bounded_number_of_times(
    fake_x: FakeXServer, source: XSource, html: bool
) -> None:
    seed_mentions(fake_x, 5)
    fake_x.fail(SEARCH_PATH, 503, times=2, html=html)
    result = await source.search("contoso", last_hours(), ReadBudget())
    assert not result.partial and len(result.posts) == 5
    assert fake_x.calls[SEARCH_PATH] == 3

    fake_x.fail(SEARCH_PATH, 503, times=None, html=html)
    result = await source.search("contoso", last_hours(), ReadBudget())
    assert result.partial and result.reason == "server_error" and result.posts == ()
    assert fake_x.calls[SEARCH_PATH] == 6  # 1 + 2 retries


async def test_slow_answer_ends_at_the_time_budget(fake_x: FakeXServer, source: XSource) -> None:
    seed_mentions(fake_x, 5)
    fake_x.slow(SEARCH_PATH, 3.0)
    started = time.monotonic()
    result = await source.search("contoso", last_hours(), ReadBudget(100, max_seconds=0.5))
    assert result.partial and result.reason == "timeout"
    assert time.monotonic() - started < 1.5


async def test_session_has_explicit_timeouts(fake_x: FakeXServer) -> None:
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN), base_url=fake_x.base_url, timeout_s=0.4, connect_timeout_s=0.2
    ) as src:
        fake_x.slow(SEARCH_PATH, 2.0)
        started = time.monotonic()
        result = await src.search("contoso", last_hours(), ReadBudget(10, max_seconds=30))
        assert result.partial and result.reason == "timeout"
        assert time.monotonic() - started < 1.5
        session = src._session
        assert session is not None and session._session.timeout.total == 0.4


async def test_bearer_token_is_sent_but_never_logged(
    fake_x: FakeXServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="tweepy")
    seed_mentions(fake_x, 3)
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN), user_auth=OAUTH1, base_url=fake_x.base_url
    ) as src:
        await src.search("contoso", last_hours(), ReadBudget())
        await src.counts("contoso", last_hours(), Granularity.HOUR)
        await src.create_post("Hello from Pulse")
        fake_x.fail(SEARCH_PATH, 401)
        with pytest.raises(SourceConfigError):
            await src.search("contoso", last_hours(), ReadBudget())
    assert f"Bearer {TEST_BEARER_TOKEN}" in fake_x.auth_seen
    assert "Making API request" in caplog.text  # tweepy did log at DEBUG...
    for secret in (
        TEST_BEARER_TOKEN,
        "consumer-secret-ghijkl",
        "1000-access-token-mnopqr",
        "access-secret-stuvwx",
        "consumer-key-abcdef",
    ):
        assert secret not in caplog.text  # ...but without any secret


async def test_counts_series(fake_x: FakeXServer, source: XSource) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    for h in range(5):
        for _ in range(h + 1):
            fake_x.add_post("contoso", created_at=now - timedelta(hours=h, minutes=3))
    fake_x.add_post("other", created_at=now - timedelta(hours=1))
    window = Window(now - timedelta(hours=6), now - timedelta(minutes=1))
    series = await source.counts("contoso", window, Granularity.HOUR)
    assert series.total == 15 and not series.partial and series.requests == 1
    assert sum(b.count for b in series.buckets) == 15
    # X takes second-precision bounds
    assert series.buckets[0].start == window.start.replace(microsecond=0)
    assert series.buckets[-1].end == window.end.replace(microsecond=0)
    assert all(a.end == b.start for a, b in zip(series.buckets, series.buckets[1:], strict=False))
    assert fake_x.requests[0].query["granularity"] == "hour"


async def test_counts_follow_pages(fake_x: FakeXServer, source: XSource) -> None:
    fake_x.counts_page_buckets = 24
    now = datetime.now(UTC)
    for d in range(3):
        fake_x.add_post("contoso", created_at=now - timedelta(days=d, hours=1))
    series = await source.counts("contoso", Window(now - timedelta(days=4), now), Granularity.HOUR)
    assert series.requests == 5 and series.total == 3
    assert len(series.buckets) in (96, 97)


async def test_counts_rate_limited_is_partial(fake_x: FakeXServer) -> None:
    fake_x.fail(COUNTS_PATH, 429, reset_in=600)
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN), base_url=fake_x.base_url, counts_max_seconds=1
    ) as src:
        series = await src.counts("contoso", last_hours(), Granularity.DAY)
    assert series.partial and series.reason == "rate_limited" and series.total == 0


async def test_create_post_with_oauth1(fake_x: FakeXServer, source: XSource) -> None:
    post_id, url = await source.create_post("We hear you, and we are on it.", reply_to_id="123")
    assert fake_x.created[0]["text"] == "We hear you, and we are on it."
    assert fake_x.created[0]["reply_to"] == "123" and fake_x.created[0]["id"] == post_id
    assert url.endswith(f"/status/{post_id}")
    assert fake_x.auth_seen[-1].startswith("OAuth ")
    me = await source.me()
    assert me.handle == "pulse_co"
    mine = await source.recent_posts_of_me(limit=5)
    assert [p.id for p in mine] == [post_id]
    assert mine[0].author.handle == "pulse_co"


async def test_create_post_with_oauth2_user_token(fake_x: FakeXServer) -> None:
    fake_x.user_token = "user-access-token-123456"
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN),
        base_url=fake_x.base_url,
        user_auth=OAuth2UserAuth(SecretStr("user-access-token-123456")),
    ) as src:
        post_id, _ = await src.create_post("Hello")
    assert fake_x.auth_seen[-1] == "Bearer user-access-token-123456"
    assert fake_x.created[0]["id"] == post_id


async def test_create_post_needs_user_context(fake_x: FakeXServer) -> None:
    async with XSource(SecretStr(TEST_BEARER_TOKEN), base_url=fake_x.base_url) as src:
        with pytest.raises(SourceConfigError):
            await src.create_post("Hello")
    assert fake_x.calls[CREATE_PATH] == 0


async def test_duplicate_post_is_rejected(fake_x: FakeXServer, source: XSource) -> None:
    await source.create_post("Same text")
    with pytest.raises(PostRejected):
        await source.create_post("Same text")


async def test_create_post_server_error_is_uncertain_and_not_retried(
    fake_x: FakeXServer, source: XSource
) -> None:
    fake_x.fail(CREATE_PATH, 503, html=True)
    with pytest.raises(PublishUncertain):
        await source.create_post("Hello")
    assert fake_x.calls[CREATE_PATH] == 1


async def test_create_post_rate_limited_says_when(fake_x: FakeXServer, source: XSource) -> None:
    fake_x.fail(CREATE_PATH, 429, reset_in=120)
    with pytest.raises(PostRejected) as info:
        await source.create_post("Hello")
    assert info.value.retry_at is not None and info.value.retry_at > datetime.now(UTC)


def test_rewriting_session_only_rewrites_x_hosts() -> None:
    class _Dummy:
        closed = False

    rs = RewritingSession(_Dummy(), "http://127.0.0.1:9999/prefix")  # type: ignore[arg-type]
    signed = URL("https://api.twitter.com/2/tweets?a=b%3Ac", encoded=True)  # as tweepy sends it
    assert str(rs.rewrite(signed)) == "http://127.0.0.1:9999/prefix/2/tweets?a=b%3Ac"
    assert str(rs.rewrite("https://example.com/x")) == "https://example.com/x"
    assert (
        str(
            RewritingSession(_Dummy(), None).rewrite(  # type: ignore[arg-type]
                "https://api.twitter.com/2/x"
            )
        )
        == "https://api.twitter.com/2/x"
    )


def test_needs_some_credential() -> None:
    with pytest.raises(SourceConfigError):
        XSource(None)
