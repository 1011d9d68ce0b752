"""The post as the checks see it: its NFC and folded forms with offsets back to the text as
given, and its entities (URLs, hashtags, mentions, emoji) found on the NFC text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from twitter_text import extract_emojis_with_indices, extract_urls_with_indices

from bot.domain.text import fold_with_index

__all__ = [
    "Entity",
    "PostText",
    "find_emoji",
    "find_hashtags",
    "find_mentions",
    "find_urls",
    "host_of",
    "outside",
]


class PostText:
    """The text as given, its NFC form, and the map from NFC positions back to the original."""

    def __init__(self, original: str) -> None:
        self.original = original
        if unicodedata.is_normalized("NFC", original):
            self.nfc = original
            self.spans = [(i, i + 1) for i in range(len(original))]
        else:
            self.nfc, self.spans = _nfc_with_spans(original)
        # Folded text (case, accents, invisible characters) and, per folded char, its NFC index.
        self.folded, self.folded_index = fold_with_index(self.nfc)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the NFC range [start, end)."""
        if not self.spans:
            return 0, 0
        if end <= start:
            pos = self.spans[start][0] if start < len(self.spans) else len(self.original)
            return pos, pos
        return self.spans[start][0], self.spans[end - 1][1]

    def folded_to_nfc(self, start: int, end: int) -> tuple[int, int]:
        return self.folded_index[start], self.folded_index[end - 1] + 1


def _nfc_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """NFC, segment by segment (a starter and its combining marks), keeping where each came from."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for i in range(1, n + 1):
        if i < n and unicodedata.combining(text[i]):
            continue
        segment = text[start:i]
        norm = unicodedata.normalize("NFC", segment)
        if len(norm) == len(segment):
            spans.extend((start + k, start + k + 1) for k in range(len(norm)))
        else:
            spans.extend((start, i) for _ in norm)
        out.append(norm)
        start = i
    return "".join(out), spans


_HASHTAG_RE = re.compile(r"(?<![\w&])[#＃](?![\ufe0f\u20e3])(\w*[^\W\d_]\w*)")
_MENTION_RE = re.compile(
    r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@＠]|://)"
)
_NOT_EMOJI = frozenset("©®™")


@dataclass(frozen=True, slots=True)
class Entity:
    text: str
    start: int  # NFC offsets
    end: int


_SCHEME_URL_RE = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>\"']+")
_URL_TRAILING = ".,;:!?…»)\"'"


def find_urls(nfc: str) -> list[Entity]:
    """X's links, and any text with an explicit scheme (`http://evil.example/x`): X may not
    make a link of an unknown top-level domain, but the line's link rules still apply to it."""
    found = [
        Entity(u["url"], u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(nfc)
    ]
    for m in _SCHEME_URL_RE.finditer(nfc):
        text = m.group(0).rstrip(_URL_TRAILING)
        start, end = m.start(), m.start() + len(text)
        if "://" in text and text.split("://", 1)[1] and outside(found, start, end):
            found.append(Entity(text, start, end))
    found.sort(key=lambda e: e.start)
    return found


def outside(spans: Iterable[Entity], start: int, end: int) -> bool:
    return all(end <= s.start or start >= s.end for s in spans)


def find_hashtags(nfc: str, urls: list[Entity]) -> list[Entity]:
    return [
        Entity(m.group(0), m.start(), m.end())
        for m in _HASHTAG_RE.finditer(nfc)
        if outside(urls, m.start(), m.end())
    ]


def find_mentions(nfc: str, urls: list[Entity]) -> list[Entity]:
    return [
        Entity(m.group(1), m.start(), m.end())
        for m in _MENTION_RE.finditer(nfc)
        if outside(urls, m.start(), m.end())
    ]


def find_emoji(nfc: str) -> list[Entity]:
    return [
        Entity(e["emoji"], e["indices"][0], e["indices"][1])
        for e in extract_emojis_with_indices(nfc)
        if e["emoji"] not in _NOT_EMOJI
    ]


def host_of(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname
    except ValueError:
        return ""
    return (host or "").lower()
