"""Offline post suggestions: templates filled with the editorial line's key messages and the
brief, ranked by closeness to the brief, fitted to X's length."""

from __future__ import annotations

import re
from typing import Final

from bot.clients.offline.figures import CONTROL_RE, ENGINE_NAME
from bot.domain.analysis.stopwords import ENGLISH, FRENCH
from bot.domain.editorial import EditorialError, EditorialLine, Lang, Pillar
from bot.domain.language import detect_language
from bot.domain.text import fold
from bot.i18n import t, t_list
from bot.ports.embeddings import SentenceEncoder
from bot.ports.language import (
    DraftRequest,
    EngineError,
    PostDraft,
)

__all__ = ["posts"]

_SHORTER_RE: Final = re.compile(r"\b(?:shorter|plus court\w*|concis\w*|concise|brief|bref)\b")
_INFORMAL_RE: Final = re.compile(
    r"\b(?:less formal|moins formel\w*|casual|decontract\w*|informal|informel\w*|tutoie\w*)\b"
)
_FORMAL_RE: Final = re.compile(r"\b(?:more formal|plus formel\w*|formal|formel\w*|sobre)\b")
_ENGLISH_RE: Final = re.compile(r"\b(?:in english|en anglais|english|anglais)\b")
_FRENCH_RE: Final = re.compile(r"\b(?:in french|en francais|french|francais)\b")
_WORD_RE: Final = re.compile(r"[a-z0-9]{4,}")
_MAX_POST_CHARS: Final = 270  # leaves room under X's 280 for a link or a last touch
_MAX_VARIANTS: Final = 5


def _revision_flags(revision: str | None) -> dict[str, bool]:
    text = fold(revision or "")
    informal = bool(_INFORMAL_RE.search(text))
    return {
        "shorter": bool(_SHORTER_RE.search(text)),
        "informal": informal,
        "formal": not informal and bool(_FORMAL_RE.search(text)),
        "english": bool(_ENGLISH_RE.search(text)),
        "french": bool(_FRENCH_RE.search(text)),
    }


_STOPWORDS: Final = frozenset(fold(w) for w in FRENCH | ENGLISH)


def _content_words(text: str) -> set[str]:
    """The words that say what a text is about (« notre » and "with" say nothing)."""
    return {w for w in _WORD_RE.findall(fold(text)) if w not in _STOPWORDS}


def _ranked_pillars(line: EditorialLine, brief: str, lang: Lang) -> list[Pillar]:
    words = _content_words(brief)

    def overlap(pillar: Pillar) -> int:
        text = " ".join([pillar.id, *pillar.name.values(), *pillar.key_messages.get(lang, [])])
        return len(words & _content_words(text.replace("_", " ")))

    usable = [p for p in line.pillars if p.key_messages.get(lang)]
    indexed = sorted(enumerate(usable), key=lambda ip: (-overlap(ip[1]), ip[0]))
    return [p for _, p in indexed]


_PILLAR_NAME_WEIGHT: Final = 0.3  # a message counts more than its pillar's name
_SHARED_WORD_BONUS: Final = 0.25  # the topic's own words in a message (« freins »)


def _ranked_messages(
    line: EditorialLine, brief: str, lang: Lang, encoder: SentenceEncoder | None
) -> list[tuple[Pillar, str]]:
    """Every (pillar, key message) of `lang`, closest to the brief first: by meaning with the
    multilingual sentence encoder (« nouvelle batterie » is nearer the e-bike message than
    the workshop one), word overlap breaking ties; word overlap alone without an encoder."""
    pillars = _ranked_pillars(line, brief, lang)
    pairs = [(p, m) for p in pillars for m in p.key_messages[lang]]
    if encoder is None or not pairs or not brief.strip():
        # pillar order, then each pillar's messages in turn (the former behaviour)
        depth = max((len(p.key_messages[lang]) for p in pillars), default=0)
        return [
            (p, p.key_messages[lang][k])
            for k in range(depth)
            for p in pillars
            if k < len(p.key_messages[lang])
        ]
    try:
        names = [" ".join(p.name.values()) for p in pillars]
        vectors = encoder.encode([brief, *[m for _, m in pairs], *names])
    except Exception:  # the encoder is a bonus: word overlap still ranks
        return _ranked_messages(line, brief, lang, None)
    query = vectors[0]
    messages = vectors[1 : 1 + len(pairs)]
    words = _content_words(brief)

    def shared(message: str) -> int:
        return len(words & _content_words(message))

    name_of = {id(p): vectors[1 + len(pairs) + i] for i, p in enumerate(pillars)}
    rank_of = {id(p): i for i, p in enumerate(pillars)}
    scored = [
        (
            float(messages[i] @ query)
            + _PILLAR_NAME_WEIGHT * float(name_of[id(p)] @ query)
            + _SHARED_WORD_BONUS * shared(m),
            -rank_of[id(p)],
            i,
        )
        for i, (p, m) in enumerate(pairs)
    ]
    return [pairs[i] for *_, i in sorted(scored, reverse=True)]


def _clean_brief(brief: str) -> str:
    return " ".join(CONTROL_RE.sub(" ", brief).split()).strip(" .!?;:—-")


def _hashtags(line: EditorialLine, text: str, shorter: bool) -> list[str]:
    """Required hashtags missing from `text`, or the first allowed one when there is none."""
    policy = line.hashtags
    present = {fold(tag.lstrip("#")) for tag in re.findall(r"#\w+", text)}
    tags = [tag for tag in policy.required if fold(tag.lstrip("#")) not in present]
    if not shorter and not tags and not present and policy.allowed:
        tags.append(policy.allowed[0])
    if policy.max_count is not None:
        tags = tags[: max(0, policy.max_count - len(present))]
    return tags


_CONTRACTIONS: Final = (
    (re.compile(r"\b([Dd])e le\b"), r"\1u"),
    (re.compile(r"\b([Dd])e les\b"), r"\1es"),
    (re.compile(r"\b([Àà]) le\b"), r"\1u"),
    (re.compile(r"\b([Àà]) les\b"), r"\1ux"),
)


def _contract(text: str) -> str:
    """French contractions the templates can create: "de le" → "du", "à les" → "aux"."""
    for regex, repl in _CONTRACTIONS:
        text = regex.sub(repl, text)
    return text


def _sign_off(line: EditorialLine, lang: str) -> str | None:
    for rule in line.disclosures:
        if rule.kind == "sign_off" and rule.applies((), lang) and not rule.when_flags:
            return rule.any_of[0]
    return None


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


def posts(request: DraftRequest, encoder: SentenceEncoder | None) -> list[PostDraft]:
    """Template suggestions; `encoder` ranks the key messages (None: by shared words)."""
    try:
        line = EditorialLine.from_yaml(request.editorial_line_yaml).resolved()
    except EditorialError as exc:
        raise EngineError("invalid_input", f"editorial line: {exc}") from None
    flags = _revision_flags(request.revision)
    lang: Lang = "fr" if request.lang == "fr" else "en"
    if flags["english"]:
        lang = "en"
    elif flags["french"]:
        lang = "fr"
    if lang not in line.languages:
        lang = line.default_language
    style = "short" if flags["shorter"] else "informal" if flags["informal"] else "formal"
    brief = _clean_brief(request.brief) or line.company.name
    # the offline engine cannot translate: a brief in another language is left out
    untranslated = len(brief.split()) >= 3 and detect_language(brief) not in (lang, "other")
    templates = t_list(lang, f"offline.drafts.{style}")
    if untranslated:
        templates = [tpl for tpl in templates if "{brief}" not in tpl] or ["{message}"]
    ranked = _ranked_messages(line, _clean_brief(request.brief), lang, encoder)
    sign_off = _sign_off(line, lang)
    limit = 140 if flags["shorter"] else _MAX_POST_CHARS
    count = max(1, min(request.count, _MAX_VARIANTS))
    notes = [
        t(lang, f"offline.drafts.revision_{name}")
        for name in ("shorter", "informal", "formal", "english", "french")
        if flags[name]
    ]
    out: list[PostDraft] = []
    for i in range(count):
        # the key messages closest to the topic, best first
        pillar, message = ranked[i % len(ranked)] if ranked else (None, "")
        template = templates[i % len(templates)]
        text = _compose(template, brief, message, limit, line, flags["shorter"], sign_off)
        if pillar is not None:
            rationale = t(lang, "offline.drafts.rationale", pillar=pillar.name.get(lang, ""))
        else:
            rationale = t(lang, "offline.drafts.rationale_no_pillar")
        if notes:
            rationale += " " + t(lang, "offline.drafts.revision", revision=", ".join(notes))
        if untranslated:
            rationale += " " + t(lang, "offline.drafts.brief_untranslated")
        if request.findings:
            rationale += " " + t(lang, "offline.drafts.findings")
        out.append(PostDraft(text=text, rationale=rationale, engine=ENGINE_NAME))
    return out


def _compose(
    template: str,
    brief: str,
    message: str,
    limit: int,
    line: EditorialLine,
    shorter: bool,
    sign_off: str | None,
) -> str:
    first = brief[:1].upper() + brief[1:]
    if not message:
        body = first + "."
    elif template.startswith("{brief}"):
        body = template.format(brief=first, message=message)
    else:
        body = template.format(brief=brief, message=message)
    tags = _hashtags(line, body, shorter)
    tail = " ".join([*tags, *([sign_off] if sign_off else [])])
    room = limit - (len(tail) + 1 if tail else 0)
    body = _fit(_contract(" ".join(body.split())), max(40, room))
    return f"{body} {tail}".strip() if tail else body
