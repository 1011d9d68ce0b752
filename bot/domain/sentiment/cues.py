"""Lexicons and phrase cues of the sentiment model: their text formats, parsed.

- the polarity lexicon (``models/polarity_lexicon.txt``): ``+ w1 w2 …`` / ``- w1 w2 …``;
- the phrase cues (``models/sentiment_cues.txt``): idioms and sarcasm cues read as one polar
  unit (``+`` / ``-``) and negations whose scope runs to the end of the clause (``~``);
- the VADER valence table (``word TAB valence``).

All three are embedded in the model file, so inference reads no other file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.domain.text import fold_accents, tokenize

_MODELS: Final = Path(__file__).resolve().parents[1] / "models"
LEXICON_PATH: Final = _MODELS / "polarity_lexicon.txt"
CUES_PATH: Final = _MODELS / "sentiment_cues.txt"


def parse_lexicon(text: str) -> dict[str, int]:
    """Parse the polarity lexicon format: lines ``+ w1 w2 …`` / ``- w1 w2 …``; ``#`` comments.

    A word listed with both polarities is dropped.
    """
    lex: dict[str, int] = {}
    conflicts: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        sign, _, words = line.partition(" ")
        if sign not in "+-" or len(sign) != 1:
            raise ValueError(f"bad lexicon line: {line[:40]!r}")
        pol = 1 if sign == "+" else -1
        for word in words.split():
            key = fold_accents(word.lower())
            if lex.get(key, pol) != pol:
                conflicts.add(key)
            lex[key] = pol
    for key in conflicts:
        del lex[key]
    return lex


@dataclass(frozen=True, slots=True)
class Cues:
    """Phrase cues of ``models/sentiment_cues.txt``, as token tuples.

    ``polar`` maps a phrase to +1 (positive idiom) or -1 (negative idiom, sarcasm cue); ``wide``
    holds the negations whose scope runs to the end of the clause. Each phrase is stored as
    written and accent-folded, and indexed by its longest token (``by_key``: phrase and that
    token's offset in it) — a rare word, so most posts skip the phrase search in one set test.
    """

    polar: dict[tuple[str, ...], int]
    wide: frozenset[tuple[str, ...]]
    keys: frozenset[str]
    by_key: dict[str, tuple[tuple[tuple[str, ...], int], ...]]

    @classmethod
    def empty(cls) -> Cues:
        return cls({}, frozenset(), frozenset(), {})

    def matches(self, tokens: Sequence[str]) -> dict[int, tuple[str, ...]]:
        """Non-overlapping phrase matches by start position: leftmost first, then longest."""
        found: list[tuple[int, int, tuple[str, ...]]] = []
        for j, tok in enumerate(tokens):
            for phrase, offset in self.by_key.get(tok, ()):
                start = j - offset
                if start >= 0 and tuple(tokens[start : start + len(phrase)]) == phrase:
                    found.append((start, -len(phrase), phrase))
        out: dict[int, tuple[str, ...]] = {}
        end = 0
        for start, _, phrase in sorted(found):
            if start >= end:
                out[start] = phrase
                end = start + len(phrase)
        return out


def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    out: list[str] = []
    for word in phrase.lower().split():
        # A lone elided word (« n' ») is kept: in a post it is split off the next word.
        out.extend([word] if word.endswith("'") else tokenize(word, punct=True))
    return tuple(out)


def parse_cues(text: str) -> Cues:
    """Parse the cue file: lines ``+ phrase`` / ``- phrase`` / ``~ phrase``; ``#`` comments."""
    polar: dict[tuple[str, ...], int] = {}
    wide: set[tuple[str, ...]] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        mark, _, phrase = line.partition(" ")
        if mark not in ("+", "-", "~") or not phrase.strip():
            raise ValueError(f"bad cue line: {line[:40]!r}")
        toks = _phrase_tokens(phrase)
        for variant in {toks, tuple(fold_accents(t) for t in toks)}:
            if mark == "~":
                wide.add(variant)
            else:
                polar[variant] = 1 if mark == "+" else -1
    every: set[tuple[str, ...]] = {*polar, *wide}
    by_key: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for toks in sorted(every):
        offset = max(range(len(toks)), key=lambda k: (len(toks[k]), -k))
        by_key.setdefault(toks[offset], []).append((toks, offset))
    return Cues(
        polar,
        frozenset(wide),
        frozenset(by_key),
        {k: tuple(v) for k, v in by_key.items()},
    )


def parse_valence(text: str) -> dict[str, float]:
    """Parse a ``word TAB valence`` table (the VADER lexicon's first two columns)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        word, _, rest = line.partition("\t")
        if word and rest:
            out[fold_accents(word.lower())] = float(rest.split("\t")[0])
    return out
