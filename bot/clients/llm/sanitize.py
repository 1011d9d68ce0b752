"""Checks on what a model wrote, before anyone sees it.

A model that read a poisoned post may echo its link, tag a stranger or slip in an image whose
URL carries data out. Every text field goes through `clean_output`:

- Markdown images are removed; Markdown links keep their text (and their URL only if allowed);
- HTML tags and comments are removed; emphasis and code markers are dropped;
- a link is kept only if it appears in the source material (the sample posts, the brief...);
- an @handle not in the source material loses its `@` (it no longer tags anyone);
- hidden and control characters are removed, whitespace folded, the length bounded.

`unsupported_numbers` finds figures that appear nowhere in the data the model was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from bot.domain.grounding import allowed_numbers, numbers_in, unsupported_numbers
from bot.domain.tokens import clean_text

__all__ = [
    "Allowed",
    "allowed_numbers",
    "clean_output",
    "numbers_in",
    "unsupported_numbers",
]

_MD_IMAGE_RE: Final = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_MD_LINK_RE: Final = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)[^)]*\)")
_HTML_COMMENT_RE: Final = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG_RE: Final = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS_RE: Final = re.compile(r"\*\*|__|`+")
_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'()\[\]]+")
_HANDLE_RE: Final = re.compile(r"(?<![\w@/])@(\w{1,30})")
_TRAILING_PUNCT: Final = ".,;:!?…»\"'"


def _url_key(url: str) -> str:
    url = url.rstrip(_TRAILING_PUNCT).lower()
    url = re.sub(r"^https?://", "", url).removeprefix("www.")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Allowed:
    """Links and handles found in the material given to the model."""

    urls: frozenset[str] = field(default_factory=frozenset)
    handles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_texts(cls, texts: Iterable[str], handles: Iterable[str] = ()) -> Allowed:
        urls: set[str] = set()
        found = {h.lstrip("@").lower() for h in handles if h}
        for text in texts:
            urls.update(_url_key(m) for m in _URL_RE.findall(text))
            found.update(m.lower() for m in _HANDLE_RE.findall(text))
        return cls(urls=frozenset(urls), handles=frozenset(found))

    def url_ok(self, url: str) -> bool:
        return _url_key(url) in self.urls


def clean_output(text: str, allowed: Allowed, max_chars: int, *, multiline: bool = False) -> str:
    """`text` with markup removed and unknown links and handles neutralised, at most
    `max_chars` long (cut at a word, with an ellipsis)."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        return f"{label} {url}" if url and allowed.url_ok(url) and url not in label else label

    def bare_url(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = url[len(url.rstrip(_TRAILING_PUNCT)) :]
        return url if allowed.url_ok(url) else trail

    def handle(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0) if name.lower() in allowed.handles else name

    text = _MD_IMAGE_RE.sub("", text)
    text = _MD_LINK_RE.sub(link, text)
    text = _HTML_COMMENT_RE.sub("", text)
    text = _HTML_TAG_RE.sub("", text)
    text = _EMPHASIS_RE.sub("", text)
    text = _URL_RE.sub(bare_url, text)
    text = _HANDLE_RE.sub(handle, text)
    if multiline:
        lines = [clean_text(line, len(line) + 1) for line in text.splitlines()]
        text = "\n".join(lines).strip()
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = clean_text(text, len(text) + 1)
    return _shorten(text, max_chars)


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"
