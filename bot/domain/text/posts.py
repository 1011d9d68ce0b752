"""Text normalisation and tokenisation for posts on X (French and English).

Import these from :mod:`bot.domain.text`, which also holds folding, stemming and similarity.

Pure functions, standard library only, written for throughput (tens of thousands of posts per
second per core): ASCII fast paths, ``str.translate`` tables and one compiled regex per job.

- :func:`normalise` makes a post safe and canonical for display and analysis: NFC, hidden
  characters removed (zero-width, Unicode tags U+E0000–U+E007F, bidi controls), HTML entities
  that the X API escapes decoded, URLs folded to :data:`URL_TOKEN`, @handles to :data:`USER_TOKEN`,
  whitespace collapsed.
- :func:`tokenize` splits into lowercase tokens: words (French elisions split off: ``l'``,
  ``qu'``…), numbers, #hashtags / $cashtags, emoji (one token each, skin tones and variation
  selectors dropped), ASCII emoticons, ``url`` and ``@user``. With ``punct=True`` it also keeps
  ``! ? . , ; :`` and ellipses (the sentiment model uses them for negation scope).
- :func:`fold_accents` strips diacritics (``é`` → ``e``, ``œ`` → ``oe``) for matching.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = [
    "SPECIAL_TOKENS",
    "URL_TOKEN",
    "USER_TOKEN",
    "fold_accents",
    "is_emoji_token",
    "normalise",
    "strip_hidden",
    "tokenize",
]

URL_TOKEN: Final = "URL"  # noqa: S105 (not a secret)
"""What :func:`normalise` puts in place of a link (the tokenizer then yields ``url``)."""
USER_TOKEN: Final = "@user"  # noqa: S105 (not a secret)
"""What :func:`normalise` puts in place of an @handle (the convention of the research sets)."""
SPECIAL_TOKENS: Final = frozenset({"url", "@user"})
"""Tokens that stand for folded links and handles: theme extraction should ignore them."""

# --------------------------------------------------------------------------------------------
# Hidden characters
# --------------------------------------------------------------------------------------------

_ZWJ: Final = "\u200d"
_HIDDEN_CODEPOINTS: Final[tuple[int, ...]] = (
    # zero-width and invisible formatting characters
    0x00AD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x115F,
    0x1160,  # Hangul fillers (used as "blank" characters)
    0x180E,  # Mongolian vowel separator
    0x200B,  # zero width space
    0x200C,  # zero width non-joiner
    0x2060,  # word joiner
    0x2061,
    0x2062,
    0x2063,
    0x2064,  # invisible operators
    0x3164,  # Hangul filler
    0xFEFF,  # zero width no-break space / BOM
    0xFFA0,  # halfwidth Hangul filler
    # bidirectional controls
    0x061C,  # Arabic letter mark
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
    *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
    *range(0x206A, 0x2070),  # deprecated format characters
    *range(0xFFF9, 0xFFFC),  # interlinear annotation controls
    # Unicode tag characters (used to smuggle invisible text)
    *range(0xE0000, 0xE0080),
)
_HIDDEN_TABLE: Final[dict[int, None]] = dict.fromkeys(_HIDDEN_CODEPOINTS)
_HIDDEN_CHARS: Final = frozenset(chr(c) for c in _HIDDEN_CODEPOINTS) | {_ZWJ}

_SPACE_TABLE: Final[dict[int, str]] = {
    c: " "
    for c in (
        0x0009,
        0x000A,
        0x000B,
        0x000C,
        0x000D,
        0x0085,
        0x00A0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
}
_TRANSLATE_TABLE: Final[dict[int, str | None]] = {**_HIDDEN_TABLE, **_SPACE_TABLE}

# Pictographic ranges (emoji and symbols that are used as emoji).
_EMOJI_CLASS: Final = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff"
)
# A ZWJ survives only between two pictographs (so 👩‍💻 stays one glyph); elsewhere it goes.
_STRAY_ZWJ_RE: Final = re.compile(
    f"(?<![{_EMOJI_CLASS}\ufe0f\U0001f3fb-\U0001f3ff])\u200d|\u200d(?![{_EMOJI_CLASS}])"
)


def strip_hidden(text: str) -> str:
    """Remove zero-width, tag and bidi-control characters; keep ZWJ inside emoji sequences."""
    if text.isascii():
        return text
    out = text.translate(_HIDDEN_TABLE)
    if _ZWJ in out:
        out = _STRAY_ZWJ_RE.sub("", out)
    return out


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_URL_RE: Final = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\bpic\.twitter\.com/\w+|\bhttps?\b(?![:/]?\w)"
)
_HANDLE_RE: Final = re.compile(r"(?<![\w@])@\w{1,30}")
_SPACES_RE: Final = re.compile(r" {2,}")


def _char_class(codepoints: set[int]) -> str:
    """A compact regex character class (consecutive code points merged into ranges)."""
    parts: list[str] = []
    cps = sorted(codepoints)
    start = prev = cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = cp
    return "[" + "".join(parts) + "]"


_NEEDS_TRANSLATE_RE: Final = re.compile(_char_class({*_TRANSLATE_TABLE, ord(_ZWJ)}))
_ASCII_SPACES_RE: Final = re.compile(r"[\t\n\v\f\r]")
_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def normalise(text: str) -> str:
    """Canonical form of a post: NFC, no hidden characters, links and handles folded.

    >>> normalise("Merci @Acme_FR\u200b ! https://t.co/abc  &amp; plus")
    'Merci @user ! URL & plus'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _NEEDS_TRANSLATE_RE.search(text) is not None:
            text = text.translate(_TRANSLATE_TABLE)
            if _ZWJ in text:
                text = _STRAY_ZWJ_RE.sub("", text)
    elif _ASCII_SPACES_RE.search(text) is not None:
        text = text.translate(_SPACE_TABLE)
    if "&" in text:
        for entity, char in _ENTITIES:
            text = text.replace(entity, char)
    if "ttp" in text or "www." in text or "pic.twitter" in text:
        text = _URL_RE.sub(URL_TOKEN, text)
    if "@" in text:
        text = _HANDLE_RE.sub(USER_TOKEN, text)
    if "  " in text:
        text = _SPACES_RE.sub(" ", text)
    return text.strip()


# --------------------------------------------------------------------------------------------
# Accent folding
# --------------------------------------------------------------------------------------------


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base
    table.update(
        {
            ord("œ"): "oe",
            ord("Œ"): "OE",
            ord("æ"): "ae",
            ord("Æ"): "AE",
            ord("ß"): "ss",
            ord("’"): "'",
            ord("‘"): "'",
        }
    )
    return table


_FOLD_TABLE: Final = _build_fold_table()


def fold_accents(text: str) -> str:
    """Strip diacritics from Latin letters: ``"Élève déçu"`` → ``"Eleve decu"``."""
    if text.isascii():
        return text
    return text.translate(_FOLD_TABLE)


# --------------------------------------------------------------------------------------------
# Tokenisation
# --------------------------------------------------------------------------------------------

# Most frequent first: Python's regex engine tries the branches in order at every position.
_TOKEN_CORE: Final = (
    r"[^\W\d_]+(?:'[^\W\d_]+)*"  # word (letters, inner apostrophes)
    r"|[#$][^\W\d_]\w*"  # hashtag / cashtag
    r"|@\w+"  # handle
    r"|\d+(?:[.,:h]\d+)*(?:%|€|k)?"  # number, time, amount
    f"|[{_EMOJI_CLASS}]"  # one pictograph
    r"|(?<!\w)(?:[:;=][-'o^]?[)(\]\[dpo/\\|*3$@]+|<3+|\^_?\^|</3)"  # emoticon
)
_URL_BRANCH: Final = r"(?:https?://|www\.)\S+|"  # a link, when the text was not normalised
_PUNCT_BRANCH: Final = r"|[!?]+|\.{2,}|…|[.,;:]"
_TOKEN_RE: Final = re.compile(_TOKEN_CORE)
_TOKEN_PUNCT_RE: Final = re.compile(_TOKEN_CORE + _PUNCT_BRANCH)
_TOKEN_URL_RE: Final = re.compile(_URL_BRANCH + _TOKEN_CORE)
_TOKEN_URL_PUNCT_RE: Final = re.compile(_URL_BRANCH + _TOKEN_CORE + _PUNCT_BRANCH)
_ELISION_RE: Final = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=\w)")
_DROP_IN_TOKENS_RE: Final = re.compile("[\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff]")
"""Variation selectors, the keycap mark and skin tones: dropped so an emoji is one token."""


@lru_cache(maxsize=65536)
def _split_apostrophe(token: str) -> tuple[str, ...]:
    m = _ELISION_RE.match(token)
    if m is None:
        return (token,)
    head = m.group(0)
    rest = token[len(head) :]
    return (head, *_split_apostrophe(rest))


def tokenize(text: str, punct: bool = False) -> list[str]:
    """Lowercase tokens of a (preferably :func:`normalise`-d) post.

    Links become ``url``, handles ``@user``; French elisions are split (``l'``, ``qu'``);
    hashtags keep their ``#``; each emoji is a token. With ``punct=True``, ``! ? . , ; :`` and
    ellipses are kept as tokens too.

    >>> tokenize("J'adore l'appli de @Acme 😍👍🏽 #Merci :) https://x.co/a")
    ["j'", 'adore', "l'", 'appli', 'de', '@user', '😍', '👍', '#merci', ':)', 'url']
    """
    low = text.lower()
    if not low.isascii():
        # A regex pass, not str.translate: translate with a table is slow on non-ASCII text.
        if _DROP_IN_TOKENS_RE.search(low) is not None:
            low = _DROP_IN_TOKENS_RE.sub("", low)
        if "’" in low:
            low = low.replace("’", "'")
    if "://" in low or "www." in low:
        tokens = (_TOKEN_URL_PUNCT_RE if punct else _TOKEN_URL_RE).findall(low)
    else:
        tokens = (_TOKEN_PUNCT_RE if punct else _TOKEN_RE).findall(low)
    if "'" in low:
        out: list[str] = []
        for tok in tokens:
            if "'" in tok:
                out.extend(_split_apostrophe(tok))
            else:
                out.append(tok)
        tokens = out
    if "@" in low or "://" in low or "www." in low:
        for i, tok in enumerate(tokens):
            if tok[0] == "@":
                tokens[i] = USER_TOKEN
            elif tok.startswith(("http", "www.")) and len(tok) > 4:
                tokens[i] = "url"
    return tokens


def is_emoji_token(token: str) -> bool:
    """True for a token that is a single pictograph (as :func:`tokenize` yields them)."""
    return len(token) == 1 and _EMOJI_SINGLE_RE.match(token) is not None


_EMOJI_SINGLE_RE: Final = re.compile(f"[{_EMOJI_CLASS}]")

# Keep the names used for hidden characters importable for tests and other modules.
HIDDEN_CHARACTERS: Final = _HIDDEN_CHARS
