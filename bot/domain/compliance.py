"""Does a draft post follow the editorial line? Pure, deterministic, no I/O.

`check(text, line, lang=..., flags=...)` returns a `ComplianceReport`: every `Finding` has a
stable `code`, a `severity`, `params` (data, never sentences: the Teams layer phrases them in
French or English) and its place in the text (`start` / `end`: code-point offsets into the
text *as given*, even when it was not NFC; None when the finding is about something missing).

Finding codes and their params:

=============================  ========  =====================================================
code                           severity  params
=============================  ========  =====================================================
text.empty                     error     {}
text.invalid_character         error     codepoint ("U+FFFE")
text.hidden_character          warning   codepoint ("U+200B")  -- invisible characters
length.over_limit              error     length, max, excess  -- located on the overflow
term.avoided                   term's    term, lang (of the avoid list), matched (as written),
                                         reason, suggestion (or None), evasion (bool: spaced
                                         out letters or hidden characters inside)
hashtag.forbidden              error     hashtag (as written), rule (as in the line)
hashtag.not_allowed            error     hashtag
hashtag.required_missing       error     hashtag
hashtag.too_many               error     count, max  -- located on the extra hashtags
link.forbidden                 error     url
link.domain_not_allowed        error     url, domain
link.required_missing          error     domains (tuple)
mention.forbidden              error     handle (without "@")
mention.not_allowed            error     handle
mention.too_many               error     count, max  -- located on the extra mentions
mention.individual             warning   handle  -- not a known organisation: verify
emoji.forbidden                error     emoji
emoji.too_many                 error     count, max  -- located on the extra emoji
language.not_allowed           error     lang, allowed (tuple)
language.mismatch              warning   declared, detected
language.undetermined          warning   {}
disclosure.missing             error     rule, expected (tuple), flags (tuple)
disclosure.misplaced           error     rule, position ("start" | "end"), found
sign_off.missing               error     rule, expected (tuple), flags (tuple)
sign_off.misplaced             error     rule, position, found
claim.company                  warning   category, matched  -- bankruptcy, recall, lawsuit...
                                         (`bot/domain/claims/claims.yaml`): a person checks it
claim.instruction              warning   category, matched  -- "sell now", "post this"...
=============================  ========  =====================================================

Avoided terms are matched ignoring case, accents and invisible characters, on word
boundaries ("con" does not match "contact"), with simple inflections unless the term says
`match: exact` (French: -s, -x, and for words of 4+ letters -e, -es, -aux, -euse, -ive,
-ère, -elle…; English: -s, -es, -ed, -ing, -ies…), and also when spelled out with separators
("s.c.a.n.d.a.l.e", "s c a n d a l e") or inside a camel-case hashtag ("#ScandaleVelora").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from twitter_text import extract_emojis_with_indices, extract_urls_with_indices, parse_tweet
from twitter_text.config import config as _twitter_config
from twitter_text.get_character_weight import get_character_weight
from twitter_text.has_invalid_characters import has_invalid_characters

from bot.domain.claims import scan_folded
from bot.domain.editorial import (
    MAX_POST_LENGTH,
    AvoidTerm,
    DisclosureRule,
    EditorialLine,
    Severity,
    domain_matches,
    fold,
    fold_char,
    hashtag_key,
)
from bot.domain.language import detect_language

__all__ = [
    "ComplianceReport",
    "Finding",
    "Severity",
    "check",
    "weighted_length",
]

ParamValue = str | int | bool | None | tuple[str, ...]

_OPTIONS: dict[str, Any] = _twitter_config["defaults"]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    text: str  # as given: offsets refer to it
    weighted_length: int
    max_length: int
    lang: str | None  # declared, else detected when it is "fr" / "en"
    detected_lang: str  # "fr" | "en" | "other"
    findings: tuple[Finding, ...]

    @property
    def compliant(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def by_code(self, code: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.code == code)

    def to_data(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "weighted_length": self.weighted_length,
            "max_length": self.max_length,
            "lang": self.lang,
            "detected_lang": self.detected_lang,
            "findings": [f.to_data() for f in self.findings],
        }


def weighted_length(text: str) -> int:
    """Length of a post as X counts it: NFC, URLs 23, emoji 2, CJK 2, most others 1."""
    length: int = parse_tweet(text).weightedLength
    return length


# --------------------------------------------------------------------------------------------
# The text, normalised, with offsets back to the original
# --------------------------------------------------------------------------------------------


class _Text:
    """The text as given, its NFC form, and the map from NFC positions back to the original."""

    def __init__(self, original: str) -> None:
        self.original = original
        if unicodedata.is_normalized("NFC", original):
            self.nfc = original
            self.spans = [(i, i + 1) for i in range(len(original))]
        else:
            self.nfc, self.spans = _nfc_with_spans(original)
        # Folded text (case, accents, invisible characters) and, per folded char, its NFC index.
        chars: list[str] = []
        index: list[int] = []
        for i, ch in enumerate(self.nfc):
            for c in fold_char(ch):
                chars.append(c)
                index.append(i)
        self.folded = "".join(chars)
        self.folded_index = index

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


# --------------------------------------------------------------------------------------------
# Entities: URLs, hashtags, mentions, emoji (on the NFC text)
# --------------------------------------------------------------------------------------------

_HASHTAG_RE = re.compile(r"(?<![\w&])[#＃](?![\ufe0f\u20e3])(\w*[^\W\d_]\w*)")
_MENTION_RE = re.compile(
    r"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@＠]|://)"
)
_NOT_EMOJI = frozenset("©®™")


@dataclass(frozen=True, slots=True)
class _Entity:
    text: str
    start: int  # NFC offsets
    end: int


_SCHEME_URL_RE = re.compile(r"(?i)\b(?:https?|ftp)://[^\s<>\"']+")
_URL_TRAILING = ".,;:!?…»)\"'"


def _urls(nfc: str) -> list[_Entity]:
    """X's links, and any text with an explicit scheme (`http://evil.example/x`): X may not
    make a link of an unknown top-level domain, but the line's link rules still apply to it."""
    found = [
        _Entity(u["url"], u["indices"][0], u["indices"][1]) for u in extract_urls_with_indices(nfc)
    ]
    for m in _SCHEME_URL_RE.finditer(nfc):
        text = m.group(0).rstrip(_URL_TRAILING)
        start, end = m.start(), m.start() + len(text)
        if "://" in text and text.split("://", 1)[1] and _outside(found, start, end):
            found.append(_Entity(text, start, end))
    found.sort(key=lambda e: e.start)
    return found


def _outside(spans: Iterable[_Entity], start: int, end: int) -> bool:
    return all(end <= s.start or start >= s.end for s in spans)


def _hashtags(nfc: str, urls: list[_Entity]) -> list[_Entity]:
    return [
        _Entity(m.group(0), m.start(), m.end())
        for m in _HASHTAG_RE.finditer(nfc)
        if _outside(urls, m.start(), m.end())
    ]


def _mentions(nfc: str, urls: list[_Entity]) -> list[_Entity]:
    return [
        _Entity(m.group(1), m.start(), m.end())
        for m in _MENTION_RE.finditer(nfc)
        if _outside(urls, m.start(), m.end())
    ]


def _emoji(nfc: str) -> list[_Entity]:
    return [
        _Entity(e["emoji"], e["indices"][0], e["indices"][1])
        for e in extract_emojis_with_indices(nfc)
        if e["emoji"] not in _NOT_EMOJI
    ]


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "https://" + url).hostname
    except ValueError:
        return ""
    return (host or "").lower()


# --------------------------------------------------------------------------------------------
# Avoided terms
# --------------------------------------------------------------------------------------------

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


def _camel_folded(t: _Text, tag: _Entity) -> tuple[str, list[int]]:
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


def _term_findings(
    t: _Text, line: EditorialLine, urls: list[_Entity], hashtags: list[_Entity]
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
                or not _outside(urls, s, e)
                or any(a <= s and e <= b and (a, b) != (s, e) for a, b in seen)
            ):
                continue
            seen.add((s, e))
            out.append(_term_finding(t, term, term_lang, s, e, spaced))
    return out


def _term_finding(
    t: _Text, term: AvoidTerm, term_lang: str, s: int, e: int, spaced: bool
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


# --------------------------------------------------------------------------------------------
# Other checks
# --------------------------------------------------------------------------------------------


def _length_findings(t: _Text) -> tuple[int, list[Finding]]:
    parsed = parse_tweet(t.nfc)
    length = parsed.weightedLength
    out: list[Finding] = []
    if length > MAX_POST_LENGTH:
        s = _overflow_start(t.nfc)
        start, end = t.span(s, len(t.nfc))
        out.append(
            Finding(
                "length.over_limit",
                Severity.ERROR,
                {"length": length, "max": MAX_POST_LENGTH, "excess": length - MAX_POST_LENGTH},
                start,
                end,
            )
        )
    return length, out


def _overflow_start(nfc: str) -> int:
    """NFC index of the first character (or URL, emoji) that takes the post over the limit."""
    scale: int = _OPTIONS["scale"]
    limit = MAX_POST_LENGTH * scale
    urls = {u["indices"][0]: u["indices"][1] for u in extract_urls_with_indices(nfc)}
    emoji = {e["indices"][0]: e["indices"][1] for e in extract_emojis_with_indices(nfc)}
    total = 0
    i = 0
    while i < len(nfc):
        if i in urls:
            total += _OPTIONS["transformed_url_length"] * scale
            nxt = urls[i]
        elif i in emoji:
            total += _OPTIONS["default_weight"]
            nxt = emoji[i]
        elif nfc[i] == "\r" and nfc[i + 1 : i + 2] == "\n":
            nxt = i + 1  # X counts a CRLF as one line break
        else:
            total += get_character_weight(nfc[i], _OPTIONS)
            nxt = i + 1
        if total > limit:
            return i
        i = nxt
    return len(nfc)


def _character_findings(t: _Text, emoji: list[_Entity]) -> list[Finding]:
    out: list[Finding] = []
    for i, ch in enumerate(t.nfc):
        if has_invalid_characters(ch):
            start, end = t.span(i, i + 1)
            out.append(
                Finding(
                    "text.invalid_character",
                    Severity.ERROR,
                    {"codepoint": f"U+{ord(ch):04X}"},
                    start,
                    end,
                )
            )
        elif fold_char(ch) == "" and _outside(emoji, i, i + 1):
            start, end = t.span(i, i + 1)
            out.append(
                Finding(
                    "text.hidden_character",
                    Severity.WARNING,
                    {"codepoint": f"U+{ord(ch):04X}"},
                    start,
                    end,
                )
            )
    return out


def _disclosure_hashtags(line: EditorialLine) -> set[str]:
    return {
        hashtag_key(text)
        for rule in line.disclosures
        for text in rule.any_of
        if re.fullmatch(r"[#＃]\w+", text.strip())
    }


def _hashtag_findings(t: _Text, line: EditorialLine, hashtags: list[_Entity]) -> list[Finding]:
    policy = line.hashtags
    out: list[Finding] = []
    forbidden = {hashtag_key(h): h for h in policy.forbidden}
    required = {hashtag_key(h): h for h in policy.required}
    allowed = {hashtag_key(h) for h in policy.allowed} | set(required)
    exempt = _disclosure_hashtags(line)
    present: set[str] = set()
    counted: list[_Entity] = []
    for tag in hashtags:
        key = hashtag_key(tag.text)
        present.add(key)
        start, end = t.span(tag.start, tag.end)
        if key in exempt:
            continue
        counted.append(tag)
        if key in forbidden:
            out.append(
                Finding(
                    "hashtag.forbidden",
                    Severity.ERROR,
                    {"hashtag": tag.text, "rule": forbidden[key]},
                    start,
                    end,
                )
            )
        elif policy.allowed and key not in allowed:
            out.append(
                Finding("hashtag.not_allowed", Severity.ERROR, {"hashtag": tag.text}, start, end)
            )
    for key, tag_text in required.items():
        if key not in present:
            out.append(Finding("hashtag.required_missing", Severity.ERROR, {"hashtag": tag_text}))
    if policy.max_count is not None and len(counted) > policy.max_count:
        extra = counted[policy.max_count :]
        start, end = t.span(extra[0].start, extra[-1].end)
        out.append(
            Finding(
                "hashtag.too_many",
                Severity.ERROR,
                {"count": len(counted), "max": policy.max_count},
                start,
                end,
            )
        )
    return out


def _link_findings(t: _Text, line: EditorialLine, urls: list[_Entity]) -> list[Finding]:
    policy = line.links
    out: list[Finding] = []
    allowed = list(policy.allowed_domains)
    if line.company.website:
        allowed.append(line.company.website)
    for url in urls:
        start, end = t.span(url.start, url.end)
        host = _host(url.text)
        if policy.mode == "none":
            out.append(Finding("link.forbidden", Severity.ERROR, {"url": url.text}, start, end))
        elif policy.mode == "allowlist" and not any(domain_matches(host, d) for d in allowed):
            out.append(
                Finding(
                    "link.domain_not_allowed",
                    Severity.ERROR,
                    {"url": url.text, "domain": host},
                    start,
                    end,
                )
            )
    if policy.required_domains and not any(
        domain_matches(_host(u.text), d) for u in urls for d in policy.required_domains
    ):
        out.append(
            Finding(
                "link.required_missing",
                Severity.ERROR,
                {"domains": tuple(policy.required_domains)},
            )
        )
    return out


def _mention_findings(t: _Text, line: EditorialLine, mentions: list[_Entity]) -> list[Finding]:
    policy = line.mentions
    out: list[Finding] = []
    own = {
        h.lower()
        for h in (line.company.handle, line.spokesperson and line.spokesperson.handle)
        if h
    }
    allowed = {h.lower() for h in policy.allowed_handles} | own
    organisations = {h.lower() for h in policy.organisation_handles} | allowed
    for mention in mentions:
        start, end = t.span(mention.start, mention.end)
        handle = mention.text
        if policy.mode == "none":
            out.append(Finding("mention.forbidden", Severity.ERROR, {"handle": handle}, start, end))
        elif policy.mode == "allowlist" and handle.lower() not in allowed:
            out.append(
                Finding("mention.not_allowed", Severity.ERROR, {"handle": handle}, start, end)
            )
        elif not policy.individuals and handle.lower() not in organisations:
            out.append(
                Finding("mention.individual", Severity.WARNING, {"handle": handle}, start, end)
            )
    if policy.mode != "none" and policy.max_count is not None and len(mentions) > policy.max_count:
        extra = mentions[policy.max_count :]
        start, end = t.span(extra[0].start, extra[-1].end)
        out.append(
            Finding(
                "mention.too_many",
                Severity.ERROR,
                {"count": len(mentions), "max": policy.max_count},
                start,
                end,
            )
        )
    return out


def _emoji_findings(t: _Text, line: EditorialLine, emoji: list[_Entity]) -> list[Finding]:
    policy = line.emoji
    out: list[Finding] = []
    if policy.mode == "none":
        for e in emoji:
            start, end = t.span(e.start, e.end)
            out.append(Finding("emoji.forbidden", Severity.ERROR, {"emoji": e.text}, start, end))
        return out
    limit = policy.limit
    if limit is not None and len(emoji) > limit:
        extra = emoji[limit:]
        start, end = t.span(extra[0].start, extra[-1].end)
        out.append(
            Finding(
                "emoji.too_many",
                Severity.ERROR,
                {"count": len(emoji), "max": limit},
                start,
                end,
            )
        )
    return out


def _language_findings(
    line: EditorialLine, declared: str | None, detected: str
) -> tuple[str | None, list[Finding]]:
    allowed = tuple(line.languages)
    out: list[Finding] = []
    if declared is not None:
        declared = declared.replace("_", "-").split("-")[0].lower()  # "fr-FR" → "fr"
        if declared not in allowed:
            out.append(
                Finding(
                    "language.not_allowed",
                    Severity.ERROR,
                    {"lang": declared, "allowed": allowed},
                )
            )
        elif detected in ("fr", "en") and detected != declared:
            out.append(
                Finding(
                    "language.mismatch",
                    Severity.WARNING,
                    {"declared": declared, "detected": detected},
                )
            )
        return declared, out
    if detected not in ("fr", "en"):
        out.append(Finding("language.undetermined", Severity.WARNING, {}))
        return None, out
    if detected not in allowed:
        out.append(
            Finding("language.not_allowed", Severity.ERROR, {"lang": detected, "allowed": allowed})
        )
    return detected, out


def _literal_regex(text: str) -> re.Pattern[str]:
    """Case- and accent-insensitive, with free spacing around punctuation: "( sponsorisé )"
    matches "(sponsorisé)", "-- CL" matches "— CL"."""
    folded = " ".join(fold(text).split())
    parts: list[str] = []
    prev = ""
    for ch in folded:
        if ch == " ":
            parts.append(r"\s*")
        else:
            if prev and prev != " " and not (prev.isalnum() and ch.isalnum()):
                parts.append(r"\s*")
            parts.append("-+" if ch == "-" else re.escape(ch))
        prev = ch
    pattern = "".join(parts)
    if folded[:1].isalnum():
        pattern = r"(?<!\w)" + pattern
    if folded[-1:].isalnum():
        pattern += r"(?!\w)"
    return re.compile(pattern)


def _disclosure_findings(
    t: _Text, line: EditorialLine, flags: frozenset[str], lang: str | None
) -> list[Finding]:
    out: list[Finding] = []
    for rule in line.disclosures:
        if not rule.applies(flags, lang or line.default_language):
            continue
        out.extend(_rule_findings(t, rule))
    return out


def _rule_findings(t: _Text, rule: DisclosureRule) -> list[Finding]:
    misplaced: tuple[int, int] | None = None
    text = t.folded
    for expected in rule.any_of:
        for m in _literal_regex(expected).finditer(text):
            if rule.position == "start" and text[: m.start()].strip():
                misplaced = misplaced or (m.start(), m.end())
                continue
            if rule.position == "end" and text[m.end() :].strip():
                misplaced = misplaced or (m.start(), m.end())
                continue
            return []
    if misplaced is not None:
        s, e = t.folded_to_nfc(*misplaced)
        start, end = t.span(s, e)
        return [
            Finding(
                f"{rule.kind}.misplaced",
                Severity.ERROR,
                {"rule": rule.id, "position": rule.position, "found": t.original[start:end]},
                start,
                end,
            )
        ]
    return [
        Finding(
            f"{rule.kind}.missing",
            Severity.ERROR,
            {"rule": rule.id, "expected": tuple(rule.any_of), "flags": tuple(rule.when_flags)},
        )
    ]


def _claim_findings(t: _Text) -> list[Finding]:
    """Statements about a company and instructions: whoever wrote them, a person checks."""
    out: list[Finding] = []
    for hit in scan_folded(t.folded):
        start, end = t.span(*t.folded_to_nfc(hit.start, hit.end))
        code = "claim.company" if hit.kind == "claim" else "claim.instruction"
        out.append(
            Finding(
                code,
                Severity.WARNING,
                {"category": hit.category, "matched": t.original[start:end]},
                start,
                end,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------------


def check(
    text: str,
    line: EditorialLine,
    *,
    lang: str | None = None,
    flags: Iterable[str] = frozenset(),
) -> ComplianceReport:
    """Every way `text` departs from `line`. `lang`: the language the author meant (else
    detected); `flags`: what applies to this post (e.g. "sponsored", "company_account")."""
    resolved = line.resolved()
    flag_set = frozenset(flags)
    t = _Text(text)
    urls = _urls(t.nfc)
    hashtags = _hashtags(t.nfc, urls)
    mentions = _mentions(t.nfc, urls)
    emoji = _emoji(t.nfc)
    detected = detect_language(t.nfc)

    findings: list[Finding] = []
    if not t.folded.strip():
        findings.append(Finding("text.empty", Severity.ERROR, {}))
    length, length_findings = _length_findings(t)
    findings += length_findings
    findings += _character_findings(t, emoji)
    findings += _term_findings(t, resolved, urls, hashtags)
    findings += _hashtag_findings(t, resolved, hashtags)
    findings += _link_findings(t, resolved, urls)
    findings += _mention_findings(t, resolved, mentions)
    findings += _emoji_findings(t, resolved, emoji)
    effective_lang, lang_findings = _language_findings(resolved, lang, detected)
    findings += lang_findings
    findings += _disclosure_findings(t, resolved, flag_set, effective_lang)
    findings += _claim_findings(t)

    findings.sort(key=lambda f: (f.start is None, f.start or 0, f.end or 0))
    return ComplianceReport(
        text=text,
        weighted_length=length,
        max_length=MAX_POST_LENGTH,
        lang=effective_lang,
        detected_lang=detected,
        findings=tuple(findings),
    )
