"""Folding: the comparison key of a text (case, accents, typographic marks, invisible characters).

One fold for the whole bot: two texts that a reader would call "the same words" fold to the
same string. ``fold("Scandalé — l’Œuvre")`` → ``"scandale - l'oeuvre"``.

- :func:`fold_char` folds one character: casefold, compatibility decomposition (NFKD, so
  ``ﬁ`` → ``fi``, full-width ``Ａ`` → ``a``), combining marks dropped, ligatures and a few
  letters NFKD leaves alone (``œ æ ø ł đ ı``) spelled out, every dash ``-``, every typographic
  apostrophe/quote-like mark ``'``, every space ``" "``, invisible characters (format
  characters, variation selectors, Hangul fillers) removed (``""``).
- :func:`fold` is :func:`fold_char` over a text (ASCII fast path).
- :func:`fold_with_index` is :func:`fold` that also says, for each folded character, the index
  of the character of the input it comes from — to map a match in the folded text back to the
  text as written (compliance findings, the reader's spans).
- :func:`words` / :func:`fold_words`: the ``[a-z0-9]+`` words of the folded text (apostrophes,
  hyphens and punctuation separate words) — as a list, or joined by single spaces (the key of
  phrases in vocabularies).
- :func:`nfc_lower`: NFC and lower case only, accents kept — for matching that must stay
  accent-sensitive (X search semantics, command words).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = ["fold", "fold_char", "fold_with_index", "fold_words", "nfc_lower", "words"]

_EXTRA_FOLD: Final = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}
_INVISIBLE: Final = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_DASHES: Final = "‐‑‒–—―−"
_APOSTROPHES: Final = "’‘ʼ´`′"
# ASCII characters whose fold is not their lower case: "`" is an apostrophe, control spaces
# ("\t\n\v\f\r" and the information separators that str.isspace accepts) are spaces.
_ASCII_TABLE: Final = {ord("`"): "'", **{c: " " for c in range(128) if chr(c).isspace()}}
_WORD_RE: Final = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """Case-, accent- and compatibility-folded form of one character ("" for invisible ones)."""
    if unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f" or ch in _INVISIBLE:
        return ""
    if ch in _DASHES:
        return "-"
    if ch in _APOSTROPHES:
        return "'"
    if ch.isspace():
        return " "
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(c):
            continue
        c = c.casefold()
        out.append(_EXTRA_FOLD.get(c, c))
    return "".join(out)


class _FoldTable(dict[int, str]):
    """Code point → :func:`fold_char`, filled on first sight (for ``str.translate``)."""

    def __missing__(self, codepoint: int) -> str:
        folded = fold_char(chr(codepoint))
        if len(self) < _TABLE_MAX:
            self[codepoint] = folded
        return folded


_TABLE_MAX: Final = 65536  # distinct characters remembered (memory stays bounded)
_TABLE: Final = _FoldTable()


def fold(text: str) -> str:
    """Case-, accent-folded text without invisible characters: "Scandalé" → "scandale"."""
    if text.isascii():
        return text.lower().translate(_ASCII_TABLE)
    return text.translate(_TABLE)


def fold_with_index(text: str) -> tuple[str, list[int]]:
    """:func:`fold` of `text`, and for each folded character the index in `text` of the
    character it comes from (one input character may give none, one or several)."""
    if text.isascii():
        return text.lower().translate(_ASCII_TABLE), list(range(len(text)))
    chars: list[str] = []
    index: list[int] = []
    table = _TABLE
    for i, ch in enumerate(text):
        folded = table[ord(ch)]
        chars.append(folded)
        index.extend([i] * len(folded))
    return "".join(chars), index


def words(text: str) -> list[str]:
    """The folded words of `text`: ``"L’été, 2026 !"`` → ``["l", "ete", "2026"]``."""
    return _WORD_RE.findall(fold(text))


@lru_cache(maxsize=8192)
def fold_words(text: str) -> str:
    """The folded words of `text` joined by single spaces: "Plus  court !" → "plus court"."""
    return " ".join(_WORD_RE.findall(fold(text)))


def nfc_lower(text: str) -> str:
    """NFC and lower case, accents kept (accent-sensitive matching: X search, command words)."""
    return unicodedata.normalize("NFC", text).lower()
