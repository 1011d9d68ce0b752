"""The question reader's rule vocabularies, read from `content/understanding/lexicon.yaml`.

Phrases are folded (lower case, no accents, apostrophes and hyphens as spaces) and compiled once
per process into word-bounded regular expressions over a " tok tok tok " canon string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from bot.domain.text import fold_words as fold

__all__ = ["LEXICON_FILE", "Lexicon", "lexicon", "phrase_regex"]

LEXICON_FILE: Final = (
    Path(__file__).resolve().parents[3] / "content" / "understanding" / "lexicon.yaml"
)


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """Word-bounded alternation of folded phrases over a " tok tok " canon (longest first)."""
    folded = sorted({fold(p) for p in phrases if fold(p)}, key=lambda p: (-len(p), p))
    if not folded:
        return re.compile(r"(?!x)x")
    return re.compile("(?<= )(?:" + "|".join(re.escape(p) for p in folded) + ")(?= )")


@dataclass(frozen=True, slots=True)
class Lexicon:
    periods: tuple[tuple[str, re.Pattern[str]], ...]
    weekdays: dict[str, str]  # folded word -> weekday name
    weekday_short: frozenset[str]
    weekday_leads: frozenset[str]
    since_leads: re.Pattern[str]
    months: dict[str, int]
    dayparts: tuple[tuple[str, re.Pattern[str]], ...]
    follow_openers: re.Pattern[str]
    why: re.Pattern[str]
    more: re.Pattern[str]
    lead_words: frozenset[str]
    self_words: frozenset[str]
    self_phrases: re.Pattern[str]
    noise: re.Pattern[str]
    about_leads: re.Pattern[str]
    draft_leads_strong: re.Pattern[str]
    draft_leads_weak: re.Pattern[str]
    draft_nouns: frozenset[str]
    draft_trailing: frozenset[str]
    competitor_leads: re.Pattern[str]
    generic_others: frozenset[str]
    injection: tuple[re.Pattern[str], ...]
    short_fr: frozenset[str]
    short_en: frozenset[str]
    shorthands: dict[str, str]
    words: frozenset[str]  # every word of every phrase above


def _list(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key) or []
    return [str(v) for v in value]


def _words_of(phrases: Iterable[str]) -> set[str]:
    return {w for p in phrases for w in fold(p).split()}


def build(raw: Mapping[str, Any]) -> Lexicon:
    """A lexicon from the parsed YAML (tests build small ones)."""
    periods = {str(k): [str(p) for p in v] for k, v in (raw.get("periods") or {}).items()}
    weekdays = {
        fold(word): str(day) for day, words in (raw.get("weekdays") or {}).items() for word in words
    }
    months = {
        fold(str(word)): int(n) for n, words in (raw.get("months") or {}).items() for word in words
    }
    dayparts = {str(k): [str(p) for p in v] for k, v in (raw.get("dayparts") or {}).items()}
    all_words: set[str] = set()
    for value in raw.values():
        if isinstance(value, list):
            all_words |= _words_of(str(v) for v in value if not str(v).startswith("\\"))
        elif isinstance(value, dict):
            for sub in value.values():
                if isinstance(sub, list):
                    all_words |= _words_of(str(v) for v in sub)
    self_items = _list(raw, "self_words")
    return Lexicon(
        periods=tuple((name, phrase_regex(p)) for name, p in periods.items()),
        weekdays=weekdays,
        weekday_short=frozenset(fold(w) for w in _list(raw, "weekday_short")),
        weekday_leads=frozenset(fold(w) for w in _list(raw, "weekday_leads")),
        since_leads=phrase_regex(_list(raw, "since_leads")),
        months=months,
        dayparts=tuple((name, phrase_regex(p)) for name, p in dayparts.items()),
        follow_openers=re.compile(
            r"^ (?:"
            + "|".join(
                re.escape(fold(p)) for p in sorted(_list(raw, "follow_openers"), key=len)[::-1]
            )
            + r") "
        ),
        why=phrase_regex(_list(raw, "why")),
        more=phrase_regex(_list(raw, "more")),
        lead_words=frozenset(fold(w) for w in _list(raw, "lead_words")),
        self_words=frozenset(fold(w) for w in self_items if " " not in fold(w)),
        self_phrases=phrase_regex(w for w in self_items if " " in fold(w)),
        noise=phrase_regex(_list(raw, "noise_phrases")),
        about_leads=phrase_regex(_list(raw, "about_leads")),
        draft_leads_strong=phrase_regex(_list(raw, "draft_leads_strong")),
        draft_leads_weak=phrase_regex(_list(raw, "draft_leads_weak")),
        draft_nouns=frozenset(fold(w) for w in _list(raw, "draft_nouns")),
        draft_trailing=frozenset(fold(w) for w in _list(raw, "draft_trailing")),
        competitor_leads=phrase_regex(_list(raw, "competitor_leads")),
        generic_others=frozenset(fold(w) for w in _list(raw, "generic_others")),
        injection=tuple(re.compile(p) for p in _list(raw, "injection_patterns")),
        short_fr=frozenset(fold(w) for w in _list(raw, "short_fr")),
        short_en=frozenset(fold(w) for w in _list(raw, "short_en")),
        shorthands={fold(k): fold(v) for k, v in (raw.get("shorthands") or {}).items()},
        words=frozenset(all_words),
    )


@cache
def lexicon() -> Lexicon:
    """The lexicon of `content/understanding/lexicon.yaml`, read once per process."""
    with LEXICON_FILE.open(encoding="utf-8") as fh:
        return build(yaml.safe_load(fh))
