"""Input and shared result types of the analysis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum

from bot.ports.posts import Post


class Sentiment(StrEnum):
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"
    POSITIVE = "POSITIVE"


def to_sentiment(label: object) -> Sentiment:
    """A sentiment from a model's label: a `Sentiment`, another enum (by name: the sentiment
    model's `Label` is an IntEnum) or a string (any case)."""
    if isinstance(label, Sentiment):
        return label
    text = (label.name if isinstance(label, Enum) else str(label)).strip().upper()
    aliases = {"NEG": "NEGATIVE", "NEU": "NEUTRAL", "POS": "POSITIVE"}
    return Sentiment(aliases.get(text, text))


@dataclass(frozen=True, slots=True)
class AnalysedPost:
    """A post with what the language and sentiment steps said about it.

    The analysis reads `post.text` itself for theme key phrases: labels need the surface forms
    (accents, "de" in "délais de livraison") that normalised tokens no longer have.
    """

    post: Post
    lang: str
    sentiment: Sentiment

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentiment", to_sentiment(self.sentiment))


@dataclass(frozen=True, slots=True)
class SentimentSplit:
    negative: int
    neutral: int
    positive: int

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive

    def share(self, sentiment: Sentiment) -> float | None:
        """Share of `sentiment` in [0, 1]; None when there is nothing to share."""
        if self.total == 0:
            return None
        count = {
            Sentiment.NEGATIVE: self.negative,
            Sentiment.NEUTRAL: self.neutral,
            Sentiment.POSITIVE: self.positive,
        }[sentiment]
        return count / self.total

    @property
    def negative_share(self) -> float | None:
        return self.share(Sentiment.NEGATIVE)

    @property
    def neutral_share(self) -> float | None:
        return self.share(Sentiment.NEUTRAL)

    @property
    def positive_share(self) -> float | None:
        return self.share(Sentiment.POSITIVE)

    @property
    def dominant(self) -> Sentiment | None:
        """The most frequent sentiment; ties go to NEUTRAL, then NEGATIVE. None when empty."""
        if self.total == 0:
            return None
        order = (
            (self.neutral, 2, Sentiment.NEUTRAL),
            (self.negative, 1, Sentiment.NEGATIVE),
            (self.positive, 0, Sentiment.POSITIVE),
        )
        return max(order)[2]

    @classmethod
    def of(cls, sentiments: Iterable[Sentiment]) -> SentimentSplit:
        neg = neu = pos = 0
        for s in sentiments:
            if s is Sentiment.NEGATIVE:
                neg += 1
            elif s is Sentiment.POSITIVE:
                pos += 1
            else:
                neu += 1
        return cls(neg, neu, pos)
