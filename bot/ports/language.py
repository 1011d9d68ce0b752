"""The language engine port: understanding questions and writing answers and posts.

Two implementations: the offline engine (deterministic, extractive; the demo default) and an
OpenAI-compatible one. Everything the engine sees and returns is typed; numbers are never
produced by the engine, only by the analysis (`AnswerRequest.figures`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


class Intent(StrEnum):
    PULSE = "pulse"  # overall: what is said about us (period)
    TOPIC = "topic"  # what is said about us on a topic
    COMPETITORS = "competitors"  # comparison with competitors
    CRISIS = "crisis"  # is a crisis brewing?
    TRENDS = "trends"  # sector trends
    SHOW_POSTS = "show_posts"  # show me the posts / more posts
    EXPLAIN = "explain"  # explain an X notion (coach)
    SHOULD_RESPOND = "should_respond"  # should I respond to this post?
    DRAFT = "draft"  # draft a post
    EDITORIAL_LINE = "editorial_line"  # show / edit the editorial line
    BRIEFING = "briefing"  # briefing settings, subscribe / unsubscribe
    HELP = "help"
    UNKNOWN = "unknown"


LISTENING_INTENTS = frozenset(
    {
        Intent.PULSE,
        Intent.TOPIC,
        Intent.COMPETITORS,
        Intent.CRISIS,
        Intent.TRENDS,
        Intent.SHOW_POSTS,
    }
)
"""Intents answered from what is said on X (listening and analysis)."""


class Period(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    LAST_24H = "last_24h"
    THIS_WEEK = "this_week"
    LAST_7_DAYS = "last_7_days"
    THIS_MORNING = "this_morning"
    # a weekday: the most recent such day, today included ("lundi", "last Tuesday")
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    # since a weekday, until now ("depuis mercredi"); since Monday is THIS_WEEK
    SINCE_TUESDAY = "since_tuesday"
    SINCE_WEDNESDAY = "since_wednesday"
    SINCE_THURSDAY = "since_thursday"
    SINCE_FRIDAY = "since_friday"
    SINCE_SATURDAY = "since_saturday"
    SINCE_SUNDAY = "since_sunday"
    DATE = "date"  # an explicit date: `Understanding.date`


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: Intent
    lang: str  # "fr" | "en": the language to answer in
    period: Period = Period.TODAY
    topic: str | None = None
    competitor: str | None = None
    post_ref: str | None = None  # a post id or URL the user points at
    follow_up: bool = False  # "et hier ?", "why?": slots inherited from the previous question
    confidence: float = 1.0
    date: str | None = None  # ISO date of Period.DATE ("2026-12-03")
    daypart: str | None = None  # "morning" | "afternoon" | "evening" | "night" of a named day
    # When the intent is UNKNOWN: why ("out_of_scope", "smalltalk", "injection", "unclear") and
    # the likeliest readings, best first, for a "Did you mean…" card.
    reason: str | None = None
    alternatives: tuple[Intent, ...] = ()


@dataclass(frozen=True, slots=True)
class SamplePost:
    """A post as the engine may see it: quoted data, control characters stripped."""

    id: str
    text: str
    author: str  # handle
    followers: int
    lang: str
    sentiment: str
    theme: str | None
    url: str
    engagement: int = 0


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    question: str
    understanding: Understanding
    figures: dict[str, str | int | float]  # computed by the analysis, never by the engine
    themes: list[dict[str, str | int | float]]
    posts: list[SamplePost]
    notices: list[str] = field(default_factory=list)  # data caveats (partial, missing) as codes


@dataclass(frozen=True, slots=True)
class AnswerDraft:
    headline: str
    summary: str
    points: list[str]
    cited_post_ids: list[str]
    next_steps: list[str]
    engine: str  # "offline" or the model name
    prompt: str | None = None  # "answer_question@3"
    input_tokens: int = 0
    output_tokens: int = 0
    notice: str | None = None  # a code: "offline", "model_fallback", ...


@dataclass(frozen=True, slots=True)
class DraftRequest:
    brief: str
    lang: str
    count: int
    editorial_line_yaml: str  # the line as data
    sample_posts: list[str]  # approved examples from the line
    context_posts: list[SamplePost]
    revision: str | None = None  # "shorter", "less formal", "in English"...
    previous: str | None = None
    findings: list[str] = field(default_factory=list)  # compliance findings to repair


@dataclass(frozen=True, slots=True)
class PostDraft:
    text: str
    rationale: str  # one line on how it follows the line
    engine: str
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """A tenant's names, from its watch profile: they sharpen the understanding of questions
    ("et Rouleo ?" names a competitor; "chez Velora" is about us, not a topic)."""

    own_names: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    sector_terms: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PostSentiment:
    """A model's reading of one post's sentiment."""

    id: str
    sentiment: str  # "negative" | "neutral" | "positive"
    confidence: float  # 0..1
    mixed: bool = False  # both praise and blame


@dataclass(frozen=True, slots=True)
class SentimentScores:
    """A batched sentiment call's result: posts the model left out are absent from `items`."""

    items: dict[str, PostSentiment]
    engine: str
    prompt: str
    input_tokens: int = 0
    output_tokens: int = 0


class EngineError(Exception):
    """The model could not answer (fault, timeout, invalid output): fall back, with a notice."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = (
            code  # "timeout", "rate_limited", "content_filter", "quota", "invalid_output"...
        )
        super().__init__(message or code)


@runtime_checkable
class LanguageEngine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def offline(self) -> bool: ...

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding: ...

    async def write_answer(self, request: AnswerRequest) -> AnswerDraft: ...

    async def write_posts(self, request: DraftRequest) -> list[PostDraft]: ...


@runtime_checkable
class SentimentScorer(Protocol):
    """A model that labels the sentiment of a sample of posts (≤ 100) in one batched call."""

    @property
    def name(self) -> str: ...

    async def score_sentiment(self, posts: list[tuple[str, str]]) -> SentimentScores:
        """`posts` are (id, text) pairs; raises `EngineError` when the call fails."""
        ...
