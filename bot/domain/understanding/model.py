"""The learned intent classifier: a linear head over multilingual sentence embeddings and the
character n-grams of the question (which catch spelling, shorthand and word forms that the
sentence encoder smooths over).

Trained by `scripts/train_intents.py` (`make train`) from the labelled phrasings in
`content/intents/*.yaml`; stored in `bot/domain/models/intents.npz` (weights, labels, the
calibration temperature and the confidence threshold chosen by cross-validation, and the
vocabulary of the phrasings for typo correction). Inference is NumPy alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from bot.domain.text import fold_words
from bot.ports.language import Intent

__all__ = [
    "MODEL_FILE",
    "NON_REQUESTS",
    "IntentModel",
    "Prediction",
    "char_ngrams",
    "intent_model",
]

MODEL_FILE: Final = Path(__file__).resolve().parents[1] / "models" / "intents.npz"
NON_REQUESTS: Final = frozenset({"out_of_scope", "smalltalk", "injection"})
"""Labels that are not a Pulse request: the intent is UNKNOWN, with this label as the reason."""
CONVERSATIONAL: Final = frozenset({"revise", "follow_up"})
"""Labels that only mean something after a previous question."""


def char_ngrams(text: str) -> list[str]:
    """Character 2- to 4-grams of each folded word, padded with spaces (" ab", "abc", "bc ")."""
    grams: list[str] = []
    for word in fold_words(text).split():
        padded = f" {word} "
        for n in (2, 3, 4):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@dataclass(frozen=True, slots=True)
class Prediction:
    ranked: tuple[tuple[str, float], ...]  # (label, calibrated probability), best first

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    def prob(self, label: str) -> float:
        return next((p for name, p in self.ranked if name == label), 0.0)

    def intents(self, minimum: float = 0.08) -> tuple[Intent, ...]:
        """The request intents among the ranked labels, best first."""
        values = {i.value for i in Intent}
        return tuple(
            Intent(name)
            for name, p in self.ranked
            if name in values and name != Intent.UNKNOWN and p >= minimum
        )


@dataclass(frozen=True, slots=True)
class IntentModel:
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (labels, dim) over the sentence embedding
    bias: npt.NDArray[np.float32]  # (labels,)
    ngrams: dict[str, int]  # character n-gram -> column
    idf: npt.NDArray[np.float32]  # (n-grams,)
    ngram_weights: npt.NDArray[np.float32]  # (labels, n-grams)
    ngram_scale: float  # weight of the (L2-normalised) n-gram block against the embedding
    temperature: float
    threshold: float
    vocab: frozenset[str]
    vocab_list: list[str]
    generic: frozenset[str]

    def ngram_vector(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Columns and values of the text's TF-IDF n-gram vector (sublinear tf, L2 norm)."""
        counts: dict[int, int] = {}
        for gram in char_ngrams(text):
            col = self.ngrams.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[cols] if len(cols) else tf
        norm = float(np.linalg.norm(values))
        return cols, (values / norm if norm else values).astype(np.float32)

    def predict(self, vector: npt.NDArray[np.float32], text: str = "") -> Prediction:
        logits = self.weights @ vector + self.bias
        cols, values = self.ngram_vector(text)
        if len(cols):
            logits = logits + self.ngram_scale * (self.ngram_weights[:, cols] @ values)
        logits = logits / self.temperature
        logits = logits - logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return Prediction(tuple((self.labels[i], round(float(probs[i]), 4)) for i in order))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> IntentModel:
        with np.load(path, allow_pickle=False) as z:
            vocab = sorted(str(w) for w in z["vocab"])
            grams = [str(g) for g in z["ngrams"]]
            return cls(
                labels=tuple(str(x) for x in z["labels"]),
                weights=np.asarray(z["weights"], dtype=np.float32),
                bias=np.asarray(z["bias"], dtype=np.float32),
                ngrams={g: i for i, g in enumerate(grams)},
                idf=np.asarray(z["idf"], dtype=np.float32),
                ngram_weights=np.asarray(z["ngram_weights"], dtype=np.float32),
                ngram_scale=float(z["ngram_scale"]),
                temperature=float(z["temperature"]),
                threshold=float(z["threshold"]),
                vocab=frozenset(vocab),
                vocab_list=vocab,
                generic=frozenset(str(w) for w in z["generic"]),
            )


@cache
def intent_model() -> IntentModel:
    """The shipped model, read once per process."""
    return IntentModel.load()
