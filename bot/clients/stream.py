"""A `PostSource` over a whole mention stream held in memory: back-tests and evaluations
(`scripts/replay_alerts.py`, `scripts/eval_crisis.py`) and tests. Every query matches every
post (the stream is already the company's mentions); counts are exact per minute, hour or day,
zero buckets included, as X's counts endpoint gives them (but none before the stream's first
post: that past is unknown, not silent); a search returns the posts of the
window by reach ("relevancy") or newest first ("recency"). Never past the clock: the future
is unseen."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.ports.clock import Clock
from bot.ports.posts import (
    CountBucket,
    CountSeries,
    Granularity,
    Post,
    ReadBudget,
    SearchResult,
    Window,
)


class StreamSource:
    """See the module docstring."""

    def __init__(self, posts: Iterable[Post], clock: Clock) -> None:
        self.posts = sorted(posts, key=lambda p: (p.created_at, p.id))
        self._times = [p.created_at for p in self.posts]
        self._clock = clock

    def _between(self, start: datetime, end: datetime) -> Sequence[Post]:
        end = min(end, self._clock.now())
        lo = bisect.bisect_left(self._times, start)
        hi = bisect.bisect_left(self._times, end)
        return self.posts[lo:hi]

    async def search(
        self,
        query: str,
        window: Window,
        budget: ReadBudget,
        *,
        since_id: str | None = None,
        sort: str = "relevancy",
    ) -> SearchResult:
        found = list(self._between(window.start, window.end))
        if sort == "recency":
            found.reverse()
        else:
            found.sort(key=lambda p: (p.author.followers, p.created_at), reverse=True)
        chosen = tuple(found[: budget.max_posts])
        return SearchResult(posts=chosen, requests=1)

    async def counts(self, query: str, window: Window, granularity: Granularity) -> CountSeries:
        step = {
            Granularity.MINUTE: timedelta(minutes=1),
            Granularity.HOUR: timedelta(hours=1),
            Granularity.DAY: timedelta(days=1),
        }[granularity]
        end = min(window.end, self._clock.now())
        buckets: list[CountBucket] = []
        t = window.start
        if self.posts:  # before the stream's first post nothing is known: no buckets
            while t + step <= self.posts[0].created_at:
                t += step
        while t < end:
            stop = min(t + step, end)
            lo = bisect.bisect_left(self._times, t)
            hi = bisect.bisect_left(self._times, stop)
            buckets.append(CountBucket(t, stop, hi - lo))
            t = stop
        return CountSeries(
            query=query,
            granularity=granularity,
            buckets=tuple(buckets),
            total=sum(b.count for b in buckets),
            requests=1,
        )
