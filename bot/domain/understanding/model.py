"""The learned intent classifier: a linear head over multilingual sentence embeddings.

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

from bot.ports.language import Intent

__all__ = ["MODEL_FILE", "NON_REQUESTS", "IntentModel", "Prediction", "intent_model"]

MODEL_FILE: Final = Path(__file__).resolve().parents[1] / "models" / "intents.npz"
NON_REQUESTS: Final = frozenset({"out_of_scope", "smalltalk", "injection"})
"""Labels that are not a Pulse request: the intent is UNKNOWN, with this label as the reason."""
CONVERSATIONAL: Final = frozenset({"revise", "follow_up"})
"""Labels that only mean something after a previous question."""


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
    weights: npt.NDArray[np.float32]  # (labels, dim)
    bias: npt.NDArray[np.float32]  # (labels,)
    temperature: float
    threshold: float
    vocab: frozenset[str]
    vocab_list: list[str]
    generic: frozenset[str]

    def predict(self, vector: npt.NDArray[np.float32]) -> Prediction:
        logits = (self.weights @ vector + self.bias) / self.temperature
        logits = logits - logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        order = np.argsort(-probs, kind="stable")
        return Prediction(tuple((self.labels[i], round(float(probs[i]), 4)) for i in order))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> IntentModel:
        with np.load(path, allow_pickle=False) as z:
            vocab = sorted(str(w) for w in z["vocab"])
            return cls(
                labels=tuple(str(x) for x in z["labels"]),
                weights=np.asarray(z["weights"], dtype=np.float32),
                bias=np.asarray(z["bias"], dtype=np.float32),
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
