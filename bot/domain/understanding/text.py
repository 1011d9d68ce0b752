"""A question as the reader sees it: folded word tokens that remember where they stand in the
original text, with shorthand expanded ("quon", "ajd", "r ppl") and typos corrected against the
known vocabulary by rapidfuzz (optimal string alignment distance 1 from 4 letters, 2 from 8)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from bot.domain.text import closest, fold_with_index, strip_hidden
from bot.domain.understanding.lexicon import Lexicon

__all__ = ["MAX_INPUT", "Prepared", "prepare"]

MAX_INPUT: Final = 600  # characters read; the rest is ignored
_WORD_RE: Final = re.compile(r"[a-z0-9]+")
_CUT_PUNCT: Final = frozenset('?.!;:,\n()[]"«»')


@dataclass(frozen=True, slots=True)
class Prepared:
    original: str
    tokens: tuple[str, ...]  # folded, shorthand expanded, typo-corrected
    spans: tuple[tuple[int, int], ...]  # of each token in `original` (expansions share a span)
    cut_after: tuple[bool, ...]  # punctuation (or the end) right after the token
    changed: tuple[tuple[int, int, str], ...]  # (start, end, replacement) of corrected words
    canon: str  # " tok tok tok "
    starts: tuple[int, ...]  # index of each token in `canon`

    def token_at(self, pos: int) -> int:
        """Index of the token that starts at or covers canon position `pos`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def slice(self, i: int, j: int) -> str:
        """Original text of tokens i..j-1."""
        return self.original[self.spans[i][0] : self.spans[j - 1][1]]


def correct(token: str, vocab: Collection[str], choices: list[str]) -> str:
    """The closest vocabulary word to a token that is not in it, or the token itself."""
    if len(token) < 4 or token in vocab or not token.isalpha():
        return token
    limit = 2 if len(token) >= 8 else 1
    cand = closest(token, choices, limit)
    if cand is None:
        return token
    if len(cand) < 4 or (cand[0] != token[0] and cand[:2] != token[1::-1]):
        return token  # first letters are rarely mistyped: "folding" is not "holding"
    return cand


def prepare(
    text: str,
    lex: Lexicon,
    vocab: Collection[str],
    choices: list[str],
    names: Collection[str] = (),
) -> Prepared:
    """Tokens of `text`. `vocab`/`choices`: the known words (a set, and the same as a list for
    rapidfuzz); `names`: folded words of the tenant's names, never corrected."""
    original = strip_hidden(text[:MAX_INPUT])
    folded, index = fold_with_index(original)
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    changed: list[tuple[int, int, str]] = []
    for m in _WORD_RE.finditer(folded):
        start, end = index[m.start()], index[m.end() - 1] + 1
        word = m.group(0)
        expansion = lex.shorthands.get(word)
        if expansion is not None:
            parts = expansion.split()
        elif word in names or (tokens and original[start].isupper()):
            parts = [word]  # a name: kept as written
        else:
            parts = [correct(word, vocab, choices)]
        if parts != [word]:
            changed.append((start, end, " ".join(parts)))
        for part in parts:
            tokens.append(part)
            spans.append((start, end))
    cut_after = []
    for k, (_, end) in enumerate(spans):
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(original)
        gap = original[end:nxt]
        cut_after.append(k + 1 == len(spans) or any(c in _CUT_PUNCT for c in gap))
    starts = []
    pos = 1
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    canon = " " + " ".join(tokens) + " "
    return Prepared(
        original,
        tuple(tokens),
        tuple(spans),
        tuple(cut_after),
        tuple(changed),
        canon,
        tuple(starts),
    )
