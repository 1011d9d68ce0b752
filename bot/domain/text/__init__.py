"""The bot's one text module (French and English): import every text primitive from here.

Posts (:mod:`.posts`, written for throughput on posts from X):

- :func:`normalise` — a post made canonical for display and analysis: NFC, hidden characters
  removed, HTML entities decoded, links → :data:`URL_TOKEN`, @handles → :data:`USER_TOKEN`.
- :func:`tokenize` — lowercase tokens of a post: words (French elisions split off: ``l'``),
  numbers, ``#hashtags``/``$cashtags``, ``@user``, ``url``, one token per emoji, emoticons;
  ``punct=True`` keeps ``! ? . , ; :``. :func:`is_emoji_token`, :data:`SPECIAL_TOKENS`.
- :func:`strip_hidden` — zero-width, tag and bidi-control characters removed.
- :func:`fold_accents` — diacritics stripped from Latin letters, case kept (a fast table).

Folding, for comparing words (:mod:`.fold`):

- :func:`fold` — THE comparison key: casefold, accents and compatibility forms removed,
  ligatures spelled out, typographic apostrophes → ``'``, dashes → ``-``, spaces → ``" "``,
  invisible characters dropped. :func:`fold_char` is the same for one character.
- :func:`fold_with_index` — :func:`fold` plus, per folded character, its index in the input
  (to map a match on the folded text back to the text as written).
- :func:`words` / :func:`fold_words` — the ``[a-z0-9]+`` words of the folded text, as a list or
  joined by single spaces (vocabulary keys: ``fold_words("Plus  court !") == "plus court"``).
- :func:`nfc_lower` — NFC + lower case, accents kept, for accent-sensitive matching.

Stemming (:mod:`.stem`): :func:`stem` — one light FR/EN suffix stemmer, on folded words;
:func:`stem_light` — plurals and a final e/y only (theme keys and labels).

Similarity (:mod:`.similarity`, rapidfuzz): :func:`distance` — optimal string alignment distance
with an optional cut-off; :func:`closest` — the nearest of a list of words within a limit.
"""

from __future__ import annotations

from bot.domain.text.fold import fold, fold_char, fold_with_index, fold_words, nfc_lower, words
from bot.domain.text.posts import (
    HIDDEN_CHARACTERS,
    SPECIAL_TOKENS,
    URL_TOKEN,
    USER_TOKEN,
    fold_accents,
    is_emoji_token,
    normalise,
    strip_hidden,
    tokenize,
)
from bot.domain.text.similarity import closest, distance
from bot.domain.text.stem import stem, stem_light

__all__ = [
    "HIDDEN_CHARACTERS",
    "SPECIAL_TOKENS",
    "URL_TOKEN",
    "USER_TOKEN",
    "closest",
    "distance",
    "fold",
    "fold_accents",
    "fold_char",
    "fold_with_index",
    "fold_words",
    "is_emoji_token",
    "nfc_lower",
    "normalise",
    "stem",
    "stem_light",
    "strip_hidden",
    "tokenize",
    "words",
]
