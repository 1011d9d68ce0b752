"""Evaluate the shipped sentiment model and language identifier on ../shared/data.

Prints, beside the published reference scores of the data README:
- TweetEval sentiment validation (EN): macro-averaged recall (goal ≥ 0.65), macro-F1, on the
  570 tweets that are not in the training data (the other 1,430 are in XLM-T EN train: that
  full-set figure is printed too, marked contaminated);
- XLM-T French validation: macro-F1 (goal ≥ 0.62); XLM-T English validation: macro-F1;
- Sanders brands (EN, some FR/ES; evaluation only, "irrelevant" rows dropped): macro-F1;
- language identification accuracy on the French and English sets.

Exit code 1 when a goal is missed.

    .venv/bin/python scripts/eval_sentiment.py [--data ../shared/data] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.language import detect_language  # noqa: E402
from bot.domain.sentiment import SentimentModel  # noqa: E402
from bot.domain.text import normalise  # noqa: E402
from scripts.train_sentiment import (  # noqa: E402
    DEFAULT_DATA,
    Example,
    load_deft,
    load_sanders,
    load_text_labels,
    load_training,
    text_key,
)

GOALS = {"tweeteval_val_macro_recall": 0.65, "xlmt_french_val_macro_f1": 0.62}


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


def predict(model: SentimentModel, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([e.label for e in examples])
    p = np.array([int(lbl) for lbl in model.predict([e.text for e in examples])])
    return y, p


def evaluate(data: Path, model: SentimentModel) -> dict[str, float]:
    """All figures as a dict (used by tests too)."""
    out: dict[str, float] = {}
    te = load_text_labels(data / "tweeteval_sentiment", "val", "en")
    y, p = predict(model, te)
    out["tweeteval_val_all_macro_recall"] = macro_recall(y, p)
    out["tweeteval_val_all_macro_f1"] = macro_f1(y, p)
    # 1,430 of the 2,000 TweetEval validation tweets are also in XLM-T English *train* (same
    # SemEval-2017 source: all its neutral and positive tweets), so the full set is contaminated;
    # the honest figure is on the 570 others. Excluding them from training instead would leave
    # English training with negatives only (see train_sentiment.load_training).
    seen = {text_key(e.text) for e in load_training(data)}
    unseen = np.array([text_key(e.text) not in seen for e in te])
    out["tweeteval_val_unseen_n"] = float(unseen.sum())
    out["tweeteval_val_macro_recall"] = macro_recall(y[unseen], p[unseen])
    out["tweeteval_val_macro_f1"] = macro_f1(y[unseen], p[unseen])
    for name in ("xlmt_french", "xlmt_english"):
        y, p = predict(model, load_text_labels(data / name, "val", name[5:7]))
        out[f"{name}_val_macro_f1"] = macro_f1(y, p)
        out[f"{name}_val_macro_recall"] = macro_recall(y, p)
    y, p = predict(model, load_sanders(data))
    out["sanders_macro_f1"] = macro_f1(y, p)
    out["sanders_macro_recall"] = macro_recall(y, p)
    return out


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    model = SentimentModel.load(args.model)
    res = evaluate(args.data, model)
    res.update(language_accuracy(args.data))
    rows = [
        (
            "TweetEval val unseen (EN), macro-recall",
            "tweeteval_val_macro_recall",
            "goal ≥ 0.65; test: SVM 62.9, FastText 62.9, RoBERTa-base 71.3, TimeLMs 73.7",
        ),
        ("TweetEval val unseen (EN), macro-F1", "tweeteval_val_macro_f1", ""),
        ("  (unseen = not in training data; n)", "tweeteval_val_unseen_n", ""),
        (
            "TweetEval val all 2,000, macro-recall",
            "tweeteval_val_all_macro_recall",
            "CONTAMINATED: 1,430 are in XLM-T EN train",
        ),
        (
            "XLM-T French val, macro-F1",
            "xlmt_french_val_macro_f1",
            "goal ≥ 0.62; test: FastText 54.8, XLM-R 72.0",
        ),
        (
            "XLM-T English val, macro-F1",
            "xlmt_english_val_macro_f1",
            "test: FastText 50.9, XLM-R 68.2",
        ),
        ("Sanders brands (eval only), macro-F1", "sanders_macro_f1", "no published reference"),
        ("Sanders brands, macro-recall", "sanders_macro_recall", ""),
        ("Language id accuracy, EN sets", "lang_accuracy_en", "TweetEval val + XLM-T EN"),
        ("Language id accuracy, FR sets", "lang_accuracy_fr", "XLM-T FR + DEFT"),
        ("Language id accuracy, all", "lang_accuracy_all", ""),
    ]
    print(f"{'metric':<40} {'score':>6}  reference")
    for title, key, ref in rows:
        print(f"{title:<40} {res[key]:>6.3f}  {ref}")
    print(f"(evaluated in {time.perf_counter() - start:.1f} s)")
    missed = [k for k, goal in GOALS.items() if res[k] < goal]
    if missed:
        gaps = ", ".join(
            f"{k} {res[k]:.3f} < {GOALS[k]:.2f} (gap {GOALS[k] - res[k]:.3f})" for k in missed
        )
        print(f"GOALS MISSED: {gaps}")
        return 1
    print("all goals met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
