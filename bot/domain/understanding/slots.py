"""Slots of a question: a linked post, the tenant's names, the topic, the brief of a draft.

Names come from the tenant's watch profile (own names, competitors, products), matched word by
word, with one typo allowed from five letters (rapidfuzz). The topic is what follows a lead
("about", « sur », « à propos de ») once periods, fillers and the words every question uses are
trimmed; a topic made only of such words, or of our own names, is no topic.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Final

from bot.domain.text import distance, fold_words
from bot.domain.understanding.lexicon import Lexicon
from bot.domain.understanding.text import Prepared

__all__ = [
    "MAX_TOPIC_CHARS",
    "draft_brief",
    "find_name",
    "post_ref",
    "self_topic",
    "topic_after",
    "unknown_competitor",
]

MAX_TOPIC_CHARS: Final = 80
"""A topic or draft brief longer than this is cut (at a word boundary)."""
_URL_POST_RE: Final = re.compile(
    r"(?i)\b(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[\w]+|i/web)/status(?:es)?/"
    r"(\d{5,25})"
)
_BARE_ID_RE: Final = re.compile(r"(?<![\w/])(\d{15,25})(?![\w/])")
_ARTICLES: Final = frozenset({"la", "le", "les", "l", "the", "a", "un", "une"})


def post_ref(text: str) -> str | None:
    """The status id of a post the text links to or names."""
    m = _URL_POST_RE.search(text)
    if m is not None:
        return m.group(1)
    m = _BARE_ID_RE.search(text)
    return m.group(1) if m is not None else None


def find_name(t: Prepared, names: Sequence[str]) -> tuple[str, int, int] | None:
    """The first of `names` found in the text (exact, or one typo from five letters)."""
    for name in names:
        parts = fold_words(name).split()
        if not parts:
            continue
        n = len(parts)
        for i in range(len(t.tokens) - n + 1):
            if all(
                t.tokens[i + k] == part
                or (len(part) >= 5 and distance(t.tokens[i + k], part, 1) <= 1)
                for k, part in enumerate(parts)
            ):
                return name, i, i + n
    return None


def unknown_competitor(
    t: Prepared, lex: Lexicon, known: Collection[str]
) -> tuple[str, int, int] | None:
    """A name after "chez", "vs", "compared to"… that is not a generic or known word."""
    for m in lex.competitor_leads.finditer(t.canon):
        i = t.token_at(m.end() + 1)
        if i >= len(t.tokens) or t.starts[i] <= m.start():
            continue
        while i < len(t.tokens) and t.tokens[i] in _ARTICLES:
            i += 1
        if i >= len(t.tokens):
            continue
        tok = t.tokens[i]
        if (
            tok in lex.generic_others
            or tok in lex.self_words
            or tok in known
            or tok in lex.words
            or tok.isdigit()
        ):
            continue
        word = t.slice(i, i + 1)
        if m.group(0) in ("chez", "vs", "versus") or word[:1].isupper():
            return word, i, i + 1
    return None


def _trim(t: Prepared, i: int, j: int, lex: Lexicon, skip: set[int]) -> tuple[int, int]:
    """Tokens i..j-1 without periods, fillers and lead words at either end."""
    changed = True
    regexes = (lex.noise, *(r for _, r in lex.periods))
    while changed and i < j:
        changed = False
        sub = " " + " ".join(t.tokens[i:j]) + " "
        at_start = at_end = 0
        for regex in regexes:
            for m in regex.finditer(sub):
                n_words = len(m.group(0).split())
                if m.end() + 1 == len(sub):
                    at_end = max(at_end, n_words)
                if m.start() == 1:
                    at_start = max(at_start, n_words)
        if at_end:
            j -= at_end
            changed = True
            continue
        if at_start:
            i += at_start
            changed = True
            continue
        drop = lex.lead_words | lex.weekdays.keys()
        while i < j and (t.tokens[i] in drop or i in skip):
            i += 1
            changed = True
        while i < j and (t.tokens[j - 1] in drop or (j - 1) in skip):
            j -= 1
            changed = True
    return i, j


def clean_topic(
    t: Prepared, i: int, j: int, lex: Lexicon, generic: Collection[str], skip: set[int]
) -> str | None:
    """The topic phrase in tokens i..j-1 (up to the first punctuation), or None."""
    end = i
    while end < j and not (end > i and t.cut_after[end - 1]):
        end += 1
    i, j = _trim(t, i, end, lex, skip)
    if i >= j:
        return None
    words = set(t.tokens[i:j])
    if words <= (lex.self_words | lex.lead_words | lex.words | set(generic)):
        return None
    phrase = t.slice(i, j).strip(" '’-")
    if len(phrase) > MAX_TOPIC_CHARS:
        phrase = phrase[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0]
    return phrase or None


def topic_after(
    t: Prepared, lex: Lexicon, generic: Collection[str], skip: set[int], start: int = 0
) -> str | None:
    """The topic in the first "about …" phrase (after canon position `start`)."""
    for m in lex.about_leads.finditer(t.canon, max(0, start - 1)):
        i = t.token_at(m.end() + 1)
        if i >= len(t.tokens) or t.starts[i] <= m.start():
            continue
        topic = clean_topic(t, i, len(t.tokens), lex, generic, skip)
        if topic is not None:
            return topic
    return None


def self_topic(topic: str, own: Sequence[str], lex: Lexicon) -> bool:
    """A "topic" that is only us ("nous", "Velora", "our brand")."""
    words = fold_words(topic).split()
    if words and words[0] in lex.self_words:
        return True
    own_words = {w for name in own for w in fold_words(name).split()}
    return bool(words) and set(words) <= (lex.self_words | lex.lead_words | own_words | {"s"})


def draft_brief(t: Prepared, lex: Lexicon) -> str | None:
    """What a post should be about: what follows a strong lead ("about", « sur », "to
    announce"), or else a weak one ("for", « pour », « de ») after the word for a post."""
    m = lex.draft_leads_strong.search(t.canon)
    if m is None:
        noun = next((k for k, tok in enumerate(t.tokens) if tok in lex.draft_nouns), None)
        if noun is None:
            return None
        m = lex.draft_leads_weak.search(t.canon, t.starts[noun] + len(t.tokens[noun]))
        if m is None:
            return None
    i = t.token_at(m.end() + 1)
    if i >= len(t.tokens) or t.starts[i] <= m.start():
        return None
    j = len(t.tokens)
    while j > i and t.tokens[j - 1] in lex.draft_trailing:
        j -= 1
    if i >= j:
        return None
    brief = t.slice(i, j).strip(" ?!.,;:'’-")
    if len(brief) > MAX_TOPIC_CHARS:
        brief = brief[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0]
    return brief or None
