""" "Should I respond to this post?" — a deterministic, explainable advisor.

Input: a post (with its author's profile and metrics), its stance (negative / neutral /
positive, from the sentiment model), the current crisis score (0..1, from the alert service),
and the editorial policy. Author type and content signals (factual error, question, safety
issue) are inferred with simple FR/EN heuristics unless given explicitly.

Output: a `Decision` (ignore / watch / respond / escalate_to_comms), `Reason` codes — primary
reason first — with numeric/text `params`, and whether a draft should be offered. No user-facing
sentence is produced here: the Teams layer phrases the codes in French or English.

The rules, first match wins (all thresholds live in `AdvisorThresholds`):

1. Safety issue (injury, threat, data breach...) → escalate_to_comms [SAFETY_ISSUE].
2. Troll / bot-like author → ignore [TROLL_DO_NOT_ENGAGE] when the policy says never engage
   trolls; watch instead if the post is negative and high-reach [TROLL_HIGH_REACH].
3. Crisis (score ≥ crisis) and the post is negative, a journalist's, or a factual claim →
   escalate_to_comms [CRISIS_MODE] (+ HIGH_REACH_NEGATIVE / JOURNALIST / FACTUAL_ERROR).
4. Journalist → escalate_to_comms when the policy escalates journalists and the post is negative,
   a question, or a factual error [JOURNALIST]; otherwise watch [JOURNALIST_NOTED].
5. Competitor → escalate_to_comms if it asserts a factual error with reach; else watch
   [COMPETITOR_NO_ENGAGEMENT].
6. Employee → negative: escalate_to_comms [EMPLOYEE_INTERNAL_MATTER]; otherwise watch
   [EMPLOYEE_ADVOCACY].
7. Explicit factual error → respond [CORRECT_FACTUAL_ERROR] when the author has some reach
   (correction_min_followers / correction_min_engagement), escalate if high-reach negative,
   otherwise watch [FACTUAL_ERROR, LOW_REACH]. A claim only *suspected* by the keyword
   heuristics (rumour, layoffs, bankruptcy...) → watch [VERIFY_CLAIM], escalate if high-reach.
8. High-reach negative (any other author) → escalate_to_comms [HIGH_REACH_NEGATIVE].
9. Question → respond [CUSTOMER_QUESTION / QUESTION] if the policy answers them.
10. Negative customer → respond [CUSTOMER_COMPLAINT] if the policy answers customers; other
    negatives → watch [NEGATIVE_LOW_REACH].
11. Positive → respond [THANK_POSITIVE] if the policy thanks; a positive influencer → watch
    [AMPLIFY_OPPORTUNITY]; else ignore [POSITIVE_NO_ACTION].
12. Anything else → ignore [LOW_PRIORITY].

Then two overrides: in an elevated-or-worse crisis no reply goes out unreviewed (respond →
escalate_to_comms, [CRISIS_REVIEW_REQUIRED]); a post older than `stale_after_hours` is not
worth a reply any more (respond → watch, [STALE_POST]). Every respond carries the reply channel:
since 2026 the X API only posts replies where the author summoned our account, so otherwise the
reply must be posted by hand [API_REPLY_NOT_ALLOWED].
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from bot.domain.text import fold
from bot.ports.posts import Post


class Stance(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class AuthorType(StrEnum):
    JOURNALIST = "journalist"
    CUSTOMER = "customer"
    INFLUENCER = "influencer"
    COMPETITOR = "competitor"
    EMPLOYEE = "employee"
    TROLL = "troll"  # troll or bot-like
    UNKNOWN = "unknown"


class Decision(StrEnum):
    IGNORE = "ignore"
    WATCH = "watch"
    RESPOND = "respond"
    ESCALATE_TO_COMMS = "escalate_to_comms"


class Reason(StrEnum):
    SAFETY_ISSUE = "safety_issue"
    TROLL_DO_NOT_ENGAGE = "troll_do_not_engage"
    TROLL_HIGH_REACH = "troll_high_reach"
    CRISIS_MODE = "crisis_mode"
    CRISIS_REVIEW_REQUIRED = "crisis_review_required"
    HIGH_REACH_NEGATIVE = "high_reach_negative"
    HIGH_REACH = "high_reach"
    JOURNALIST = "journalist"
    JOURNALIST_NOTED = "journalist_noted"
    COMPETITOR_NO_ENGAGEMENT = "competitor_no_engagement"
    EMPLOYEE_INTERNAL_MATTER = "employee_internal_matter"
    EMPLOYEE_ADVOCACY = "employee_advocacy"
    FACTUAL_ERROR = "factual_error"
    CORRECT_FACTUAL_ERROR = "correct_factual_error"
    VERIFY_CLAIM = "verify_claim"
    LOW_REACH = "low_reach"
    CUSTOMER_QUESTION = "customer_question"
    QUESTION = "question"
    CUSTOMER_COMPLAINT = "customer_complaint"
    NEGATIVE_LOW_REACH = "negative_low_reach"
    THANK_POSITIVE = "thank_positive"
    AMPLIFY_OPPORTUNITY = "amplify_opportunity"
    POSITIVE_NO_ACTION = "positive_no_action"
    LOW_PRIORITY = "low_priority"
    POLICY_NO_REPLY = "policy_no_reply"
    STALE_POST = "stale_post"
    API_REPLY_NOT_ALLOWED = "api_reply_not_allowed"


@dataclass(frozen=True, slots=True)
class AdvisorThresholds:
    """Every number the rules use, in one place."""

    crisis: float = 0.6  # crisis score from which we are in a crisis
    elevated: float = 0.3  # from here replies need comms review
    high_reach_followers: int = 50_000
    high_reach_impressions: int = 100_000
    high_reach_engagement: int = 500
    correction_min_followers: int = 1_000  # below this (and low engagement) a correction is noise
    correction_min_engagement: int = 50
    influencer_followers: int = 100_000  # influencer whatever the bio says
    influencer_min_followers_with_bio: int = 10_000  # influencer when the bio says creator...
    bot_min_handle_digits: int = 5  # "jean84629301"-style handles
    bot_max_followers: int = 20
    stale_after_hours: float = 72.0


THRESHOLDS = AdvisorThresholds()


@dataclass(frozen=True, slots=True)
class EditorialPolicy:
    """The comms team's rules of engagement (from configuration)."""

    respond_to_customers: bool = True
    respond_to_questions: bool = True
    correct_factual_errors: bool = True
    never_engage_trolls: bool = True
    escalate_journalists: bool = True
    thank_positive: bool = False
    our_handles: tuple[str, ...] = ()  # our accounts, without "@", for "summoned" detection
    company_names: tuple[str, ...] = ()  # to recognise employees ("chez Acme", "at Acme")
    competitor_handles: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> EditorialPolicy:
        """From a plain dict such as {"respond_to_customers": true, ...}; unknown keys fail."""
        if not data:
            return cls()
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown editorial policy keys: {unknown}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in {"our_handles", "company_names", "competitor_handles"}:
                if isinstance(value, str):
                    value = (value,)
                values[key] = tuple(str(v).lstrip("@").lower() for v in value)
            else:
                if not isinstance(value, bool):
                    raise ValueError(f"editorial policy {key!r} must be true or false")
                values[key] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Signals:
    """What the post contains; `None` fields of the input are inferred from the text."""

    factual_error: bool  # explicitly flagged by a person or another component
    suspected_claim: bool  # keyword heuristics: a rumour/claim worth verifying
    question: bool
    safety_issue: bool


Param = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Advice:
    decision: Decision
    reasons: tuple[Reason, ...]  # primary reason first
    offer_draft: bool
    author_type: AuthorType
    author_type_inferred: bool
    signals: Signals
    params: Mapping[str, Param] = field(default_factory=dict)


# --------------------------------------------------------------------------- heuristics


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(fold(w)) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


_JOURNALIST_WORDS = _pattern(
    [
        "journalist", "journaliste", "journalistes", "reporter", "reporters", "grand reporter",
        "correspondent", "correspondant", "correspondante", "editor", "redacteur", "redactrice",
        "redac chef", "redactrice en chef", "redacteur en chef", "chroniqueur", "chroniqueuse",
        "news desk", "newsroom", "press", "presse", "journalism", "journalisme", "pigiste",
        "freelance journalist", "columnist", "editorialiste",
    ]
)  # fmt: skip
_INFLUENCER_WORDS = _pattern(
    [
        "creator", "content creator", "createur de contenu", "creatrice de contenu", "influencer",
        "influenceur", "influenceuse", "youtuber", "youtube", "podcast", "podcaster", "tiktok",
        "twitch", "streamer", "blogger", "blogueur", "blogueuse",
    ]
)  # fmt: skip
_BOT_BIO_WORDS = _pattern(["bot", "parody", "parodie", "satire", "satirique", "fake", "troll"])
_CUSTOMER_WORDS = _pattern(
    [
        "my order", "ma commande", "mon colis", "my parcel", "my package", "delivery",
        "livraison", "refund", "remboursement", "rembourser", "customer service",
        "service client", "sav", "my account", "mon compte", "my subscription", "mon abonnement",
        "invoice", "facture", "i bought", "j'ai achete", "je suis client", "i'm a customer",
        "i am a customer", "as a customer", "en tant que client", "cliente", "my contract",
        "mon contrat", "hotline", "support", "ticket", "panne", "outage", "broken", "en panne",
        "my card", "ma carte", "my flight", "mon vol", "mon billet", "my ticket",
    ]
)  # fmt: skip
_SAFETY_WORDS = _pattern(
    [
        "danger", "dangerous", "dangereux", "dangereuse", "injury", "injured", "blesse",
        "blessee", "blesses", "blessure", "burn", "burned", "brulure", "brule", "fire",
        "incendie", "explosion", "exploded", "explose", "poisoning", "intoxication", "intoxique",
        "allergic reaction", "reaction allergique", "choking", "etouffement", "recall",
        "rappel produit", "rappel conso", "suicide", "suicidaire", "threat", "threaten",
        "menace", "menaces", "bomb", "bombe", "attentat", "shooting", "fusillade", "accident",
        "gas leak", "fuite de gaz", "hospital", "hopital", "urgences", "sick", "malade",
        "data breach", "fuite de donnees", "hacked", "pirate", "piratage", "leaked passwords",
        "harcelement", "harassment", "agression", "assault",
    ]
)  # fmt: skip
_CLAIM_WORDS = _pattern(
    [
        "rumor", "rumour", "rumeur", "rumeurs", "il parait", "apparently", "on dit que",
        "i heard", "j'ai entendu", "leaked", "leak", "fuite", "bankrupt", "bankruptcy",
        "faillite", "layoffs", "licenciements", "plan social", "going to close", "will close",
        "va fermer", "vont fermer", "fermeture", "scandal", "scandale", "cover up", "cover-up",
        "etouffe", "mensonge", "lying", "lies", "fraud", "fraude", "arnaque", "scam",
        "hoax", "fake news", "intox", "boycott",
    ]
)  # fmt: skip
_QUESTION_START = _pattern(
    [
        "how", "why", "when", "where", "what", "which", "who", "can you", "could you", "will you",
        "do you", "does", "is it", "are you", "comment", "pourquoi", "quand", "ou est",
        "quel", "quelle", "quels", "quelles", "qui", "est-ce", "est ce", "pouvez-vous",
        "pouvez vous", "allez-vous", "savez-vous", "combien",
    ]
)  # fmt: skip
_DIGITS_AT_END = re.compile(r"(\d+)$")


def infer_author_type(
    post: Post,
    policy: EditorialPolicy | None = None,
    thresholds: AdvisorThresholds = THRESHOLDS,
) -> AuthorType:
    """A best guess from the profile and the text; explicit labels should win when known."""
    policy = policy or EditorialPolicy()
    author = post.author
    handle = author.handle.lstrip("@").lower()
    bio = fold(author.description)
    if handle in policy.competitor_handles:
        return AuthorType.COMPETITOR
    for company in policy.company_names:
        name = fold(company)
        if name and _employee_of(name).search(bio):
            return AuthorType.EMPLOYEE
    if _JOURNALIST_WORDS.search(bio):
        return AuthorType.JOURNALIST
    if _looks_like_bot(post, bio, thresholds):
        return AuthorType.TROLL
    if author.followers >= thresholds.influencer_followers or (
        author.followers >= thresholds.influencer_min_followers_with_bio
        and _INFLUENCER_WORDS.search(bio)
    ):
        return AuthorType.INFLUENCER
    if _CUSTOMER_WORDS.search(fold(post.text)) or _CUSTOMER_WORDS.search(bio):
        return AuthorType.CUSTOMER
    return AuthorType.UNKNOWN


def _employee_of(company: str) -> re.Pattern[str]:
    name = re.escape(company)
    return re.compile(
        rf"(?:\bchez|\bat|\bfor|\bpour|@)\s*@?{name}\b|\b{name}\s+(?:employee|salarie|salariee)\b"
    )


def _looks_like_bot(post: Post, bio: str, th: AdvisorThresholds) -> bool:
    if _BOT_BIO_WORDS.search(bio):
        return True
    digits = _DIGITS_AT_END.search(post.author.handle)
    many_digits = digits is not None and len(digits.group(1)) >= th.bot_min_handle_digits
    return many_digits and post.author.followers <= th.bot_max_followers and not bio.strip()


def detect_signals(
    text: str,
    *,
    factual_error: bool | None = None,
    question: bool | None = None,
    safety_issue: bool | None = None,
) -> Signals:
    """Content signals from FR/EN keywords; an explicit flag always wins over the heuristic."""
    folded = fold(text)
    without_links = re.sub(r"https?://\S+", " ", folded)
    without_handles = re.sub(r"[@#]\w+", " ", without_links).strip()
    inferred_question = "?" in without_links or bool(_QUESTION_START.match(without_handles))
    return Signals(
        factual_error=bool(factual_error),
        suspected_claim=factual_error is None and bool(_CLAIM_WORDS.search(folded)),
        question=inferred_question if question is None else question,
        safety_issue=bool(_SAFETY_WORDS.search(folded)) if safety_issue is None else safety_issue,
    )


def as_stance(value: Stance | str | Enum) -> Stance:
    """A stance from our enum, a string ("Negative") or any enum member named like one
    (such as the sentiment model's `Label.NEGATIVE`)."""
    if isinstance(value, Stance):
        return value
    if isinstance(value, Enum):
        return Stance(value.name.lower())
    return Stance(value.strip().lower())


def summons(post: Post, our_handles: Sequence[str]) -> bool:
    """Whether the post's author called one of our accounts in (an @mention of it)."""
    mentioned = {m.lower() for m in re.findall(r"@(\w{1,15})", post.text)}
    return any(h.lstrip("@").lower() in mentioned for h in our_handles)


# --------------------------------------------------------------------------- the rules


def advise(
    post: Post,
    stance: Stance | str | Enum,
    *,
    crisis_score: float = 0.0,
    author_type: AuthorType | str | None = None,
    factual_error: bool | None = None,
    question: bool | None = None,
    safety_issue: bool | None = None,
    policy: EditorialPolicy | Mapping[str, Any] | None = None,
    summoned: bool | None = None,
    now: datetime | None = None,
    thresholds: AdvisorThresholds = THRESHOLDS,
) -> Advice:
    """Should we respond to `post`? See the module docstring for the rules, in order."""
    th = thresholds
    pol = policy if isinstance(policy, EditorialPolicy) else EditorialPolicy.from_mapping(policy)
    stance = as_stance(stance)
    crisis_score = min(1.0, max(0.0, float(crisis_score)))
    inferred = author_type is None
    kind = infer_author_type(post, pol, th) if author_type is None else AuthorType(author_type)
    signals = detect_signals(
        post.text, factual_error=factual_error, question=question, safety_issue=safety_issue
    )
    metrics = post.metrics
    followers = post.author.followers
    high_reach = (
        followers >= th.high_reach_followers
        or (metrics.impressions or 0) >= th.high_reach_impressions
        or metrics.engagement >= th.high_reach_engagement
    )
    enough_reach = (
        high_reach
        or followers >= th.correction_min_followers
        or metrics.engagement >= th.correction_min_engagement
    )
    negative = stance is Stance.NEGATIVE
    in_crisis = crisis_score >= th.crisis
    elevated = crisis_score >= th.elevated
    is_summoned = summons(post, pol.our_handles) if summoned is None else summoned

    decision, reasons = _rule(
        kind, stance, signals, pol, high_reach=high_reach, enough_reach=enough_reach,
        in_crisis=in_crisis,
    )  # fmt: skip

    # Overrides: crisis review, staleness.
    if decision is Decision.RESPOND and elevated:
        decision, reasons = Decision.ESCALATE_TO_COMMS, (Reason.CRISIS_REVIEW_REQUIRED, *reasons)
    age_hours: float | None = None
    if now is not None:
        age_hours = (now - post.created_at).total_seconds() / 3600.0
        if decision is Decision.RESPOND and age_hours > th.stale_after_hours:
            decision, reasons = Decision.WATCH, (Reason.STALE_POST, *reasons)

    reply_expected = decision is Decision.RESPOND or (
        decision is Decision.ESCALATE_TO_COMMS
        and kind not in (AuthorType.TROLL, AuthorType.COMPETITOR, AuthorType.EMPLOYEE)
        and (signals.factual_error or signals.question or signals.safety_issue or negative)
    )
    if reply_expected and not is_summoned:
        reasons = (*reasons, Reason.API_REPLY_NOT_ALLOWED)

    params: dict[str, Param] = {
        "author_type": kind.value,
        "author_type_inferred": inferred,
        "stance": stance.value,
        "followers": followers,
        "engagement": metrics.engagement,
        "high_reach": high_reach,
        "crisis_score": round(crisis_score, 3),
        "crisis_level": "crisis" if in_crisis else "elevated" if elevated else "normal",
        "summoned": is_summoned,
    }
    if metrics.impressions is not None:
        params["impressions"] = metrics.impressions
    if age_hours is not None:
        params["age_hours"] = round(age_hours, 1)
    if reply_expected:
        params["reply_channel"] = "api" if is_summoned else "manual"

    return Advice(
        decision=decision,
        reasons=_unique(reasons),
        offer_draft=reply_expected,
        author_type=kind,
        author_type_inferred=inferred,
        signals=signals,
        params=params,
    )


def _rule(
    kind: AuthorType,
    stance: Stance,
    signals: Signals,
    pol: EditorialPolicy,
    *,
    high_reach: bool,
    enough_reach: bool,
    in_crisis: bool,
) -> tuple[Decision, tuple[Reason, ...]]:
    negative = stance is Stance.NEGATIVE
    escalate, watch, respond, ignore = (
        Decision.ESCALATE_TO_COMMS,
        Decision.WATCH,
        Decision.RESPOND,
        Decision.IGNORE,
    )
    claim = signals.factual_error or signals.suspected_claim
    claim_reason = Reason.FACTUAL_ERROR if signals.factual_error else Reason.VERIFY_CLAIM

    # 1. Safety first, whoever writes.
    if signals.safety_issue:
        return escalate, (Reason.SAFETY_ISSUE,)
    # 2. Trolls and bots.
    if kind is AuthorType.TROLL:
        if negative and high_reach:
            return watch, (Reason.TROLL_HIGH_REACH, Reason.TROLL_DO_NOT_ENGAGE)
        if pol.never_engage_trolls:
            return ignore, (Reason.TROLL_DO_NOT_ENGAGE,)
    # 3. Crisis.
    if in_crisis and (negative or claim or kind is AuthorType.JOURNALIST):
        extra: list[Reason] = []
        if negative and high_reach:
            extra.append(Reason.HIGH_REACH_NEGATIVE)
        if kind is AuthorType.JOURNALIST:
            extra.append(Reason.JOURNALIST)
        if claim:
            extra.append(claim_reason)
        return escalate, (Reason.CRISIS_MODE, *extra)
    # 4. Journalists.
    if kind is AuthorType.JOURNALIST:
        if pol.escalate_journalists and (negative or signals.question or claim):
            return escalate, (Reason.JOURNALIST, *((claim_reason,) if claim else ()))
        return watch, (Reason.JOURNALIST_NOTED,)
    # 5. Competitors: never engaged directly.
    if kind is AuthorType.COMPETITOR:
        if signals.factual_error and enough_reach:
            return escalate, (Reason.FACTUAL_ERROR, Reason.COMPETITOR_NO_ENGAGEMENT)
        return watch, (Reason.COMPETITOR_NO_ENGAGEMENT,)
    # 6. Employees: handled internally.
    if kind is AuthorType.EMPLOYEE:
        if negative or claim:
            return escalate, (Reason.EMPLOYEE_INTERNAL_MATTER,)
        return watch, (Reason.EMPLOYEE_ADVOCACY,)
    # 7. Factual errors.
    if signals.factual_error:
        if negative and high_reach:
            return escalate, (Reason.HIGH_REACH_NEGATIVE, Reason.FACTUAL_ERROR)
        if not enough_reach:
            return watch, (Reason.FACTUAL_ERROR, Reason.LOW_REACH)
        if pol.correct_factual_errors:
            return respond, (Reason.CORRECT_FACTUAL_ERROR,)
        return watch, (Reason.FACTUAL_ERROR, Reason.POLICY_NO_REPLY)
    if signals.suspected_claim:
        if high_reach:
            reach = Reason.HIGH_REACH_NEGATIVE if negative else Reason.HIGH_REACH
            return escalate, (Reason.VERIFY_CLAIM, reach)
        return watch, (Reason.VERIFY_CLAIM,)
    # 8. High-reach criticism.
    if negative and high_reach:
        return escalate, (Reason.HIGH_REACH_NEGATIVE,)
    # 9. Questions.
    if signals.question:
        customer = kind is AuthorType.CUSTOMER
        allowed = pol.respond_to_customers if customer else pol.respond_to_questions
        reason = Reason.CUSTOMER_QUESTION if customer else Reason.QUESTION
        if allowed:
            return respond, (reason,)
        return watch, (reason, Reason.POLICY_NO_REPLY)
    # 10. Complaints and other criticism.
    if negative:
        if kind is AuthorType.CUSTOMER:
            if pol.respond_to_customers:
                return respond, (Reason.CUSTOMER_COMPLAINT,)
            return watch, (Reason.CUSTOMER_COMPLAINT, Reason.POLICY_NO_REPLY)
        return watch, (Reason.NEGATIVE_LOW_REACH,)
    # 11. Praise.
    if stance is Stance.POSITIVE:
        if pol.thank_positive:
            return respond, (Reason.THANK_POSITIVE,)
        if kind is AuthorType.INFLUENCER or high_reach:
            return watch, (Reason.AMPLIFY_OPPORTUNITY,)
        return ignore, (Reason.POSITIVE_NO_ACTION,)
    # 12. The rest.
    return ignore, (Reason.LOW_PRIORITY,)


def _unique(reasons: Sequence[Reason]) -> tuple[Reason, ...]:
    seen: list[Reason] = []
    for reason in reasons:
        if reason not in seen:
            seen.append(reason)
    return tuple(seen)
