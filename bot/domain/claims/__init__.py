"""Claims that need a person: statements about a company (bankruptcy, recall, lawsuit, fraud,
layoffs, a data breach, an injury) and instructions (sell now, post this...). Pure; the
lexicon is data (`claims.yaml`, French and English), never code.

`find_claims(text)` lists every hit with its kind ("claim" | "instruction"), category and place
in `fold(text)`. `supported(hit, sources)`: the sources (posts) hold a claim of the same
category, in any language — the statement then comes from posts, not from a model's invention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal

import yaml

from bot.domain.text import fold

__all__ = [
    "ClaimHit",
    "Kind",
    "categories_in",
    "find_claims",
    "lexicon",
    "scan_folded",
    "supported",
]

Kind = Literal["claim", "instruction"]
LEXICON_FILE: Final = "claims.yaml"
_KINDS: Final[dict[str, Kind]] = {"claims": "claim", "instructions": "instruction"}


@dataclass(frozen=True, slots=True)
class ClaimHit:
    kind: Kind
    category: str
    matched: str  # as folded
    start: int  # offsets in fold(text)
    end: int


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: Kind
    category: str
    pattern: re.Pattern[str]  # this category's terms alone
    body: str  # the alternation of its terms, without the word boundaries


def _term_pattern(term: str) -> str:
    folded = fold(term).strip()
    prefix = folded.endswith("*")
    words = folded.rstrip("*").split()
    parts = [re.escape(w).replace("'", "['’]") for w in words]
    ending = r"\w*" if prefix else ""
    return r"[\s\-]+".join(parts) + ending


def _alternation(terms: Iterable[str]) -> str:
    # Longest first, so that "sell the stock" wins over "sell now".
    return "|".join(sorted((_term_pattern(t) for t in terms), key=len, reverse=True))


@cache
def lexicon() -> tuple[_Entry, ...]:
    """The shipped lexicon, compiled: one alternation per kind and category."""
    raw = yaml.safe_load(
        resources.files(__package__).joinpath(LEXICON_FILE).read_text(encoding="utf-8")
    )
    entries: list[_Entry] = []
    for section, kind in _KINDS.items():
        for category, by_lang in (raw.get(section) or {}).items():
            terms = [str(t) for lang_terms in (by_lang or {}).values() for t in lang_terms or ()]
            if terms:
                body = _alternation(terms)
                pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)")
                entries.append(_Entry(kind, str(category), pattern, body))
    return tuple(entries)


@cache
def _scanner() -> re.Pattern[str]:
    """Every category in one pass: group `c<i>` is `lexicon()[i]`."""
    groups = "|".join(f"(?P<c{i}>{e.body})" for i, e in enumerate(lexicon()))
    return re.compile(rf"(?<!\w)(?:{groups})(?!\w)")


def find_claims(text: str) -> list[ClaimHit]:
    """Every claim and instruction in `text`, in order of place."""
    return scan_folded(fold(text))


def scan_folded(folded: str) -> list[ClaimHit]:
    """`find_claims` on text already folded (`bot.domain.text.fold`); offsets are into it."""
    entries = lexicon()
    hits = []
    for m in _scanner().finditer(folded):
        entry = entries[int(str(m.lastgroup)[1:])]
        hits.append(ClaimHit(entry.kind, entry.category, m.group(0), m.start(), m.end()))
    return hits


def categories_in(texts: Iterable[str]) -> frozenset[tuple[Kind, str]]:
    """The (kind, category) pairs found anywhere in `texts`."""
    return frozenset((h.kind, h.category) for text in texts for h in find_claims(text))


def supported(hit: ClaimHit, found_in_sources: frozenset[tuple[Kind, str]]) -> bool:
    """A claim the sources make too (any language). An instruction is never supported: posts
    telling someone to sell are a claim to report, not advice to pass on."""
    return hit.kind == "claim" and (hit.kind, hit.category) in found_in_sources
