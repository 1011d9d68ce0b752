"""Two strengths of one light French/English stemmer, for folded words.

- :func:`stem`: longest matching suffix stripped, at least three letters kept (retrieval).
- :func:`stem_light`: plurals only, and a final "e"/"y" (theme keys and labels, where
  "batteries"/"battery"/"batterie" must meet but "charge"/"charging" may stay apart).


Apply it to folded words (:func:`bot.domain.text.fold`), alike to the content and to the
question: ``stem("reposts") == stem("reposted") == stem("reposting") == "repost"``;
``stem("abonnements") == "abonn"``. Not a linguistic analyser: enough for retrieval (the
coach's BM25F) where both sides are stemmed the same way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

__all__ = ["stem", "stem_light"]

# Longest first; a stem keeps at least three letters.
_SUFFIXES: Final[tuple[tuple[str, str], ...]] = (
    ("issements", ""),
    ("issement", ""),
    ("ations", ""),
    ("ation", ""),
    ("ements", ""),
    ("ement", ""),
    ("ments", ""),
    ("ment", ""),
    ("ingly", ""),
    ("ings", ""),
    ("ing", ""),
    ("ions", ""),
    ("ion", ""),
    ("euses", ""),
    ("euse", ""),
    ("eurs", ""),
    ("eur", ""),
    ("ites", ""),
    ("ite", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ees", ""),
    ("ee", ""),
    ("ed", ""),
    ("es", ""),
    ("er", ""),
    ("ez", ""),
    ("ir", ""),
    ("ly", ""),
    ("s", ""),
    ("e", ""),
)

_MIN_STEM: Final = 3


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The stem of one folded word (words of three letters or fewer, and numbers, unchanged)."""
    if len(token) <= _MIN_STEM or token.isdigit():
        return token
    for suffix, replacement in _SUFFIXES:
        if token.endswith(suffix):
            candidate = token[: -len(suffix)] + replacement
            if len(candidate) >= _MIN_STEM:
                return candidate
    return token


@lru_cache(maxsize=65536)
def stem_light(folded: str) -> str:
    """Plurals dropped, and "batterie"/"battery" meet at "batteri" (words over four letters)."""
    w = folded
    if len(w) > 4 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 4 and w.endswith("x") and w.endswith(("aux", "eux")):
        w = w[:-1]
    if len(w) > 4:
        if w.endswith("y"):
            w = w[:-1] + "i"
        elif w.endswith("e"):
            w = w[:-1]
    return w
