"""`make train` is reproducible: retraining gives the shipped model's weights, head by head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.domain.sentiment import CUES_PATH, DEFAULT_MODEL_PATH, SentimentModel

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_retraining_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    from scripts.train_sentiment import ROUTES, main

    out = tmp_path / "model.npz"
    # The cross-validation (neutral offsets, the ensemble's alpha) is skipped for time; the
    # weights do not depend on it. The training texts' embeddings are cached in the system
    # temporary directory (keyed by content and encoder version): the first run encodes 7,083
    # texts (about 30-70 s on a busy core), later ones read them.
    assert main(["--data", str(DATA), "--out", str(out), "--no-calibration"]) == 0
    fresh, shipped = SentimentModel.load(out), SentimentModel.load(DEFAULT_MODEL_PATH)
    assert fresh.routes == shipped.routes == ROUTES
    assert set(fresh.heads) == set(shipped.heads)
    for name, head in fresh.heads.items():
        other = shipped.heads[name]
        assert head.vocab == other.vocab
        assert head.featurizer.char_ngrams == other.featurizer.char_ngrams
        assert head.featurizer.cues == other.featurizer.cues
        a, b = head.arrays(), other.arrays()
        # Stored as float16: the solver's last bits (BLAS threads may sum in another order) can
        # move a weight by one float16 step; anything more is a real change.
        for key in ("weights", "sq_weights", "bias"):
            x, y = a[key].astype(np.float32), b[key].astype(np.float32)
            assert np.allclose(x, y, rtol=2e-3, atol=2e-3), (name, key)
    assert fresh.meta["heads"]["en"]["trained_on"] == ["xlmt_english"]  # type: ignore[index]
    # The embedding head: the encoder's float32 arithmetic may differ in the last bits across
    # CPUs, so its weights are compared to a tolerance far below what changes a label.
    assert fresh.embedding is not None and shipped.embedding is not None
    assert np.allclose(fresh.embedding.weights, shipped.embedding.weights, atol=1e-3)
    assert np.allclose(fresh.embedding.bias, shipped.embedding.bias, atol=1e-3)


def test_the_shipped_model_carries_the_current_cue_file() -> None:
    from bot.domain.sentiment import parse_cues

    shipped = SentimentModel.load(DEFAULT_MODEL_PATH)
    current = parse_cues(CUES_PATH.read_text(encoding="utf-8"))
    assert all(head.featurizer.cues == current for head in shipped.heads.values())
