"""The offline answer: headline, summary, points, cited posts and next steps from the computed
figures only (a sentence whose figure is missing is left out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from bot.clients.offline.figures import ENGINE_NAME, Figures, format_figure, label_of, number_of
from bot.domain.grounding import no_posts_found
from bot.domain.text import fold
from bot.i18n import t, t_list
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    Intent,
    Period,
    SamplePost,
    Understanding,
)

__all__ = ["answer", "period_words"]

_MAX_POINTS: Final = 4
_MAX_CITED: Final = 6
_CAVEATS: Final = frozenset(
    {
        "no_counts",
        "counts_partial",
        "no_today",
        "baseline_short",
        "no_baseline",
        "early_in_day",
        "no_posts",
        "small_sample",
        "sample_partial",
        "future_posts_ignored",
        "demo_corpus",
        "beyond_reach",
    }
)
_WEEKDAYS: Final = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_WIDE_PERIODS: Final = frozenset({Period.THIS_WEEK, Period.LAST_7_DAYS})


def period_words(lang: str, u: Understanding) -> str:
    """The period of a question as the answer says it: « lundi soir », "since Tuesday",
    « le 3 décembre », "this morning" (words from `offline.periods`, `offline.dayparts`)."""
    if u.period is Period.DATE:
        try:
            day = date.fromisoformat(u.date or "")
        except ValueError:
            return t(lang, "offline.periods.date_unknown")
        number = t(lang, "offline.day_first") if day.day == 1 else str(day.day)
        month = t_list(lang, "offline.months")[day.month - 1]
        words = t(lang, "offline.periods.date", day=number, month=month)
    else:
        words = t(lang, f"offline.periods.{u.period.value}")
    named_day = u.period is Period.DATE or u.period.value in _WEEKDAYS
    if u.daypart and named_day:
        words = t(lang, f"offline.dayparts.{u.daypart}", period=words)
    return words


def _answer_lang(understanding: Understanding) -> str:
    return "fr" if understanding.lang == "fr" else "en"


def _headline(
    intent: Intent, f: Figures, lang: str, subject: str, period: str, competitor: str | None
) -> str:
    params = {"subject": subject, "period": period}
    decision = f.code("decision", ("respond", "escalate_to_comms", "watch", "ignore"))
    if intent == Intent.SHOULD_RESPOND and decision is not None:
        return t(lang, f"offline.headline.decision_{decision}")
    if intent == Intent.TRENDS:
        return t(lang, "offline.headline.trends", period=period)
    if intent == Intent.COMPETITORS:
        if competitor:
            return t(lang, "offline.headline.competitors", competitor=competitor, **params)
        return t(lang, "offline.headline.competitors_all", **params)
    if intent == Intent.SHOW_POSTS:
        return t(lang, "offline.headline.show_posts", **params)
    past = f.code("past_crisis_level", ("watch", "alert"))
    when = f.get("past_crisis_start")
    level = f.code("crisis_level", ("calm", "watch", "alert"))
    scope = f.code("past_crisis_scope", ("period", "recent"))
    if intent == Intent.CRISIS and past is not None and when is not None:
        if scope != "recent":
            return t(lang, f"offline.headline.crisis_past_{past}", when=when, **params)
        if level in (None, "calm"):  # calm now, but the last days were not
            return t(lang, f"offline.headline.crisis_recent_{past}", when=when, **params)
    if level is not None and (intent == Intent.CRISIS or level != "calm"):
        return t(lang, f"offline.headline.crisis_{level}", **params)
    volume = f.code("volume_level", ("much_higher", "higher", "usual", "lower", "much_lower"))
    if volume is not None:
        return t(lang, f"offline.headline.volume_{volume}", **params)
    count = f.get("total_mentions") or f.get("today_mentions")
    if count is not None:
        return t(lang, "offline.headline.count", count=count, **params)
    return t(lang, "offline.headline.no_data", **params)


def _summary(intent: Intent, f: Figures, lang: str, period: str, competitor: str | None) -> str:
    sentences: list[str] = []
    count = f.get("total_mentions") or f.get("today_mentions")
    ratio = f.get("volume_ratio")
    usual = f.get("usual_mentions")
    if intent == Intent.COMPETITORS and competitor:
        c_count = f.get("competitor_mentions")
        c_neg = f.get("competitor_negative_share")
        if c_count is not None and c_neg is not None:
            sentences.append(
                t(
                    lang,
                    "offline.summary.competitor_tone",
                    competitor=competitor,
                    count=c_count,
                    negative=c_neg,
                )
            )
        elif c_count is not None:
            sentences.append(
                t(lang, "offline.summary.competitor", competitor=competitor, count=c_count)
            )
        share = f.get("share_of_voice")
        if share is not None:
            sentences.append(t(lang, "offline.summary.share_of_voice", share=share))
    if count is not None and ratio is not None:
        sentences.append(
            t(lang, "offline.summary.volume_ratio", count=count, period=period, ratio=ratio)
        )
    elif count is not None and usual is not None:
        sentences.append(
            t(lang, "offline.summary.volume_usual", count=count, period=period, usual=usual)
        )
    elif count is not None:
        sentences.append(t(lang, "offline.summary.volume", count=count, period=period))
    elif ratio is not None:
        sentences.append(t(lang, "offline.summary.volume_ratio_only", ratio=ratio, period=period))
    negative, positive = f.get("negative_share"), f.get("positive_share")
    sample, usual_negative = f.get("sample_size"), f.get("usual_negative_share")
    if negative is not None and usual_negative is not None and intent == Intent.CRISIS:
        sentences.append(
            t(lang, "offline.summary.tone_usual", negative=negative, usual=usual_negative)
        )
    elif negative is not None and positive is not None and sample is not None:
        sentences.append(
            t(
                lang,
                "offline.summary.tone_sample",
                negative=negative,
                positive=positive,
                sample=sample,
            )
        )
    elif negative is not None and positive is not None:
        sentences.append(t(lang, "offline.summary.tone", negative=negative, positive=positive))
    elif negative is not None:
        sentences.append(t(lang, "offline.summary.tone_negative", negative=negative))
    extra: list[str] = []
    past_start = f.get("past_crisis_start")
    if past_start is not None and intent in (Intent.CRISIS, Intent.PULSE):
        observed, usual = f.get("past_crisis_observed"), f.get("past_crisis_usual")
        if observed is not None and usual is not None:
            sentences.append(
                t(lang, "offline.summary.crisis_past_volume", observed=observed, usual=usual)
            )
        sentences.append(
            t(
                lang,
                "offline.summary.crisis_past_actions",
                alerts=f.get("past_crisis_alerts") or "0",
                drafts=f.get("past_crisis_drafts") or "0",
            )
        )
    score = f.get("crisis_score")
    if score is not None and intent in (Intent.CRISIS, Intent.PULSE):
        extra.append(t(lang, "offline.summary.crisis", score=score))
    copies = f.get("campaign_copies")
    if copies is not None and intent in (Intent.CRISIS, Intent.PULSE, Intent.TOPIC):
        extra.append(t(lang, "offline.summary.campaign", copies=copies))
    theme = f.get("top_theme")
    if theme is not None:
        extra.append(t(lang, "offline.summary.top_theme", theme=theme))
    trend = f.code("trend", ("rising", "falling", "stable"))
    if trend is not None:
        extra.append(t(lang, f"offline.summary.trend_{trend}"))
    peak = f.get("peak_time")
    if peak is not None:
        extra.append(t(lang, "offline.summary.peak", time=peak))
    sentences.extend(extra)
    return " ".join(sentences[:3])


def _theme_points(themes: Sequence[dict[str, str | int | float]], lang: str) -> list[str]:
    points: list[str] = []
    for theme in themes:
        raw_label = theme.get("label")
        if not isinstance(raw_label, str):
            continue
        label = label_of(raw_label) or t(lang, "offline.other_theme")
        size = format_figure("sample_size", theme["size"], lang) if "size" in theme else None
        negative = (
            format_figure("negative_share", theme["negative_share"], lang)
            if "negative_share" in theme
            else None
        )
        share = format_figure("share_of_voice", theme["share"], lang) if "share" in theme else None
        if size is not None and negative is not None:
            points.append(
                t(lang, "offline.point.theme_tone", label=label, size=size, negative=negative)
            )
        elif size is not None:
            points.append(t(lang, "offline.point.theme", label=label, size=size))
        elif share is not None:
            points.append(t(lang, "offline.point.theme_share", label=label, share=share))
        else:
            points.append(t(lang, "offline.point.theme_label", label=label))
        if len(points) >= _MAX_POINTS:
            break
    return points


def _caveats(notices: Sequence[str], lang: str) -> list[str]:
    out: list[str] = []
    for code in notices:
        key = code if code in _CAVEATS else "other"
        text = t(lang, f"offline.caveat.{key}")
        if text not in out:
            out.append(text)
    return out


def _rank_key(post: SamplePost) -> tuple[int, int, str]:
    return (-post.engagement, -post.followers, post.id)


def _cited(
    intent: Intent, themes: Sequence[dict[str, str | int | float]], posts: Sequence[SamplePost]
) -> list[str]:
    """One or two representative posts per theme (the largest theme gets two), by engagement
    among the posts of the theme's dominant tone; without themes, the most engaging posts."""
    by_id = {p.id: p for p in posts}
    cited: list[str] = []

    def add(post_id: str) -> None:
        if post_id in by_id and post_id not in cited and len(cited) < _MAX_CITED:
            cited.append(post_id)

    if intent != Intent.SHOW_POSTS:
        for index, theme in enumerate(themes):
            label = theme.get("label")
            key = theme.get("key", label)
            if not isinstance(key, str):
                continue
            representative = theme.get("representative_id")
            if isinstance(representative, str):
                add(representative)
            members = [p for p in posts if p.theme is not None and fold(p.theme) == fold(key)]
            if not members:
                continue
            neg = number_of(theme.get("negative_share", 0.0)) or 0.0
            pos = number_of(theme.get("positive_share", 0.0)) or 0.0
            tone = "negative" if neg >= pos else "positive"
            toned = [p for p in members if p.sentiment == tone] or members
            want = 2 if index == 0 else 1
            already = sum(1 for p in members if p.id in cited)
            for post in sorted(toned, key=_rank_key):
                if already >= want:
                    break
                if post.id not in cited:
                    add(post.id)
                    already += 1
    limit = 5 if intent == Intent.SHOW_POSTS else 3
    if len(cited) < 1 or intent == Intent.SHOW_POSTS:
        for post in sorted(posts, key=_rank_key)[:limit]:
            add(post.id)
    return cited


NextStep = tuple[str, dict[str, str]]
_WATCH_THEME_NEGATIVE: Final = 0.5  # a theme at least this negative is worth watching
_WATCH_THEME_SIZE: Final = 3


def _negative_theme(
    themes: Sequence[dict[str, str | int | float]], lang: str
) -> tuple[str, str] | None:
    """(label, negative share as text) of the most negative sizeable theme, if any."""
    best: tuple[float, str] | None = None
    for theme in themes:
        label, share, size = theme.get("label"), theme.get("negative_share"), theme.get("size")
        if not isinstance(label, str) or not isinstance(share, int | float):
            continue
        if share < _WATCH_THEME_NEGATIVE or (isinstance(size, int) and size < _WATCH_THEME_SIZE):
            continue
        if best is None or share > best[0]:
            best = (float(share), label_of(label) or label)
    if best is None:
        return None
    return best[1], format_figure("negative_share", best[0], lang) or ""


def _next_steps(
    intent: Intent,
    f: Figures,
    themes: Sequence[dict[str, str | int | float]] = (),
    lang: str = "en",
) -> list[NextStep]:
    """Specific next steps (answer a voice, watch a theme, prepare a holding statement,
    nothing to do), or none when the figures do not support any (no posts, a listing)."""
    decision = f.code("decision", ("respond", "escalate_to_comms", "watch", "ignore"))
    if intent == Intent.SHOULD_RESPOND and decision is not None:
        code = {
            "respond": "draft_reply",
            "escalate_to_comms": "talk_to_comms",
            "watch": "keep_watching",
            "ignore": "no_action",
        }[decision]
        return [(code, {})]
    if intent in (Intent.SHOW_POSTS, Intent.EXPLAIN) or not f.number("sample_size"):
        return []  # nothing read, or a listing: no advice to give
    level = f.code("crisis_level", ("calm", "watch", "alert"))
    ratio = f.number("volume_ratio")
    negative = f.number("negative_share")
    positive = f.number("positive_share")
    voice = f.get("top_voice_handle")
    critical_voice = voice is not None and f.code("top_voice_stance", ("negative",)) is not None
    theme = _negative_theme(themes, lang)
    steps: list[NextStep] = []
    hot = (negative is not None and negative >= 0.5) and (ratio is not None and ratio >= 2.0)
    if level == "alert" or hot:
        steps += [("talk_to_comms", {}), ("holding_statement", {})]
    elif theme is not None:
        steps.append(("watch_theme", {"theme": theme[0], "negative": theme[1]}))
    elif level == "watch" or (ratio is not None and ratio >= 1.5):
        steps.append(("keep_watching", {}))
    if critical_voice and voice is not None:
        steps.append(("answer_voice", {"handle": voice.lstrip("@")}))
    if not steps and positive is not None and positive >= 0.5:
        steps.append(("draft_thanks", {}))
    if not steps and level in (None, "calm") and (negative is None or negative < 0.35):
        steps.append(("no_action", {}))
    return steps[:3]


def answer(request: AnswerRequest) -> AnswerDraft:
    """The deterministic answer (synchronous form of `write_answer`)."""
    u = request.understanding
    lang = _answer_lang(u)
    f = Figures(request.figures, lang)
    period = f.get("period_label") or period_words(lang, u)
    competitor = f.get("competitor") or label_of(u.competitor)
    subject = (
        f.get("subject")
        or (label_of(u.topic) if u.intent == Intent.TOPIC else None)
        or t(lang, "offline.us")
    )
    points = _theme_points(request.themes, lang)
    voice = f.get("top_voice_handle")
    if voice is not None and len(points) < _MAX_POINTS:
        points.append(t(lang, "offline.point.top_voice", handle=voice.lstrip("@")))
    beyond = "beyond_reach" in request.notices
    if beyond or no_posts_found(request.figures):
        steps = ["widen_period"] if u.period not in _WIDE_PERIODS else []
        steps += ["other_words"] if u.topic and not beyond else []
        key = "beyond_reach" if beyond else "no_posts"
        return AnswerDraft(
            headline=t(
                lang,
                f"offline.headline.{key}",
                subject=competitor if u.intent == Intent.COMPETITORS and competitor else subject,
                period=period,
            ),
            summary=t(lang, f"offline.summary.{key}"),
            points=[],
            cited_post_ids=[],
            next_steps=[t(lang, f"offline.next.{code}") for code in steps],
            engine=ENGINE_NAME,
            prompt=None,
            notice="offline",
        )
    points += _caveats(request.notices, lang)
    return AnswerDraft(
        headline=_headline(u.intent, f, lang, subject, period, competitor),
        summary=_summary(u.intent, f, lang, period, competitor),
        points=points,
        cited_post_ids=_cited(u.intent, request.themes, request.posts),
        next_steps=[
            t(lang, f"offline.next.{code}", **params)
            for code, params in _next_steps(u.intent, f, request.themes, lang)
        ],
        engine=ENGINE_NAME,
        prompt=None,
        notice="offline",
    )
