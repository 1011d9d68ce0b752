"""Edit distance between words, by rapidfuzz (no hand-written Levenshtein).

The distance is the optimal string alignment distance (Levenshtein plus the transposition of two
adjacent letters, "hastag" ↔ "hashtga" costs what a typist's slip costs). Compare folded words.

- :func:`distance` — the distance, or ``limit + 1`` as soon as it is known to exceed `limit`.
- :func:`closest` — the choice nearest to a word within `limit` (ties: the first choice).
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["closest", "distance"]


def distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance of `a` and `b`; with `limit`, at most ``limit + 1``."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def closest(word: str, choices: Sequence[str], limit: int) -> str | None:
    """The first of `choices` at the smallest distance from `word` if it is ≤ `limit`, else None."""
    found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=limit)
    return None if found is None else str(found[0])
