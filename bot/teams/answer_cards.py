"""The answer card: headline, figures against usual, tone and volume charts, themes with linked
example posts, notable voices, what to do, and buttons. Every number comes from the analysis."""

from __future__ import annotations

from typing import Any

from bot.domain.analysis.summary import DataFlag
from bot.i18n import t
from bot.ports.language import Period
from bot.ports.posts import Post
from bot.services.ask import (
    MODEL_REPLACED,
    Answer,
    alert_level,
    mentions_in_window,
    nothing_found,
)
from bot.teams.cards import Card, adaptive_card, text_block

MAX_THEMES = 3
MAX_VOICES = 3
EXCERPT = 140

VERB_DRAFT = "answer.draft"
VERB_MORE = "answer.more"
VERB_EXPLAIN = "answer.explain"


def _pct(part: int, total: int) -> int:
    return round(100 * part / total) if total else 0


def _number(value: float, lang: str) -> str:
    text = f"{round(value):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def post_excerpt(post: Post) -> str:
    text = " ".join(post.text.split())
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1].rstrip() + "…"
    text = text.replace("[", "(").replace("]", ")")
    return f"[@{post.author.handle}]({post.url}): « {text} »"


def _facts(answer: Answer, lang: str) -> dict[str, Any]:
    a = answer.analysis
    facts: list[dict[str, str]] = []
    vol = a.volume
    period_total = mentions_in_window(answer.insights)
    if answer.insights.period is Period.TODAY and vol is not None and vol.today is not None:
        value = _number(vol.today, lang)
        if vol.usual_median is not None:
            value = t(
                lang, "answer.facts.usual", today=value, usual=_number(vol.usual_median, lang)
            )
        facts.append({"title": t(lang, "answer.facts.mentions_today"), "value": value})
    elif period_total is not None:
        facts.append(
            {"title": t(lang, "answer.facts.mentions_period"), "value": _number(period_total, lang)}
        )
    s = a.sentiment
    total = s.negative + s.neutral + s.positive
    if total:
        facts.append(
            {
                "title": t(lang, "answer.facts.tone"),
                "value": t(
                    lang,
                    "answer.facts.tone_value",
                    negative=_pct(s.negative, total),
                    neutral=_pct(s.neutral, total),
                    positive=_pct(s.positive, total),
                    sample=a.sample_size,
                ),
            }
        )
    facts.append(
        {
            "title": t(lang, "answer.facts.alert"),
            "value": t(lang, f"answer.facts.levels.{alert_level(answer.insights)}"),
        }
    )
    return {"type": "FactSet", "facts": facts}


def _charts(answer: Answer, lang: str) -> list[dict[str, Any]]:
    a = answer.analysis
    charts: list[dict[str, Any]] = []
    s = a.sentiment
    if s.negative + s.neutral + s.positive:
        charts.append(
            {
                "type": "Chart.Donut",
                "title": t(lang, "answer.chart_tone"),
                "fallback": "drop",
                "data": [
                    {"legend": t(lang, "answer.legend.negative"), "value": s.negative},
                    {"legend": t(lang, "answer.legend.neutral"), "value": s.neutral},
                    {"legend": t(lang, "answer.legend.positive"), "value": s.positive},
                ],
            }
        )
    series = answer.insights.listening.counts
    buckets = sorted({b.start: 0 for s_ in series for b in s_.buckets})
    if series and len(buckets) >= 2:
        totals: dict[Any, int] = {}
        for s_ in series:
            for b in s_.buckets:
                totals[b.start] = totals.get(b.start, 0) + b.count
        recent = sorted(totals.items())[-24:]
        charts.append(
            {
                "type": "Chart.Line",
                "title": t(lang, "answer.chart_volume"),
                "fallback": "drop",
                "data": [
                    {
                        "legend": t(lang, "answer.legend.mentions"),
                        "values": [
                            {"x": start.strftime("%H:%M"), "y": count} for start, count in recent
                        ],
                    }
                ],
            }
        )
    return charts


def _themes(answer: Answer, lang: str) -> list[dict[str, Any]]:
    a = answer.analysis
    named = [th for th in a.themes.themes if not th.is_other and th.label][:MAX_THEMES]
    if not named:
        return []
    items: list[dict[str, Any]] = [
        text_block(t(lang, "answer.themes_title"), weight="Bolder", spacing="Medium")
    ]
    for theme in named:
        s = theme.sentiment
        n = s.negative + s.neutral + s.positive
        items.append(
            text_block(
                t(
                    lang,
                    "answer.theme_line",
                    label=theme.label,
                    size=theme.size,
                    negative=_pct(s.negative, n),
                )
            )
        )
        for rep in theme.representatives[:2]:
            items.append(
                text_block(
                    post_excerpt(a.posts[rep.index].post),
                    size="Small",
                    isSubtle=True,
                    spacing="None",
                )
            )
    return items


def _voices(answer: Answer, lang: str) -> list[dict[str, Any]]:
    voices = answer.analysis.voices[:MAX_VOICES]
    if not voices:
        return []
    lines = [
        t(
            lang,
            "answer.voice_line",
            handle=v.author.handle,
            followers=_number(v.followers, lang),
            stance=t(lang, f"answer.stances.{v.stance.value.lower() if v.stance else 'unknown'}"),
        )
        for v in voices
    ]
    return [
        text_block(t(lang, "answer.voices_title"), weight="Bolder", spacing="Medium"),
        text_block("\n".join(f"- {line}" for line in lines)),
    ]


def _notices(answer: Answer, lang: str) -> list[str]:
    notes: list[str] = []
    flags = set(answer.analysis.flags)
    if answer.insights.listening.partial:
        notes.append(
            t(lang, "answer.notices.partial", reasons=", ".join(answer.insights.listening.reasons))
        )
    if DataFlag.NO_POSTS in flags:
        notes.append(t(lang, "answer.notices.no_posts"))
    if DataFlag.NO_COUNTS in flags:
        notes.append(t(lang, "answer.notices.no_counts"))
    if MODEL_REPLACED in answer.notices:
        notes.append(t(lang, "answer.notices.model_replaced"))
    fallback = next((n for n in answer.notices if n.startswith("engine.")), None)
    if fallback:
        notes.append(t(lang, "answer.notices.engine_fallback", code=fallback.split(".", 1)[1]))
    elif answer.draft.engine == "offline":
        notes.append(t(lang, "answer.notices.offline"))
    return notes


def _attributed(answer: Answer, part: str, text: str, lang: str) -> str:
    """A statement that comes from posts, not from the figures, says so."""
    return t(lang, "answer.from_posts", text=text) if part in answer.from_posts else text


def _nothing_found_card(answer: Answer, lang: str, *, show_cost: bool) -> Card:
    """No post about the subject: say so plainly (no figures, no charts), with suggestions and
    the topics the tenant's watch profile follows."""
    draft = answer.draft
    body: list[dict[str, Any]] = [
        text_block(draft.headline, size="Large", weight="Bolder"),
        text_block(draft.summary),
    ]
    if draft.next_steps:
        body.append(text_block("\n".join(f"- {s}" for s in draft.next_steps)))
    topics = [k for k in answer.insights.profile.keywords if k[:1] not in "#$"][:6]
    if topics:
        body.append(
            text_block(t(lang, "answer.watched_topics", topics=", ".join(topics)), isSubtle=True)
        )
    if show_cost:
        line = t(lang, "answer.cost", cost=answer.insights.listening.cost.render(lang))
        body.append(text_block(line, size="Small", isSubtle=True))
    return adaptive_card(body)


def answer_card(answer: Answer, lang: str, *, show_cost: bool, context_id: str) -> Card:
    draft = answer.draft
    if nothing_found(answer.figures) or answer.insights.beyond_reach:
        return _nothing_found_card(answer, lang, show_cost=show_cost)
    body: list[dict[str, Any]] = [
        text_block(draft.headline, size="Large", weight="Bolder"),
        text_block(_attributed(answer, "summary", draft.summary, lang)),
        _facts(answer, lang),
        *_charts(answer, lang),
    ]
    if draft.points:
        points = [_attributed(answer, f"point:{i}", p, lang) for i, p in enumerate(draft.points)]
        body.append(text_block("\n".join(f"- {p}" for p in points)))
    body += _themes(answer, lang)
    body += _voices(answer, lang)
    if draft.next_steps:
        body.append(text_block(t(lang, "answer.next_title"), weight="Bolder", spacing="Medium"))
        body.append(text_block("\n".join(f"- {s}" for s in draft.next_steps)))
    for note in _notices(answer, lang):
        body.append(text_block(note, size="Small", isSubtle=True))
    if show_cost:
        line = t(lang, "answer.cost", cost=answer.insights.listening.cost.render(lang))
        if draft.input_tokens or draft.output_tokens:
            line += " · " + t(
                lang, "answer.model_tokens", input=draft.input_tokens, output=draft.output_tokens
            )
        by = answer.insights.sentiment_by
        if by is not None and (by.input_tokens or by.output_tokens):
            line += " · " + t(
                lang,
                "answer.sentiment_model_tokens",
                input=by.input_tokens,
                output=by.output_tokens,
            )
        body.append(text_block(line, size="Small", isSubtle=True))
    named = [th for th in answer.analysis.themes.themes if not th.is_other and th.keywords]
    # The brief for "Draft a post on this": the user's topic, else the main theme's key phrase.
    topic = answer.understanding.topic or (named[0].keywords[0] if named else "")
    data = {"context": context_id, "topic": topic, "lang": lang}
    actions = [
        {
            "type": "Action.Execute",
            "verb": VERB_DRAFT,
            "title": t(lang, "answer.buttons.draft"),
            "data": {**data},
        },
        {
            "type": "Action.Execute",
            "verb": VERB_MORE,
            "title": t(lang, "answer.buttons.more"),
            "data": {**data},
        },
        {
            "type": "Action.Execute",
            "verb": VERB_EXPLAIN,
            "title": t(lang, "answer.buttons.explain"),
            "data": {**data},
        },
    ]
    return adaptive_card(body, actions)


def more_posts_card(posts: list[Post], lang: str) -> Card:
    if not posts:
        return adaptive_card([text_block(t(lang, "answer.no_more"))])
    body = [text_block(t(lang, "answer.more_title", count=len(posts)), weight="Bolder")]
    body += [text_block(post_excerpt(p), size="Small") for p in posts]
    return adaptive_card(body)
