"""The multilingual sentence encoder: shipped weights, one space for French and English."""

from __future__ import annotations

import numpy as np

from bot.clients.encoder import DIM, UseEncoder, shared_encoder
from bot.ports.embeddings import SentenceEncoder


def test_french_and_english_questions_land_close_and_unrelated_text_far() -> None:
    enc = shared_encoder()
    assert isinstance(enc, SentenceEncoder)
    v = enc.encode(
        [
            "what are people saying about us today?",
            "qu'est-ce qu'on dit de nous aujourd'hui ?",
            "book a meeting room for tomorrow",
        ]
    )
    assert v.shape == (3, DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert float(v[0] @ v[1]) > 0.7
    assert float(v[0] @ v[2]) < float(v[0] @ v[1]) - 0.2


def test_cache_returns_the_same_vectors_and_stays_bounded() -> None:
    enc = UseEncoder(cache_size=2)
    first = enc.encode(["a", "b", "a"])
    assert np.array_equal(first[0], first[2])
    again = enc.encode(["c", "a"])
    assert np.allclose(again[1], first[0], atol=1e-6)
    assert enc.encode([]).shape == (0, DIM)
