"""The "should I respond to this post?" advisor, on labelled cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

import pytest

from bot.domain.advisor import (
    THRESHOLDS,
    AuthorType,
    Decision,
    EditorialPolicy,
    Reason,
    Stance,
    advise,
    as_stance,
    detect_signals,
    infer_author_type,
    summons,
)
from bot.ports.posts import Author, Metrics, Post

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POLICY: dict[str, Any] = {
    "respond_to_customers": True,
    "never_engage_trolls": True,
    "escalate_journalists": True,
    "our_handles": ["AcmeFrance", "Acme_Help"],
    "company_names": ["Acme"],
    "competitor_handles": ["globex"],
}


def make_post(
    text: str,
    *,
    handle: str = "someone",
    followers: int = 300,
    description: str = "",
    verified: bool = False,
    likes: int = 2,
    reposts: int = 0,
    impressions: int | None = None,
    age: timedelta = timedelta(hours=2),
) -> Post:
    return Post(
        id="1",
        text=text,
        created_at=NOW - age,
        author=Author(
            id="u1",
            handle=handle,
            name=handle.title(),
            followers=followers,
            verified=verified,
            description=description,
        ),
        metrics=Metrics(likes=likes, reposts=reposts, impressions=impressions),
    )


@dataclass(frozen=True)
class Case:
    name: str
    post: Post
    stance: Stance
    decision: Decision
    reason: Reason  # the primary reason
    crisis: float = 0.0
    kwargs: dict[str, Any] = field(default_factory=dict)
    draft: bool | None = None


JOURNALIST_BIO = "Journaliste économie @LesEchos. DM ouverts."

CASES = [
    Case(
        "journalist with a factual error during a crisis",
        make_post("Acme va fermer son usine de Lyon, selon nos infos.", handle="cdupont",
                  followers=25_000, description=JOURNALIST_BIO),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.CRISIS_MODE, crisis=0.8,
        kwargs={"factual_error": True}, draft=True,
    ),
    Case(
        "journalist question, no crisis",
        make_post("@AcmeFrance quand sort votre rapport climat ?", handle="mlefevre",
                  followers=8_000, description="Reporter at Reuters Paris"),
        Stance.NEUTRAL, Decision.ESCALATE_TO_COMMS, Reason.JOURNALIST, draft=True,
    ),
    Case(
        "journalist sharing our news neutrally",
        make_post("Acme annonce 200 embauches en Bretagne.", handle="mlefevre",
                  followers=8_000, description="Correspondante Ouest-France"),
        Stance.NEUTRAL, Decision.WATCH, Reason.JOURNALIST_NOTED, draft=False,
    ),
    Case(
        "happy customer",
        make_post("Super accueil en boutique, merci Acme !", likes=3),
        Stance.POSITIVE, Decision.IGNORE, Reason.POSITIVE_NO_ACTION, draft=False,
    ),
    Case(
        "happy customer, policy thanks praise",
        make_post("Super accueil en boutique, merci @AcmeFrance !", likes=3),
        Stance.POSITIVE, Decision.RESPOND, Reason.THANK_POSITIVE,
        kwargs={"policy": {**POLICY, "thank_positive": True}}, draft=True,
    ),
    Case(
        "customer with a question",
        make_post("@Acme_Help ma commande n'est toujours pas arrivée, comment je fais ?"),
        Stance.NEGATIVE, Decision.RESPOND, Reason.CUSTOMER_QUESTION, draft=True,
    ),
    Case(
        "customer complaint without question",
        make_post("Trois semaines pour un remboursement chez Acme. Inadmissible."),
        Stance.NEGATIVE, Decision.RESPOND, Reason.CUSTOMER_COMPLAINT, draft=True,
    ),
    Case(
        "customer complaint, policy does not answer customers",
        make_post("Still waiting for my refund from Acme."),
        Stance.NEGATIVE, Decision.WATCH, Reason.CUSTOMER_COMPLAINT,
        kwargs={"policy": {**POLICY, "respond_to_customers": False}}, draft=False,
    ),
    Case(
        "troll (bot-like handle)",
        make_post("Acme = arnaque, tous des voleurs", handle="patriote84720193", followers=3),
        Stance.NEGATIVE, Decision.IGNORE, Reason.TROLL_DO_NOT_ENGAGE, draft=False,
    ),
    Case(
        "troll given explicitly, even asking a question",
        make_post("Alors @AcmeFrance, vous assumez vos mensonges ?", followers=900),
        Stance.NEGATIVE, Decision.IGNORE, Reason.TROLL_DO_NOT_ENGAGE,
        kwargs={"author_type": "troll"}, draft=False,
    ),
    Case(
        "troll going viral",
        make_post("Boycott Acme !!!", handle="anon0000012345", followers=5, likes=4_000),
        Stance.NEGATIVE, Decision.WATCH, Reason.TROLL_HIGH_REACH, draft=False,
    ),
    Case(
        "high-reach negative during a crisis",
        make_post("Acme cache la vérité sur la panne géante.", followers=400_000),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.CRISIS_MODE, crisis=0.7, draft=True,
    ),
    Case(
        "high-reach negative outside a crisis",
        make_post("Honestly disappointed by Acme's new pricing.", followers=120_000),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.HIGH_REACH_NEGATIVE, draft=True,
    ),
    Case(
        "low-reach negative opinion",
        make_post("Pas fan du nouveau logo Acme.", followers=150),
        Stance.NEGATIVE, Decision.WATCH, Reason.NEGATIVE_LOW_REACH, draft=False,
    ),
    Case(
        "safety issue",
        make_post("Mon chargeur Acme a pris feu, incendie dans la cuisine !", followers=80),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.SAFETY_ISSUE, draft=True,
    ),
    Case(
        "safety issue from a troll-like account still escalates",
        make_post("Je vais poser une bombe chez Acme", handle="x99999999", followers=0),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.SAFETY_ISSUE,
    ),
    Case(
        "explicit factual error with reach",
        make_post("Acme makes its phones in country X, everyone knows.", followers=5_000),
        Stance.NEUTRAL, Decision.RESPOND, Reason.CORRECT_FACTUAL_ERROR,
        kwargs={"factual_error": True}, draft=True,
    ),
    Case(
        "explicit factual error with no reach",
        make_post("Acme was founded in 1990 lol", followers=40, likes=0),
        Stance.NEUTRAL, Decision.WATCH, Reason.FACTUAL_ERROR,
        kwargs={"factual_error": True}, draft=False,
    ),
    Case(
        "suspected rumour, low reach",
        make_post("Il paraît qu'Acme prépare un plan social...", followers=600),
        Stance.NEGATIVE, Decision.WATCH, Reason.VERIFY_CLAIM, draft=False,
    ),
    Case(
        "suspected rumour, high reach",
        make_post("Rumour: Acme is going bankrupt by Christmas", followers=90_000),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.VERIFY_CLAIM, draft=True,
    ),
    Case(
        "competitor jab",
        make_post("Chez nous, pas de panne comme chez Acme 😉", handle="globex", followers=60_000),
        Stance.NEGATIVE, Decision.WATCH, Reason.COMPETITOR_NO_ENGAGEMENT, draft=False,
    ),
    Case(
        "employee criticising the company",
        make_post("Encore une réorganisation, personne n'y comprend rien.",
                  description="Ingénieure chez Acme. Avis personnels."),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.EMPLOYEE_INTERNAL_MATTER, draft=False,
    ),
    Case(
        "employee proud of their work",
        make_post("Fière de notre équipe qui a livré le projet !",
                  description="Product manager at Acme"),
        Stance.POSITIVE, Decision.WATCH, Reason.EMPLOYEE_ADVOCACY, draft=False,
    ),
    Case(
        "positive influencer",
        make_post("J'adore la nouvelle appli Acme, test complet sur ma chaîne",
                  followers=30_000, description="Créateur de contenu tech, YouTube"),
        Stance.POSITIVE, Decision.WATCH, Reason.AMPLIFY_OPPORTUNITY, draft=False,
    ),
    Case(
        "customer question during an elevated (not crisis) period needs review",
        make_post("@Acme_Help is the app down? I can't log in to my account"),
        Stance.NEGATIVE, Decision.ESCALATE_TO_COMMS, Reason.CRISIS_REVIEW_REQUIRED,
        crisis=0.4, draft=True,
    ),
    Case(
        "old question is not worth a reply any more",
        make_post("How do I change my subscription?", age=timedelta(days=5)),
        Stance.NEUTRAL, Decision.WATCH, Reason.STALE_POST, draft=False,
    ),
    Case(
        "neutral chatter",
        make_post("Vu une pub Acme dans le métro ce matin."),
        Stance.NEUTRAL, Decision.IGNORE, Reason.LOW_PRIORITY, draft=False,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_labelled_cases(case: Case) -> None:
    kwargs = {"policy": POLICY, "now": NOW, **case.kwargs}
    advice = advise(case.post, case.stance, crisis_score=case.crisis, **kwargs)
    assert advice.decision is case.decision, advice
    assert advice.reasons[0] is case.reason, advice.reasons
    if case.draft is not None:
        assert advice.offer_draft is case.draft, advice


def test_enough_labelled_cases() -> None:
    assert len(CASES) >= 20
    assert {c.decision for c in CASES} == set(Decision)


def test_reply_channel_follows_the_api_rule() -> None:
    summoned = make_post("@AcmeFrance où trouver vos horaires ?")
    not_summoned = make_post("Quelqu'un sait où trouver les horaires Acme ?")
    a = advise(summoned, "neutral", policy=POLICY)
    b = advise(not_summoned, "neutral", policy=POLICY)
    assert a.decision is b.decision is Decision.RESPOND
    assert a.params["reply_channel"] == "api" and Reason.API_REPLY_NOT_ALLOWED not in a.reasons
    assert b.params["reply_channel"] == "manual" and b.reasons[-1] is Reason.API_REPLY_NOT_ALLOWED
    forced = advise(not_summoned, "neutral", policy=POLICY, summoned=True)
    assert forced.params["reply_channel"] == "api"


def test_params_and_codes_are_plain_data() -> None:
    advice = advise(
        make_post("Acme ment !", followers=200_000, impressions=1_000_000),
        "negative",
        crisis_score=0.65,
        policy=POLICY,
        now=NOW,
    )
    assert advice.params["crisis_level"] == "crisis"
    assert advice.params["high_reach"] is True
    assert advice.params["impressions"] == 1_000_000
    assert advice.params["age_hours"] == 2.0
    assert all(isinstance(v, str | int | float | bool) for v in advice.params.values())
    assert all(isinstance(r.value, str) for r in advice.reasons)
    assert len(set(advice.reasons)) == len(advice.reasons)


def test_explicit_author_type_wins_over_inference() -> None:
    post = make_post("Quand publiez-vous vos résultats ?", description=JOURNALIST_BIO)
    assert infer_author_type(post, EditorialPolicy()) is AuthorType.JOURNALIST
    advice = advise(post, "neutral", author_type=AuthorType.CUSTOMER, policy=POLICY)
    assert advice.author_type is AuthorType.CUSTOMER and not advice.author_type_inferred
    assert advice.decision is Decision.RESPOND


@pytest.mark.parametrize(
    ("text", "question", "safety", "claim"),
    [
        ("Comment annuler mon abonnement", True, False, False),
        ("Why is the app down?", True, False, False),
        ("@AcmeFrance pourquoi ce prix", True, False, False),
        ("Merci pour la réparation rapide", False, False, False),
        ("Risque d'explosion avec la batterie Acme", False, True, False),
        ("Data breach at Acme? my password leaked", True, True, True),
        ("Il paraît qu'Acme va fermer", False, False, True),
        ("Lien utile : https://example.com/?q=1", False, False, False),
    ],
)
def test_signal_heuristics(text: str, question: bool, safety: bool, claim: bool) -> None:
    signals = detect_signals(text)
    assert (signals.question, signals.safety_issue, signals.suspected_claim) == (
        question,
        safety,
        claim,
    )


def test_explicit_flags_override_heuristics() -> None:
    signals = detect_signals("Risque d'incendie ?", question=False, safety_issue=False)
    assert not signals.question and not signals.safety_issue
    signals = detect_signals("rumeur", factual_error=False)
    assert not signals.suspected_claim and not signals.factual_error


def test_summons_matches_our_handles_only() -> None:
    post = make_post("cc @acmefrance et @someoneelse")
    assert summons(post, ["AcmeFrance"])
    assert not summons(post, ["Acme_Help"])
    assert not summons(make_post("AcmeFrance sans arobase"), ["AcmeFrance"])


def test_policy_from_mapping_rejects_unknown_keys_and_non_booleans() -> None:
    with pytest.raises(ValueError, match="unknown"):
        EditorialPolicy.from_mapping({"reply_to_everyone": True})
    with pytest.raises(ValueError, match="true or false"):
        EditorialPolicy.from_mapping({"never_engage_trolls": "yes"})
    policy = EditorialPolicy.from_mapping({"our_handles": "@AcmeFrance"})
    assert policy.our_handles == ("acmefrance",)
    assert EditorialPolicy.from_mapping(None) == EditorialPolicy()


def test_crisis_score_is_clamped_and_thresholds_are_ordered() -> None:
    assert 0 < THRESHOLDS.elevated < THRESHOLDS.crisis <= 1
    advice = advise(make_post("Acme nul"), "negative", crisis_score=7.0, policy=POLICY)
    assert advice.params["crisis_score"] == 1.0
    assert advice.decision is Decision.ESCALATE_TO_COMMS


def test_troll_policy_can_be_relaxed() -> None:
    post = make_post("Pourquoi vos prix ? @AcmeFrance", handle="bot12345678", followers=1)
    strict = advise(post, "negative", policy=POLICY)
    relaxed = advise(post, "negative", policy={**POLICY, "never_engage_trolls": False})
    assert strict.decision is Decision.IGNORE
    assert relaxed.decision is Decision.RESPOND


def test_stance_accepts_strings_and_label_enums() -> None:
    class Label(IntEnum):  # shaped like the sentiment model's labels
        NEGATIVE = 0
        NEUTRAL = 1
        POSITIVE = 2

    assert as_stance(Label.NEGATIVE) is Stance.NEGATIVE
    assert as_stance(" Positive ") is Stance.POSITIVE
    with pytest.raises(ValueError):
        as_stance("angry")
    advice = advise(make_post("Acme nul"), Label.NEGATIVE, policy=POLICY)
    assert advice.params["stance"] == "negative"
