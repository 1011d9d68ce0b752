"""Ask Pulse: a question → understanding → insights → a grounded answer.

Figures come from the analysis only; the engine writes words around them. A model fault or an
invalid output falls back to the offline engine, with a notice.

What a model writes for an executive passes the same checks whatever the engine
(`_grounded`): a headline or summary that states a claim about a company the posts do not
make (bankruptcy, recall, lawsuit... `bot/domain/claims`), gives an instruction ("sell now"),
or states a figure found nowhere in the data is replaced by the offline engine's grounded
wording, with the notice `model_output.replaced`; such points and next steps are dropped. The
headline carries no claim at all: it speaks for the figures. A claim the posts do make stays in
the summary or a point, marked as coming from posts (`Answer.from_posts`), never as a finding.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.analysis.summary import Analysis, DataFlag
from bot.domain.claims import Kind, categories_in, find_claims, supported
from bot.domain.grounding import allowed_numbers, no_posts_found, unsupported_numbers
from bot.i18n import t, t_list
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    EngineError,
    Intent,
    LanguageEngine,
    Period,
    SamplePost,
    Understanding,
    Vocabulary,
)
from bot.ports.posts import Post, Window
from bot.ports.store import StorageError
from bot.services.crisis_history import CrisisHistory, History, is_past
from bot.services.insights import Focus, Insights, InsightsService

logger = logging.getLogger(__name__)

_URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)
_HANDLE_RE = re.compile(r"(?<![\w@])@(\w{1,15})")
_MARKUP_RE = re.compile(r"<[^>]{0,200}>|!?\[([^\]]{0,200})\]\([^)]{0,500}\)")


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    understanding: Understanding
    insights: Insights
    draft: AnswerDraft
    cited: tuple[Post, ...]
    figures: dict[str, str | int | float]
    notices: tuple[str, ...] = field(default_factory=tuple)
    # Parts that state what posts say, not what the figures show: "summary", "point:<i>".
    from_posts: frozenset[str] = frozenset()
    history: History | None = None  # past crisis events, for crisis questions

    @property
    def analysis(self) -> Analysis:
        return self.insights.analysis


def focus_of(understanding: Understanding) -> Focus:
    if understanding.intent is Intent.COMPETITORS:
        return Focus.COMPETITOR
    if understanding.intent is Intent.TRENDS:
        return Focus.SECTOR
    return Focus.COMPANY


UNKNOWN_LEVEL = "unknown"
_LEVEL_NEEDS = frozenset({DataFlag.NO_COUNTS, DataFlag.COUNTS_PARTIAL})


def alert_level(insights: Insights) -> str:
    """The crisis level, or "unknown" when the data to tell is missing: a calm reading of
    counts that X did not give (rate limit, counts unavailable) must not reassure anyone. A
    raised level found on partial data stands: it is a signal."""
    level = insights.analysis.crisis.level.value
    if level != "calm":
        return level
    if _LEVEL_NEEDS & set(insights.analysis.flags) or "rate_limited" in (
        insights.listening.reasons
    ):
        return UNKNOWN_LEVEL
    return level


def figures_of(insights: Insights) -> dict[str, str | int | float]:
    """Every number an answer may state, computed by the analysis (absent when unknown)."""
    a = insights.analysis
    figures: dict[str, str | int | float] = {
        "sample_size": a.sample_size,
        "distinct_posts": a.distinct_posts,
        "posts_read": insights.listening.cost.posts_read,
        "crisis_level": alert_level(insights),
        "crisis_score": round(a.crisis.score, 2),
    }
    # What each figure counts: volumes are all mentions of the subject (the counts endpoint,
    # nothing sampled); tone and themes are over the posts read (the sample of the same window).
    figures["mentions_scope"] = "topic_mentions" if insights.topic else "all_mentions"
    figures["tone_scope"] = "posts_read"
    period_total = mentions_in_window(insights)
    if period_total is not None:
        figures["total_mentions"] = period_total
    if a.today_mentions is not None:
        figures["today_mentions"] = a.today_mentions
    vol = a.volume
    # The comparison with the usual is a day's (so far) against the same hours of the previous
    # days: it describes a window within that day, never a week's total.
    if vol is not None and insights.window.start < vol.since:
        vol = None
    if vol is not None:
        if vol.usual_median is not None:
            figures["usual_mentions"] = round(vol.usual_median)
        if vol.ratio is not None:
            figures["volume_ratio"] = round(vol.ratio, 2)
        if vol.change_pct is not None:
            figures["volume_change_pct"] = vol.change_pct
        figures["volume_level"] = vol.level.value
        figures["trend"] = vol.trend.value
    split = a.sentiment
    total = split.negative + split.neutral + split.positive
    if total:
        figures.update(
            negative=split.negative,
            neutral=split.neutral,
            positive=split.positive,
            negative_share=round(split.negative / total, 2),
            neutral_share=round(split.neutral / total, 2),
            positive_share=round(split.positive / total, 2),
        )
    named = [t for t in a.themes.themes if not t.is_other and t.label]
    if named:
        figures["top_theme"] = named[0].label
        figures["themes_count"] = len(named)
    if insights.focus is Focus.SECTOR:
        figures["subject"] = insights.label
    if insights.focus is Focus.COMPETITOR and insights.label != "competitors":
        figures["competitor"] = insights.label
    if insights.topic:
        figures["subject"] = insights.topic
    if a.voices:
        figures["top_voice_handle"] = a.voices[0].author.handle
        figures["top_voice_followers"] = a.voices[0].followers
        if a.voices[0].stance is not None:
            figures["top_voice_stance"] = a.voices[0].stance.value.lower()
    if a.campaigns:
        figures["campaign_copies"] = a.campaigns[0].size
    if a.crisis.hour is not None and a.crisis.hour.spike:
        figures["peak_time"] = a.crisis.hour.start.strftime("%H:%M")
    return figures


def history_figures(
    history: History, period: Period, lang: str, tz: str
) -> dict[str, str | int | float]:
    """The figures of the worst past event of the period (none when the period was calm).
    For a past period, the period's crisis level and score are those of its worst event."""
    worst = history.worst
    if worst is None:
        return {}
    local = worst.start.astimezone(ZoneInfo(tz))
    weekdays = t_list("fr" if lang == "fr" else "en", "offline.weekdays")
    when = t(
        "fr" if lang == "fr" else "en",
        "offline.when",
        weekday=weekdays[local.weekday()],
        day=local.day,
        time=local.strftime("%H:%M"),
    )
    out: dict[str, str | int | float] = {
        "past_crisis_level": worst.peak_level,
        "past_crisis_start": when,
        "past_crisis_events": len(history.events),
        "past_crisis_alerts": worst.alerts_sent,
        "past_crisis_drafts": worst.drafts_approved,
        "past_crisis_score": round(worst.peak_score, 2),
        "past_crisis_scope": "period" if is_past(period) else "recent",
    }
    if worst.observed is not None and worst.expected is not None:
        out["past_crisis_observed"] = worst.observed
        out["past_crisis_usual"] = round(worst.expected)
    if worst.themes:
        out["past_crisis_theme"] = worst.themes[0]
    if is_past(period):
        out["crisis_level"] = worst.peak_level
        out["crisis_score"] = round(worst.peak_score, 2)
    return out


def nothing_found(figures: dict[str, str | int | float]) -> bool:
    """No post read and none counted over the period: the answer must say "no posts about X",
    not describe a volume (`bot.domain.grounding.no_posts_found`)."""
    return no_posts_found(figures)


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def mentions_in_window(insights: Insights) -> int | None:
    """Mentions over the question's period (the counts also cover the baseline days)."""
    series = insights.listening.counts
    if not series:
        return None
    start, end = insights.window.start, insights.window.end
    return sum(b.count for s in series for b in s.buckets if b.end > start and b.start < end)


def themes_of(analysis: Analysis) -> list[dict[str, str | int | float]]:
    out: list[dict[str, str | int | float]] = []
    for theme in analysis.themes.themes:
        if theme.is_other or not theme.label:
            continue
        s = theme.sentiment
        n = max(1, s.negative + s.neutral + s.positive)
        out.append(
            {
                "label": theme.label,
                "size": theme.size,  # distinct posts read (copies count once)
                "posts_read": theme.posts,
                "share": round(theme.share, 2),
                "negative_share": round(s.negative / n, 2),
                "positive_share": round(s.positive / n, 2),
            }
        )
    return out


def sample_posts(analysis: Analysis) -> list[SamplePost]:
    theme_of = analysis.themes.theme_of
    themes = analysis.themes.themes
    out: list[SamplePost] = []
    for i, ap in enumerate(analysis.posts):
        theme = themes[theme_of[i]] if i < len(theme_of) and theme_of[i] >= 0 else None
        post = ap.post
        out.append(
            SamplePost(
                id=post.id,
                text=post.text,
                author=post.author.handle,
                followers=post.author.followers,
                lang=ap.lang,
                sentiment=ap.sentiment.value,
                theme=theme.label if theme is not None and not theme.is_other else None,
                url=post.url,
                engagement=post.metrics.engagement,
            )
        )
    return out


def notices_of(insights: Insights) -> list[str]:
    """Data caveats as codes (the analysis' flags), for the engine to phrase."""
    return list(dict.fromkeys(flag.value for flag in insights.analysis.flags))


def neutralise(text: str, allowed_handles: set[str], allowed_urls: set[str]) -> str:
    """Links, handles and markup that are not in the posts never reach a card."""
    text = _MARKUP_RE.sub(lambda m: m.group(1) or "", text)
    text = _URL_RE.sub(lambda m: m.group(0) if m.group(0) in allowed_urls else "", text)
    text = _HANDLE_RE.sub(
        lambda m: m.group(0) if m.group(1).lower() in allowed_handles else m.group(1), text
    )
    return re.sub(r"[ \t]{2,}", " ", text).strip()


MODEL_REPLACED = "model_output.replaced"


class _Grounding:
    """Checks one text of an answer against the request's data."""

    def __init__(self, request: AnswerRequest) -> None:
        self._sources: frozenset[tuple[Kind, str]] = categories_in(p.text for p in request.posts)
        self._numbers = allowed_numbers(
            [
                *request.figures.values(),
                *(v for t in request.themes for v in t.values()),
                request.question,
                *(p.text for p in request.posts),
            ]
        )

    def verdict(self, text: str, *, headline: bool = False) -> str:
        """The verdict on `text`: "ok"; "posts" (a claim the posts make too); "bad" (an
        invented figure, a claim the posts do not make, an instruction; in a headline, any
        claim)."""
        if unsupported_numbers(text, self._numbers):
            return "bad"
        hits = find_claims(text)
        if not hits:
            return "ok"
        if headline or not all(supported(h, self._sources) for h in hits):
            return "bad"
        return "posts"


class AskService:
    def __init__(
        self,
        insights: InsightsService,
        engine: LanguageEngine,
        offline: LanguageEngine,
        history: CrisisHistory | None = None,
    ) -> None:
        self._insights = insights
        self._engine = engine
        self._offline = offline
        self._history = history
        # Model-given theme names per insights snapshot and language: asked once, then reused.
        self._names: dict[tuple[int, str], tuple[Insights, Insights]] = {}

    async def named_themes(self, insights: Insights, lang: str) -> Insights:
        """With a model configured, the insights with its themes named by the model in `lang`
        (one batched call per snapshot); otherwise, or on any fault, the key phrases stay."""
        namer = getattr(self._engine, "name_themes", None)
        if namer is None or self._engine.offline:
            return insights
        key = (id(insights), lang)
        hit = self._names.get(key)
        if hit is not None and hit[0] is insights:
            return hit[1]
        a = insights.analysis
        named = [t for t in a.themes.themes if not t.is_other and t.label]
        if not named:
            return insights
        material = [
            (list(t.keywords), [a.posts[r.index].post.text for r in t.representatives])
            for t in named
        ]
        try:
            names = await namer(material, lang)
        except EngineError as exc:
            logger.warning("themes keep their key phrases (%s)", exc.code)
            return insights
        given = {id(t): n for t, n in zip(named, names, strict=False) if n}
        themes = tuple(replace(t, label=given.get(id(t), t.label)) for t in a.themes.themes)
        out = replace(insights, analysis=replace(a, themes=replace(a.themes, themes=themes)))
        if len(self._names) >= 64:
            self._names.pop(next(iter(self._names)))
        self._names[key] = (insights, out)
        return out

    async def vocabulary(self, tenant_id: str | None) -> Vocabulary | None:
        """The tenant's names from its watch profile; None (the engines' defaults) when the
        profile cannot be read: a storage fault must not stop a question being understood."""
        try:
            profile = await self._insights.profiles.get(tenant_id)
        except StorageError as exc:
            logger.warning("no watch profile for understanding (%s)", exc.__class__.__name__)
            return None
        return profile.vocabulary()

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        tenant_id: str | None = None,
    ) -> Understanding:
        """What the question asks, read with the asking tenant's names."""
        vocabulary = await self.vocabulary(tenant_id)
        try:
            return await self._engine.understand(text, lang, previous, vocabulary)
        except EngineError as exc:
            logger.warning("understanding fell back to the offline classifier (%s)", exc.code)
            return await self._offline.understand(text, lang, previous, vocabulary)

    async def answer(
        self,
        question: str,
        understanding: Understanding,
        *,
        tenant_id: str | None,
        tz: str = "Europe/Paris",
    ) -> Answer:
        period = understanding.period
        if understanding.intent is Intent.CRISIS and period is Period.TODAY:
            period = Period.LAST_24H
        insights = await self._insights.compute(
            tenant_id,
            focus=focus_of(understanding),
            competitor=understanding.competitor,
            topic=understanding.topic if understanding.intent is Intent.TOPIC else None,
            period=period,
            tz=tz,
            day=_iso_date(understanding.date) if period is Period.DATE else None,
            daypart=understanding.daypart,
            lang=understanding.lang,
        )
        insights = await self.named_themes(insights, understanding.lang)
        figures = figures_of(insights)
        notices = notices_of(insights)
        history = None
        if understanding.intent is Intent.CRISIS and self._history is not None:
            history = await self._past(tenant_id, understanding.period, insights.window, tz)
            if history is not None:
                figures.update(
                    history_figures(history, understanding.period, understanding.lang, tz)
                )
        if insights.beyond_reach:
            notices.insert(0, "beyond_reach")
        posts = sample_posts(insights.analysis)
        request = AnswerRequest(
            question=question,
            understanding=understanding,
            figures=figures,
            themes=themes_of(insights.analysis),
            posts=posts,
            notices=notices,
        )
        try:
            # Nothing read, nothing counted: the offline engine's plain "no posts about X"
            # (a model has nothing to ground an answer on, and costs).
            plain = nothing_found(figures) or insights.beyond_reach
            engine = self._offline if plain else self._engine
            draft = await engine.write_answer(request)
        except EngineError as exc:
            logger.warning("answer fell back to the offline engine (%s)", exc.code)
            draft = await self._offline.write_answer(request)
            notices.append(f"engine.{exc.code}")
        draft = self._validated(draft, posts)
        draft, from_posts, replaced = await self._grounded(draft, request)
        if replaced:
            notices.append(MODEL_REPLACED)
        by_id = {ap.post.id: ap.post for ap in insights.analysis.posts}
        cited = tuple(by_id[i] for i in draft.cited_post_ids if i in by_id)
        return Answer(
            question,
            understanding,
            insights,
            draft,
            cited,
            figures,
            tuple(notices),
            from_posts=from_posts,
            history=history,
        )

    async def _past(
        self, tenant_id: str | None, period: Period, window: Window, tz: str
    ) -> History | None:
        """The crisis events of the question's window (for "now", the last 7 days: a crisis
        of the last days is still worth knowing); None when the history cannot be read."""
        assert self._history is not None
        if not is_past(period):
            now = self._insights.now()
            window = Window(now - timedelta(days=7), now)
        try:
            return await self._history.events(tenant_id, window, tz=tz)
        except Exception:
            logger.exception("crisis history unavailable for this answer")
            return None

    async def _grounded(
        self, draft: AnswerDraft, request: AnswerRequest
    ) -> tuple[AnswerDraft, frozenset[str], bool]:
        """The draft with every part checked against the data: (draft, parts from posts,
        whether model wording was replaced by the offline engine's)."""
        check = _Grounding(request)
        offline = draft.engine == "offline"
        headline_ok = check.verdict(draft.headline, headline=True) == "ok"
        summary_verdict = check.verdict(draft.summary)
        replaced = False
        if not offline and (not headline_ok or summary_verdict == "bad"):
            logger.warning("answer: model wording failed the checks; offline wording used")
            grounded = await self._offline.write_answer(request)
            fields: dict[str, Any] = {}
            if not headline_ok:
                fields["headline"] = grounded.headline
            if summary_verdict == "bad":
                fields["summary"] = grounded.summary
                summary_verdict = check.verdict(grounded.summary)
            draft = replace(draft, **fields)
            replaced = True
        from_posts: set[str] = {"summary"} if summary_verdict == "posts" else set()
        points: list[str] = []
        for point in draft.points:
            verdict = check.verdict(point)
            if verdict == "bad" and not offline:
                replaced = True
                continue
            if verdict == "posts":
                from_posts.add(f"point:{len(points)}")
            points.append(point)
        steps = [s for s in draft.next_steps if offline or check.verdict(s) != "bad"]
        replaced = replaced or len(steps) < len(draft.next_steps)
        return replace(draft, points=points, next_steps=steps), frozenset(from_posts), replaced

    @staticmethod
    def _validated(draft: AnswerDraft, posts: list[SamplePost]) -> AnswerDraft:
        """Whatever the engine: cited ids exist; foreign links, handles and markup removed."""
        ids = {p.id for p in posts}
        handles = {p.author.lower() for p in posts}
        urls = {p.url for p in posts}

        def clean(text: str) -> str:
            return neutralise(text, handles, urls)

        fields: dict[str, Any] = {
            "headline": clean(draft.headline),
            "summary": clean(draft.summary),
            "points": [clean(p) for p in draft.points],
            "next_steps": [clean(s) for s in draft.next_steps],
            "cited_post_ids": [i for i in dict.fromkeys(draft.cited_post_ids) if i in ids],
        }
        return replace(draft, **fields)
