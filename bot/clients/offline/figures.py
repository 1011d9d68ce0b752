"""Figures and labels of an answer request, formatted for display (see the figures contract in
`bot.clients.offline_engine`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Final

__all__ = [
    "CONTROL_RE",
    "COUNT_KEYS",
    "ENGINE_NAME",
    "RATIO_KEYS",
    "SCORE_KEYS",
    "SHARE_KEYS",
    "Figures",
    "format_figure",
    "label_of",
    "number_of",
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
LABEL_MAX: Final = 60
NNBSP: Final = "\u202f"  # French thousands separator and space before %
CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def number_of(value: str | int | float) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value else None  # NaN is no number
    return None


def _group(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.replace(",", NNBSP) if lang == "fr" else text


def format_figure(key: str, value: str | int | float, lang: str) -> str | None:
    """How figure `key` is shown in `lang`; None when it cannot be shown (wrong type, NaN)."""
    if key in COUNT_KEYS:
        number = number_of(value)
        return None if number is None or number < 0 else _group(round(number), lang)
    if key in SHARE_KEYS:
        number = number_of(value)
        if number is None or not 0.0 <= number <= 1.0:
            return None
        pct = round(number * 100)
        return f"{pct}{NNBSP}%" if lang == "fr" else f"{pct}%"
    if key in RATIO_KEYS:
        number = number_of(value)
        if number is None or number < 0:
            return None
        text = f"{number:.1f}"
        return "×" + (text.replace(".", ",") if lang == "fr" else text)
    if key in SCORE_KEYS:
        number = number_of(value)
        return None if number is None or not 0.0 <= number <= 1.0 else str(round(number * 100))
    if isinstance(value, str):
        return label_of(value)
    return None


def label_of(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = CONTROL_RE.sub("", unicodedata.normalize("NFC", value)).strip()
    text = " ".join(text.split())
    if len(text) > LABEL_MAX:
        text = text[: LABEL_MAX - 1].rstrip() + "…"
    return text or None


class Figures:
    """Formatted access to the figures: `get` is None when the figure is absent or unusable."""

    def __init__(self, figures: dict[str, str | int | float], lang: str) -> None:
        self._raw = figures
        self._lang = lang

    def get(self, key: str) -> str | None:
        value = self._raw.get(key)
        return None if value is None else format_figure(key, value, self._lang)

    def number(self, key: str) -> float | None:
        value = self._raw.get(key)
        return None if value is None else number_of(value)

    def code(self, key: str, allowed: Sequence[str]) -> str | None:
        value = self._raw.get(key)
        return value if isinstance(value, str) and value in allowed else None
