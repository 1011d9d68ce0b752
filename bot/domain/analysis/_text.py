"""Tokenisation for analysis: folded keys for matching, surface forms (accents kept) for labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.domain.analysis.stopwords import ARTICLES, ENGLISH, FILLERS, FRENCH, PREPOSITIONS, SOCIAL
from bot.domain.text import fold
from bot.domain.text import stem_light as stem

_URL_OR_MENTION = re.compile(r"https?://\S+|www\.\S+|(?<![\w@])@\w+", re.IGNORECASE)
_ELISION = re.compile(
    r"\b(?:[ldjtmnsc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE | re.UNICODE
)
# A word, or punctuation that ends a phrase (group 1).
_WORD_OR_BREAK = re.compile(
    r"#?[^\W\d_][\w'’\-]*|([.,;:!?()\[\]{}\"«»“”…|/\n]|\s[-–—]\s)", re.UNICODE
)


_STOP: frozenset[str] = frozenset(fold(w) for w in FRENCH | ENGLISH | SOCIAL | FILLERS)
_PREPOSITIONS: frozenset[str] = frozenset(fold(w) for w in PREPOSITIONS)
_ARTICLES: frozenset[str] = frozenset(fold(w) for w in ARTICLES)

NONE, PREPOSITION, ARTICLE = 0, 1, 2


def is_stopword(folded: str) -> bool:
    return folded in _STOP or len(folded) < 3


def clean(text: str) -> str:
    """Text without links and @mentions, elisions split off ("l'appli" -> "appli")."""
    return _ELISION.sub(" ", _URL_OR_MENTION.sub(" ", text))


@dataclass(frozen=True, slots=True)
class Token:
    surface: str  # lower case, accents kept; "" for punctuation
    key: str  # folded and stemmed; "" for stop-words and punctuation
    role: int = NONE  # PREPOSITION or ARTICLE: may join the two words of a key phrase


_BREAK = Token("", "")


def tokens(text: str) -> list[Token]:
    """Words of `text`, with stop-words and punctuation kept as key-less tokens (they break
    phrases, except prepositions and articles between two words)."""
    out: list[Token] = []
    for match in _WORD_OR_BREAK.finditer(clean(text)):
        if match.group(1) is not None:
            if out and out[-1] is not _BREAK:
                out.append(_BREAK)
            continue
        token = _token(match.group(0))
        if token is not None:
            out.append(token)
    return out


@lru_cache(maxsize=65536)
def _token(word: str) -> Token | None:
    surface = word.lstrip("#").strip("'’-").lower()
    if not surface:
        return None
    folded = fold(surface)
    if is_stopword(folded):
        role = PREPOSITION if folded in _PREPOSITIONS else ARTICLE if folded in _ARTICLES else NONE
        return Token(surface, "", role)
    key = stem(folded)
    return Token(surface, key)


_WORD_OR_NUMBER = re.compile(r"#?[^\W_][\w'’\-]*", re.UNICODE)


def normalised(text: str) -> str:
    """Text reduced for duplicate detection: folded words and numbers, single spaces.

    Numbers are kept: "livré en 3 jours" and "livré en 30 jours" are two posts, not copies."""
    return " ".join([fold(w.lstrip("#")) for w in _WORD_OR_NUMBER.findall(clean(text))])
