"""`XSource`: the posts port on X API v2, through tweepy's `AsyncClient`.

What this layer guarantees, whatever tweepy does underneath:

- explicit timeouts (aiohttp `ClientTimeout` on the session, plus the read budget's deadline);
- no unbounded waiting: `wait_on_rate_limit` is off; a 429 is waited out only when its reset
  falls within the turn's budget (`ReadBudget.max_seconds`), else the posts read so far come
  back marked partial with reason "rate_limited";
- 401/403 → `SourceConfigError` (an admin must fix the credentials), 402 → `CreditsExhausted`,
  5xx and connection errors → a bounded retry, then partial with reason "server_error";
  non-JSON error bodies (an HTML 503 from a proxy) are read by status, never by message text;
- the bearer token and OAuth headers never reach a log (tweepy logs them at DEBUG: its loggers
  get a redacting filter).

Reading uses the app's bearer token. Publishing (`create_post`, `recent_posts_of_me`) needs
user-context credentials: either OAuth 1.0a (`OAuth1UserAuth`: consumer key/secret of the app,
access token/secret of the account) or an OAuth 2.0 user access token with the `tweet.write`,
`tweet.read` and `users.read` scopes (`OAuth2UserAuth`; refreshing it is the caller's business).

`base_url` replaces `https://api.twitter.com` (tests: a local fake X server; or a proxy).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import aiohttp
from pydantic import SecretStr
from tweepy.asynchronous import AsyncClient
from tweepy.errors import (
    Forbidden,
    HTTPException,
    TooManyRequests,
    TwitterServerError,
    Unauthorized,
)

from bot.clients.x.transport import RewritingSession, guard_tweepy_logs, make_session
from bot.ports.clock import Clock, SystemClock
from bot.ports.posts import (
    Author,
    CountBucket,
    CountSeries,
    CreditsExhausted,
    Granularity,
    Metrics,
    Post,
    PostRateLimited,
    PostRejected,
    PublishUncertain,
    ReadBudget,
    SearchResult,
    SourceConfigError,
    SourceError,
    Window,
)

log = logging.getLogger(__name__)

TWEET_FIELDS = [
    "author_id",
    "created_at",
    "lang",
    "public_metrics",
    "conversation_id",
    "referenced_tweets",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified", "description"]
SEARCH_MIN_RESULTS = 10  # X refuses max_results below 10 on search
USER_POSTS_MIN_RESULTS = 5
PAGE_MAX = 100
MAX_QUERY_LENGTH = 512
RECENT_SEARCH_DAYS = 7
END_TIME_MARGIN = timedelta(seconds=15)  # X wants end_time at least 10 s in the past
MAX_COUNT_PAGES = 50


@dataclass(frozen=True, slots=True)
class OAuth1UserAuth:
    consumer_key: SecretStr
    consumer_secret: SecretStr
    access_token: SecretStr
    access_token_secret: SecretStr


@dataclass(frozen=True, slots=True)
class OAuth2UserAuth:
    access_token: SecretStr


UserAuth = OAuth1UserAuth | OAuth2UserAuth


class _RateLimited(Exception):
    def __init__(self, reset_at: float | None) -> None:
        super().__init__("rate limited")
        self.reset_at = reset_at


class _Transient(Exception):
    def __init__(self, reason: str) -> None:  # "server_error" | "timeout"
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Tally:
    requests: int = 0


@dataclass
class _Page:
    posts: list[Post] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class XSource:
    """`PostSource` (and `PostPublisher`) on X API v2. Use `async with`, or call `close()`."""

    def __init__(
        self,
        bearer_token: SecretStr | None,
        *,
        user_auth: UserAuth | None = None,
        base_url: str | None = None,
        clock: Clock | None = None,
        timeout_s: float = 8.0,
        connect_timeout_s: float = 3.0,
        server_retries: int = 2,
        retry_backoff_s: float = 0.25,
        rate_limit_default_wait_s: float = 1.0,
        max_rate_limit_waits: int = 2,
        counts_max_seconds: float = 10.0,
        account_id: str | None = None,
        account_handle: str | None = None,
    ) -> None:
        token = bearer_token.get_secret_value() if bearer_token is not None else ""
        if not token and user_auth is None:
            raise SourceConfigError("X needs a bearer token (X_BEARER_TOKEN)")
        self._base_url = base_url
        self._clock = clock or SystemClock()
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._server_retries = server_retries
        self._retry_backoff_s = retry_backoff_s
        self._rate_limit_default_wait_s = rate_limit_default_wait_s
        self._max_rate_limit_waits = max_rate_limit_waits
        self._counts_max_seconds = counts_max_seconds
        self._account_id = account_id
        self._account_handle = account_handle
        self._session: RewritingSession | None = None

        secrets = [token]
        self._app = AsyncClient(
            bearer_token=token or None, return_type=dict, wait_on_rate_limit=False
        )
        self._user: AsyncClient | None = None
        self._user_auth_flag = False
        if isinstance(user_auth, OAuth1UserAuth):
            values = [
                user_auth.consumer_key,
                user_auth.consumer_secret,
                user_auth.access_token,
                user_auth.access_token_secret,
            ]
            plain = [v.get_secret_value() for v in values]
            secrets += plain
            self._user = AsyncClient(
                consumer_key=plain[0],
                consumer_secret=plain[1],
                access_token=plain[2],
                access_token_secret=plain[3],
                return_type=dict,
                wait_on_rate_limit=False,
            )
            self._user_auth_flag = True
        elif isinstance(user_auth, OAuth2UserAuth):
            user_token = user_auth.access_token.get_secret_value()
            secrets.append(user_token)
            self._user = AsyncClient(
                bearer_token=user_token, return_type=dict, wait_on_rate_limit=False
            )
        guard_tweepy_logs(*secrets)

    # -- lifecycle ----------------------------------------------------------------------------

    def _ensure_session(self) -> None:
        if self._session is None or self._session.closed:
            self._session = make_session(
                self._base_url, timeout_s=self._timeout_s, connect_timeout_s=self._connect_timeout_s
            )
            self._app.session = self._session
            if self._user is not None:
                self._user.session = self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> XSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- reading ------------------------------------------------------------------------------

    async def search(
        self,
        query: str,
        window: Window,
        budget: ReadBudget,
        *,
        since_id: str | None = None,
        sort: str = "relevancy",
    ) -> SearchResult:
        if sort not in ("relevancy", "recency"):
            raise ValueError(f"sort must be 'relevancy' or 'recency', not {sort!r}")
        _check_query(query)
        deadline = time.monotonic() + budget.max_seconds
        bounds = self._clamp(window)
        if bounds is None or budget.max_posts <= 0:
            return SearchResult(posts=())
        start, end = bounds
        tally = _Tally()
        posts: list[Post] = []
        seen: set[str] = set()
        read_posts: list[str] = []
        read_users: list[str] = []
        newest: int | None = None
        token: str | None = None
        partial, reason = False, None
        while len(posts) < budget.max_posts:
            remaining = budget.max_posts - len(posts)
            params: dict[str, Any] = {
                "start_time": start,
                "end_time": end,
                "since_id": since_id,
                "sort_order": sort,
                "max_results": max(SEARCH_MIN_RESULTS, min(PAGE_MAX, remaining)),
                "next_token": token,
                "expansions": ["author_id"],
                "tweet_fields": TWEET_FIELDS,
                "user_fields": USER_FIELDS,
            }
            try:
                body = await self._fetch(
                    functools.partial(self._app.search_recent_tweets, query, **params),
                    deadline,
                    tally,
                )
            except _RateLimited:
                partial, reason = True, "rate_limited"
                break
            except _Transient as exc:
                partial, reason = True, exc.reason
                break
            page = _parse_page(body)
            read_posts += [p.id for p in page.posts]
            read_users += page.user_ids
            for post in page.posts:
                if post.id not in seen and len(posts) < budget.max_posts:
                    seen.add(post.id)
                    posts.append(post)
                if post.id.isdigit():
                    newest = max(newest or 0, int(post.id))
            token = page.meta.get("next_token")
            if not token:
                break
        if partial:
            log.info(
                "X search stopped early (%s) after %d posts and %d requests",
                reason,
                len(posts),
                tally.requests,
            )
        return SearchResult(
            posts=tuple(posts),
            partial=partial,
            reason=reason,
            requests=tally.requests,
            newest_id=str(newest) if newest is not None else since_id,
            read_post_ids=tuple(read_posts),
            read_user_ids=tuple(dict.fromkeys(read_users)),
        )

    async def counts(self, query: str, window: Window, granularity: Granularity) -> CountSeries:
        _check_query(query)
        deadline = time.monotonic() + self._counts_max_seconds
        bounds = self._clamp(window)
        if bounds is None:
            return CountSeries(query=query, granularity=granularity, buckets=(), total=0)
        start, end = bounds
        tally = _Tally()
        buckets: list[CountBucket] = []
        token: str | None = None
        partial, reason = False, None
        for _ in range(MAX_COUNT_PAGES):
            params: dict[str, Any] = {
                "start_time": start,
                "end_time": end,
                "granularity": granularity.value,
            }
            if token:
                params["next_token"] = token  # tweepy does not list it, but passes it on
            try:
                body = await self._fetch(
                    functools.partial(self._app.get_recent_tweets_count, query, **params),
                    deadline,
                    tally,
                )
            except _RateLimited:
                partial, reason = True, "rate_limited"
                break
            except _Transient as exc:
                partial, reason = True, exc.reason
                break
            for item in body.get("data") or []:
                buckets.append(
                    CountBucket(
                        start=_parse_time(item["start"]),
                        end=_parse_time(item["end"]),
                        count=int(item["tweet_count"]),
                    )
                )
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return CountSeries(
            query=query,
            granularity=granularity,
            buckets=tuple(buckets),
            total=sum(b.count for b in buckets),
            partial=partial,
            reason=reason,
            requests=tally.requests,
        )

    # -- publishing (user context) ------------------------------------------------------------

    async def create_post(self, text: str, *, reply_to_id: str | None = None) -> tuple[str, str]:
        """Create a post as the account. Never retried here: on `PublishUncertain`, reconcile
        with `recent_posts_of_me` before trying again, or the post may appear twice."""
        client = self._user_client()
        tally = _Tally()
        try:
            body = await self._call(
                lambda: client.create_tweet(
                    text=text, in_reply_to_tweet_id=reply_to_id, user_auth=self._user_auth_flag
                ),
                time.monotonic() + self._timeout_s,
                tally,
                forbidden=PostRejected,
            )
        except _RateLimited as exc:
            retry_at = datetime.fromtimestamp(exc.reset_at, UTC) if exc.reset_at else None
            raise PostRateLimited("X rate limit reached for posting", retry_at=retry_at) from None
        except _Transient as exc:
            raise PublishUncertain(
                f"creating the post ended with {exc.reason}: its outcome is unknown"
            ) from None
        data = body.get("data") or {}
        post_id = str(data.get("id", ""))
        if not post_id:
            raise PublishUncertain("X accepted the post but returned no id")
        return post_id, f"https://x.com/{self._account_handle or 'i'}/status/{post_id}"

    async def me(self) -> Author:
        """The account the user-context credentials belong to."""
        client = self._user_client()
        body = await self._read_or_raise(
            lambda: client.get_me(user_auth=self._user_auth_flag, user_fields=USER_FIELDS)
        )
        author = _author(body.get("data") or {})
        self._account_id, self._account_handle = author.id, author.handle
        return author

    async def recent_posts_of_me(self, limit: int = 20) -> list[Post]:
        if self._account_id is None:
            await self.me()
        assert self._account_id is not None
        account_id = self._account_id
        client = self._user or self._app
        me = Author(
            id=account_id, handle=self._account_handle or "i", name=self._account_handle or ""
        )
        posts: list[Post] = []
        token: str | None = None
        while len(posts) < limit:
            params: dict[str, Any] = {
                "max_results": max(USER_POSTS_MIN_RESULTS, min(PAGE_MAX, limit - len(posts))),
                "pagination_token": token,
                "tweet_fields": TWEET_FIELDS,
            }
            body = await self._read_or_raise(
                functools.partial(
                    client.get_users_tweets,
                    account_id,
                    user_auth=self._user_auth_flag and client is self._user,
                    **params,
                )
            )
            for item in body.get("data") or []:
                posts.append(_post(item, {account_id: me}))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
        return posts[:limit]

    # -- plumbing -----------------------------------------------------------------------------

    def _user_client(self) -> AsyncClient:
        if self._user is None:
            raise SourceConfigError(
                "posting to X needs user-context credentials (OAuth 1.0a or OAuth 2.0 user token)"
            )
        return self._user

    def _clamp(self, window: Window) -> tuple[datetime, datetime] | None:
        """The part of `window` that recent search can serve (last 7 days, ≥10 s ago)."""
        now = self._clock.now()
        start = max(window.start, now - timedelta(days=RECENT_SEARCH_DAYS) + timedelta(minutes=1))
        end = min(window.end, now - END_TIME_MARGIN)
        if end <= start or (end - start) < timedelta(seconds=1):
            return None
        return start, end

    async def _read_or_raise(self, op: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        deadline = time.monotonic() + self._counts_max_seconds
        try:
            return await self._fetch(op, deadline, _Tally())
        except _RateLimited:
            raise SourceError("X rate limit reached, try again later") from None
        except _Transient as exc:
            raise SourceError(f"X did not answer ({exc.reason})") from None

    async def _fetch(
        self, op: Callable[[], Awaitable[Any]], deadline: float, tally: _Tally
    ) -> dict[str, Any]:
        """One GET, with bounded 5xx retries and 429 waits that fit before `deadline`."""
        server_attempts = 0
        rate_waits = 0
        while True:
            try:
                return await self._call(op, deadline, tally)
            except _RateLimited as exc:
                wait = self._rate_limit_wait(exc.reset_at)
                if rate_waits >= self._max_rate_limit_waits or time.monotonic() + wait >= deadline:
                    raise
                rate_waits += 1
                log.info("X rate limit reached: waiting %.1f s (within the turn's budget)", wait)
                await asyncio.sleep(wait)
            except _Transient as exc:
                backoff = self._retry_backoff_s * (2**server_attempts)
                if (
                    exc.reason != "server_error"
                    or server_attempts >= self._server_retries
                    or time.monotonic() + backoff >= deadline
                ):
                    raise
                server_attempts += 1
                log.info("X server error: retry %d in %.2f s", server_attempts, backoff)
                await asyncio.sleep(backoff)

    def _rate_limit_wait(self, reset_at: float | None) -> float:
        if reset_at is None:
            return self._rate_limit_default_wait_s
        return max(0.0, reset_at - time.time()) + 0.1

    async def _call(
        self,
        op: Callable[[], Awaitable[Any]],
        deadline: float,
        tally: _Tally,
        *,
        forbidden: type[SourceError] = SourceConfigError,
    ) -> dict[str, Any]:
        """One request; tweepy and aiohttp errors become ours here, by status, never by text."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Transient("timeout")
        self._ensure_session()
        tally.requests += 1
        try:
            async with asyncio.timeout(remaining):
                result = await op()
        except TooManyRequests as exc:
            reset = float(exc.reset_time) if exc.reset_time else None
            raise _RateLimited(reset or _retry_after(exc.response)) from exc
        except Unauthorized as exc:
            raise SourceConfigError(_describe(401, exc)) from exc
        except Forbidden as exc:
            raise forbidden(_describe(403, exc)) from exc
        except TwitterServerError as exc:
            raise _Transient("server_error") from exc
        except HTTPException as exc:
            _raise_for_status(_status_of(exc), None, forbidden, exc)
        except aiohttp.ContentTypeError as exc:  # a non-JSON body (HTML from a proxy, ...)
            _raise_for_status(exc.status, exc.headers, forbidden, exc)
        except TimeoutError as exc:
            raise _Transient("timeout") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise _Transient("server_error") from exc
        if not isinstance(result, dict):
            raise _Transient("server_error")
        return result


def _retry_after_header(headers: Any) -> float | None:
    """`Retry-After` (seconds, as X's edge may send instead of `x-rate-limit-reset`) as an
    epoch time; None when absent or not a small number of seconds."""
    value = headers.get("retry-after") if headers is not None else None
    if not isinstance(value, str) or not value.strip().isdigit() or len(value.strip()) > 6:
        return None
    return time.time() + int(value.strip())


def _retry_after(response: Any) -> float | None:
    return _retry_after_header(getattr(response, "headers", None))


def _status_of(exc: HTTPException) -> int:
    status = getattr(exc.response, "status", None)
    if status is None:
        status = getattr(exc.response, "status_code", 0)
    return int(status or 0)


def _describe(status: int, exc: HTTPException | None) -> str:
    messages = "; ".join(str(m) for m in (exc.api_messages if exc is not None else []))
    return f"X answered {status}" + (f": {messages}" if messages else "")


def _raise_for_status(
    status: int,
    headers: Any,
    forbidden: type[SourceError],
    exc: Exception,
) -> NoReturn:
    http_exc = exc if isinstance(exc, HTTPException) else None
    if status == 401:
        raise SourceConfigError(_describe(status, http_exc)) from exc
    if status == 403:
        raise forbidden(_describe(status, http_exc)) from exc
    if status == 402:
        raise CreditsExhausted(
            "X answered 402: the account has no credits left; reads stop until credits are added"
        ) from exc
    if status == 429:
        reset = headers.get("x-rate-limit-reset") if headers is not None else None
        at = float(reset) if reset and reset.isdigit() else None
        raise _RateLimited(at or _retry_after_header(headers)) from exc
    if status >= 500 or 200 <= status < 300:
        raise _Transient("server_error") from exc
    raise SourceError(_describe(status, http_exc)) from exc


def _check_query(query: str) -> None:
    if not query.strip():
        raise ValueError("empty query")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(f"X queries are limited to {MAX_QUERY_LENGTH} characters")


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _author(user: dict[str, Any]) -> Author:
    metrics = user.get("public_metrics") or {}
    return Author(
        id=str(user.get("id", "")),
        handle=str(user.get("username", "")) or "i",
        name=str(user.get("name", "")),
        followers=int(metrics.get("followers_count", 0) or 0),
        verified=bool(user.get("verified", False)),
        description=str(user.get("description", "") or ""),
    )


def _post(item: dict[str, Any], users: dict[str, Author]) -> Post:
    author_id = str(item.get("author_id", ""))
    author = users.get(author_id) or Author(id=author_id, handle="i", name="")
    m = item.get("public_metrics") or {}
    reply_to = quote_of = None
    for ref in item.get("referenced_tweets") or []:
        if ref.get("type") == "replied_to":
            reply_to = str(ref.get("id"))
        elif ref.get("type") == "quoted":
            quote_of = str(ref.get("id"))
    impressions = m.get("impression_count")
    return Post(
        id=str(item["id"]),
        text=str(item.get("text", "")),
        created_at=_parse_time(item["created_at"]) if item.get("created_at") else datetime.now(UTC),
        author=author,
        lang=item.get("lang"),
        metrics=Metrics(
            likes=int(m.get("like_count", 0) or 0),
            reposts=int(m.get("retweet_count", 0) or 0),
            replies=int(m.get("reply_count", 0) or 0),
            quotes=int(m.get("quote_count", 0) or 0),
            impressions=int(impressions) if impressions is not None else None,
        ),
        reply_to_id=reply_to,
        quote_of_id=quote_of,
        conversation_id=item.get("conversation_id"),
    )


def _parse_page(body: dict[str, Any]) -> _Page:
    raw_users = (body.get("includes") or {}).get("users") or []
    users = {str(u["id"]): _author(u) for u in raw_users if "id" in u}
    posts = [_post(item, users) for item in body.get("data") or []]
    return _Page(posts=posts, user_ids=list(users), meta=body.get("meta") or {})
