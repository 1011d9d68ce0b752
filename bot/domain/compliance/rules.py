"""The checks other than avoided terms: length, characters, hashtags, links, mentions, emoji,
language, disclosures and sign-offs, claims."""

from __future__ import annotations

import re
from typing import Any

from twitter_text import extract_emojis_with_indices, extract_urls_with_indices, parse_tweet
from twitter_text.config import config as _twitter_config
from twitter_text.get_character_weight import get_character_weight
from twitter_text.has_invalid_characters import has_invalid_characters

from bot.domain.claims import scan_folded
from bot.domain.compliance.entities import Entity, PostText, host_of, outside
from bot.domain.compliance.report import Finding
from bot.domain.editorial import (
    MAX_POST_LENGTH,
    DisclosureRule,
    EditorialLine,
    Severity,
    domain_matches,
    hashtag_key,
)
from bot.domain.text import fold, fold_char

__all__ = [
    "character_findings",
    "claim_findings",
    "disclosure_findings",
    "emoji_findings",
    "hashtag_findings",
    "language_findings",
    "length_findings",
    "link_findings",
    "mention_findings",
]

_OPTIONS: dict[str, Any] = _twitter_config["defaults"]


def length_findings(t: PostText) -> tuple[int, list[Finding]]:
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


def character_findings(t: PostText, emoji: list[Entity]) -> list[Finding]:
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
        elif fold_char(ch) == "" and outside(emoji, i, i + 1):
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


def hashtag_findings(t: PostText, line: EditorialLine, hashtags: list[Entity]) -> list[Finding]:
    policy = line.hashtags
    out: list[Finding] = []
    forbidden = {hashtag_key(h): h for h in policy.forbidden}
    required = {hashtag_key(h): h for h in policy.required}
    allowed = {hashtag_key(h) for h in policy.allowed} | set(required)
    exempt = _disclosure_hashtags(line)
    present: set[str] = set()
    counted: list[Entity] = []
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


def link_findings(t: PostText, line: EditorialLine, urls: list[Entity]) -> list[Finding]:
    policy = line.links
    out: list[Finding] = []
    allowed = list(policy.allowed_domains)
    if line.company.website:
        allowed.append(line.company.website)
    for url in urls:
        start, end = t.span(url.start, url.end)
        host = host_of(url.text)
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
        domain_matches(host_of(u.text), d) for u in urls for d in policy.required_domains
    ):
        out.append(
            Finding(
                "link.required_missing",
                Severity.ERROR,
                {"domains": tuple(policy.required_domains)},
            )
        )
    return out


def mention_findings(t: PostText, line: EditorialLine, mentions: list[Entity]) -> list[Finding]:
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


def emoji_findings(t: PostText, line: EditorialLine, emoji: list[Entity]) -> list[Finding]:
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


def language_findings(
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


def disclosure_findings(
    t: PostText, line: EditorialLine, flags: frozenset[str], lang: str | None
) -> list[Finding]:
    out: list[Finding] = []
    for rule in line.disclosures:
        if not rule.applies(flags, lang or line.default_language):
            continue
        out.extend(_rule_findings(t, rule))
    return out


def _rule_findings(t: PostText, rule: DisclosureRule) -> list[Finding]:
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


def claim_findings(t: PostText) -> list[Finding]:
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
