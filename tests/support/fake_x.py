"""A fake X API v2 server: a real aiohttp app on 127.0.0.1 speaking X's JSON.

Endpoints: `GET /2/tweets/search/recent`, `GET /2/tweets/counts/recent`, `POST /2/tweets`,
`GET /2/users/me`, `GET /2/users/:id/tweets`. Seed it with users and posts, program faults per
path (429 with `x-rate-limit-reset`, 402, 401, 403, 5xx with JSON or HTML bodies, slow answers),
and read back what reached it (`calls`, `auth_seen`, `requests`, `created`).

Post ids are snowflakes derived from `created_at`, so "newer" is "larger id" as on X, and
`since_id` works as it does there.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.support.x_wire import (
    FakePost,
    FakeUser,
    QueryError,
    compile_query,
    iso,
    parse_time,
    snowflake,
)

SEARCH_PATH = "/2/tweets/search/recent"
COUNTS_PATH = "/2/tweets/counts/recent"
CREATE_PATH = "/2/tweets"
ME_PATH = "/2/users/me"
TEST_BEARER_TOKEN = "test-bearer-token-0123456789abcdef"


@dataclass
class Fault:
    status: int
    body: Any = None  # dict → JSON; str → served as text/html
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1  # None: every call
    delay: float = 0.0
    reset_in: float | None = None  # 429: seconds until x-rate-limit-reset
    after: int = 0  # let this many calls through first


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any = None


RECORD = web.RequestKey("record", RecordedRequest)


# -- the server -----------------------------------------------------------------------------

_DEFAULT_BODIES: dict[int, dict[str, Any]] = {
    401: {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    402: {
        "title": "CreditsDepleted",
        "detail": "Your enrolled account [1] does not have any credits to fulfill this request.",
        "type": "https://api.twitter.com/2/problems/credits",
    },
    403: {
        "title": "Client Forbidden",
        "detail": "This request must be made using an approved developer account that is "
        "enrolled in the requested endpoint.",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    },
    429: {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    },
    500: {
        "title": "Internal Server Error",
        "type": "about:blank",
        "status": 500,
        "detail": "Internal Server Error",
    },
    503: {
        "title": "Service Unavailable",
        "type": "about:blank",
        "status": 503,
        "detail": "Service Unavailable",
    },
}

HTML_503 = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


class FakeXServer:
    def __init__(
        self,
        *,
        bearer_token: str = TEST_BEARER_TOKEN,
        user_token: str | None = None,
        consumer_key: str | None = None,
        me: FakeUser | None = None,
        now: Callable[[], datetime] | None = None,
        counts_page_buckets: int | None = None,
    ) -> None:
        self.bearer_token = bearer_token
        self.user_token = user_token
        self.consumer_key = consumer_key
        self.me = me or FakeUser(id="1000", username="pulse_co", name="Pulse Co")
        self._now = now or (lambda: datetime.now(UTC))
        self.counts_page_buckets = counts_page_buckets
        self.users: dict[str, FakeUser] = {self.me.id: self.me}
        self.posts: dict[str, FakePost] = {}
        self.created: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.auth_seen: list[str] = []
        self.requests: list[RecordedRequest] = []
        self.faults: dict[str, list[Fault]] = {}
        self._seq = itertools.count(1)
        self._user_seq = itertools.count(2000)
        self._runner: web.AppRunner | None = None
        self._search_cache: dict[tuple[Any, ...], list[FakePost]] = {}
        self.base_url = ""

    # -- seeding ------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._now()

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        followers: int = 0,
        verified: bool = False,
        description: str = "",
        id: str | None = None,
    ) -> FakeUser:
        user = FakeUser(
            id=id or str(next(self._user_seq)),
            username=username,
            name=name or username.title(),
            followers=followers,
            verified=verified,
            description=description,
        )
        self.users[user.id] = user
        return user

    def add_post(
        self,
        text: str,
        *,
        author: FakeUser | None = None,
        created_at: datetime | None = None,
        lang: str = "en",
        likes: int = 0,
        reposts: int = 0,
        replies: int = 0,
        quotes: int = 0,
        impressions: int = 0,
        reply_to_id: str | None = None,
        quote_of_id: str | None = None,
    ) -> FakePost:
        if author is None:
            author = self.add_user(f"user{next(self._user_seq)}")
        elif author.id not in self.users:
            self.users[author.id] = author
        created = created_at or self.now()
        post = FakePost(
            id=snowflake(created, next(self._seq)),
            text=text,
            author_id=author.id,
            created_at=created,
            lang=lang,
            likes=likes,
            reposts=reposts,
            replies=replies,
            quotes=quotes,
            impressions=impressions,
            reply_to_id=reply_to_id,
            quote_of_id=quote_of_id,
        )
        self.posts[post.id] = post
        return post

    def seed(self, posts: Iterable[FakePost]) -> None:
        for post in posts:
            self.posts[post.id] = post

    # -- faults -------------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int,
        *,
        times: int | None = 1,
        body: Any = None,
        html: bool = False,
        headers: dict[str, str] | None = None,
        reset_in: float | None = None,
        delay: float = 0.0,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls to `path` with `status` (None: every call)."""
        if body is None:
            body = (
                HTML_503
                if html
                else _DEFAULT_BODIES.get(
                    status, {"title": "Error", "type": "about:blank", "status": status}
                )
            )
        self.faults.setdefault(path, []).append(
            Fault(
                status=status,
                body=body,
                headers=headers or {},
                times=times,
                delay=delay,
                reset_in=reset_in,
                after=after,
            )
        )

    def slow(self, path: str, seconds: float, *, times: int | None = None) -> None:
        """Answer normally, but only after `seconds`."""
        self.faults.setdefault(path, []).append(Fault(status=0, times=times, delay=seconds))

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_counters(self) -> None:
        self.calls.clear()
        self.auth_seen.clear()
        self.requests.clear()

    def posts_returned(self) -> int:
        """Posts served by the search endpoint so far (what X would bill)."""
        return sum(
            r.body for r in self.requests if r.path == SEARCH_PATH and isinstance(r.body, int)
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(SEARCH_PATH, self._search)
        app.router.add_get(COUNTS_PATH, self._counts)
        app.router.add_post(CREATE_PATH, self._create)
        app.router.add_get(ME_PATH, self._me)
        app.router.add_get("/2/users/{id}/tweets", self._user_posts)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeXServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        self.calls[path] += 1
        auth = request.headers.get("Authorization")
        if auth is not None:
            self.auth_seen.append(auth)
        record = RecordedRequest(request.method, path, dict(request.query), auth)
        self.requests.append(record)
        request[RECORD] = record
        fault = self._take_fault(path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                return self._fault_response(fault)
        if auth is None:
            return _problem(401, _DEFAULT_BODIES[401])
        return await handler(request)  # type: ignore[no-any-return]

    def _take_fault(self, path: str) -> Fault | None:
        queue = self.faults.get(path)
        if not queue:
            return None
        fault = queue[0]
        if fault.after > 0:
            fault.after -= 1
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
        return fault

    def _fault_response(self, fault: Fault) -> web.Response:
        headers = dict(fault.headers)
        if fault.status == 429:
            reset_in = 900 if fault.reset_in is None else fault.reset_in
            reset = self.now().timestamp() + reset_in
            headers.setdefault("x-rate-limit-limit", "450")
            headers.setdefault("x-rate-limit-remaining", "0")
            if fault.reset_in is not None or "x-rate-limit-reset" not in headers:
                headers["x-rate-limit-reset"] = str(int(reset + 0.999))
            if not headers["x-rate-limit-reset"]:  # "" means: send no reset header at all
                del headers["x-rate-limit-reset"]
        if isinstance(fault.body, str):
            return web.Response(
                status=fault.status, text=fault.body, content_type="text/html", headers=headers
            )
        return web.Response(
            status=fault.status,
            text=json.dumps(fault.body),
            content_type="application/problem+json" if fault.status != 429 else "application/json",
            headers=headers,
        )

    def _check_app_auth(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
            if token in {self.bearer_token, self.user_token}:
                return None
        if auth.startswith("OAuth ") and self._oauth1_ok(auth):
            return None
        return _problem(401, _DEFAULT_BODIES[401])

    def _oauth1_ok(self, auth: str) -> bool:
        return self.consumer_key is None or f'oauth_consumer_key="{self.consumer_key}"' in auth

    def _check_user_auth(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("OAuth ") and self._oauth1_ok(auth):
            return None
        if auth.startswith("Bearer ") and self.user_token and auth == f"Bearer {self.user_token}":
            return None
        if auth == f"Bearer {self.bearer_token}":
            return _problem(
                403,
                {
                    "title": "Unsupported Authentication",
                    "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden "
                    "for this endpoint.  Supported authentication types are "
                    "[OAuth 1.0a User Context, OAuth 2.0 User Context].",
                    "type": "https://api.twitter.com/2/problems/unsupported-authentication",
                    "status": 403,
                },
            )
        return _problem(401, _DEFAULT_BODIES[401])

    # -- endpoints ----------------------------------------------------------------------------

    def _time_bounds(
        self, q: dict[str, str], *, timeline: bool = False
    ) -> tuple[datetime, datetime]:
        now = self.now()
        floor = now - timedelta(days=3650 if timeline else 7)
        start = parse_time(q["start_time"]) if "start_time" in q else floor
        default_end = now + timedelta(seconds=1) if timeline else now - timedelta(seconds=10)
        end = parse_time(q["end_time"]) if "end_time" in q else default_end
        if start < floor - timedelta(minutes=1):
            raise _Invalid(
                "start_time",
                q.get("start_time", ""),
                "Invalid 'start_time':'{v}'. 'start_time' must be on or after " + iso(floor),
            )
        if end > now + timedelta(seconds=30):
            raise _Invalid(
                "end_time",
                q["end_time"],
                "Invalid 'end_time':'{v}'. 'end_time' must be a minimum of 10 "
                "seconds prior to the request time.",
            )
        if end <= start:
            raise _Invalid(
                "end_time",
                q.get("end_time", ""),
                "Invalid 'end_time':'{v}'. 'end_time' must be after 'start_time'.",
            )
        return start, end

    def _matching(self, q: dict[str, str], *, path_user: str | None = None) -> list[FakePost]:
        start, end = self._time_bounds(q, timeline=path_user is not None)
        since = int(q["since_id"]) if "since_id" in q else None
        until = int(q["until_id"]) if "until_id" in q else None
        if path_user is None:
            query = q.get("query", "")
            if not query:
                raise _Invalid("query", "", "The `query` query parameter can not be empty")
            if len(query) > 512:
                raise _Invalid("query", query[:20], "The `query` query parameter is too long")
            try:
                matcher = compile_query(query)
            except QueryError:
                raise _Invalid(
                    "query", query, "There were errors processing your request: Invalid query"
                ) from None
        else:

            def matcher(p: FakePost, u: FakeUser | None) -> bool:
                return p.author_id == path_user

        out = []
        for post in self.posts.values():
            if not (start <= post.created_at < end):
                continue
            if since is not None and int(post.id) <= since:
                continue
            if until is not None and int(post.id) >= until:
                continue
            if matcher(post, self.users.get(post.author_id)):
                out.append(post)
        return out

    def _page(
        self,
        request: web.Request,
        posts: list[FakePost],
        *,
        token_param: str,
        min_results: int,
        default_results: int,
    ) -> web.Response:
        q = request.query
        try:
            max_results = int(q.get("max_results", default_results))
        except ValueError:
            max_results = -1
        if not min_results <= max_results <= 100:
            return _invalid(
                "max_results",
                q.get("max_results", ""),
                f"The `max_results` query parameter value [{q.get('max_results')}] "
                f"is not between {min_results} and 100",
            )
        offset = 0
        if token_param in q:
            try:
                offset = int(base64.urlsafe_b64decode(q[token_param].encode()).decode())
            except (ValueError, UnicodeDecodeError):
                return _invalid(token_param, q[token_param], "Invalid pagination token")
        page = posts[offset : offset + max_results]
        tweet_fields = _fields(q, "tweet.fields")
        user_fields = _fields(q, "user.fields")
        expansions = _fields(q, "expansions")
        meta: dict[str, Any] = {"result_count": len(page)}
        body: dict[str, Any] = {}
        if page:
            body["data"] = [p.to_json(tweet_fields) for p in page]
            ids = [int(p.id) for p in page]
            meta["newest_id"] = str(max(ids))
            meta["oldest_id"] = str(min(ids))
            if "author_id" in expansions:
                seen: dict[str, dict[str, Any]] = {}
                for p in page:
                    user = self.users.get(p.author_id)
                    if user is not None and user.id not in seen:
                        seen[user.id] = user.to_json(user_fields)
                body["includes"] = {"users": list(seen.values())}
        if offset + max_results < len(posts):
            meta["next_token"] = base64.urlsafe_b64encode(
                str(offset + max_results).encode()
            ).decode()
        body["meta"] = meta
        request[RECORD].body = len(page)
        return web.json_response(body)

    async def _search(self, request: web.Request) -> web.Response:
        if (denied := self._check_app_auth(request)) is not None:
            return denied
        sort = request.query.get("sort_order", "recency")
        if sort not in ("relevancy", "recency"):
            return _invalid("sort_order", sort, f"Invalid sort_order: {sort}")
        # Paging re-asks the same question: keep the sorted matches while nothing changed.
        q = dict(request.query)
        key = (
            len(self.posts),
            *(
                q.get(k)
                for k in ("query", "start_time", "end_time", "since_id", "until_id", "sort_order")
            ),
        )
        posts = self._search_cache.get(key)
        if posts is None:
            try:
                posts = self._matching(q)
            except _Invalid as exc:
                return exc.response()
            if sort == "relevancy":
                posts.sort(key=lambda p: (p.engagement, int(p.id)), reverse=True)
            else:
                posts.sort(key=lambda p: int(p.id), reverse=True)
            self._search_cache = {key: posts}
        return self._page(
            request, posts, token_param="next_token", min_results=10, default_results=10
        )

    async def _counts(self, request: web.Request) -> web.Response:
        if (denied := self._check_app_auth(request)) is not None:
            return denied
        q = dict(request.query)
        try:
            posts = self._matching(q)
            start, end = self._time_bounds(q)
        except _Invalid as exc:
            return exc.response()
        granularity = q.get("granularity", "hour")
        step = {
            "minute": timedelta(minutes=1),
            "hour": timedelta(hours=1),
            "day": timedelta(days=1),
        }.get(granularity)
        if step is None:
            return _invalid(
                "granularity",
                granularity,
                f"The `granularity` query parameter value [{granularity}] is not "
                "one of [minute,hour,day]",
            )
        bounds = [start]
        nxt = _align(start, granularity) + step
        while nxt < end:
            bounds.append(nxt)
            nxt += step
        bounds.append(end)
        buckets = []
        created = sorted(p.created_at for p in posts)
        for lo, hi in itertools.pairwise(bounds):
            n = bisect.bisect_left(created, hi) - bisect.bisect_left(created, lo)
            buckets.append({"end": iso(hi), "start": iso(lo), "tweet_count": n})
        offset = 0
        if "next_token" in q:
            offset = int(base64.urlsafe_b64decode(q["next_token"].encode()).decode())
        page_size = self.counts_page_buckets or len(buckets)
        page = buckets[offset : offset + page_size]
        meta: dict[str, Any] = {"total_tweet_count": sum(b["tweet_count"] for b in page)}
        if offset + page_size < len(buckets):
            meta["next_token"] = base64.urlsafe_b64encode(str(offset + page_size).encode()).decode()
        return web.json_response({"data": page, "meta": meta})

    async def _create(self, request: web.Request) -> web.Response:
        if (denied := self._check_user_auth(request)) is not None:
            return denied
        try:
            payload = await request.json()
        except json.JSONDecodeError:
            return _problem(
                400, {"title": "Invalid Request", "type": "about:blank", "detail": "Invalid JSON"}
            )
        request[RECORD].body = payload
        text = payload.get("text") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text:
            return _invalid("text", "", "Post text must not be empty")
        if len(text) > 280:
            return _problem(
                403,
                {
                    "detail": "Your Tweet text is too long.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
            )
        if any(c["text"] == text for c in self.created):
            return _problem(
                403,
                {
                    "detail": "You are not allowed to create a Tweet with duplicate content.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
            )
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        post = self.add_post(text, author=self.me, reply_to_id=reply_to)
        self.created.append({"id": post.id, "text": text, "reply_to": reply_to, "payload": payload})
        return web.json_response(
            {"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}}, status=201
        )

    async def _me(self, request: web.Request) -> web.Response:
        if (denied := self._check_user_auth(request)) is not None:
            return denied
        return web.json_response({"data": self.me.to_json(_fields(request.query, "user.fields"))})

    async def _user_posts(self, request: web.Request) -> web.Response:
        if (denied := self._check_app_auth(request)) is not None:
            return denied
        user_id = request.match_info["id"]
        if user_id not in self.users:
            return _problem(
                404,
                {
                    "title": "Not Found Error",
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                    "detail": f"Could not find user with id: [{user_id}].",
                },
            )
        try:
            posts = self._matching(dict(request.query), path_user=user_id)
        except _Invalid as exc:
            return exc.response()
        posts.sort(key=lambda p: int(p.id), reverse=True)
        return self._page(
            request, posts, token_param="pagination_token", min_results=5, default_results=10
        )


class _Invalid(Exception):
    def __init__(self, param: str, value: str, message: str) -> None:
        super().__init__(message)
        self.param, self.value, self.message = param, value, message.replace("{v}", value)

    def response(self) -> web.Response:
        return _invalid(self.param, self.value, self.message)


def _invalid(param: str, value: str, message: str) -> web.Response:
    return _problem(
        400,
        {
            "errors": [{"parameters": {param: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _problem(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


def _fields(q: Any, name: str) -> set[str]:
    value = q.get(name, "")
    return {f for f in value.split(",") if f}


def _align(dt: datetime, granularity: str) -> datetime:
    if granularity == "minute":
        return dt.replace(second=0, microsecond=0)
    if granularity == "hour":
        return dt.replace(minute=0, second=0, microsecond=0)
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)
