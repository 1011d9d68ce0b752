"""Briefing, alert and briefing-settings cards (Adaptive Cards 1.5, Teams chart elements).

Every figure comes from the analysis (`Insights.analysis`) or the counts it was computed from;
the catalogues (`bot/locales/<lang>.briefing.json`) only phrase them. Missing or partial data is
said in a note (`analysis.flags`), never filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.analysis.crisis import Crisis, Reason, ReasonItem
from bot.domain.analysis.summary import Analysis
from bot.domain.analysis.types import AnalysedPost, Sentiment, SentimentSplit
from bot.i18n import language_of, t
from bot.ports.store import JSON
from bot.services.alerts import AlertView
from bot.services.briefings import BriefingView
from bot.services.insights import Insights, merge_series
from bot.services.subscriptions import EVERY_DAY, Subscription
from bot.teams.cards import Card, adaptive_card, text_block

PROPOSE_VERB = "briefing.propose"
ALERT_PROPOSE_VERB = "alert.propose"
SAVE_VERB = "briefing.save"
MAX_THEMES = 3
MAX_VOICES = 3
MAX_POST_CHARS = 160
COLORS = {
    "negative": "categoricalRed",
    "neutral": "categoricalLavender",
    "positive": "categoricalGreen",
}


def k(key: str) -> str:
    return f"briefing.{key}"


# --------------------------------------------------------------------------- formatting


def fmt_int(lang: str, n: float | int) -> str:
    text = f"{round(n):,}"
    return text.replace(",", "\u202f") if language_of(lang) == "fr" else text


def fmt_pct(lang: str, share: float | None) -> str:
    if share is None:
        return "—"
    value = round(share * 100)
    return f"{value}\u202f%" if language_of(lang) == "fr" else f"{value}%"


def fmt_change(lang: str, pct: float | None) -> str:
    if pct is None:
        return "—"
    text = f"{round(pct):+d}"
    return f"{text}\u202f%" if language_of(lang) == "fr" else f"{text}%"


def fmt_time(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def fmt_date(lang: str, day: date) -> str:
    names = t(lang, k("weekdays")).split(",")
    months = t(lang, k("months")).split(",")
    if language_of(lang) == "fr":
        return f"{names[day.weekday()]} {day.day} {months[day.month - 1]}"
    return f"{names[day.weekday()]}, {months[day.month - 1]} {day.day}"


def short(text: str, limit: int = MAX_POST_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def tone(lang: str, split: SentimentSplit | Sentiment | None) -> str:
    dominant = split.dominant if isinstance(split, SentimentSplit) else split
    return t(lang, k(f"tone.{dominant.value if dominant else 'none'}"))


def post_line(lang: str, ap: AnalysedPost) -> str:
    post = ap.post
    return t(
        lang,
        k("post_line"),
        handle=post.author.handle,
        url=post.url,
        text=short(post.text),
        followers=fmt_int(lang, post.author.followers),
        engagement=fmt_int(lang, post.metrics.engagement),
    )


def heading(text: str) -> dict[str, Any]:
    return text_block(text, weight="Bolder", size="Medium", spacing="Medium", separator=True)


# --------------------------------------------------------------------------- pieces


def last_24h_count(insights: Insights) -> int | None:
    """Mentions in the briefing window, from the counts the analysis used."""
    series = merge_series(insights.listening.counts)
    if series is None or not series.buckets:
        return None
    start = insights.window.start
    return sum(b.count for b in series.buckets if b.start >= start)


def hourly_points(insights: Insights, tz: str) -> list[dict[str, Any]]:
    series = merge_series(insights.listening.counts)
    if series is None:
        return []
    start = insights.window.start
    return [
        {"x": fmt_time(b.start, tz), "y": b.count}
        for b in sorted(series.buckets, key=lambda b: b.start)
        if b.start >= start
    ]


def sentiment_donut(lang: str, split: SentimentSplit) -> dict[str, Any]:
    return {
        "type": "Chart.Donut",
        "title": t(lang, k("chart.sentiment")),
        "data": [
            {"legend": t(lang, k(f"sentiment.{name}")), "value": value, "color": COLORS[name]}
            for name, value in (
                ("negative", split.negative),
                ("neutral", split.neutral),
                ("positive", split.positive),
            )
        ],
    }


def volume_line(lang: str, insights: Insights, tz: str) -> dict[str, Any] | None:
    points = hourly_points(insights, tz)
    if not points:
        return None
    return {
        "type": "Chart.Line",
        "title": t(lang, k("chart.volume")),
        "data": [{"legend": t(lang, k("chart.mentions")), "values": points}],
    }


def volume_texts(lang: str, insights: Insights) -> list[str]:
    a = insights.analysis
    lines: list[str] = []
    count = last_24h_count(insights)
    if count is not None:
        lines.append(t(lang, k("volume.last24h"), count=fmt_int(lang, count)))
    vol = a.volume
    if vol is not None and vol.today is not None and vol.usual_median is not None:
        lines.append(
            t(
                lang,
                k("volume.today"),
                today=fmt_int(lang, vol.today),
                usual=fmt_int(lang, vol.usual_median),
                change=fmt_change(lang, vol.change_pct),
                level=t(lang, k(f"volume.level.{vol.level.value}")),
            )
        )
    elif vol is not None and vol.today is not None:
        lines.append(t(lang, k("volume.today_only"), today=fmt_int(lang, vol.today)))
    return lines


def sentiment_text(lang: str, a: Analysis) -> str:
    s = a.sentiment
    return t(
        lang,
        k("sentiment.line"),
        negative=fmt_pct(lang, s.negative_share),
        neutral=fmt_pct(lang, s.neutral_share),
        positive=fmt_pct(lang, s.positive_share),
        total=fmt_int(lang, s.total),
    )


def theme_items(lang: str, a: Analysis) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for theme in [th for th in a.themes.themes if not th.is_other][:MAX_THEMES]:
        label = theme.label or t(lang, k("themes.other"))
        items.append(
            text_block(
                t(
                    lang,
                    k("themes.line"),
                    label=label,
                    size=fmt_int(lang, theme.size),
                    share=fmt_pct(lang, theme.share),
                    tone=tone(lang, theme.sentiment),
                )
            )
        )
        examples = [a.posts[r.index] for r in theme.representatives[:2] if r.index < len(a.posts)]
        if examples:
            items.append(
                text_block(
                    "\n".join(f"- {post_line(lang, ap)}" for ap in examples),
                    size="Small",
                    spacing="None",
                )
            )
    return items


def voice_lines(lang: str, a: Analysis) -> list[str]:
    lines = []
    for voice in a.voices[:MAX_VOICES]:
        top = a.posts[voice.top_post] if voice.top_post < len(a.posts) else None
        lines.append(
            t(
                lang,
                k("voices.line"),
                handle=voice.author.handle,
                url=top.post.url if top else f"https://x.com/{voice.author.handle}",
                followers=fmt_int(lang, voice.followers),
                posts=fmt_int(lang, voice.posts),
                tone=tone(lang, voice.stance),
            )
        )
    return lines


def competitor_line(lang: str, insights: Insights) -> str:
    count = last_24h_count(insights)
    a = insights.analysis
    vol = a.volume
    return t(
        lang,
        k("competitors.line"),
        name=insights.label,
        count="—" if count is None else fmt_int(lang, count),
        change=fmt_change(lang, vol.change_pct if vol else None),
        tone=tone(lang, a.sentiment),
    )


def sector_line(lang: str, insights: Insights) -> str:
    count = last_24h_count(insights)
    labels = [th.label for th in insights.analysis.themes.themes if th.label][:3]
    return t(
        lang,
        k("sector.line"),
        count="—" if count is None else fmt_int(lang, count),
        themes=", ".join(labels) if labels else t(lang, k("sector.no_themes")),
    )


def reason_text(lang: str, item: ReasonItem, tz: str) -> str:
    figures: dict[str, Any] = {name: value for name, value in item.figures}
    params: dict[str, Any] = dict(figures)
    for name in (
        "observed",
        "expected",
        "followers",
        "top_followers",
        "negative",
        "sample",
        "authors",
        "count",
        "copies",
        "campaigns",
        "needed",
    ):
        if isinstance(figures.get(name), int | float):
            params[name] = fmt_int(lang, figures[name])
    for name in ("share", "earlier_share"):
        if isinstance(figures.get(name), int | float):
            params[name] = fmt_pct(lang, float(figures[name]))
    ratio = figures.get("ratio")
    params["ratio"] = (
        (f"{float(ratio):.1f}".replace(".", ",") if language_of(lang) == "fr" else f"{ratio:.1f}")
        if isinstance(ratio, int | float) and ratio > 0
        else "—"
    )
    if isinstance(figures.get("hour_start"), str):
        params["hour"] = fmt_time(datetime.fromisoformat(str(figures["hour_start"])), tz)
    try:
        return t(lang, k(f"reasons.{item.code.value}"), **params)
    except KeyError:
        return item.code.value


def watch_lines(lang: str, crisis: Crisis, tz: str) -> list[str]:
    lines = [t(lang, k(f"watch.level.{crisis.level.value}"))]
    skip = {Reason.NO_COUNTS, Reason.NO_SAMPLE, Reason.NO_BASELINE, Reason.THIN_SAMPLE}
    lines += [reason_text(lang, r, tz) for r in crisis.reasons if r.code not in skip][:4]
    return lines


def notes(lang: str, analyses: Sequence[Analysis], partial: bool) -> list[str]:
    flags: list[str] = []
    for a in analyses:
        for flag in a.flags:
            if flag.value not in flags:
                flags.append(flag.value)
    if partial and "sample_partial" not in flags:
        flags.append("sample_partial")
    return [t(lang, k(f"flags.{f}")) for f in flags]


def bullet_block(lines: Sequence[str], **style: Any) -> dict[str, Any]:
    return text_block("\n".join(f"- {line}" for line in lines), **style)


# --------------------------------------------------------------------------- briefing


def briefing_card(view: BriefingView) -> Card:
    lang, content = view.lang, view.content
    company = content.company
    a = company.analysis
    tz = content.tz
    body: list[dict[str, Any]] = [
        text_block(
            t(lang, k("title"), date=fmt_date(lang, view.day)), size="Large", weight="Bolder"
        ),
        text_block(t(lang, k("subtitle"), company=company.label), isSubtle=True, spacing="None"),
        heading(t(lang, k("volume.title"))),
    ]
    body += [text_block(line) for line in volume_texts(lang, company)]
    line_chart = volume_line(lang, company, tz)
    if line_chart:
        body.append(line_chart)
    body.append(heading(t(lang, k("sentiment.title"))))
    if a.sentiment.total:
        body.append(text_block(sentiment_text(lang, a)))
        body.append(sentiment_donut(lang, a.sentiment))
    else:
        body.append(text_block(t(lang, k("sentiment.none"))))
    themes = theme_items(lang, a)
    if themes:
        body.append(heading(t(lang, k("themes.title"))))
        body += themes
    voices = voice_lines(lang, a)
    if voices:
        body.append(heading(t(lang, k("voices.title"))))
        body.append(bullet_block(voices))
    if content.competitors:
        body.append(heading(t(lang, k("competitors.title"))))
        body.append(bullet_block([competitor_line(lang, c) for c in content.competitors]))
    if content.sector is not None:
        body.append(heading(t(lang, k("sector.title"))))
        body.append(text_block(sector_line(lang, content.sector)))
    body.append(heading(t(lang, k("watch.title"))))
    body.append(bullet_block(watch_lines(lang, a.crisis, tz)))
    actions: list[dict[str, Any]] = []
    suggestion = content.suggestions.get(lang)
    body.append(heading(t(lang, k("suggestion.title"))))
    if suggestion:
        body.append(text_block(suggestion, fontType="Monospace"))
        actions.append(
            {
                "type": "Action.Execute",
                "title": t(lang, k("suggestion.action")),
                "verb": PROPOSE_VERB,
                "data": {
                    "kind": "post_of_the_day",
                    "text": suggestion,
                    "lang": lang,
                    "day": view.day.isoformat(),
                },
            }
        )
    else:
        body.append(text_block(t(lang, k("suggestion.none")), isSubtle=True))
    body.append(heading(t(lang, k("tip.title"))))
    body.append(text_block(view.tip.text(lang)))
    all_analyses = [a, *(c.analysis for c in content.competitors)]
    if content.sector is not None:
        all_analyses.append(content.sector.analysis)
    caveats = notes(lang, [a], company.partial)
    if caveats:
        body.append(heading(t(lang, k("notes.title"))))
        body.append(bullet_block(caveats, isSubtle=True, size="Small"))
    body.append(
        text_block(
            t(lang, k("cost"), cost=company.listening.cost.render(lang)),
            isSubtle=True,
            size="Small",
            spacing="Medium",
        )
    )
    return adaptive_card(body, actions or None)


# --------------------------------------------------------------------------- alert


def key_posts(a: Analysis, since: datetime, limit: int = 3) -> list[AnalysedPost]:
    recent = [ap for ap in a.posts if ap.post.created_at >= since] or list(a.posts)
    negative = [ap for ap in recent if ap.sentiment is Sentiment.NEGATIVE] or recent
    return sorted(
        negative,
        key=lambda ap: (ap.post.author.followers + ap.post.metrics.engagement, ap.post.id),
        reverse=True,
    )[:limit]


def alert_card(view: AlertView, tz: str = "Europe/Paris") -> Card:
    lang = view.lang
    insights = view.insights
    a = insights.analysis
    crisis = a.crisis
    body: list[dict[str, Any]] = [
        text_block(
            t(lang, k("alert.title"), company=insights.label),
            size="Large",
            weight="Bolder",
            color="Attention",
        ),
        text_block(
            t(
                lang,
                k("alert.started"),
                time=fmt_time(view.started_at, tz),
                score=fmt_pct(lang, crisis.score),
            ),
            isSubtle=True,
            spacing="None",
        ),
    ]
    if view.updates:
        body.append(
            text_block(
                t(lang, k("alert.updated"), time=fmt_time(view.updated_at, tz), n=view.updates),
                isSubtle=True,
                size="Small",
            )
        )
    if view.calming:
        body.append(
            text_block(
                t(lang, k("alert.calming"), time=fmt_time(view.updated_at, tz)),
                weight="Bolder",
                color="Good",
            )
        )
    body.append(heading(t(lang, k("alert.happening"))))
    happening: list[str] = []
    volume = dict(view.volume)
    if "observed" in volume and "window_minutes" in volume:
        happening.append(
            t(
                lang,
                k("alert.burst"),
                observed=fmt_int(lang, float(volume["observed"])),
                minutes=volume["window_minutes"],
                expected=fmt_int(lang, float(volume["expected"])),
            )
        )
    if crisis.hour is not None:
        happening.append(
            t(
                lang,
                k("alert.hour"),
                observed=fmt_int(lang, crisis.hour.observed),
                expected=fmt_int(lang, crisis.hour.expected),
                hour=fmt_time(crisis.hour.start, tz),
            )
        )
    if crisis.sample.total:
        happening.append(
            t(
                lang,
                k("alert.negative"),
                share=fmt_pct(lang, crisis.sample.negative_share),
                sample=fmt_int(lang, crisis.sample.total),
            )
        )
    body.append(bullet_block(happening or [t(lang, k("watch.level.alert"))]))
    posts = key_posts(a, view.started_at)
    if posts:
        body.append(heading(t(lang, k("alert.posts"))))
        body.append(bullet_block([post_line(lang, ap) for ap in posts]))
    body.append(heading(t(lang, k("alert.why"))))
    body.append(
        bullet_block(watch_lines(lang, crisis, tz)[1:] or [t(lang, k("watch.level.alert"))])
    )
    caveats = notes(lang, [a], insights.partial)
    if caveats:
        body.append(bullet_block(caveats, isSubtle=True, size="Small"))
    body.append(heading(t(lang, k("alert.holding"))))
    actions: list[dict[str, Any]] = []
    if view.holding_statement:
        body.append(text_block(view.holding_statement, fontType="Monospace"))
        actions.append(
            {
                "type": "Action.Execute",
                "title": t(lang, k("alert.holding_action")),
                "verb": ALERT_PROPOSE_VERB,
                "data": {
                    "kind": "holding_statement",
                    "text": view.holding_statement,
                    "lang": lang,
                    "event": view.event_id,
                },
            }
        )
    else:
        body.append(text_block(t(lang, k("alert.holding_none")), isSubtle=True))
    return adaptive_card(body, actions or None)


# --------------------------------------------------------------------------- settings


def settings_card(
    lang: str,
    sub: Subscription | None,
    *,
    default_time: time,
    default_days: Sequence[int],
    channel: bool = False,
) -> Card:
    active = sub is not None and sub.active
    at = (sub.at if sub else default_time).strftime("%H:%M")
    days = sub.days if sub else tuple(default_days)
    chosen_lang = sub.lang if sub else lang
    status = (
        t(lang, k("settings.status_on"), time=at, days=days_text(lang, days), tz=sub.tz)
        if active and sub is not None
        else t(lang, k("settings.status_off"))
    )
    day_names = t(lang, k("weekdays")).split(",")
    body: list[dict[str, Any]] = [
        text_block(
            t(lang, k("settings.title_channel" if channel else "settings.title")),
            size="Large",
            weight="Bolder",
        ),
        text_block(status),
        {"type": "Input.Time", "id": "time", "label": t(lang, k("settings.time")), "value": at},
        {
            "type": "Input.ChoiceSet",
            "id": "days",
            "label": t(lang, k("settings.days")),
            "isMultiSelect": True,
            "style": "expanded",
            "value": ",".join(str(d) for d in days),
            "choices": [{"title": day_names[d], "value": str(d)} for d in EVERY_DAY],
        },
        {
            "type": "Input.ChoiceSet",
            "id": "lang",
            "label": t(lang, k("settings.lang")),
            "value": chosen_lang,
            "choices": [{"title": "Français", "value": "fr"}, {"title": "English", "value": "en"}],
        },
        {
            "type": "Input.Toggle",
            "id": "active",
            "title": t(lang, k("settings.active")),
            "value": "true" if (active or sub is None) else "false",
            "valueOn": "true",
            "valueOff": "false",
        },
    ]
    actions = [
        {
            "type": "Action.Execute",
            "title": t(lang, k("settings.save")),
            "verb": SAVE_VERB,
            "data": {"scope": "channel" if channel else "me"},
        }
    ]
    return adaptive_card(body, actions)


def days_text(lang: str, days: Sequence[int]) -> str:
    days = tuple(sorted(days))
    if days == EVERY_DAY:
        return t(lang, k("days.every"))
    if days == (0, 1, 2, 3, 4):
        return t(lang, k("days.weekdays"))
    if days == (5, 6):
        return t(lang, k("days.weekend"))
    names = t(lang, k("weekdays")).split(",")
    return ", ".join(names[d] for d in days)


def card_json(card: Card) -> JSON:
    return card
