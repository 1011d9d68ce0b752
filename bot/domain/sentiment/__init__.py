"""Sentiment of posts (negative / neutral / positive) for French and English, in NumPy.

The model is trained by ``scripts/train_sentiment.py`` and shipped as
``bot/domain/models/sentiment.npz``. It has two heads, each a multinomial logistic regression
over sparse features, and every post is scored by the head of its language:

- **en** (English posts): trained on English only, without character n-grams, strongly
  regularised — with under 2,000 English training tweets, sub-word features and French data
  made it fit its training set and generalise worse (TweetEval, Sanders);
- **multi** (French and other languages): French and English data, with character n-grams,
  which carry French morphology and spelling variants.

Features:

- words (negation-marked inside a negation scope: ``not good`` → ``n:good``), word bigrams,
  character 3–5-grams of each word (multi head only), hashtag bodies;
- emoji and emoticons (tokens of their own), ``!``/``?``/ellipsis, elongated words (``sooo``);
- counts of hits in a hand-written bilingual polarity lexicon
  (``bot/domain/models/polarity_lexicon.txt``, embedded in the model file), flipped by negation;
- VADER valence: sign and strength bucket (``V+``, ``V+1`` … ``V-4``, flipped by negation)
  from the VADER lexicon (C.J. Hutto, MIT licence, see ``models/THIRD_PARTY_NOTICES.md``):
  the training script reads it from the ``vaderSentiment`` package and embeds the word →
  valence table in the model file, so inference needs no extra package;
- a language bias feature (``lang:fr`` / ``lang:en``), plus a per-language neutral offset
  chosen by cross-validation on the training data.

- phrase cues from ``bot/domain/models/sentiment_cues.txt`` (embedded in the model file):
  idioms and sarcasm cues read as one strongly polar unit (« rien à redire », "thanks for
  nothing", 🙄), and negations whose scope runs to the end of the clause (« ne … pas »,
  "can't say").

An optional :class:`EmbeddingHead` (a linear head over multilingual sentence embeddings) is mixed
with the word model when the caller passes the posts' vectors (the sample of an answer, a
briefing or an alert); every post also gets a confidence, low for mixed posts
(:func:`confidence_of`). :func:`analyse_texts` is the entry point: texts and optional vectors
in, labels, scores and confidences out.

Inference is batch-vectorised: per-token feature ids are cached, a batch becomes one flat id
array, and scores are one gather plus ``np.add.reduceat``. The only I/O is loading the model
file, once. Standard library and NumPy only.

Modules: :mod:`.cues` (lexicon and phrase-cue formats), :mod:`.features` (the featurizer shared
with training), :mod:`.model` (heads, ensemble, persistence); this one is the batch entry point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.language import detect_language_tokens
from bot.domain.sentiment.cues import (
    CUES_PATH,
    LEXICON_PATH,
    Cues,
    parse_cues,
    parse_lexicon,
    parse_valence,
)
from bot.domain.sentiment.features import FEATURE_VERSION, Featurizer, tokens_for_sentiment
from bot.domain.sentiment.model import (
    _LABELS,
    DEFAULT_MODEL_PATH,
    LANG_ORDER,
    MIXED_MIN,
    EmbeddingHead,
    FloatArray,
    Label,
    LinearHead,
    SentimentModel,
    _default_model,
    confidence_of,
)
from bot.domain.text import normalise

__all__ = [
    "CUES_PATH",
    "DEFAULT_MODEL_PATH",
    "FEATURE_VERSION",
    "LANG_ORDER",
    "LEXICON_PATH",
    "MIXED_MIN",
    "Cues",
    "EmbeddingHead",
    "Featurizer",
    "Label",
    "LinearHead",
    "SentimentModel",
    "TextAnalysis",
    "analyse_texts",
    "confidence_of",
    "parse_cues",
    "parse_lexicon",
    "parse_valence",
]


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """What the local analysis says about one post."""

    normalised: str
    lang: str
    """``"fr"``, ``"en"`` or ``"other"``."""
    sentiment: Label
    score: float
    """P(positive) − P(negative), in [-1, 1]."""
    confidence: float = 1.0
    """In [0, 1]: the top probability minus the smaller polar one (see :func:`confidence_of`)."""
    mixed: bool = False
    """Both praise and blame (P(negative) and P(positive) both ≥ 0.25): not plainly one side."""


def analyse_texts(
    texts: Iterable[str],
    model: SentimentModel | None = None,
    vectors: FloatArray | None = None,
) -> list[TextAnalysis]:
    """Normalise, identify the language of and score the sentiment of a batch of posts.

    The production entry point: labels, scores and confidences. Without ``vectors`` it runs the
    fast word model (≥ 20,000 posts/s per core); with ``vectors`` — the posts' sentence
    embeddings (``bot.ports.embeddings``, same order; for the sample of an answer, a briefing or
    an alert) — the ensemble with the embedding head, which is more accurate.
    """
    mdl = model if model is not None else _default_model()
    normalised = [normalise(t) for t in texts]
    if not normalised:
        return []
    tokens = [tokens_for_sentiment(t) for t in normalised]
    langs = [detect_language_tokens(t) for t in tokens]
    proba = mdl.predict_proba_tokens(tokens, langs, vectors)
    best = proba.argmax(axis=1).tolist()
    scores = (proba[:, 2] - proba[:, 0]).tolist()
    conf, mixed = confidence_of(proba)
    return [
        TextAnalysis(text, lang, _LABELS[b], round(s, 4), round(c, 4), m)
        for text, lang, b, s, c, m in zip(
            normalised, langs, best, scores, conf.tolist(), mixed.tolist(), strict=True
        )
    ]
