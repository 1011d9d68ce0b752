"""What the fake X server serves: posts and users as X's JSON, snowflake ids, and the search
query language (enough of it to match posts as X does)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TWITTER_EPOCH_MS = 1288834974657


def snowflake(created_at: datetime, seq: int = 0) -> str:
    ms = int(created_at.timestamp() * 1000)
    return str(((ms - TWITTER_EPOCH_MS) << 22) | (seq & 0x3FFFFF))


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class FakeUser:
    id: str
    username: str
    name: str
    followers: int = 0
    verified: bool = False
    description: str = ""

    def to_json(self, fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "username": self.username}
        if "verified" in fields:
            out["verified"] = self.verified
        if "description" in fields:
            out["description"] = self.description
        if "public_metrics" in fields:
            out["public_metrics"] = {
                "followers_count": self.followers,
                "following_count": 10,
                "tweet_count": 100,
                "listed_count": 1,
                "like_count": 5,
            }
        return out


@dataclass
class FakePost:
    id: str
    text: str
    author_id: str
    created_at: datetime
    lang: str = "en"
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int = 0
    reply_to_id: str | None = None
    quote_of_id: str | None = None
    conversation_id: str | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes

    def to_json(self, fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "edit_history_tweet_ids": [self.id],
        }
        if "author_id" in fields:
            out["author_id"] = self.author_id
        if "created_at" in fields:
            out["created_at"] = iso(self.created_at)
        if "lang" in fields:
            out["lang"] = self.lang
        if "conversation_id" in fields:
            out["conversation_id"] = self.conversation_id or self.id
        if "public_metrics" in fields:
            out["public_metrics"] = {
                "retweet_count": self.reposts,
                "reply_count": self.replies,
                "like_count": self.likes,
                "quote_count": self.quotes,
                "bookmark_count": 0,
                "impression_count": self.impressions,
            }
        if "referenced_tweets" in fields:
            refs = []
            if self.reply_to_id:
                refs.append({"type": "replied_to", "id": self.reply_to_id})
            if self.quote_of_id:
                refs.append({"type": "quoted", "id": self.quote_of_id})
            if refs:
                out["referenced_tweets"] = refs
        return out


# -- query matching -------------------------------------------------------------------------

_TOKEN_RE = re.compile(r'\(|\)|-?"[^"]*"|[^\s()]+')


class QueryError(ValueError):
    pass


Matcher = Callable[[FakePost, FakeUser | None], bool]


def compile_query(query: str) -> Matcher:
    """X search syntax, enough of it: AND by juxtaposition, OR, parentheses, "phrases",
    -negation, lang:, from:, is:reply, is:retweet (never true: reposts are not returned)."""
    tokens = _TOKEN_RE.findall(query)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def parse_or() -> Matcher:
        parts = [parse_and()]
        while peek() == "OR":
            take()
            parts.append(parse_and())
        return lambda p, u: any(m(p, u) for m in parts)

    def parse_and() -> Matcher:
        parts: list[Matcher] = []
        while (tok := peek()) is not None and tok not in (")", "OR"):
            parts.append(parse_unary())
        if not parts:
            raise QueryError("empty clause")
        return lambda p, u: all(m(p, u) for m in parts)

    def parse_unary() -> Matcher:
        tok = peek()
        if tok is not None and tok.startswith("-") and len(tok) > 1:
            take()
            inner = atom(tok[1:])
            return lambda p, u: not inner(p, u)
        if tok == "(":
            take()
            inner = parse_or()
            if peek() != ")":
                raise QueryError("unbalanced parenthesis")
            take()
            return inner
        return atom(take())

    def atom(tok: str) -> Matcher:
        if tok.startswith('"') and tok.endswith('"') and len(tok) >= 2:
            phrase = tok[1:-1].lower()
            return lambda p, u: phrase in p.text.lower()
        key, sep, value = tok.partition(":")
        if sep and key in {"lang", "from", "is", "has", "to"}:
            value_l = value.lower()
            if key == "lang":
                return lambda p, u: p.lang == value_l
            if key == "from":
                return lambda p, u: u is not None and u.username.lower() == value_l.lstrip("@")
            if key == "is" and value_l == "reply":
                return lambda p, u: p.reply_to_id is not None
            if key == "is" and value_l == "retweet":
                return lambda p, u: False
            return lambda p, u: True
        term = tok.lower()
        return lambda p, u: term in p.text.lower()

    matcher = parse_or()
    if pos != len(tokens):
        raise QueryError("unexpected token")
    return matcher
