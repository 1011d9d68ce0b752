"""A small evaluator of the X API v2 search query syntax, for the demo corpus.

Supported: keywords (tokenized, case-insensitive, accent-sensitive like X), "exact phrases"
(with `\\"` escapes), `#hashtags`, `$cashtags`, `@mentions`, `from:`, `to:`, `lang:`,
`is:reply`, `is:quote`, `is:verified`, `is:retweet` (never true: search returns no reposts),
implicit AND by juxtaposition, `OR` (AND binds tighter, as on X), parentheses, `-` negation.
Other operators raise `QuerySyntaxError` rather than silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.domain.text import nfc_lower

MAX_QUERY_LENGTH = 512

_WORD_RE = re.compile(r"\w+")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_CASHTAG_RE = re.compile(r"(?<![\w$])\$([A-Za-z]\w*)")
_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")
_OPERATOR_RE = re.compile(r"^([a-z_]+):(.+)$")
_UNSUPPORTED = {
    "url",
    "has",
    "place",
    "place_country",
    "point_radius",
    "bounding_box",
    "conversation_id",
    "retweets_of",
    "context",
    "entity",
    "list",
    "sample",
    "source",
    "in_reply_to_tweet_id",
    "retweets_of_tweet_id",
    "quotes_of_tweet_id",
    "url_title",
    "url_description",
}


class QuerySyntaxError(ValueError):
    """The query is not valid X search syntax (or uses an operator the demo lacks)."""


@dataclass(frozen=True, slots=True)
class PostFeatures:
    """What the evaluator needs of a post, precomputed once."""

    words: frozenset[str]
    padded: str  # " w1 w2 ... " for phrase matching
    text: str  # lowercased, NFC
    hashtags: frozenset[str]
    cashtags: frozenset[str]
    mentions: frozenset[str]
    author: str  # lowercased handle
    reply_to_author: str | None
    lang: str | None
    is_reply: bool
    is_quote: bool
    verified: bool


def features(
    text: str,
    *,
    author: str,
    lang: str | None,
    reply_to_author: str | None = None,
    is_reply: bool = False,
    is_quote: bool = False,
    verified: bool = False,
) -> PostFeatures:
    low = nfc_lower(text)
    words = _WORD_RE.findall(low)
    return PostFeatures(
        words=frozenset(words),
        padded=f" {' '.join(words)} ",
        text=low,
        hashtags=frozenset(_HASHTAG_RE.findall(low)),
        cashtags=frozenset(_CASHTAG_RE.findall(low)),
        mentions=frozenset(_MENTION_RE.findall(low)),
        author=author.lower(),
        reply_to_author=reply_to_author.lower() if reply_to_author else None,
        lang=lang,
        is_reply=is_reply,
        is_quote=is_quote,
        verified=verified,
    )


Matcher = Callable[[PostFeatures], bool]


# -- tokens ---------------------------------------------------------------------------------

_LPAREN, _RPAREN, _OR, _NEG, _PHRASE, _WORD = "(", ")", "OR", "-", "phrase", "word"


def _tokens(query: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append((ch, ch))
            i += 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace():
            out.append((_NEG, ch))
            i += 1
        elif ch == '"':
            i += 1
            buf: list[str] = []
            while i < n and query[i] != '"':
                if query[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(query[i])
                i += 1
            if i >= n:
                raise QuerySyntaxError(f"unterminated quoted phrase in {query!r}")
            i += 1
            out.append((_PHRASE, "".join(buf)))
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in '()"':
                i += 1
            word = query[start:i]
            out.append((_OR, word) if word == "OR" else (_WORD, word))
    return out


# -- parser (recursive descent) ------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Matcher:
        if not self.tokens:
            raise QuerySyntaxError("empty query")
        matcher = self.or_expr()
        if self.pos != len(self.tokens):
            raise QuerySyntaxError(f"unexpected {self.tokens[self.pos][1]!r} in {self.query!r}")
        return matcher

    def or_expr(self) -> Matcher:
        parts = [self.and_expr()]
        while self.peek() == _OR:
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda p: any(m(p) for m in parts)

    def and_expr(self) -> Matcher:
        parts: list[Matcher] = []
        while self.peek() not in (None, _OR, _RPAREN):
            parts.append(self.unary())
        if not parts:
            raise QuerySyntaxError(f"missing term in {self.query!r}")
        if len(parts) == 1:
            return parts[0]
        return lambda p: all(m(p) for m in parts)

    def unary(self) -> Matcher:
        if self.peek() == _NEG:
            self.take()
            inner = self.unary()
            return lambda p: not inner(p)
        return self.atom()

    def atom(self) -> Matcher:
        kind, value = self.take()
        if kind == _LPAREN:
            inner = self.or_expr()
            if self.peek() != _RPAREN:
                raise QuerySyntaxError(f"unbalanced parentheses in {self.query!r}")
            self.take()
            return inner
        if kind == _PHRASE:
            return _phrase(value)
        if kind == _WORD:
            return _word(value)
        raise QuerySyntaxError(f"unexpected {value!r} in {self.query!r}")


def _phrase(value: str) -> Matcher:
    words = _WORD_RE.findall(nfc_lower(value))
    if not words:
        needle = value.lower()
        return lambda p: needle in p.text
    padded = f" {' '.join(words)} "
    return lambda p: padded in p.padded


def _word(value: str) -> Matcher:
    low = nfc_lower(value)
    if low.startswith("#") and len(low) > 1:
        tag = low[1:]
        return lambda p: tag in p.hashtags
    if low.startswith("$") and len(low) > 1:
        cash = low[1:]
        return lambda p: cash in p.cashtags
    if low.startswith("@") and len(low) > 1:
        handle = low[1:]
        return lambda p: handle in p.mentions
    op = _OPERATOR_RE.match(low)
    if op:
        return _operator(op.group(1), op.group(2))
    words = _WORD_RE.findall(low)
    if len(words) == 1 and words[0] == low:
        return lambda p: low in p.words
    return _phrase(value)


def _operator(name: str, arg: str) -> Matcher:
    if name == "from":
        handle = arg.removeprefix("@")
        return lambda p: p.author == handle
    if name == "to":
        handle = arg.removeprefix("@")
        return lambda p: p.reply_to_author == handle
    if name == "lang":
        return lambda p: p.lang == arg
    if name == "is":
        if arg == "reply":
            return lambda p: p.is_reply
        if arg == "quote":
            return lambda p: p.is_quote
        if arg == "verified":
            return lambda p: p.verified
        if arg == "retweet":
            return lambda p: False
        raise QuerySyntaxError(f"unsupported operator is:{arg}")
    if name in _UNSUPPORTED:
        raise QuerySyntaxError(f"operator {name}: is not supported by the demo source")
    return _phrase(f"{name} {arg}")


@lru_cache(maxsize=512)
def compile_query(query: str) -> Matcher:
    """A predicate over `PostFeatures`; raises `QuerySyntaxError` for invalid queries."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query is {len(query)} characters; X accepts at most {MAX_QUERY_LENGTH}"
        )
    return _Parser(query).parse()
