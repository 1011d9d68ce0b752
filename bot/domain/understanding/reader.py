"""Understanding a question: a learned intent, rule-based slots, honest confidence.

1. The text is read into folded tokens (shorthand expanded, typos corrected by rapidfuzz);
   a linked post, the tenant's names (own, competitors, products), and the period are found by
   rules (`slots`, `periods`).
2. The intent is predicted by a linear classifier over multilingual sentence embeddings
   (`model`), from the text with the tenant's names masked ("our company", "the competitor",
   "our product"), so that the model holds for any tenant.
3. Follow-ups ("et hier ?", "why?", "plus court") inherit the previous understanding.
4. Below the calibrated threshold, or for what is not a Pulse request (out of scope, small talk,
   an injection), the intent is UNKNOWN with a reason and the likeliest readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from bot.domain.language import detect_language
from bot.domain.text import fold_words
from bot.domain.understanding.lexicon import Lexicon, lexicon
from bot.domain.understanding.model import NON_REQUESTS, IntentModel, Prediction, intent_model
from bot.domain.understanding.periods import FoundPeriod, find_period
from bot.domain.understanding.slots import (
    clean_topic,
    draft_brief,
    find_name,
    post_ref,
    self_topic,
    topic_after,
    unknown_competitor,
)
from bot.domain.understanding.text import Prepared, prepare
from bot.ports.embeddings import SentenceEncoder
from bot.ports.language import LISTENING_INTENTS, Intent, Period, Understanding, Vocabulary

__all__ = ["SAFE_UNDER_INJECTION", "understand"]

SAFE_UNDER_INJECTION: Final = LISTENING_INTENTS | {Intent.EXPLAIN, Intent.HELP}
"""A message that also tries to steer the bot may only read, never act."""
_INHERITABLE: Final = LISTENING_INTENTS | {Intent.SHOULD_RESPOND, Intent.DRAFT, Intent.EXPLAIN}
_MASKS: Final = {
    "fr": {"own": "notre entreprise", "competitor": "le concurrent", "product": "notre produit"},
    "en": {"own": "our company", "competitor": "the competitor", "product": "our product"},
}


@dataclass(frozen=True, slots=True)
class _Names:
    competitor: tuple[str, int, int] | None
    own: tuple[str, int, int] | None
    product: tuple[str, int, int] | None
    sector: tuple[str, int, int] | None


def _lang(t: Prepared, lex: Lexicon, hint: str | None, previous: Understanding | None) -> str:
    fallback = (hint or "").replace("_", "-").split("-")[0].lower()
    if fallback not in ("fr", "en"):
        fallback = previous.lang if previous is not None else "en"
    if len(t.tokens) >= 5:
        detected = detect_language(t.original)
        if detected in ("fr", "en"):
            return detected
    fr = sum(tok in lex.short_fr for tok in t.tokens)
    en = sum(tok in lex.short_en for tok in t.tokens)
    if fr != en:
        return "fr" if fr > en else "en"
    if any(c in t.original for c in "éèêàçùôîâ"):
        return "fr"
    return fallback


def _masked(t: Prepared, names: _Names, lang: str) -> str:
    """The text for the encoder: corrected words, and the tenant's names as generic words."""
    masks = _MASKS["fr" if lang == "fr" else "en"]
    edits: dict[int, tuple[int, str]] = {start: (end, word) for start, end, word in t.changed}
    for kind, hit in (
        ("competitor", names.competitor),
        ("own", names.own),
        ("product", names.product),
    ):
        if hit is not None:
            start, end = t.spans[hit[1]][0], t.spans[hit[2] - 1][1]
            for s in [s for s in edits if start <= s < end]:
                edits.pop(s)
            edits[start] = (end, masks[kind])
    out, pos = [], 0
    for start in sorted(edits):
        end, word = edits[start]
        if start < pos:
            continue
        out.append(t.original[pos:start])
        out.append(word)
        pos = end
    out.append(t.original[pos:])
    return "".join(out)


def _injection(t: Prepared, lex: Lexicon) -> bool:
    folded = " ".join(t.tokens)
    return any(p.search(folded) or p.search(fold_words(t.original)) for p in lex.injection)


def _follow_up(
    t: Prepared,
    lex: Lexicon,
    pred: Prediction,
    previous: Understanding,
    found: FoundPeriod | None,
    names: _Names,
    generic: frozenset[str],
    own_names: Sequence[str],
) -> Understanding | None:
    """The follow-up reading of a message after `previous`, or None for a new question."""
    n = len(t.tokens)
    label = pred.label
    opener = lex.follow_openers.match(t.canon) is not None
    slot = found is not None or names.competitor is not None or names.product is not None
    if previous.intent is Intent.DRAFT and label == "revise":
        return replace(previous, follow_up=True, confidence=pred.confidence)
    if previous.intent not in _INHERITABLE:
        return None
    strong_other = label not in ("follow_up", "revise") and pred.confidence >= 0.6
    if label != "follow_up" and not (n <= 5 and (opener or slot) and not strong_other):
        return None
    if n > 10 and not opener:
        return None
    base = replace(previous, follow_up=True, confidence=max(pred.prob("follow_up"), 0.6))
    if lex.why.search(t.canon) and n <= 6 and not slot:
        return base
    if lex.more.search(t.canon) and n <= 5 and not slot:
        return replace(base, intent=Intent.SHOW_POSTS)
    intent: Intent = previous.intent if previous.intent in LISTENING_INTENTS else Intent.PULSE
    if label in (Intent.CRISIS, Intent.TRENDS, Intent.SHOW_POSTS) and pred.confidence >= 0.4:
        intent = Intent(label)
    out = replace(base, intent=intent)
    if found is not None:
        out = replace(out, period=found.period, date=_iso(found), daypart=found.daypart)
    if names.competitor is not None:
        if out.intent not in (Intent.SHOW_POSTS, Intent.CRISIS):
            out = replace(out, intent=Intent.COMPETITORS)
        return replace(out, competitor=names.competitor[0], topic=None)
    skip: set[int] = set()
    topic: str | None = names.product[0] if names.product is not None else None
    if topic is None:
        m = lex.follow_openers.match(t.canon)
        start = m.end() - 1 if m is not None else 0
        first = t.token_at(start + 1) if start else 0
        topic = clean_topic(t, first, len(t.tokens), lex, generic, skip)
        if topic is not None and self_topic(topic, own_names, lex):
            return replace(out, intent=Intent.PULSE, topic=None, competitor=None)
    if topic is not None and out.intent in (Intent.PULSE, Intent.TOPIC, Intent.COMPETITORS):
        return replace(out, intent=Intent.TOPIC, topic=topic, competitor=None)
    if topic is not None:
        return replace(out, topic=topic)
    if found is None and label != "follow_up" and not opener:
        return None
    return out


def _readings(label: str, pred: Prediction) -> tuple[Intent, ...]:
    """The likeliest readings of an unclear message, best first (two at least)."""
    first = {"revise": (Intent.DRAFT,), "follow_up": (Intent.PULSE,)}.get(label, ())
    found = list(dict.fromkeys([*first, *pred.intents()]))
    for fallback in (Intent.PULSE, Intent.HELP):
        if len(found) >= 2:
            break
        if fallback not in found:
            found.append(fallback)
    return tuple(found[:3])


def _iso(found: FoundPeriod | None) -> str | None:
    return found.day.isoformat() if found is not None and found.day is not None else None


def understand(
    text: str,
    lang_hint: str | None,
    previous: Understanding | None,
    encoder: SentenceEncoder,
    vocabulary: Vocabulary | None = None,
    *,
    today: date | None = None,
    model: IntentModel | None = None,
) -> Understanding:
    """What `text` asks, in which language, about what and when.

    `lang_hint`: the Teams locale ("fr-FR"), used when the text does not settle its language.
    `previous`: the last understanding in the conversation, for follow-ups. `vocabulary`: the
    tenant's names from its watch profile. `today`: the user's date, for weekdays and dates.
    """
    lex = lexicon()
    model = model or intent_model()
    vocab = vocabulary or Vocabulary()
    today = today or date.today()
    tenant_words = {
        w
        for name in (*vocab.own_names, *vocab.competitors, *vocab.topics)
        for w in fold_words(name).split()
    }
    t = prepare(text, lex, model.vocab | lex.words, model.vocab_list, tenant_words)
    lang = _lang(t, lex, lang_hint, previous)
    ref = post_ref(text)
    if not t.tokens:
        if "?" in text:
            return Understanding(Intent.HELP, lang, confidence=0.6)
        return Understanding(Intent.UNKNOWN, lang, confidence=0.0, reason="unclear")

    competitor = find_name(t, vocab.competitors)
    names = _Names(
        competitor=competitor
        or unknown_competitor(
            t, lex, model.vocab | {w for n in vocab.own_names for w in fold_words(n).split()}
        ),
        own=find_name(t, vocab.own_names),
        product=find_name(t, vocab.topics),
        sector=find_name(t, vocab.sector_terms),
    )
    found = find_period(t.canon, t.original, lex, today)
    masked = _masked(t, names, lang)
    pred = model.predict(encoder.encode([masked])[0], masked)

    if previous is not None:
        follow = _follow_up(t, lex, pred, previous, found, names, model.generic, vocab.own_names)
        if follow is not None:
            return replace(follow, lang=lang, post_ref=ref or follow.post_ref)

    label, confidence = pred.label, pred.confidence
    injection = _injection(t, lex)
    if ref is not None and label not in (Intent.DRAFT, Intent.EXPLAIN, "injection"):
        label, confidence = Intent.SHOULD_RESPOND.value, max(confidence, 0.8)
    if label == "follow_up" and previous is None:
        # "et chez Voltigo ?", "et hier ?", "and the Cargo 2?" with nothing before: the slot
        # says what it is about
        if names.competitor is not None:
            label, confidence = Intent.COMPETITORS.value, 0.6
        elif names.product is not None:
            label, confidence = Intent.TOPIC.value, 0.6
        elif found is not None and t.canon.startswith((" et ", " and ")):
            label, confidence = Intent.PULSE.value, 0.6
    if injection or label == "injection":
        readable = next((i for i in pred.intents(0.15) if i in SAFE_UNDER_INJECTION), None)
        if readable is None or pred.prob(readable.value) < 0.3:
            return Understanding(Intent.UNKNOWN, lang, confidence=confidence, reason="injection")
        label, confidence = readable.value, pred.prob(readable.value)
    if label in NON_REQUESTS:
        return Understanding(
            Intent.UNKNOWN,
            lang,
            confidence=confidence,
            reason=label,
            alternatives=pred.intents(0.15)[:3],
        )
    if label in ("follow_up", "revise") or confidence < model.threshold:
        return Understanding(
            Intent.UNKNOWN,
            lang,
            confidence=confidence,
            reason="unclear",
            alternatives=_readings(label, pred),
        )
    return _with_slots(Intent(label), confidence, t, lex, lang, found, names, ref, model, vocab)


def _with_slots(
    intent: Intent,
    confidence: float,
    t: Prepared,
    lex: Lexicon,
    lang: str,
    found: FoundPeriod | None,
    names: _Names,
    ref: str | None,
    model: IntentModel,
    vocab: Vocabulary,
) -> Understanding:
    topic: str | None = None
    competitor: str | None = None
    skip: set[int] = set()
    for hit in (names.competitor, names.own):
        if hit is not None:
            skip |= set(range(hit[1], hit[2]))
    if intent in (Intent.PULSE, Intent.TOPIC):
        if names.competitor is not None and names.own is None:
            intent = Intent.COMPETITORS
        elif names.product is not None:
            intent, topic = Intent.TOPIC, names.product[0]
        else:
            topic = topic_after(t, lex, model.generic, skip)
            if topic is not None and self_topic(topic, vocab.own_names, lex):
                topic = None
            intent = Intent.TOPIC if topic is not None else Intent.PULSE
    if intent in (Intent.COMPETITORS, Intent.CRISIS, Intent.SHOW_POSTS):
        competitor = names.competitor[0] if names.competitor is not None else None
        if names.product is not None:
            topic = names.product[0]
    if intent is Intent.DRAFT:
        topic = draft_brief(t, lex)
    return Understanding(
        intent=intent,
        lang=lang,
        period=found.period if found is not None else Period.TODAY,
        topic=topic,
        competitor=competitor,
        post_ref=ref if intent is Intent.SHOULD_RESPOND else None,
        follow_up=False,
        confidence=round(confidence, 3),
        date=_iso(found),
        daypart=found.daypart if found is not None else None,
    )
