"""Evaluate the shipped sentiment model and language identifier on ../shared/data.

Prints every figure beside the published reference scores of the data README, with bootstrap
95% intervals, for the word model alone (what runs on every post) and for the ensemble with the
sentence-embedding head (what runs on the sample of an answer, a briefing or an alert):
- TweetEval sentiment validation (EN): macro-averaged recall (goal ≥ 0.65), macro-F1, on the
  570 tweets that are not in the training data (the other 1,430 are in XLM-T EN train: that
  full-set figure is printed too, marked contaminated);
- XLM-T French validation: macro-F1 (goal ≥ 0.62); XLM-T English validation: macro-F1;
- Sanders brands (EN, some FR/ES; evaluation only, "irrelevant" rows dropped): macro-F1;
- DEFT 2017's mixed tweets (never trained on): how they are labelled, and their confidence
  against the other DEFT tweets';
- the 5-fold cross-validated figures on the train splits, stored in the model by training;
- language identification accuracy on the French and English sets.

Exit code 1 when a goal is missed. ``--no-embedding`` skips the ensemble (no encoder needed).

    .venv/bin/python scripts/eval_sentiment.py [--data ../shared/data] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.language import detect_language  # noqa: E402
from bot.domain.sentiment import SentimentModel, analyse_texts  # noqa: E402
from bot.domain.text import normalise  # noqa: E402
from scripts.train_sentiment import (  # noqa: E402
    CV_SETS,
    DEFAULT_DATA,
    Example,
    bootstrap_ci,
    load_deft,
    load_sanders,
    load_text_labels,
    load_training,
    text_key,
)

Vectorizer = Callable[[Sequence[str]], np.ndarray]

GOALS = {"tweeteval_val_macro_recall": 0.65, "xlmt_french_val_macro_f1": 0.60}
"""Floors on the word model's validation figures (324 French tweets: ±0.05 at 95%)."""
CV_GOALS = {
    "ensemble.xlmt_english.macro_recall": 0.66,
    "ensemble.xlmt_french.macro_f1": 0.63,
    "ensemble.deft2017_fr.macro_f1": 0.72,
}
"""Issue 19's held-out goals, checked on the ensemble's cross-validated figures (the held-out
tests are not here; validation overstated test by 4-8 points)."""


def cv_scores(model: SentimentModel) -> dict[str, float]:
    """The cross-validated figures stored in the model by training (key → score)."""
    cv = model.meta.get("cv")
    if not isinstance(cv, dict):
        return {}
    return {k: float(v["score"]) for k, v in cv.items() if isinstance(v, dict) and "score" in v}


def macro_recall(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean([np.mean(p[y == c] == c) for c in range(3) if np.any(y == c)]))


def macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    f1s = []
    for c in range(3):
        tp = float(np.sum((p == c) & (y == c)))
        if tp == 0:
            f1s.append(0.0)
            continue
        prec = tp / float(np.sum(p == c))
        rec = tp / float(np.sum(y == c))
        f1s.append(2 * prec * rec / (prec + rec))
    return float(np.mean(f1s))


def predict(
    model: SentimentModel, examples: Sequence[Example], embed: Vectorizer | None = None
) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([e.label for e in examples])
    texts = [e.text for e in examples]
    vectors = embed([normalise(t) for t in texts]) if embed is not None else None
    p = np.array([int(lbl) for lbl in model.predict(texts, vectors=vectors)])
    return y, p


METRICS = {"macro_f1": macro_f1, "macro_recall": macro_recall}


def _figures(out: dict[str, float], key: str, y: np.ndarray, p: np.ndarray) -> None:
    for name, metric in METRICS.items():
        out[f"{key}_{name}"] = metric(y, p)
        lo, hi = bootstrap_ci(y, p, metric)
        out[f"{key}_{name}_lo"], out[f"{key}_{name}_hi"] = lo, hi


def evaluate(
    data: Path, model: SentimentModel, embed: Vectorizer | None = None, prefix: str = ""
) -> dict[str, float]:
    """All figures as a dict (used by tests too); with ``embed``, the ensemble's."""
    out: dict[str, float] = {}
    te = load_text_labels(data / "tweeteval_sentiment", "val", "en")
    y, p = predict(model, te, embed)
    out[f"{prefix}tweeteval_val_all_macro_recall"] = macro_recall(y, p)
    out[f"{prefix}tweeteval_val_all_macro_f1"] = macro_f1(y, p)
    # 1,430 of the 2,000 TweetEval validation tweets are also in XLM-T English *train* (same
    # SemEval-2017 source), so the full set is contaminated; the honest figure is on the 570
    # others. Excluding them from training instead would leave English training with negatives
    # only (see train_sentiment.load_training).
    seen = {text_key(e.text) for e in load_training(data)}
    unseen = np.array([text_key(e.text) not in seen for e in te])
    out[f"{prefix}tweeteval_val_unseen_n"] = float(unseen.sum())
    _figures(out, f"{prefix}tweeteval_val", y[unseen], p[unseen])
    for name in ("xlmt_french", "xlmt_english"):
        y, p = predict(model, load_text_labels(data / name, "val", name[5:7]), embed)
        _figures(out, f"{prefix}{name}_val", y, p)
    y, p = predict(model, load_sanders(data), embed)
    _figures(out, f"{prefix}sanders", y, p)
    out.update(mixed_report(data, model, embed, prefix))
    return out


def load_deft_mixed(data: Path) -> list[str]:
    path = data / "deft2017_fr" / "task1-train.csv"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].strip() == "mixed":
            out.append(parts[1])
    return out


def mixed_report(
    data: Path, model: SentimentModel, embed: Vectorizer | None, prefix: str
) -> dict[str, float]:
    """DEFT's mixed tweets (dropped from training): labels and confidence against the others."""
    mixed = load_deft_mixed(data)
    polar = [e.text for e in load_deft(data)]

    def run(texts: list[str]) -> list:  # type: ignore[type-arg]
        vectors = embed([normalise(t) for t in texts]) if embed is not None else None
        return analyse_texts(texts, model, vectors)

    m, o = run(mixed), run(polar)
    return {
        f"{prefix}deft_mixed_n": float(len(m)),
        f"{prefix}deft_mixed_negative_share": float(np.mean([a.sentiment == 0 for a in m])),
        f"{prefix}deft_mixed_flagged_share": float(np.mean([a.mixed for a in m])),
        f"{prefix}deft_mixed_confidence": float(np.mean([a.confidence for a in m])),
        f"{prefix}deft_other_confidence": float(np.mean([a.confidence for a in o])),
    }


def cached_encoder(cache: Path) -> Vectorizer:
    """The shipped encoder, with the vectors of evaluation texts cached on disk by content."""
    import hashlib

    from bot.clients.encoder import shared_encoder

    def embed(texts: Sequence[str]) -> np.ndarray:
        digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
        path = cache / f"pulse-sentiment-eval-{digest}.npy"
        if path.is_file():
            return np.load(path)
        vectors = shared_encoder().encode(list(texts))
        np.save(path, vectors)
        return vectors

    return embed


def language_accuracy(data: Path) -> dict[str, float]:
    sets = {
        "en": [
            *load_text_labels(data / "tweeteval_sentiment", "val", "en"),
            *load_text_labels(data / "xlmt_english", "val", "en"),
            *load_text_labels(data / "xlmt_english", "train", "en"),
        ],
        "fr": [
            *load_text_labels(data / "xlmt_french", "val", "fr"),
            *load_text_labels(data / "xlmt_french", "train", "fr"),
            *load_deft(data),
        ],
    }
    out: dict[str, float] = {}
    total = correct = 0
    for lang, exs in sets.items():
        hits = sum(detect_language(normalise(e.text)) == lang for e in exs)
        out[f"lang_accuracy_{lang}"] = hits / len(exs)
        total += len(exs)
        correct += hits
    out["lang_accuracy_all"] = correct / total
    return out


def _ci(res: dict[str, float], key: str) -> str:
    lo, hi = res.get(key + "_lo"), res.get(key + "_hi")
    return f"[{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--no-embedding", action="store_true", help="word model only")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    model = SentimentModel.load(args.model)
    res = evaluate(args.data, model)
    ensemble = model.embedding is not None and not args.no_embedding
    if ensemble:
        res.update(evaluate(args.data, model, cached_encoder(args.cache), prefix="ens_"))
    res.update(language_accuracy(args.data))
    te_ref = "test: SVM 62.9, FastText 62.9, RoBERTa-base 71.3, TimeLMs 73.7; goal ≥ 0.66"
    fr_ref = "test: FastText 54.8, XLM-R 72.0; goal ≥ 0.63"
    rows = [
        ("TweetEval val unseen (EN), macro-recall", "tweeteval_val_macro_recall", te_ref),
        ("TweetEval val unseen (EN), macro-F1", "tweeteval_val_macro_f1", ""),
        ("XLM-T French val, macro-F1", "xlmt_french_val_macro_f1", fr_ref),
        (
            "XLM-T English val, macro-F1",
            "xlmt_english_val_macro_f1",
            "test: FastText 50.9, XLM-R 68.2",
        ),
        ("Sanders brands (eval only), macro-F1", "sanders_macro_f1", "no published reference"),
        ("Sanders brands, macro-recall", "sanders_macro_recall", ""),
    ]
    n_unseen = int(res["tweeteval_val_unseen_n"])
    print(f"Validation ({n_unseen} unseen TweetEval tweets), bootstrap 95% intervals")
    print(
        "(ensemble: what `scripts/analyse.py --sentiment-only` and the sample of an answer use;"
        " words: every post, and `--words-only`)"
    )
    print(
        f"{'metric':<40} {'words':>6} {'interval':>16} {'ensemble':>8} {'interval':>16}  reference"
    )
    for title, key, ref in rows:
        ens = (
            f"{res['ens_' + key]:>8.3f} {_ci(res, 'ens_' + key):>16}"
            if ensemble
            else f"{'-':>8} {'':>16}"
        )
        print(f"{title:<40} {res[key]:>6.3f} {_ci(res, key):>16} {ens}  {ref}")
    title = "TweetEval val all 2,000, macro-recall"
    print(
        f"{title:<40} {res['tweeteval_val_all_macro_recall']:>6.3f}"
        "  CONTAMINATED: 1,430 are in XLM-T EN train"
    )
    cv = model.meta.get("cv")
    if isinstance(cv, dict) and cv:
        print(
            "\n5-fold cross-validation on the train splits (out-of-fold), bootstrap 95% intervals"
        )
        refs = {
            "xlmt_english": te_ref,
            "xlmt_french": fr_ref,
            "deft2017_fr": "DEFT test goal ≥ 0.72 (3 classes); best 4-class macro-F 0.650",
        }
        for source, metric, title in CV_SETS:
            cells = []
            for part in ("words", "embedding", "ensemble"):
                fig = cv.get(f"{part}.{source}.{metric}")
                cells.append(
                    f"{part} {fig['score']:.3f} [{fig['lo']:.3f}, {fig['hi']:.3f}]"
                    if isinstance(fig, dict)
                    else f"{part} -"
                )
            print(f"{title + ', ' + metric:<52} {'; '.join(cells)}  {refs[source]}")
    print(
        "\nDEFT 2017 mixed tweets (never trained on): called negative / flagged mixed / confidence"
    )
    for label, pre in (("words", ""), ("ensemble", "ens_")) if ensemble else (("words", ""),):
        print(
            f"  {label:<9} {int(res[pre + 'deft_mixed_n'])} tweets: "
            f"{res[pre + 'deft_mixed_negative_share']:.0%} negative, "
            f"{res[pre + 'deft_mixed_flagged_share']:.0%} flagged mixed, mean confidence "
            f"{res[pre + 'deft_mixed_confidence']:.2f} (other DEFT tweets "
            f"{res[pre + 'deft_other_confidence']:.2f})"
        )
    print()
    for title, key in (
        ("Language id accuracy, EN sets", "lang_accuracy_en"),
        ("Language id accuracy, FR sets", "lang_accuracy_fr"),
        ("Language id accuracy, all", "lang_accuracy_all"),
    ):
        print(f"{title:<40} {res[key]:>6.3f}")
    print(f"(evaluated in {time.perf_counter() - start:.1f} s)")
    cv_res = cv_scores(model)
    goals = {**GOALS, **CV_GOALS}
    res.update({k: cv_res.get(k, 0.0) for k in CV_GOALS})
    missed = [k for k, goal in goals.items() if res[k] < goal]
    if missed:
        gaps = ", ".join(
            f"{k} {res[k]:.3f} < {goals[k]:.2f} (gap {goals[k] - res[k]:.3f})" for k in missed
        )
        print(f"GOALS MISSED: {gaps}")
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
