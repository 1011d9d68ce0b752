"""`make train` is reproducible for the question classifier, and the CLI reads questions as the
bot does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.domain.understanding.model import MODEL_FILE, IntentModel

ROOT = Path(__file__).resolve().parents[2]


def test_retraining_reproduces_the_shipped_weights(tmp_path: Path) -> None:
    from scripts.train_intents import main

    shipped = np.load(MODEL_FILE)
    out = tmp_path / "intents.npz"
    # The cross-validation only chooses C, the temperature and the threshold: fit with the
    # shipped C and compare the weights.
    assert main(["--out", str(out), "--c", str(float(shipped["c"]))]) == 0
    fresh = np.load(out)
    assert list(fresh["labels"]) == list(shipped["labels"])
    assert str(fresh["data_sha256"]) == str(shipped["data_sha256"]), "retrain: make train"
    # The solver stops at a tolerance, so weights agree to about 1e-3 between two runs (BLAS
    # threads may sum in another order); what must not move is what the model says.
    assert np.allclose(fresh["weights"], shipped["weights"], atol=1e-2)
    assert np.allclose(fresh["bias"], shipped["bias"], atol=1e-2)
    assert list(fresh["ngrams"]) == list(shipped["ngrams"])
    assert np.allclose(fresh["ngram_weights"], shipped["ngram_weights"], atol=1e-2)
    retrained, model = IntentModel.load(out), IntentModel.load(MODEL_FILE)
    from bot.clients.encoder import shared_encoder
    from scripts.eval_intents import FRESH, load

    texts = [item.text for item in load(FRESH)]
    vectors = shared_encoder().encode(texts)
    same = sum(
        retrained.predict(v, text).label == model.predict(v, text).label
        for v, text in zip(vectors, texts, strict=True)
    )
    assert same >= len(texts) - 1
    assert list(fresh["vocab"]) == list(shipped["vocab"])
    assert 0.2 <= model.threshold <= 0.8 and 0.3 <= model.temperature <= 3.0
    assert MODEL_FILE.stat().st_size < 2_000_000


def test_understand_cli_reads_json_lines(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "version: 1\ntenant_id: t1\ncompany: Norvia\nnames: [Norvia]\n"
        "competitors:\n- name: Trekka\n  names: [Trekka]\n",
        encoding="utf-8",
    )
    lines = [
        {"text": "Que dit-on de Trekka depuis lundi ?", "locale": "en-US", "previous": None},
        "not json",
        {
            "text": "and yesterday?",
            "locale": "en-US",
            "previous": {"intent": "topic", "lang": "en", "topic": "delivery", "period": "today"},
        },
        {"text": "y a-t-il eu une crise le 3 décembre ?", "locale": "fr-FR"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    done = subprocess.run(
        [
            sys.executable,
            "scripts/understand.py",
            "--profile",
            str(profile),
            "--today",
            "2026-12-07",
        ],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 4
    first, bad, follow, dated = out
    assert set(first) >= {
        "intent",
        "lang",
        "period",
        "topic",
        "competitor",
        "post_ref",
        "follow_up",
        "confidence",
    }
    assert (first["intent"], first["lang"], first["period"], first["competitor"]) == (
        "competitors",
        "fr",
        "this_week",
        "Trekka",
    )
    assert "error" in bad
    assert (follow["intent"], follow["period"], follow["topic"], follow["follow_up"]) == (
        "topic",
        "yesterday",
        "delivery",
        True,
    )
    assert (dated["intent"], dated["period"], dated["date"]) == ("crisis", "date", "2026-12-03")


def test_understand_cli_refuses_a_bad_profile(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "scripts/understand.py", "--profile", str(bad)],
        cwd=ROOT,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "watch profile" in done.stderr
