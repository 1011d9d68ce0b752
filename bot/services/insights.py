"""From a question's focus and period to grounded insights: listening (counts + a bounded
sample, cached) then the local analysis. Shared by answers, briefings and alerts: the same
tenant, focus and period are computed once and reused within a short time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.analysis import AnalysedPost, to_sentiment
from bot.domain.analysis.summary import Analysis, analyse
from bot.domain.analysis.themes import topic_matches
from bot.domain.costs import CostLine
from bot.domain.queries import build_queries, term_operator
from bot.domain.sentiment import TextAnalysis, analyse_texts
from bot.domain.text import fold
from bot.domain.understanding.periods import period_bounds
from bot.domain.watch import WatchProfile
from bot.ports.clock import Clock
from bot.ports.embeddings import Vectors
from bot.ports.language import Period
from bot.ports.posts import CountBucket, CountSeries, Granularity, Post, Window
from bot.services.embeddings import PostEmbeddings
from bot.services.listening import ListeningResult, ListeningService
from bot.services.profiles import ProfileRepository
from bot.services.sentiment import ScoredSample

logger = logging.getLogger(__name__)

X_RECENT_LIMIT = timedelta(days=7) - timedelta(minutes=1)
BASELINE_DAYS = 7
MEMO_SECONDS = 120


class Focus(StrEnum):
    COMPANY = "company"
    COMPETITOR = "competitor"
    SECTOR = "sector"


@dataclass(frozen=True, slots=True)
class Insights:
    tenant_id: str | None
    focus: Focus
    label: str  # the company's, a competitor's name, or "sector"
    topic: str | None
    period: Period
    window: Window
    tz: str
    listening: ListeningResult
    analysis: Analysis
    profile: WatchProfile
    beyond_reach: bool = False  # the period is older than X's recent search: nothing to read
    sentiment_by: ScoredSample | None = None
    """Set when a language model was asked for the sample's sentiment: who answered, its tokens."""

    @property
    def partial(self) -> bool:
        return self.listening.partial


def period_window(
    period: Period,
    now: datetime,
    tz: tzinfo,
    day: date | None = None,
    daypart: str | None = None,
) -> tuple[Window, timedelta]:
    """The sample window of a period, and how far back the counts go for the baseline.

    Every `Period` has a window: a weekday ("lundi": the most recent such day), "since
    Tuesday", "this morning" and an explicit date (`day`, with an optional `daypart`) come
    from `period_bounds`; a window is never older than X's recent search reaches."""
    local_now = now.astimezone(tz)
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=tz)
    if period is Period.YESTERDAY and daypart is None:
        start = midnight - timedelta(days=1)
        return Window(start, midnight), _history(start, now)
    if period is Period.LAST_24H:
        return Window(now - timedelta(hours=24), now), _history(now - timedelta(hours=24), now)
    if period in (Period.THIS_WEEK, Period.LAST_7_DAYS):
        return Window(now - X_RECENT_LIMIT, now), timedelta(0)
    if period is Period.TODAY and daypart is None:
        start = midnight if midnight < now else now - timedelta(minutes=1)
        return Window(start, now), _history(start, now)
    start, end = period_bounds(period, now, tz, day, daypart)
    oldest = now - X_RECENT_LIMIT
    if end <= oldest + timedelta(
        minutes=1
    ):  # wholly out of X's reach: an empty window at its edge (no data)
        return Window(oldest, oldest + timedelta(minutes=1)), timedelta(0)
    start = max(start, oldest)
    return Window(start, end), _history(start, now)


def beyond_reach(window: Window, now: datetime) -> bool:
    """Whether a window is the empty one of a period X's recent search cannot reach."""
    return window.end <= now - X_RECENT_LIMIT + timedelta(minutes=1)


def _unbilled(insights: Insights) -> Insights:
    """Insights from a snapshot already read: nothing was read from X for this ask, and its cost
    line says so (the first ask's line belongs to the first ask)."""
    free = replace(insights.listening, cost=CostLine(posts_billed=0), from_cache=True)
    return replace(insights, listening=free)


def _history(start: datetime, now: datetime) -> timedelta:
    """As many previous days as X's 7-day recent window allows, in whole hours (the baseline's
    counts are hourly): the same for every ask within the hour, so a re-ask finds the listening
    cache instead of reading (and paying for) the posts again."""
    span = max(timedelta(0), min(timedelta(days=BASELINE_DAYS), X_RECENT_LIMIT - (now - start)))
    return timedelta(hours=int(span.total_seconds() // 3600))


def merge_series(series: Sequence[CountSeries]) -> CountSeries | None:
    """One series from the per-query ones (queries of one focus are disjoint by design)."""
    if not series:
        return None
    if len(series) == 1:
        return series[0]
    totals: dict[tuple[datetime, datetime], int] = {}
    for s in series:
        for b in s.buckets:
            totals[(b.start, b.end)] = totals.get((b.start, b.end), 0) + b.count
    buckets = tuple(CountBucket(start, end, n) for (start, end), n in sorted(totals.items()))
    return CountSeries(
        query=" OR ".join(s.query for s in series),
        granularity=series[0].granularity,
        buckets=buckets,
        total=sum(s.total for s in series),
        partial=any(s.partial for s in series),
        reason=next((s.reason for s in series if s.reason), None),
    )


def topic_operator(topic: str) -> str:
    """The topic as an X operator, singular and plural (X matches whole words, no stemming)."""
    topic = topic.strip()
    variants = [topic]
    if " " not in topic and len(topic) > 3:
        variants.append(topic[:-1] if topic.endswith(("s", "x")) else topic + "s")
    operators = [term_operator(v) for v in variants]
    return operators[0] if len(operators) == 1 else "(" + " OR ".join(operators) + ")"


@dataclass(slots=True)
class _Snapshot:
    """One read of a window (counts and sample together) and its vectors: every answer about
    that window within `MEMO_SECONDS` quotes the figures computed from it."""

    at: float
    result: ListeningResult
    vectors: Vectors | None
    topic_vector: Vectors | None
    scored: ScoredSample | None = None  # the model's sentiment labels, when it scores
    by_lang: dict[str | None, Insights] = field(default_factory=dict)


def _sample_posts(
    result: ListeningResult,
    topic: str | None,
    vectors: Vectors | None = None,
    topic_vector: Vectors | None = None,
) -> tuple[list[Post], Vectors | None]:
    """The sample's posts about `topic` (all of them without a topic, or when none is), and
    their vectors: the one matching of themes (`topic_matches`), meaning and words."""
    posts = list(result.sample)
    if not topic:
        return posts, vectors
    ok = topic_matches([p.text for p in posts], vectors, topic_vector, topic)
    kept = [i for i, yes in enumerate(ok) if yes] or list(range(len(posts)))
    return [posts[i] for i in kept], None if vectors is None else vectors[kept]


class InsightsService:
    def __init__(
        self,
        listening: ListeningService,
        profiles: ProfileRepository,
        clock: Clock,
        *,
        sample_size: int = 100,
        sentiment: Callable[[Iterable[str]], list[TextAnalysis]] = analyse_texts,
        model_sentiment: Callable[[list[tuple[str, str]]], Awaitable[ScoredSample]] | None = None,
        embeddings: PostEmbeddings | None = None,
    ) -> None:
        self._listening = listening
        self._profiles = profiles
        self._clock = clock
        self._sample_size = sample_size
        self._sentiment = sentiment
        # Optional (SENTIMENT_MODEL_SCORING): the sample labelled by the language model in one
        # batched call, the local labels as its fallback (bot/services/sentiment.py).
        self._model_sentiment = model_sentiment
        self._embeddings = embeddings
        self._memo: dict[tuple[object, ...], _Snapshot] = {}
        self._locks: dict[tuple[object, ...], asyncio.Lock] = {}

    @property
    def profiles(self) -> ProfileRepository:
        return self._profiles

    def now(self) -> datetime:
        return self._clock.now()

    async def compute(
        self,
        tenant_id: str | None,
        *,
        focus: Focus = Focus.COMPANY,
        competitor: str | None = None,
        topic: str | None = None,
        period: Period = Period.TODAY,
        tz: str = "Europe/Paris",
        day: date | None = None,
        daypart: str | None = None,
        lang: str | None = None,
    ) -> Insights:
        """The insights of one window: one snapshot (counts and sample read together), kept
        `MEMO_SECONDS`, so that asks within that time quote the same figures. `day` (for
        `Period.DATE`) and `daypart` ("evening" of a named day) narrow the period as the
        question did; `lang`: the language theme labels are preferably written in."""
        profile = await self._profiles.get(tenant_id)
        now = self._clock.now()
        zone = ZoneInfo(tz)
        window, history = period_window(period, now, zone, day, daypart)
        label, queries = self._queries(profile, focus, competitor)
        if topic:
            queries = self._with_topic(queries, topic)
        memo_key = (
            tenant_id,
            focus,
            label,
            topic,
            period,
            tz,
            window.start.replace(second=0),
            window.end.replace(second=0) if window.end < now else None,  # a past day's end
            queries,
        )
        lock = self._locks.setdefault(memo_key, asyncio.Lock())
        async with lock:  # the same insights asked by many at once are computed once
            memo = self._memo.get(memo_key)
            loop_now = asyncio.get_running_loop().time()
            reused = memo is not None and loop_now - memo.at < MEMO_SECONDS
            if memo is not None and reused:
                known = memo.by_lang.get(lang)
                if known is not None:
                    return _unbilled(known)
                # Same snapshot, labels in another language: the same figures.
            else:
                result = await self._listening.listen(
                    queries, window, self._sample_size, history=history
                )
                vectors = topic_vector = None
                if self._embeddings is not None:  # each post is encoded once, then reused
                    vectors = await self._embeddings.vectors(result.sample)
                    if topic and vectors is not None:
                        topic_vector = await self._embeddings.encode_text(topic)
                scored = None
                if self._model_sentiment is not None and result.sample:
                    posts, _ = _sample_posts(result, topic, vectors, topic_vector)
                    scored = await self._model_sentiment([(p.id, p.text) for p in posts])
                memo = _Snapshot(loop_now, result, vectors, topic_vector, scored)
            # CPU-bound (sentiment, themes): off the event loop, so other turns stay responsive.
            insights = await asyncio.to_thread(
                self._analyse,
                tenant_id,
                focus,
                label,
                topic,
                period,
                window,
                tz,
                zone,
                memo.result,
                profile,
                memo.vectors,
                memo.topic_vector,
                lang,
                memo.scored,
            )
            memo.by_lang[lang] = insights
            self._memo[memo_key] = memo
            self._forget_old(loop_now)
        return _unbilled(insights) if reused else insights

    async def company_counts(
        self, tenant_id: str | None, window: Window, granularity: Granularity
    ) -> CountSeries | None:
        """The tenant's company mentions counted over `window` (counts only, no posts read);
        None when nothing could be counted (rate limited, server error...)."""
        profile = await self._profiles.get(tenant_id)
        _label, queries = self._queries(profile, Focus.COMPANY, None)
        series = await self._listening.counts_only(queries, window, granularity)
        if not series or any(s.partial for s in series):
            return None
        return merge_series(series)

    def _queries(
        self, profile: WatchProfile, focus: Focus, competitor: str | None
    ) -> tuple[str, tuple[str, ...]]:
        sets = build_queries(profile)
        if focus is Focus.SECTOR and sets.sector is not None:
            return "sector", sets.sector.queries
        if focus is Focus.COMPETITOR and sets.competitors:
            wanted = fold(competitor or "")
            for qs in sets.competitors:
                if wanted and wanted in fold(qs.label):
                    return qs.label, qs.queries
            merged = tuple(q for qs in sets.competitors for q in qs.queries)
            return "competitors", merged
        return sets.company.label, sets.company.queries

    @staticmethod
    def _with_topic(queries: tuple[str, ...], topic: str) -> tuple[str, ...]:
        operator = topic_operator(topic)
        combined = tuple(f"({q}) {operator}" for q in queries)
        if any(len(q) > 512 for q in combined):
            logger.info("topic does not fit in the queries; the sample is filtered instead")
            return queries
        return combined

    def _analyse(
        self,
        tenant_id: str | None,
        focus: Focus,
        label: str,
        topic: str | None,
        period: Period,
        window: Window,
        tz: str,
        zone: ZoneInfo,
        result: ListeningResult,
        profile: WatchProfile,
        vectors: Vectors | None = None,
        topic_vector: Vectors | None = None,
        lang: str | None = None,
        scored: ScoredSample | None = None,
    ) -> Insights:
        posts, vectors = _sample_posts(result, topic, vectors, topic_vector)
        tagged = scored.results if scored is not None else self._sentiment([p.text for p in posts])
        analysed = [
            AnalysedPost(p, t.lang, to_sentiment(t.sentiment))
            for p, t in zip(posts, tagged, strict=True)
        ]
        counts = merge_series(result.counts)
        # Never a theme label: our names and handles, nor our spokespeople's (a person's name).
        people = [w for p in profile.spokespeople for w in (p.name, *p.handles)]
        exclude = [*profile.names, *profile.handles, *people]
        # A past period is read as if at its last second: "today" of the analysis is that day.
        past = period is Period.YESTERDAY or window.end < self._clock.now() - timedelta(minutes=1)
        as_of = window.end - timedelta(seconds=1) if past else window.end
        analysis = analyse(
            analysed,
            counts,
            as_of,
            zone,
            sample_partial=result.partial,
            exclude_terms=exclude,
            vectors=vectors,
            lang=lang,
        )
        return Insights(
            tenant_id,
            focus,
            label,
            topic,
            period,
            window,
            tz,
            result,
            analysis,
            profile,
            beyond_reach(window, self._clock.now()),
            scored,
        )

    def _forget_old(self, loop_now: float) -> None:
        for key in [k for k, snap in self._memo.items() if loop_now - snap.at > MEMO_SECONDS]:
            self._memo.pop(key, None)
            self._locks.pop(key, None)
