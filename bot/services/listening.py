"""Listening: "what are people saying about us" at a bounded, known cost.

How much comes from the counts endpoint (one request per query, whatever the volume). What
comes from a bounded sample: the most engaged posts (sort=relevancy) plus the most recent
(sort=recency), deduplicated — never more than `sample_size` posts read from the source in one
call, whether the day has 50 mentions or 50,000. The language shares are measured on the recent
part of the sample (the engaged part is biased towards big accounts).

Cache (all in the Store, as records so the retention purge applies):

- `cache/posts/<id>`: every post read, with its created time; read back to rebuild a sample.
- `cache/windows/<family>/<start>/<end>`: one listening result (ids of the sample, counts series,
  newest id seen). `<family>` hashes the queries and the sample size.

A call whose window has the same start as a cached one, read less than `cache_ttl` ago, and
whose end is at most `cache_ttl` past the cached end, is answered from the cache: no request to
the source, nothing billed. A window that extends a cached one (same start, later end, cached
less than `extend_within` ago) is read incrementally: counts for the new stretch only, and the
new posts with `since_id` (a sample of them sized to their share of the volume).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clients.store.records import make_record, parse_record
from bot.domain.costs import CostLine, Usage
from bot.ports.clock import Clock
from bot.ports.posts import (
    Author,
    CountBucket,
    CountSeries,
    Granularity,
    Metrics,
    Post,
    PostSource,
    ReadBudget,
    SearchResult,
    Window,
)
from bot.ports.store import JSON, CorruptRecord, Store
from bot.services.costs import CostLedger

log = logging.getLogger(__name__)

POST_KIND = "x-post"
WINDOW_KIND = "listening-window"
SCHEMA = 1
MAX_QUERY_LENGTH = 512
MIN_PAGE = 10  # X's smallest search page: asking less is billed as 10
STORE_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class ListeningResult:
    queries: tuple[str, ...]
    window: Window
    counts: tuple[CountSeries, ...]  # one series per query
    sample: tuple[Post, ...]  # engaged first, then recent; deduplicated
    engaged_ids: tuple[str, ...]
    recent_ids: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]  # ("fr", 0.62), ... share of the recent sample
    cost: CostLine
    requests: int  # requests made to the source by this call
    partial: bool = False
    reasons: tuple[str, ...] = ()
    from_cache: bool = False
    incremental: bool = False

    @property
    def volume(self) -> int:
        """Posts matching, summed over the queries (an upper bound if queries overlap)."""
        return sum(s.total for s in self.counts)


@dataclass
class _Read:
    requests: int = 0
    post_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    counts_requests: int = 0
    reasons: list[str] = field(default_factory=list)

    def search(self, result: SearchResult) -> None:
        self.requests += result.requests
        self.post_ids += list(result.read_post_ids) or [p.id for p in result.posts]
        self.user_ids += list(result.read_user_ids) or list(
            dict.fromkeys(p.author.id for p in result.posts)
        )
        if result.partial:
            self.reasons.append(result.reason or "partial")

    def counts(self, series: CountSeries) -> None:
        n = series.requests or 1
        self.requests += n
        self.counts_requests += n
        if series.partial:
            self.reasons.append(series.reason or "partial")


class ListeningService:
    def __init__(
        self,
        source: PostSource,
        store: Store,
        ledger: CostLedger,
        clock: Clock,
        *,
        cache_ttl: timedelta = timedelta(minutes=15),
        extend_within: timedelta = timedelta(hours=6),
        max_seconds: float = 10.0,
        granularity: Granularity | None = None,
    ) -> None:
        self._source = source
        self._store = store
        self._ledger = ledger
        self._clock = clock
        self._ttl = cache_ttl
        self._extend_within = extend_within
        self._max_seconds = max_seconds
        self._granularity = granularity

    async def listen(
        self,
        queries: Sequence[str],
        window: Window,
        sample_size: int = 100,
        *,
        history: timedelta = timedelta(0),
    ) -> ListeningResult:
        """Counts over `window` extended back by `history` (hourly when extended, for the
        volume baseline), and a sample of at most `sample_size` posts from `window`."""
        queries = tuple(dict.fromkeys(q.strip() for q in queries if q.strip()))
        if not queries:
            raise ValueError("at least one query is needed")
        if sample_size < 1:
            raise ValueError("sample_size must be at least 1")
        family = _family(queries, sample_size, history)
        now = self._clock.now()
        cached = await self._find_cached(family, window, now)
        if cached is not None:
            _key, entry, written = cached
            age = now - written
            end = _time(entry["end"])
            if age < self._ttl and end <= window.end <= end + self._ttl:
                log.info("listening: served from cache (%s old)", age)
                return await self._from_cache(queries, entry)
            if end < window.end and age < self._extend_within:
                return await self._incremental(queries, window, sample_size, family, entry)
        return await self._full(queries, window, sample_size, family, history)

    async def counts_only(
        self, queries: Sequence[str], window: Window, granularity: Granularity
    ) -> tuple[CountSeries, ...]:
        """Counts alone (one request per query, no posts read): the cheap, frequent read of
        the crisis alert check. Recorded in the cost ledger; never cached."""
        queries = tuple(dict.fromkeys(q.strip() for q in queries if q.strip()))
        await self._ledger.ensure_budget(Usage(counts_requests=len(queries)))
        series = tuple(
            await asyncio.gather(*(self._source.counts(q, window, granularity) for q in queries))
        )
        tally = _Read()
        for s in series:
            tally.counts(s)
        await self._ledger.record(counts_requests=tally.counts_requests)
        return series

    # -- full read ----------------------------------------------------------------------------

    async def _full(
        self,
        queries: tuple[str, ...],
        window: Window,
        sample_size: int,
        family: str,
        history: timedelta = timedelta(0),
    ) -> ListeningResult:
        counts_window = Window(window.start - history, window.end) if history else window
        granularity = self._granularity or (
            Granularity.HOUR if history else _granularity_for(window)
        )
        await self._ledger.ensure_budget(
            Usage(
                posts_read=max(sample_size, MIN_PAGE),
                users_read=max(sample_size, MIN_PAGE),
                counts_requests=len(queries),
            )
        )
        tally = _Read()
        series = list(
            await asyncio.gather(
                *(self._source.counts(q, counts_window, granularity) for q in queries)
            )
        )
        for s in series:
            tally.counts(s)
        volume = sum(s.total for s in series)
        groups = _or_groups(queries)
        per_group = max(1, sample_size // len(groups))
        engaged: list[Post] = []
        recent: list[Post] = []
        newest: list[str] = []
        for group in groups:
            budget_engaged, budget_recent = _split(
                per_group, volume, any(s.partial for s in series)
            )
            if budget_engaged:
                r = await self._source.search(
                    group, window, ReadBudget(budget_engaged, self._max_seconds), sort="relevancy"
                )
                tally.search(r)
                engaged += r.posts
                newest += [r.newest_id] if r.newest_id else []
            if budget_recent:
                r = await self._source.search(
                    group, window, ReadBudget(budget_recent, self._max_seconds), sort="recency"
                )
                tally.search(r)
                recent += r.posts
                newest += [r.newest_id] if r.newest_id else []
        newest_id = _max_id(newest + [p.id for p in engaged + recent])
        return await self._finish(
            queries,
            window,
            family,
            tuple(series),
            engaged,
            recent,
            newest_id,
            tally,
            incremental=False,
            sample_size=sample_size,
        )

    # -- incremental read ---------------------------------------------------------------------

    async def _incremental(
        self,
        queries: tuple[str, ...],
        window: Window,
        sample_size: int,
        family: str,
        entry: dict[str, Any],
    ) -> ListeningResult:
        old_end = _time(entry["end"])
        delta = Window(old_end, window.end)
        old_series = tuple(_series_from_json(s) for s in entry["counts"])
        granularity = old_series[0].granularity if old_series else _granularity_for(window)
        cached_posts = await self._load_posts(
            list(dict.fromkeys([*entry["engaged_ids"], *entry["recent_ids"]]))
        )
        engaged = [cached_posts[i] for i in entry["engaged_ids"] if i in cached_posts]
        recent = [cached_posts[i] for i in entry["recent_ids"] if i in cached_posts]
        tally = _Read()
        new_series = list(
            await asyncio.gather(*(self._source.counts(q, delta, granularity) for q in queries))
        )
        for s in new_series:
            tally.counts(s)
        series = tuple(_merge(o, n) for o, n in zip(old_series, new_series, strict=True))
        new_volume = sum(s.total for s in new_series)
        total_volume = sum(s.total for s in series)
        since_id = entry.get("newest_id")
        newest = [since_id] if since_id else []
        fresh: list[Post] = []
        if new_volume > 0 or any(s.partial for s in new_series):
            share = new_volume / total_volume if total_volume else 1.0
            budget = min(sample_size, max(MIN_PAGE, round(sample_size * share)))
            await self._ledger.ensure_budget(
                Usage(posts_read=budget, users_read=budget, counts_requests=len(queries))
            )
            groups = _or_groups(queries)
            for group in groups:
                r = await self._source.search(
                    group,
                    Window(window.start, window.end),
                    ReadBudget(max(1, budget // len(groups)), self._max_seconds),
                    since_id=since_id,
                    sort="recency",
                )
                tally.search(r)
                fresh += r.posts
                newest += [r.newest_id] if r.newest_id else []
        # The engaged part is re-ranked with the newcomers; the recent part takes them first.
        keep_engaged = len(engaged)
        engaged = sorted(
            _dedupe([*engaged, *fresh]), key=lambda p: p.metrics.engagement, reverse=True
        )[:keep_engaged]
        recent = _dedupe([*fresh, *recent])
        newest_id = _max_id(newest + [p.id for p in fresh])
        return await self._finish(
            queries,
            window,
            family,
            series,
            engaged,
            recent,
            newest_id,
            tally,
            incremental=True,
            sample_size=sample_size,
        )

    # -- common -------------------------------------------------------------------------------

    async def _finish(
        self,
        queries: tuple[str, ...],
        window: Window,
        family: str,
        series: tuple[CountSeries, ...],
        engaged: list[Post],
        recent: list[Post],
        newest_id: str | None,
        tally: _Read,
        *,
        incremental: bool,
        sample_size: int,
    ) -> ListeningResult:
        engaged = _dedupe(engaged)
        engaged_ids = {p.id for p in engaged}
        recent = [p for p in _dedupe(recent) if p.id not in engaged_ids]
        # Never more than `sample_size`: keep at least half for the recent part if it has them.
        recent = recent[: min(len(recent), max(sample_size - len(engaged), sample_size // 2))]
        engaged = engaged[: sample_size - len(recent)]
        cost = await self._ledger.record(
            post_ids=tally.post_ids,
            user_ids=tally.user_ids,
            counts_requests=tally.counts_requests,
        )
        await self._cache_posts([*engaged, *recent])
        reasons = tuple(dict.fromkeys(tally.reasons))
        entry = {
            "queries": list(queries),
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "engaged_ids": [p.id for p in engaged],
            "recent_ids": [p.id for p in recent],
            "counts": [_series_to_json(s) for s in series],
            "newest_id": newest_id,
            "partial": bool(reasons),
            "reasons": list(reasons),
        }
        if not reasons:  # a partial read is not cached: the next ask tries again
            await self._store.write(
                _window_key(family, window),
                make_record(WINDOW_KIND, SCHEMA, entry, now=self._clock.now()),
            )
        return ListeningResult(
            queries=queries,
            window=window,
            counts=series,
            sample=(*engaged, *recent),
            engaged_ids=tuple(p.id for p in engaged),
            recent_ids=tuple(p.id for p in recent),
            languages=_languages(recent or engaged),
            cost=cost,
            requests=tally.requests,
            partial=bool(reasons),
            reasons=reasons,
            incremental=incremental,
        )

    async def _from_cache(self, queries: tuple[str, ...], entry: dict[str, Any]) -> ListeningResult:
        ids = list(dict.fromkeys([*entry["engaged_ids"], *entry["recent_ids"]]))
        posts = await self._load_posts(ids)
        engaged = [posts[i] for i in entry["engaged_ids"] if i in posts]
        recent = [posts[i] for i in entry["recent_ids"] if i in posts]
        return ListeningResult(
            queries=queries,
            window=Window(_time(entry["start"]), _time(entry["end"])),
            counts=tuple(_series_from_json(s) for s in entry["counts"]),
            sample=(*engaged, *recent),
            engaged_ids=tuple(p.id for p in engaged),
            recent_ids=tuple(p.id for p in recent),
            languages=_languages(recent or engaged),
            cost=CostLine(posts_billed=0),
            requests=0,
            from_cache=True,
        )

    async def _find_cached(
        self, family: str, window: Window, now: datetime
    ) -> tuple[str, dict[str, Any], datetime] | None:
        prefix = f"cache/windows/{family}/{_stamp(window.start)}/"
        best: tuple[str, dict[str, Any], datetime] | None = None
        for key in await self._store.list(prefix):
            found = await self._store.read(key)
            if found is None:
                continue
            try:
                record = parse_record(found.value, kind=WINDOW_KIND, schema=SCHEMA)
            except CorruptRecord:
                log.warning("listening: unreadable cache entry %s ignored", key)
                continue
            written = record.written_at or found.last_modified
            if written is None or now - written >= self._extend_within:
                continue
            end = _time(record.data["end"])
            if end > window.end + self._ttl:
                continue
            if best is None or end > _time(best[1]["end"]):
                best = (key, record.data, written)
        return best

    async def cached_post(self, post_id: str) -> Post | None:
        """A post Pulse has read (within the cache retention), without any X call."""
        return (await self._load_posts([post_id])).get(post_id)

    async def _cache_posts(self, posts: Iterable[Post]) -> None:
        gate = asyncio.Semaphore(STORE_CONCURRENCY)
        now = self._clock.now()

        async def put(post: Post) -> None:
            async with gate:
                await self._store.write(
                    f"cache/posts/{post.id}",
                    make_record(POST_KIND, SCHEMA, post_to_json(post), now=now),
                )

        await asyncio.gather(*(put(p) for p in posts))

    async def _load_posts(self, ids: list[str]) -> dict[str, Post]:
        gate = asyncio.Semaphore(STORE_CONCURRENCY)

        async def get(post_id: str) -> Post | None:
            async with gate:
                found = await self._store.read(f"cache/posts/{post_id}")
            if found is None:
                return None  # purged meanwhile
            try:
                return post_from_json(parse_record(found.value, kind=POST_KIND, schema=SCHEMA).data)
            except (CorruptRecord, KeyError, ValueError):
                return None

        loaded = await asyncio.gather(*(get(i) for i in ids))
        return {p.id: p for p in loaded if p is not None}


# -- helpers --------------------------------------------------------------------------------


def _split(per_group: int, volume: int, counts_unknown: bool) -> tuple[int, int]:
    """(engaged, recent) budgets. When everything fits, one recency read gets it all."""
    if not counts_unknown and volume == 0:
        return 0, 0
    if not counts_unknown and volume <= per_group:
        return 0, per_group  # X returns only what exists: the same bill, one request
    if per_group < 2 * MIN_PAGE:  # two reads would each be billed a page of 10
        return per_group, 0
    engaged = per_group // 2
    return engaged, per_group - engaged


def _or_groups(queries: Sequence[str]) -> list[str]:
    """Pack the queries into as few `(a) OR (b)` searches as fit X's 512 characters."""
    groups: list[str] = []
    current: list[str] = []
    for q in queries:
        candidate = " OR ".join(f"({x})" for x in [*current, q])
        if current and len(candidate) > MAX_QUERY_LENGTH:
            groups.append(_join(current))
            current = [q]
        else:
            current.append(q)
    if current:
        groups.append(_join(current))
    return groups


def _join(queries: list[str]) -> str:
    return queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)


def _granularity_for(window: Window) -> Granularity:
    span = window.end - window.start
    if span <= timedelta(hours=3):
        return Granularity.MINUTE
    if span <= timedelta(days=3):
        return Granularity.HOUR
    return Granularity.DAY


def _align(dt: datetime, granularity: Granularity) -> datetime:
    if granularity is Granularity.MINUTE:
        return dt.replace(second=0, microsecond=0)
    if granularity is Granularity.HOUR:
        return dt.replace(minute=0, second=0, microsecond=0)
    return dt.replace(hour=0, minute=0, second=0, microsecond=0)


def _merge(old: CountSeries, new: CountSeries) -> CountSeries:
    """Append the new stretch; a bucket cut at the old end is glued back together."""
    buckets = list(old.buckets)
    for b in new.buckets:
        if buckets and _align(buckets[-1].start, old.granularity) == _align(
            b.start, old.granularity
        ):
            last = buckets.pop()
            b = CountBucket(start=last.start, end=b.end, count=last.count + b.count)
        buckets.append(b)
    return CountSeries(
        query=old.query,
        granularity=old.granularity,
        buckets=tuple(buckets),
        total=old.total + new.total,
        partial=old.partial or new.partial,
        reason=new.reason or old.reason,
        requests=new.requests,
    )


def _dedupe(posts: Iterable[Post]) -> list[Post]:
    seen: set[str] = set()
    out = []
    for p in posts:
        if p.id not in seen:
            seen.add(p.id)
            out.append(p)
    return out


def _languages(posts: Sequence[Post]) -> tuple[tuple[str, float], ...]:
    if not posts:
        return ()
    counter = Counter((p.lang or "und") for p in posts)
    n = len(posts)
    return tuple((lang, round(c / n, 4)) for lang, c in counter.most_common())


def _max_id(ids: Iterable[str | None]) -> str | None:
    numeric = [int(i) for i in ids if i and i.isdigit()]
    if numeric:
        return str(max(numeric))
    others = [i for i in ids if i]
    return max(others) if others else None


def _family(queries: Sequence[str], sample_size: int, history: timedelta = timedelta(0)) -> str:
    raw = "\n".join(sorted(q.lower() for q in queries)) + f"\n{sample_size}"
    if history:
        raw += f"\nhistory={int(history.total_seconds())}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def _window_key(family: str, window: Window) -> str:
    return f"cache/windows/{family}/{_stamp(window.start)}/{_stamp(window.end)}"


def _time(value: str) -> datetime:
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def post_to_json(post: Post) -> JSON:
    a, m = post.author, post.metrics
    return {
        "id": post.id,
        "text": post.text,
        "created_at": post.created_at.isoformat(),
        "lang": post.lang,
        "author": {
            "id": a.id,
            "handle": a.handle,
            "name": a.name,
            "followers": a.followers,
            "verified": a.verified,
            "description": a.description,
        },
        "metrics": {
            "likes": m.likes,
            "reposts": m.reposts,
            "replies": m.replies,
            "quotes": m.quotes,
            "impressions": m.impressions,
        },
        "reply_to_id": post.reply_to_id,
        "quote_of_id": post.quote_of_id,
        "conversation_id": post.conversation_id,
    }


def post_from_json(data: JSON) -> Post:
    a, m = data["author"], data.get("metrics") or {}
    return Post(
        id=str(data["id"]),
        text=str(data["text"]),
        created_at=_time(data["created_at"]),
        author=Author(
            id=str(a["id"]),
            handle=str(a["handle"]),
            name=str(a.get("name", "")),
            followers=int(a.get("followers", 0)),
            verified=bool(a.get("verified")),
            description=str(a.get("description", "")),
        ),
        lang=data.get("lang"),
        metrics=Metrics(
            likes=int(m.get("likes", 0)),
            reposts=int(m.get("reposts", 0)),
            replies=int(m.get("replies", 0)),
            quotes=int(m.get("quotes", 0)),
            impressions=m.get("impressions"),
        ),
        reply_to_id=data.get("reply_to_id"),
        quote_of_id=data.get("quote_of_id"),
        conversation_id=data.get("conversation_id"),
    )


def _series_to_json(s: CountSeries) -> JSON:
    return {
        "query": s.query,
        "granularity": s.granularity.value,
        "total": s.total,
        "buckets": [[b.start.isoformat(), b.end.isoformat(), b.count] for b in s.buckets],
    }


def _series_from_json(data: JSON) -> CountSeries:
    return CountSeries(
        query=data["query"],
        granularity=Granularity(data["granularity"]),
        buckets=tuple(CountBucket(_time(s), _time(e), int(c)) for s, e, c in data["buckets"]),
        total=int(data["total"]),
    )
