"""The posts port: where posts about us come from (X API v2, or the demo corpus).

Pure types only. "How much" comes from `counts`; "what" from a bounded `search` sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Granularity(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window [start, end), timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("window end must be after its start")


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    handle: str  # without "@"
    name: str
    followers: int = 0
    verified: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Metrics:
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    text: str
    created_at: datetime
    author: Author
    lang: str | None = None  # as given by the source ("fr", "en", "und", ...)
    metrics: Metrics = field(default_factory=Metrics)
    reply_to_id: str | None = None
    quote_of_id: str | None = None
    conversation_id: str | None = None

    @property
    def url(self) -> str:
        return f"https://x.com/{self.author.handle}/status/{self.id}"


@dataclass(frozen=True, slots=True)
class CountBucket:
    start: datetime
    end: datetime
    count: int


@dataclass(frozen=True, slots=True)
class CountSeries:
    query: str
    granularity: Granularity
    buckets: tuple[CountBucket, ...]
    total: int
    partial: bool = False
    reason: str | None = None  # why partial: "rate_limited", "server_error", "timeout"
    requests: int = 0  # HTTP requests made (each one is a billed counts request on X)


@dataclass(frozen=True, slots=True)
class ReadBudget:
    """How much a single search may read: posts, and the time it may take."""

    max_posts: int = 100
    max_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class SearchResult:
    posts: tuple[Post, ...]
    partial: bool = False
    reason: str | None = None  # why partial: "rate_limited", "server_error", "timeout", "budget"
    requests: int = 0  # HTTP requests made
    newest_id: str | None = None
    # What the source was billed for, when it bills (X bills every post and user it returns,
    # including those beyond `max_posts` on a page of 10 minimum): empty for free sources.
    read_post_ids: tuple[str, ...] = ()
    read_user_ids: tuple[str, ...] = ()


class SourceError(Exception):
    """A failure of the posts source that an admin must act on."""


class SourceConfigError(SourceError):
    """Credentials refused (401/403): the X configuration must be fixed."""


class CreditsExhausted(SourceError):
    """X answered 402: the account has no credits left."""


class BudgetExceeded(SourceError):
    """The monthly X budget cap is reached: further reads are stopped."""


class PostRejected(SourceError):
    """X refused to create the post (duplicate content, reply not allowed, too long, rate
    limited...). `retry_at` is set when trying again later may succeed."""

    def __init__(self, message: str, *, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class PostRateLimited(PostRejected):
    """X answered 429 to a post: nothing was created; `retry_at` (from `x-rate-limit-reset`
    or `Retry-After`) says when trying again may succeed, when X said."""


class PublishUncertain(SourceError):
    """Creating a post failed in a way that leaves its outcome unknown (timeout, 5xx):
    reconcile with the account's recent posts before trying again."""


@runtime_checkable
class PostSource(Protocol):
    async def search(
        self,
        query: str,
        window: Window,
        budget: ReadBudget,
        *,
        since_id: str | None = None,
        sort: str = "relevancy",
    ) -> SearchResult:
        """Posts matching `query` in `window`, at most `budget.max_posts` of them."""

    async def counts(self, query: str, window: Window, granularity: Granularity) -> CountSeries:
        """Volume of posts matching `query` per bucket."""


@runtime_checkable
class PostPublisher(Protocol):
    async def create_post(self, text: str, *, reply_to_id: str | None = None) -> tuple[str, str]:
        """Create a post as the account; return its id and URL."""

    async def recent_posts_of_me(self, limit: int = 20) -> list[Post]:
        """The account's own most recent posts, newest first (for reconciliation)."""
