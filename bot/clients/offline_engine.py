"""The offline language engine: deterministic, extractive, bilingual (the demo default).

- `understand` is the question reader (`bot.domain.understanding`): a learned classifier over
  multilingual sentence embeddings, with rule-based slots.
- `write_answer` builds a headline, a 1–3 sentence summary, points, cited posts and next steps
  from the *computed* figures only. Nothing is invented: a figure that is absent means the
  sentence that needs it is left out. Post texts are never copied into the answer (they are
  untrusted); posts are only cited by id.
- `write_posts` offers template suggestions built from the editorial line's key messages and
  the brief, labelled as such in their rationale.

Every user-facing phrase is in `bot/locales/<lang>.offline.json` (top-level key `offline`).

Figures contract of `AnswerRequest.figures` (every key optional)
-----------------------------------------------------------------

Counts (int, or float rounded for display; shown with thousands separators):
    total_mentions        posts about the subject over the period (from the counts)
    today_mentions        posts since local midnight (used when total_mentions is absent and
                          the period is today)
    usual_mentions        the usual volume for the same span (e.g. the median of previous days)
    sample_size           posts read to compute the tone (shares below)
    competitor_mentions   posts about `competitor` over the period
    campaign_copies       size of the largest copy-paste group
    top_voice_followers   followers of `top_voice_handle`
Shares (float in [0, 1], shown as whole percents):
    negative_share, positive_share, neutral_share   tone of the sample
    usual_negative_share                             the usual negative share
    competitor_negative_share                        tone of the competitor's posts
    share_of_voice                                   our share of (us + competitors) mentions
Ratio (float, shown with one decimal as "×2.3"):
    volume_ratio          total (or today) / usual
Score (float in [0, 1], shown as "/100"):
    crisis_score
Codes (str, rendered through the catalogue; an unknown code is ignored):
    crisis_level          "calm" | "watch" | "alert"
    volume_level          "much_higher" | "higher" | "usual" | "lower" | "much_lower" | "unknown"
    trend                 "rising" | "stable" | "falling" | "unknown"
    decision              should-respond advice: "ignore" | "watch" | "respond" |
                          "escalate_to_comms"
Labels (str, shown as given, control characters removed, at most 60 characters):
    subject               what the figures are about (default: the understanding's topic or
                          competitor, else "us")
    period_label          overrides the period wording (default: from understanding.period)
    top_theme             label of the main theme
    competitor            competitor name (default: understanding.competitor)
    top_voice_handle      handle (without "@") of the most influential author
    peak_time             e.g. "18:00"

`AnswerRequest.themes`: dicts with `label` (str, "" = other), `size` (int, distinct posts),
optional `key` (the value of `SamplePost.theme` for its posts; default: the label), `share`,
`negative_share`, `positive_share` (floats in [0, 1]) and `representative_id` (a post id).

`AnswerRequest.notices`: data caveat codes, e.g. the analysis `DataFlag` values (`no_counts`,
`counts_partial`, `no_today`, `baseline_short`, `no_baseline`, `early_in_day`, `no_posts`,
`small_sample`, `sample_partial`, `future_posts_ignored`) and `demo_corpus`; unknown codes get
a generic caveat. They are rendered as the last points.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Final

from bot.clients.encoder import shared_encoder
from bot.domain.analysis.stopwords import ENGLISH, FRENCH
from bot.domain.editorial import EditorialError, EditorialLine, Lang, Pillar, fold
from bot.domain.grounding import no_posts_found
from bot.domain.language import detect_language
from bot.domain.understanding import understand as read_question
from bot.domain.understanding import warm_up
from bot.i18n import t, t_list
from bot.ports.embeddings import SentenceEncoder
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    DraftRequest,
    EngineError,
    Intent,
    Period,
    PostDraft,
    SamplePost,
    Understanding,
    Vocabulary,
)

__all__ = [
    "COUNT_KEYS",
    "RATIO_KEYS",
    "SCORE_KEYS",
    "SHARE_KEYS",
    "OfflineEngine",
    "format_figure",
    "no_posts_found",
    "period_words",
]

ENGINE_NAME: Final = "offline"
COUNT_KEYS: Final = frozenset(
    {
        "total_mentions",
        "today_mentions",
        "usual_mentions",
        "sample_size",
        "competitor_mentions",
        "campaign_copies",
        "top_voice_followers",
        "past_crisis_events",
        "past_crisis_observed",
        "past_crisis_usual",
        "past_crisis_alerts",
        "past_crisis_drafts",
    }
)
SHARE_KEYS: Final = frozenset(
    {
        "negative_share",
        "positive_share",
        "neutral_share",
        "usual_negative_share",
        "competitor_negative_share",
        "share_of_voice",
    }
)
RATIO_KEYS: Final = frozenset({"volume_ratio"})
SCORE_KEYS: Final = frozenset({"crisis_score"})
_LABEL_MAX: Final = 60
_MAX_POINTS: Final = 4
_MAX_CITED: Final = 6
_NNBSP: Final = "\u202f"  # French thousands separator and space before %
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
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _number(value: str | int | float) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None  # NaN is no number
    return None


def _group(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.replace(",", _NNBSP) if lang == "fr" else text


def format_figure(key: str, value: str | int | float, lang: str) -> str | None:
    """How figure `key` is shown in `lang`; None when it cannot be shown (wrong type, NaN)."""
    if key in COUNT_KEYS:
        number = _number(value)
        return None if number is None or number < 0 else _group(round(number), lang)
    if key in SHARE_KEYS:
        number = _number(value)
        if number is None or not 0.0 <= number <= 1.0:
            return None
        pct = round(number * 100)
        return f"{pct}{_NNBSP}%" if lang == "fr" else f"{pct}%"
    if key in RATIO_KEYS:
        number = _number(value)
        if number is None or number < 0:
            return None
        text = f"{number:.1f}"
        return "×" + (text.replace(".", ",") if lang == "fr" else text)
    if key in SCORE_KEYS:
        number = _number(value)
        return None if number is None or not 0.0 <= number <= 1.0 else str(round(number * 100))
    if isinstance(value, str):
        return _label(value)
    return None


def _label(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _CONTROL_RE.sub("", unicodedata.normalize("NFC", value)).strip()
    text = " ".join(text.split())
    if len(text) > _LABEL_MAX:
        text = text[: _LABEL_MAX - 1].rstrip() + "…"
    return text or None


class _Figures:
    """Formatted access to the figures: `get` is None when the figure is absent or unusable."""

    def __init__(self, figures: dict[str, str | int | float], lang: str) -> None:
        self._raw = figures
        self._lang = lang

    def get(self, key: str) -> str | None:
        value = self._raw.get(key)
        return None if value is None else format_figure(key, value, self._lang)

    def number(self, key: str) -> float | None:
        value = self._raw.get(key)
        return None if value is None else _number(value)

    def code(self, key: str, allowed: Sequence[str]) -> str | None:
        value = self._raw.get(key)
        return value if isinstance(value, str) and value in allowed else None


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


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
    intent: Intent, f: _Figures, lang: str, subject: str, period: str, competitor: str | None
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


def _summary(intent: Intent, f: _Figures, lang: str, period: str, competitor: str | None) -> str:
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
        label = _label(raw_label) or t(lang, "offline.other_theme")
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
            neg = _number(theme.get("negative_share", 0.0)) or 0.0
            pos = _number(theme.get("positive_share", 0.0)) or 0.0
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
            best = (float(share), _label(label) or label)
    if best is None:
        return None
    return best[1], format_figure("negative_share", best[0], lang) or ""


def _next_steps(
    intent: Intent,
    f: _Figures,
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


# --------------------------------------------------------------------------------------------
# Post templates
# --------------------------------------------------------------------------------------------

_SHORTER_RE: Final = re.compile(r"\b(?:shorter|plus court\w*|concis\w*|concise|brief|bref)\b")
_INFORMAL_RE: Final = re.compile(
    r"\b(?:less formal|moins formel\w*|casual|decontract\w*|informal|informel\w*|tutoie\w*)\b"
)
_FORMAL_RE: Final = re.compile(r"\b(?:more formal|plus formel\w*|formal|formel\w*|sobre)\b")
_ENGLISH_RE: Final = re.compile(r"\b(?:in english|en anglais|english|anglais)\b")
_FRENCH_RE: Final = re.compile(r"\b(?:in french|en francais|french|francais)\b")
_WORD_RE: Final = re.compile(r"[a-z0-9]{4,}")
_MAX_POST_CHARS: Final = 270  # leaves room under X's 280 for a link or a last touch
_MAX_VARIANTS: Final = 5


def _revision_flags(revision: str | None) -> dict[str, bool]:
    text = fold(revision or "")
    informal = bool(_INFORMAL_RE.search(text))
    return {
        "shorter": bool(_SHORTER_RE.search(text)),
        "informal": informal,
        "formal": not informal and bool(_FORMAL_RE.search(text)),
        "english": bool(_ENGLISH_RE.search(text)),
        "french": bool(_FRENCH_RE.search(text)),
    }


_STOPWORDS: Final = frozenset(fold(w) for w in FRENCH | ENGLISH)


def _content_words(text: str) -> set[str]:
    """The words that say what a text is about (« notre » and "with" say nothing)."""
    return {w for w in _WORD_RE.findall(fold(text)) if w not in _STOPWORDS}


def _ranked_pillars(line: EditorialLine, brief: str, lang: Lang) -> list[Pillar]:
    words = _content_words(brief)

    def overlap(pillar: Pillar) -> int:
        text = " ".join([pillar.id, *pillar.name.values(), *pillar.key_messages.get(lang, [])])
        return len(words & _content_words(text.replace("_", " ")))

    usable = [p for p in line.pillars if p.key_messages.get(lang)]
    indexed = sorted(enumerate(usable), key=lambda ip: (-overlap(ip[1]), ip[0]))
    return [p for _, p in indexed]


_PILLAR_NAME_WEIGHT: Final = 0.3  # a message counts more than its pillar's name
_SHARED_WORD_BONUS: Final = 0.25  # the topic's own words in a message (« freins »)


def _ranked_messages(
    line: EditorialLine, brief: str, lang: Lang, encoder: SentenceEncoder | None
) -> list[tuple[Pillar, str]]:
    """Every (pillar, key message) of `lang`, closest to the brief first: by meaning with the
    multilingual sentence encoder (« nouvelle batterie » is nearer the e-bike message than
    the workshop one), word overlap breaking ties; word overlap alone without an encoder."""
    pillars = _ranked_pillars(line, brief, lang)
    pairs = [(p, m) for p in pillars for m in p.key_messages[lang]]
    if encoder is None or not pairs or not brief.strip():
        # pillar order, then each pillar's messages in turn (the former behaviour)
        depth = max((len(p.key_messages[lang]) for p in pillars), default=0)
        return [
            (p, p.key_messages[lang][k])
            for k in range(depth)
            for p in pillars
            if k < len(p.key_messages[lang])
        ]
    try:
        names = [" ".join(p.name.values()) for p in pillars]
        vectors = encoder.encode([brief, *[m for _, m in pairs], *names])
    except Exception:  # the encoder is a bonus: word overlap still ranks
        return _ranked_messages(line, brief, lang, None)
    query = vectors[0]
    messages = vectors[1 : 1 + len(pairs)]
    words = _content_words(brief)

    def shared(message: str) -> int:
        return len(words & _content_words(message))

    name_of = {id(p): vectors[1 + len(pairs) + i] for i, p in enumerate(pillars)}
    rank_of = {id(p): i for i, p in enumerate(pillars)}
    scored = [
        (
            float(messages[i] @ query)
            + _PILLAR_NAME_WEIGHT * float(name_of[id(p)] @ query)
            + _SHARED_WORD_BONUS * shared(m),
            -rank_of[id(p)],
            i,
        )
        for i, (p, m) in enumerate(pairs)
    ]
    return [pairs[i] for *_, i in sorted(scored, reverse=True)]


def _clean_brief(brief: str) -> str:
    return " ".join(_CONTROL_RE.sub(" ", brief).split()).strip(" .!?;:—-")


def _hashtags(line: EditorialLine, text: str, shorter: bool) -> list[str]:
    """Required hashtags missing from `text`, or the first allowed one when there is none."""
    policy = line.hashtags
    present = {fold(tag.lstrip("#")) for tag in re.findall(r"#\w+", text)}
    tags = [tag for tag in policy.required if fold(tag.lstrip("#")) not in present]
    if not shorter and not tags and not present and policy.allowed:
        tags.append(policy.allowed[0])
    if policy.max_count is not None:
        tags = tags[: max(0, policy.max_count - len(present))]
    return tags


_CONTRACTIONS: Final = (
    (re.compile(r"\b([Dd])e le\b"), r"\1u"),
    (re.compile(r"\b([Dd])e les\b"), r"\1es"),
    (re.compile(r"\b([Àà]) le\b"), r"\1u"),
    (re.compile(r"\b([Àà]) les\b"), r"\1ux"),
)


def _contract(text: str) -> str:
    """French contractions the templates can create: "de le" → "du", "à les" → "aux"."""
    for regex, repl in _CONTRACTIONS:
        text = regex.sub(repl, text)
    return text


def _sign_off(line: EditorialLine, lang: str) -> str | None:
    for rule in line.disclosures:
        if rule.kind == "sign_off" and rule.applies((), lang) and not rule.when_flags:
            return rule.any_of[0]
    return None


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


class OfflineEngine:
    """`LanguageEngine` without a model. Tenant context sharpens the classifier."""

    def __init__(
        self,
        *,
        competitors: Sequence[str] = (),
        topics_hint: Sequence[str] = (),
        own_names: Sequence[str] = (),
        sector_terms: Sequence[str] = (),
        preload: bool = False,
        encoder: SentenceEncoder | None = None,
        use_encoder: bool = True,
    ) -> None:
        """`encoder` ranks the editorial line's key messages by closeness to a draft's topic
        (default: the process's shared multilingual encoder, loaded on first use);
        `use_encoder=False` ranks them by shared words only."""
        self._given_encoder = encoder
        self._use_encoder = use_encoder
        self._vocabulary = Vocabulary(
            own_names=tuple(own_names),
            competitors=tuple(competitors),
            sector_terms=tuple(sector_terms),
            topics=tuple(topics_hint),
        )
        self._encoder = shared_encoder()
        if preload:
            self.warm_up()

    def warm_up(self) -> None:
        """Load the encoder and the classifier now (about 2 s), not on the first question."""
        self._encoder.warm_up()
        warm_up()

    def _draft_encoder(self) -> SentenceEncoder | None:
        """The encoder that ranks key messages for drafts (None: shared words only)."""
        if not self._use_encoder:
            return None
        return self._given_encoder or self._encoder

    @property
    def name(self) -> str:
        return ENGINE_NAME

    @property
    def offline(self) -> bool:
        return True

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        # A few milliseconds of NumPy (the sentence encoder): off the event loop.
        return await asyncio.to_thread(self.understand_sync, text, lang, previous, vocabulary)

    def understand_sync(
        self,
        text: str,
        lang: str | None,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        """`vocabulary`, the asking tenant's names, replaces the ones given at construction."""
        return read_question(text, lang, previous, self._encoder, vocabulary or self._vocabulary)

    async def write_answer(self, request: AnswerRequest) -> AnswerDraft:
        return self.answer(request)

    def answer(self, request: AnswerRequest) -> AnswerDraft:
        """The deterministic answer (synchronous form of `write_answer`)."""
        u = request.understanding
        lang = _answer_lang(u)
        f = _Figures(request.figures, lang)
        period = f.get("period_label") or period_words(lang, u)
        competitor = f.get("competitor") or _label(u.competitor)
        subject = (
            f.get("subject")
            or (_label(u.topic) if u.intent == Intent.TOPIC else None)
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
                    subject=competitor
                    if u.intent == Intent.COMPETITORS and competitor
                    else subject,
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

    async def write_posts(self, request: DraftRequest) -> list[PostDraft]:
        return self.posts(request)

    def posts(self, request: DraftRequest) -> list[PostDraft]:
        """Template suggestions (synchronous form of `write_posts`)."""
        try:
            line = EditorialLine.from_yaml(request.editorial_line_yaml).resolved()
        except EditorialError as exc:
            raise EngineError("invalid_input", f"editorial line: {exc}") from None
        flags = _revision_flags(request.revision)
        lang: Lang = "fr" if request.lang == "fr" else "en"
        if flags["english"]:
            lang = "en"
        elif flags["french"]:
            lang = "fr"
        if lang not in line.languages:
            lang = line.default_language
        style = "short" if flags["shorter"] else "informal" if flags["informal"] else "formal"
        brief = _clean_brief(request.brief) or line.company.name
        # the offline engine cannot translate: a brief in another language is left out
        untranslated = len(brief.split()) >= 3 and detect_language(brief) not in (lang, "other")
        templates = t_list(lang, f"offline.drafts.{style}")
        if untranslated:
            templates = [tpl for tpl in templates if "{brief}" not in tpl] or ["{message}"]
        ranked = _ranked_messages(line, _clean_brief(request.brief), lang, self._draft_encoder())
        sign_off = _sign_off(line, lang)
        limit = 140 if flags["shorter"] else _MAX_POST_CHARS
        count = max(1, min(request.count, _MAX_VARIANTS))
        notes = [
            t(lang, f"offline.drafts.revision_{name}")
            for name in ("shorter", "informal", "formal", "english", "french")
            if flags[name]
        ]
        out: list[PostDraft] = []
        for i in range(count):
            # the key messages closest to the topic, best first
            pillar, message = ranked[i % len(ranked)] if ranked else (None, "")
            template = templates[i % len(templates)]
            text = self._compose(template, brief, message, limit, line, flags["shorter"], sign_off)
            if pillar is not None:
                rationale = t(lang, "offline.drafts.rationale", pillar=pillar.name.get(lang, ""))
            else:
                rationale = t(lang, "offline.drafts.rationale_no_pillar")
            if notes:
                rationale += " " + t(lang, "offline.drafts.revision", revision=", ".join(notes))
            if untranslated:
                rationale += " " + t(lang, "offline.drafts.brief_untranslated")
            if request.findings:
                rationale += " " + t(lang, "offline.drafts.findings")
            out.append(PostDraft(text=text, rationale=rationale, engine=ENGINE_NAME))
        return out

    @staticmethod
    def _compose(
        template: str,
        brief: str,
        message: str,
        limit: int,
        line: EditorialLine,
        shorter: bool,
        sign_off: str | None,
    ) -> str:
        first = brief[:1].upper() + brief[1:]
        if not message:
            body = first + "."
        elif template.startswith("{brief}"):
            body = template.format(brief=first, message=message)
        else:
            body = template.format(brief=brief, message=message)
        tags = _hashtags(line, body, shorter)
        tail = " ".join([*tags, *([sign_off] if sign_off else [])])
        room = limit - (len(tail) + 1 if tail else 0)
        body = _fit(_contract(" ".join(body.split())), max(40, room))
        return f"{body} {tail}".strip() if tail else body
