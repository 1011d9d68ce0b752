"""The briefing card: every figure from the analysis, both languages, charts, honest notes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clients.store import LocalDirStore
from bot.domain.analysis.summary import DataFlag
from bot.domain.coach import tip_for
from bot.i18n import t
from bot.services.briefings import BriefingContent, BriefingView, ContentBuilder
from bot.services.insights import Insights
from bot.teams.briefing_cards import PROPOSE_VERB, briefing_card, fmt_int, last_24h_count
from tests.briefing.conftest import FakeClock, make_insights

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


async def suggest(kind: str, insights: Insights, lang: str) -> str | None:
    return f"[{lang}] Post du jour" if kind == "post_of_the_day" else None


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> BriefingContent:
    import asyncio

    store = LocalDirStore(Path(tmp_path_factory.mktemp("cards")) / "s")
    clock = FakeClock(NOW)
    builder = ContentBuilder(make_insights(store, clock), suggest, clock)
    return asyncio.run(builder.build("t1", "Europe/Paris", ["fr", "en"]))


def render(content: BriefingContent, lang: str) -> dict[str, Any]:
    tip = tip_for("alice", date(2026, 11, 23), [])
    return briefing_card(BriefingView(content, lang, tip, date(2026, 11, 23), "r1"))


def of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [el for el in card["body"] if el["type"] == kind]


def text(card: dict[str, Any]) -> str:
    return "\n".join(el["text"] for el in of_type(card, "TextBlock"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_figures_come_from_the_analysis(content: BriefingContent, lang: str) -> None:
    a = content.company.analysis
    card = render(content, lang)
    donut = of_type(card, "Chart.Donut")[0]
    assert [d["value"] for d in donut["data"]] == [
        a.sentiment.negative,
        a.sentiment.neutral,
        a.sentiment.positive,
    ]
    line = of_type(card, "Chart.Line")[0]
    points = line["data"][0]["values"]
    assert sum(p["y"] for p in points) == last_24h_count(content.company)
    body = text(card)
    assert fmt_int(lang, last_24h_count(content.company) or 0) in body
    assert a.volume is not None and a.volume.today is not None
    assert f"**{fmt_int(lang, a.volume.today)}**" in body
    assert fmt_int(lang, a.sentiment.total) in body
    top = a.themes.themes[0]
    assert top.label in body
    assert a.posts[top.representatives[0].index].post.url in body
    assert a.voices[0].author.handle in body
    for competitor in content.competitors:
        assert f"**{competitor.label}**" in body
    assert t(lang, f"briefing.watch.level.{a.crisis.level.value}") in body
    assert t(lang, "briefing.tip.title") in body


def test_the_card_speaks_the_recipients_language(content: BriefingContent) -> None:
    fr, en = text(render(content, "fr")), text(render(content, "en"))
    assert "Votre briefing du lundi 23 novembre" in fr and "Sujets du moment" in fr
    assert "Your briefing for Monday, November 23" in en and "Top themes" in en
    assert "Tonalité" not in en and "Top themes" not in fr


def test_suggested_post_goes_to_approval_in_one_click(content: BriefingContent) -> None:
    card = render(content, "fr")
    (action,) = card["actions"]
    assert action["type"] == "Action.Execute" and action["verb"] == PROPOSE_VERB
    assert action["data"]["text"] == "[fr] Post du jour" and action["data"]["lang"] == "fr"
    none = dataclasses.replace(content, suggestions={})
    assert "actions" not in render(none, "fr")
    assert t("fr", "briefing.suggestion.none") in text(render(none, "fr"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_missing_and_partial_data_are_said(content: BriefingContent, lang: str) -> None:
    analysis = dataclasses.replace(
        content.company.analysis, flags=(DataFlag.COUNTS_PARTIAL, DataFlag.SMALL_SAMPLE)
    )
    company = dataclasses.replace(content.company, analysis=analysis)
    body = text(render(dataclasses.replace(content, company=company), lang))
    assert t(lang, "briefing.notes.title") in body
    assert t(lang, "briefing.flags.counts_partial") in body
    assert t(lang, "briefing.flags.small_sample") in body
    clean = dataclasses.replace(content.company.analysis, flags=())
    body = text(
        render(
            dataclasses.replace(
                content, company=dataclasses.replace(content.company, analysis=clean)
            ),
            lang,
        )
    )
    assert t(lang, "briefing.notes.title") not in body


def test_no_posts_means_no_made_up_tone(content: BriefingContent) -> None:
    from bot.domain.analysis.types import SentimentSplit

    empty = dataclasses.replace(
        content.company.analysis,
        sentiment=SentimentSplit(0, 0, 0),
        flags=(DataFlag.NO_POSTS,),
    )
    card = render(
        dataclasses.replace(content, company=dataclasses.replace(content.company, analysis=empty)),
        "en",
    )
    assert not of_type(card, "Chart.Donut")
    assert t("en", "briefing.sentiment.none") in text(card)
    assert t("en", "briefing.flags.no_posts") in text(card)
