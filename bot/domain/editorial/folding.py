"""Text folding for comparing what the editorial line says with what a post says.

`fold("Scandalé")` is "scandale": case-, accent- and compatibility-folded, without invisible
characters; dashes and apostrophes are unified. Shared with the compliance checker.
"""

from __future__ import annotations

import unicodedata

_EXTRA_FOLD = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_DASHES = "‐‑‒–—―−"
_APOSTROPHES = "’‘ʼ´`′"


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


def fold(text: str) -> str:
    """Case-, accent-folded text without invisible characters: "Scandalé" → "scandale"."""
    return "".join(fold_char(c) for c in text)


def hashtag_key(tag: str) -> str:
    """Comparison key of a hashtag: "#Vélo" and "#velo" are the same tag."""
    return fold(tag.lstrip("#＃"))
