"""Avoided terms: matched ignoring case, accents and invisible characters, on word boundaries,
with simple French/English inflections, spelled-out letters and camel-case hashtags."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.domain.compliance.entities import Entity, PostText, outside
from bot.domain.compliance.report import Finding
from bot.domain.editorial import AvoidTerm, EditorialLine
from bot.domain.text import fold, fold_char

__all__ = ["term_findings"]

_SEP = r"[\s.\-_*·•'/|+~,:]{1,3}"  # between spelled-out letters: "s.c.a.n.d.a.l.e"
_GAP = r"[\s\-_.'/·*]*"  # between the words of a phrase: "fake news", "fake-news", "fakenews"
_VOWELS = frozenset("aeiouy")


def _forms(word: str, lang: str, single: bool) -> set[str]:
    """Simple inflections of one (folded) word."""
    forms = {word}
    if not word.isalpha() or (not single and len(word) < 4):
        return forms
    if lang == "fr":
        forms |= {word + "s", word + "x"}
        if len(word) >= 4:
            forms |= {word + "e", word + "es"}
            if word.endswith("al"):
                forms.add(word[:-2] + "aux")
            if word.endswith(("eux", "eur")):
                forms |= {word[:-1] + "se", word[:-1] + "ses"}
            if word.endswith("teur"):
                forms |= {word[:-4] + "trice", word[:-4] + "trices"}
            if word.endswith("if"):
                forms |= {word[:-1] + "ve", word[:-1] + "ves"}
            if word.endswith("er"):
                forms |= {word[:-2] + "ere", word[:-2] + "eres"}
            if word.endswith(("el", "en", "on", "et", "il")):
                forms |= {word + word[-1] + "e", word + word[-1] + "es"}
    else:
        forms |= {word + "s", word + "es"}
        if len(word) >= 3:
            if word.endswith("e"):
                forms |= {word + "d", word[:-1] + "ing"}
            else:
                forms |= {word + "ed", word + "ing"}
            if word.endswith("y") and len(word) > 3 and word[-2] not in _VOWELS:
                forms |= {word[:-1] + "ies", word[:-1] + "ied"}
            if (
                word[-1] not in _VOWELS
                and word[-1] not in "wx"
                and word[-2] in _VOWELS
                and word[-3] not in _VOWELS
            ):
                forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


@lru_cache(maxsize=1024)
def _term_regex(term: str, lang: str, exact: bool) -> re.Pattern[str]:
    words = re.findall(r"[^\W_]+", fold(term))
    single = len(words) == 1
    parts = []
    for word in words:
        forms = {word} if exact else _forms(word, lang, single)
        parts.append(
            "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"
        )
    plain = _GAP.join(parts)
    letters = "".join(words)
    alternatives = [f"(?P<plain>{plain})"]
    if len(letters) >= 3:
        spaced = _SEP.join(re.escape(c) for c in letters)
        if not exact and lang == "fr":
            spaced += f"(?:{_SEP}[sx])?"
        elif not exact:
            spaced += f"(?:{_SEP}e?s)?"
        alternatives.append(f"(?P<spaced>{spaced})")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _camel_folded(t: PostText, tag: Entity) -> tuple[str, list[int]]:
    """A hashtag body folded with its camel-case words and underscores split by spaces."""
    chars: list[str] = []
    index: list[int] = []
    prev = ""
    for i in range(tag.start + 1, tag.end):
        ch = t.nfc[i]
        if ch == "_" or (ch.isupper() and prev.islower()) or (ch.isdigit() != prev.isdigit()):
            chars.append(" ")
            index.append(i)
        if ch != "_":
            for c in fold_char(ch):
                chars.append(c)
                index.append(i)
        prev = ch
    return "".join(chars), index


def term_findings(
    t: PostText, line: EditorialLine, urls: list[Entity], hashtags: list[Entity]
) -> list[Finding]:
    out: list[Finding] = []
    camel = [_camel_folded(t, tag) for tag in hashtags]
    for term_lang, term in line.avoid_terms():
        regex = _term_regex(term.term, term_lang, term.match == "exact")
        seen: set[tuple[int, int]] = set()
        candidates: list[tuple[int, int, bool]] = []
        for m in regex.finditer(t.folded):
            s, e = t.folded_to_nfc(m.start(), m.end())
            candidates.append((s, e, m.group("spaced") is not None))
        for folded, index in camel:
            for m in regex.finditer(folded):
                s, e = index[m.start()], index[m.end() - 1] + 1
                candidates.append((s, e, m.group("spaced") is not None))
        for s, e, spaced in candidates:
            if (
                (s, e) in seen
                or not outside(urls, s, e)
                or any(a <= s and e <= b and (a, b) != (s, e) for a, b in seen)
            ):
                continue
            seen.add((s, e))
            out.append(_term_finding(t, term, term_lang, s, e, spaced))
    return out


def _term_finding(
    t: PostText, term: AvoidTerm, term_lang: str, s: int, e: int, spaced: bool
) -> Finding:
    start, end = t.span(s, e)
    matched = t.original[start:end]
    hidden = any(fold_char(c) == "" for c in t.nfc[s:e])
    return Finding(
        "term.avoided",
        term.severity,
        {
            "term": term.term,
            "lang": term_lang,
            "matched": matched,
            "reason": term.reason,
            "suggestion": term.suggestion,
            "evasion": spaced or hidden,
        },
        start,
        end,
    )
