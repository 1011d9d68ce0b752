"""`make train` is reproducible: retraining gives the shipped model's weights, head by head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.domain.sentiment import DEFAULT_MODEL_PATH, SentimentModel

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_retraining_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    from scripts.train_sentiment import ROUTES, main

    out = tmp_path / "model.npz"
    # The neutral offsets' cross-validation is skipped for time; the weights do not depend on it.
    assert main(["--data", str(DATA), "--out", str(out), "--no-calibration"]) == 0
    fresh, shipped = SentimentModel.load(out), SentimentModel.load(DEFAULT_MODEL_PATH)
    assert fresh.routes == shipped.routes == ROUTES
    assert set(fresh.heads) == set(shipped.heads)
    for name, head in fresh.heads.items():
        other = shipped.heads[name]
        assert head.vocab == other.vocab
        assert head.featurizer.char_ngrams == other.featurizer.char_ngrams
        a, b = head.arrays(), other.arrays()
        for key in ("weights", "sq_weights", "bias"):
            assert np.array_equal(a[key], b[key]), (name, key)
    assert fresh.meta["heads"]["en"]["trained_on"] == ["xlmt_english"]  # type: ignore[index]
