"""The one text module (issue 21): throughput of `fold`, `fold_with_index`, `words` and the edit
distance, beside the hand-written copies they replaced, measured in the same run.

Texts: the demo corpus's posts (written by the project). Baselines: the NFKD fold the coach and
drafting had, the per-character fold the compliance check built its offsets with, and the
coach's pure-Python optimal string alignment distance.

    .venv/bin/python bench/bench_text.py
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.text import (  # noqa: E402
    distance,
    fold,
    fold_accents,
    fold_char,
    fold_with_index,
    words,
)

CORPUS = ROOT / "bot" / "clients" / "demo" / "corpus.jsonl.gz"


def _texts() -> list[str]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        rows = (json.loads(line) for line in f)
        return [r["text"] for r in rows if r.get("kind") == "post"]


def _old_nfkd_fold(text: str) -> str:
    """The coach's copy (before issue 21)."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    text = text.replace("’", "'").replace("ʼ", "'")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD_RE = re.compile(r"[a-z0-9]+")


def _old_words(text: str) -> list[str]:
    """The question reader's lexicon fold (before issue 21), as words."""
    return _WORD_RE.findall(fold_accents(text).lower())


def _old_fold_with_index(text: str) -> tuple[str, list[int]]:
    """The compliance check's loop (before issue 21), with an uncached per-character fold."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in fold_char.__wrapped__(ch):
            chars.append(c)
            index.append(i)
    return "".join(chars), index


def _old_distance(a: str, b: str, limit: int) -> int:
    """The coach's hand-written optimal string alignment distance (before issue 21)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _rate(fn: Callable[[str], object], texts: list[str], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> int:
    texts = _texts()
    print(f"{len(texts)} posts of the demo corpus, best of 3 rounds, one core")
    rows = [
        ("fold", _rate(fold, texts), "old NFKD fold (coach)", _rate(_old_nfkd_fold, texts)),
        (
            "fold_with_index",
            _rate(fold_with_index, texts),
            "old per-char loop (compliance)",
            _rate(_old_fold_with_index, texts),
        ),
        ("words", _rate(words, texts), "old lexicon fold (reader)", _rate(_old_words, texts)),
    ]
    for name, rate, base_name, base in rows:
        print(f"{name:<16} {rate:>10,.0f} posts/s   {base_name:<30} {base:>10,.0f} posts/s")
    vocab = sorted({w for t in texts[:400] for w in words(t) if len(w) >= 5})
    queries = [w[::-1] for w in vocab[:200]] + vocab[:200]
    pairs = [(q, v) for q in queries for v in vocab[:300]]
    started = time.perf_counter()
    new = [distance(a, b, 2) for a, b in pairs]
    new_s = time.perf_counter() - started
    started = time.perf_counter()
    old = [_old_distance(a, b, 2) for a, b in pairs]
    old_s = time.perf_counter() - started
    if new != [min(d, 3) for d in old]:  # the old one sometimes said how far beyond the limit
        print("distance: the rapidfuzz distance disagrees with the old one")
        return 1
    print(
        f"distance (limit 2) {len(pairs) / new_s:>10,.0f} pairs/s   "
        f"{'old pure-Python OSA (coach)':<30} {len(pairs) / old_s:>10,.0f} pairs/s   (same values)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
