"""The answer card's charts: readable hours, whole-number ticks, tone colours that stay apart
for colour-blind readers, and a text fallback. The look itself is checked in the Playground
(tests/e2e/test_playground.py, screenshot)."""

from __future__ import annotations

import re
from typing import Any

from bot.ports.language import Intent, Period, Understanding
from bot.teams.answer_cards import (
    TONE_COLORS,
    answer_card,
    hour_label,
    integer_axis_max,
)
from tests.teams.conftest import Pulse

# The hex values the Adaptive Cards renderer gives the named chart colours (read from the
# Microsoft 365 Agents Playground 0.2.28 bundle, `_wellKnownChartColors`).
RENDERED = {"divergingRed": "#d33f4c", "neutral": "#CCCCCC", "divergingBlue": "#13458f"}

# Viénot, Brettel & Mollon (1999) dichromat simulation, in linear RGB.
SIMULATIONS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.11238, 0.88762, 0), (0.11238, 0.88762, 0), (0.00401, -0.00401, 1)),
    "deuteranopia": ((0.29275, 0.70725, 0), (0.29275, 0.70725, 0), (-0.02234, 0.02234, 1)),
}


def _linear(hex_colour: str) -> tuple[float, float, float]:
    values = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in values)
    return r, g, b


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (max(0.0, min(1.0, c)) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _seen(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = _linear(hex_colour)
    m = SIMULATIONS[vision]
    return _lab(tuple(sum(m[i][j] * rgb[j] for j in range(3)) for i in range(3)))  # type: ignore[arg-type]


def test_tone_colours_stay_apart_for_colour_blind_readers() -> None:
    """CIE76 distance > 40 between every pair, for every vision (the renderer's default three
    purples, #333357 #5b5fc7 #3f3682, are 22–25 apart)."""
    hexes = [RENDERED[TONE_COLORS[k]] for k in ("negative", "neutral", "positive")]
    for vision in SIMULATIONS:
        seen = [_seen(h, vision) for h in hexes]
        for i in range(3):
            for j in range(i + 1, 3):
                delta = sum((a - b) ** 2 for a, b in zip(seen[i], seen[j], strict=True)) ** 0.5
                assert delta > 40, (vision, hexes[i], hexes[j], round(delta, 1))


def test_hours_and_ticks() -> None:
    assert [hour_label(h, "fr") for h in (0, 8, 13)] == ["00h", "08h", "13h"]
    assert [hour_label(h, "en") for h in (0, 8, 12, 13)] == ["12 AM", "8 AM", "12 PM", "1 PM"]
    assert [integer_axis_max(p) for p in (0, 1, 4, 5, 17, 51)] == [4, 4, 4, 8, 20, 52]


def _charts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {el["type"]: el for el in card["body"] if el["type"].startswith("Chart.")}


async def test_answer_card_charts(demo: Pulse) -> None:
    for lang, hour in (("fr", r"^\d\dh$"), ("en", r"^\d{1,2} (AM|PM)$")):
        u = Understanding(intent=Intent.PULSE, lang=lang, period=Period.TODAY)
        answer = await demo.components.ask.answer("?", u, tenant_id="tenant-contoso")
        charts = _charts(answer_card(answer, lang, show_cost=False, context_id="c"))
        donut, line = charts["Chart.Donut"], charts["Chart.Line"]
        assert [d["color"] for d in donut["data"]] == list(TONE_COLORS.values())
        values = line["data"][0]["values"]
        assert 2 <= len(values) <= 6
        assert all(re.match(hour, v["x"]) for v in values), values
        assert line["yMin"] == 0 and line["yMax"] % 4 == 0
        assert line["yMax"] >= max(v["y"] for v in values)
        for chart in (donut, line):  # the text fallback carries the same figures
            fallback = chart["fallback"]
            assert fallback["type"] == "TextBlock" and fallback["text"].startswith(chart["title"])
        assert str(values[-1]["y"]) in line["fallback"]["text"]
