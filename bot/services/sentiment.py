"""Sentiment of the sample read for an answer, a briefing or an alert (≤ 100 posts).

Three levels, each the fallback of the one above:

1. optional, off by default (``SENTIMENT_MODEL_SCORING``): the configured language model labels
   the whole sample in one batched, structured call (``SentimentScorer``); posts it leaves out
   keep the local label, and when the call fails every post does (notice ``model_fallback``);
2. the local ensemble: the word model mixed with a linear head over the posts' multilingual
   sentence embeddings (``SentenceEncoder``), computed here for the sample only;
3. the fast local word model alone (≥ 20,000 posts/s per core), when no encoder is configured
   or encoding fails.

A fault degrades the labels of one answer, never the answer itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from bot.domain.sentiment import Label, SentimentModel, TextAnalysis, analyse_texts
from bot.domain.text import normalise
from bot.ports.embeddings import SentenceEncoder
from bot.ports.language import EngineError, SentimentScorer

__all__ = ["MAX_MODEL_POSTS", "SampleSentiment", "ScoredSample"]

log = logging.getLogger(__name__)

MAX_MODEL_POSTS: Final = 100
_LABELS: Final = {
    "negative": Label.NEGATIVE,
    "neutral": Label.NEUTRAL,
    "positive": Label.POSITIVE,
}
_SIGN: Final = {Label.NEGATIVE: -1.0, Label.NEUTRAL: 0.0, Label.POSITIVE: 1.0}


@dataclass(frozen=True, slots=True)
class ScoredSample:
    """Labels of a sample, in its order, and who gave them."""

    results: list[TextAnalysis]
    source: str  # "model" | "ensemble" | "words"
    engine: str | None = None  # the model's name when it labelled the sample
    prompt: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    notices: list[str] = field(default_factory=list)  # "model_fallback"


class SampleSentiment:
    """Scores a sample: callable like :func:`analyse_texts` (sync; run it off the event loop),
    and :meth:`score` for the optional model call."""

    def __init__(
        self,
        *,
        encoder: SentenceEncoder | None = None,
        model: SentimentModel | None = None,
        scorer: SentimentScorer | None = None,
    ) -> None:
        self._encoder = encoder
        self._model = model
        self._scorer = scorer

    @property
    def uses_model(self) -> bool:
        return self._scorer is not None

    def local(self, texts: Iterable[str]) -> tuple[list[TextAnalysis], str]:
        """Local labels (ensemble when the encoder works, else the word model) and which."""
        items = list(texts)
        vectors = None
        if self._encoder is not None and items:
            try:
                vectors = self._encoder.encode([normalise(t) for t in items])
            except Exception as exc:  # any encoder fault: the word model answers
                log.warning("sentence encoder failed (%s): word model only", type(exc).__name__)
        results = analyse_texts(items, self._model, vectors)
        return results, "words" if vectors is None else "ensemble"

    def __call__(self, texts: Iterable[str]) -> list[TextAnalysis]:
        return self.local(texts)[0]

    async def score(self, posts: Sequence[tuple[str, str]]) -> ScoredSample:
        """Labels of (id, text) posts: the model's when configured and it answers, else local."""
        results, source = await asyncio.to_thread(self.local, [text for _, text in posts])
        if self._scorer is None or not posts:
            return ScoredSample(results, source)
        try:
            scores = await self._scorer.score_sentiment(list(posts[:MAX_MODEL_POSTS]))
        except EngineError as exc:
            log.warning("model sentiment failed (%s): local labels kept", exc.code)
            return ScoredSample(results, source, notices=["model_fallback"])
        merged = []
        for (pid, _), local in zip(posts, results, strict=True):
            got = scores.items.get(pid)
            if got is None or got.sentiment not in _LABELS:
                merged.append(local)
                continue
            label = _LABELS[got.sentiment]
            merged.append(
                replace(
                    local,
                    sentiment=label,
                    score=round(_SIGN[label] * got.confidence, 4),
                    confidence=round(got.confidence * (0.5 if got.mixed else 1.0), 4),
                    mixed=got.mixed,
                )
            )
        return ScoredSample(
            merged,
            "model",
            engine=scores.engine,
            prompt=scores.prompt,
            input_tokens=scores.input_tokens,
            output_tokens=scores.output_tokens,
        )
