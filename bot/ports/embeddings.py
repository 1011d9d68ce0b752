"""The sentence-encoder port: multilingual sentence embeddings (French and English in one space).

Used by the question classifier, the themes and the sentiment head. Vectors are L2-normalised
float32 rows, so a dot product is a cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class SentenceEncoder(Protocol):
    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, shape (len(texts), dim)."""
        ...
