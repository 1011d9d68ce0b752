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

from bot.domain.tokens import clean_text

_MD_IMAGE_RE: Final = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
_MD_LINK_RE: Final = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)[^)]*\)")
_HTML_COMMENT_RE: Final = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_HTML_TAG_RE: Final = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS_RE: Final = re.compile(r"\*\*|__|`+")
_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'()\[\]]+")
_HANDLE_RE: Final = re.compile(r"(?<![\w@/])@(\w{1,30})")
_TRAILING_PUNCT: Final = ".,;:!?…»\"'"
_NUMBER_RE: Final = re.compile(r"\d+(?:[ \u00a0\u202f.,]\d+)*")
_ALWAYS_ALLOWED_NUMBERS: Final = frozenset({*range(0, 11), 12, 24, 30, 48, 72, 100})


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


def _parse_number(raw: str) -> float | None:
    digits = re.sub(r"[ \u00a0\u202f]", "", raw)
    if "," in digits and "." in digits:
        thousands = "," if digits.index(",") < digits.index(".") else "."
        digits = digits.replace(thousands, "").replace(",", ".")
    elif "," in digits or "." in digits:
        sep = "," if "," in digits else "."
        groups = digits.split(sep)
        if len(groups) > 2 or (len(groups) == 2 and len(groups[1]) == 3 and groups[0] != "0"):
            digits = "".join(groups)  # thousands separators: 12,500 or 1.234.567
        else:
            digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def numbers_in(text: str) -> list[float]:
    return [n for n in (_parse_number(m) for m in _NUMBER_RE.findall(text)) if n is not None]


def allowed_numbers(values: Iterable[object]) -> frozenset[float]:
    """Every number the model may write: the values, their percentages and roundings."""
    found: set[float] = set()
    for value in values:
        if isinstance(value, bool):
            continue
        numbers = [float(value)] if isinstance(value, int | float) else numbers_in(str(value))
        for n in numbers:
            found.update({n, round(n), round(n, 1)})
            if 0 < abs(n) <= 1:
                found.update({round(n * 100), round(n * 100, 1)})
            if abs(n) >= 1000:
                found.update({round(n / 1000), round(n / 1000, 1)})  # 12 500 → "12,5k"
            if abs(n) >= 1_000_000:
                found.update({round(n / 1e6), round(n / 1e6, 1)})
    return frozenset(found)


def unsupported_numbers(text: str, allowed: frozenset[float]) -> list[float]:
    """Numbers in `text` that are neither small counts, years, nor found in `allowed`."""
    bad = []
    for n in numbers_in(text):
        if n in _ALWAYS_ALLOWED_NUMBERS or (n.is_integer() and 2000 <= n <= 2100):
            continue
        if n in allowed or round(n, 1) in allowed:
            continue
        bad.append(n)
    return bad
