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

from collections.abc import Iterable

from bot.domain.compliance.entities import (
    PostText,
    find_emoji,
    find_hashtags,
    find_mentions,
    find_urls,
)
from bot.domain.compliance.report import ComplianceReport, Finding, weighted_length
from bot.domain.compliance.rules import (
    character_findings,
    claim_findings,
    disclosure_findings,
    emoji_findings,
    hashtag_findings,
    language_findings,
    length_findings,
    link_findings,
    mention_findings,
)
from bot.domain.compliance.terms import term_findings
from bot.domain.editorial import MAX_POST_LENGTH, EditorialLine, Severity
from bot.domain.language import detect_language

__all__ = [
    "ComplianceReport",
    "Finding",
    "Severity",
    "check",
    "weighted_length",
]


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
    t = PostText(text)
    urls = find_urls(t.nfc)
    hashtags = find_hashtags(t.nfc, urls)
    mentions = find_mentions(t.nfc, urls)
    emoji = find_emoji(t.nfc)
    detected = detect_language(t.nfc)

    findings: list[Finding] = []
    if not t.folded.strip():
        findings.append(Finding("text.empty", Severity.ERROR, {}))
    length, too_long = length_findings(t)
    findings += too_long
    findings += character_findings(t, emoji)
    findings += term_findings(t, resolved, urls, hashtags)
    findings += hashtag_findings(t, resolved, hashtags)
    findings += link_findings(t, resolved, urls)
    findings += mention_findings(t, resolved, mentions)
    findings += emoji_findings(t, resolved, emoji)
    effective_lang, lang_findings = language_findings(resolved, lang, detected)
    findings += lang_findings
    findings += disclosure_findings(t, resolved, flag_set, effective_lang)
    findings += claim_findings(t)

    findings.sort(key=lambda f: (f.start is None, f.start or 0, f.end or 0))
    return ComplianceReport(
        text=text,
        weighted_length=length,
        max_length=MAX_POST_LENGTH,
        lang=effective_lang,
        detected_lang=detected,
        findings=tuple(findings),
    )
