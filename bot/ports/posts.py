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


class SourceError(Exception):
    """A failure of the posts source that an admin must act on."""


class SourceConfigError(SourceError):
    """Credentials refused (401/403): the X configuration must be fixed."""


class CreditsExhausted(SourceError):
    """X answered 402: the account has no credits left."""


class BudgetExceeded(SourceError):
    """The monthly X budget cap is reached: further reads are stopped."""


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
