"""`PostSource` over the demo corpus, replayed as if its last post were written just now.

The corpus end is mapped to the clock's current time (to the second) at every call, so
"today" always has data and the story (launch, crisis, interview) always sits at the same
distance from now. Only posts with `created_at <= now` are visible. Post ids are the
corpus's own, time-ordered like X's snowflakes, so they stay stable across calls and
`since_id` keeps X's meaning ("ids greater than").

It behaves like `GET /2/tweets/search/recent` and `counts/recent` as `bot/clients/x` reads
them: X query syntax (see `query.py`), ≤ 512-character queries, 100 posts a page (`requests`
counts the pages X would need), relevancy ≈ engagement, the window clamped to the last 7
days (`recent_days=None` serves the whole 14-day corpus, e.g. for baselines), `newest_id`
falling back to `since_id`, and stopping at `budget.max_posts` without calling the result
partial. The demo is free: `read_post_ids` / `read_user_ids` stay empty.
"""

from __future__ import annotations

import bisect
import logging
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clients.demo.corpus import DEFAULT_CORPUS_PATH, CorpusEntry, DemoCorpus, load_corpus
from bot.clients.demo.query import compile_query
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

log = logging.getLogger(__name__)

PAGE_SIZE = 100
RECENT_DAYS = 7  # what X recent search serves
SORTS = ("recency", "relevancy")
_STEP = {
    Granularity.MINUTE: timedelta(minutes=1),
    Granularity.HOUR: timedelta(hours=1),
    Granularity.DAY: timedelta(days=1),
}
_MATCH_CACHE_SIZE = 256


class DemoSource:
    """The demo corpus as a `PostSource`."""

    def __init__(
        self,
        clock: Clock,
        corpus_path: Path | None = None,
        *,
        recent_days: int | None = RECENT_DAYS,
    ) -> None:
        self._clock = clock
        self._path = corpus_path or DEFAULT_CORPUS_PATH
        self._recent = timedelta(days=recent_days) if recent_days is not None else None
        self._corpus: DemoCorpus | None = None
        self._matches: dict[str, tuple[int, ...]] = {}

    # -- replay ----------------------------------------------------------------------------

    @property
    def corpus(self) -> DemoCorpus:
        if self._corpus is None:
            self._corpus = load_corpus(self._path)
        return self._corpus

    def anchor(self) -> datetime:
        """The time the corpus end is mapped to: now, to the second."""
        return self._clock.now().replace(microsecond=0)

    def created_at(self, entry: CorpusEntry, anchor: datetime) -> datetime:
        return anchor + timedelta(seconds=entry.offset_s)

    def to_post(self, entry: CorpusEntry, anchor: datetime) -> Post:
        return Post(
            id=entry.id,
            text=entry.text,
            created_at=self.created_at(entry, anchor),
            author=entry.author,
            lang=entry.lang,
            metrics=entry.metrics,
            reply_to_id=entry.reply_to_id,
            quote_of_id=entry.quote_of_id,
            conversation_id=entry.conversation_id,
        )

    def _matching(self, query: str) -> tuple[int, ...]:
        """Indices (oldest first) of the posts matching `query`; cached per query."""
        cached = self._matches.get(query)
        if cached is not None:
            return cached
        matcher = compile_query(query)
        found = tuple(i for i, e in enumerate(self.corpus.entries) if matcher(e.features))
        if len(self._matches) >= _MATCH_CACHE_SIZE:
            self._matches.pop(next(iter(self._matches)))
        self._matches[query] = found
        return found

    def _clamp(self, window: Window, anchor: datetime) -> tuple[datetime, datetime] | None:
        """The part of `window` this source serves: up to now, and the recent days only."""
        start, end = window.start, min(window.end, self._clock.now())
        if self._recent is not None:
            start = max(start, anchor - self._recent)
        return (start, end) if start < end else None

    def _in_window(
        self, query: str, window: tuple[datetime, datetime], anchor: datetime
    ) -> list[int]:
        """Matching indices with `window.start <= created_at < window.end`, oldest first.

        Every post is at or before the anchor, and the anchor is at or before now, so
        nothing from the future is ever visible.
        """
        offsets = self.corpus.offsets
        # Offsets are whole seconds: off >= lo <=> off >= ceil(lo); off < hi <=> off < ceil(hi).
        start, end = window
        first = bisect.bisect_left(offsets, math.ceil((start - anchor).total_seconds()))
        last = bisect.bisect_left(offsets, math.ceil((end - anchor).total_seconds()))
        matches = self._matching(query)
        return list(matches[bisect.bisect_left(matches, first) : bisect.bisect_left(matches, last)])

    # -- PostSource ------------------------------------------------------------------------

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
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
        compile_query(query)  # invalid queries fail even when nothing is in the window
        anchor = self.anchor()
        bounds = self._clamp(window, anchor)
        if bounds is None or budget.max_posts <= 0:
            return SearchResult(posts=(), newest_id=since_id)
        entries = self.corpus.entries
        found = [entries[i] for i in self._in_window(query, bounds, anchor)]
        if since_id is not None:
            floor = int(since_id)
            found = [e for e in found if e.id_int > floor]
        if sort == "recency":
            found.sort(key=lambda e: (e.offset_s, e.id_int), reverse=True)
        else:
            found.sort(key=lambda e: (e.metrics.engagement, e.offset_s, e.id_int), reverse=True)
        kept = found[: budget.max_posts]
        posts = tuple(self.to_post(e, anchor) for e in kept)
        newest = max(kept, key=lambda e: e.id_int).id if kept else since_id
        log.debug("demo search %r: %d matched, %d returned", query, len(found), len(posts))
        return SearchResult(
            posts=posts,
            requests=max(1, math.ceil(len(kept) / PAGE_SIZE)),
            newest_id=newest,
        )

    async def counts(self, query: str, window: Window, granularity: Granularity) -> CountSeries:
        """Volume of posts matching `query` per bucket (buckets aligned on UTC boundaries)."""
        compile_query(query)
        granularity = Granularity(granularity)
        anchor = self.anchor()
        bounds = self._clamp(window, anchor)
        if bounds is None:
            return CountSeries(query=query, granularity=granularity, buckets=(), total=0)
        offsets = self.corpus.offsets
        base = anchor.timestamp()
        times = [base + offsets[i] for i in self._in_window(query, bounds, anchor)]
        start, stop = bounds
        step = int(_STEP[granularity].total_seconds())
        start_ts, stop_ts = start.timestamp(), stop.timestamp()
        # Buckets: [start, first boundary), whole steps on UTC boundaries, [last, stop).
        inner = range((math.floor(start_ts) // step + 1) * step, math.ceil(stop_ts), step)
        edges = [start_ts, *(e for e in inner if start_ts < e < stop_ts), stop_ts]
        moments = [start, *(datetime.fromtimestamp(e, UTC) for e in edges[1:-1]), stop]
        positions = [bisect.bisect_left(times, e) for e in edges]
        buckets = [
            CountBucket(start=moments[k], end=moments[k + 1], count=positions[k + 1] - positions[k])
            for k in range(len(edges) - 1)
        ]
        return CountSeries(
            query=query,
            granularity=granularity,
            buckets=tuple(buckets),
            total=sum(b.count for b in buckets),
            requests=1,
        )
