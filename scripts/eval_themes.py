"""Evaluate the themes on CrisisLex T26 (../shared/data/crisislex_t26): does a theme gather the
posts of one *information type* (affected individuals, infrastructure, donations, caution and
advice, sympathy, other useful information)?

For each event, the labelled tweets with an information type are analysed as one window through
`scripts/analyse.py`'s code path (`analyse()`: production sentiment, encoder, clustering and
labels), and scored:
- ARI (adjusted Rand index) against the information types, "other" counted as one more cluster;
- purity: share of the posts placed in a theme that belong to their theme's majority type;
- the share of posts in "other", and the number of themes.
Beside it, in the same run: TF-IDF + k-means (scikit-learn; k = the number of information types
of the event, which favours the baseline) on the same tweets, and the themes before issue 17
(the lexical algorithm, loaded from git at the merge base with main; skipped without git).

Events are split: the 2012 events are the development set (parameters were tuned on them), the
2013 events are reported apart as held out. Goal (on real brand days, held out from the project):
ARI >= 0.20, purity >= 0.60, other <= 25%.

    .venv/bin/python scripts/eval_themes.py [--data ../shared/data] [--cache DIR] [--events N]

`--cache DIR` keeps the sentence vectors on disk between runs (for iterating).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.ports.embeddings import Vectors  # noqa: E402
from scripts.analyse import analyse, tag, to_post  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
TYPES_LEFT_OUT = {"Not labeled", "Not applicable"}
GOAL_ARI, GOAL_PURITY, GOAL_OTHER = 0.20, 0.60, 0.25
TWITTER_EPOCH_MS = 1288834974657


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    records: list[dict[str, Any]]
    truth: list[str]


@dataclass(frozen=True, slots=True)
class Score:
    ari: float
    purity: float
    other: float
    themes: int


def load_events(data: Path) -> list[Event]:
    events: list[Event] = []
    for path in sorted((data / "crisislex_t26").glob("*/*-tweets_labeled.csv")):
        records: list[dict[str, Any]] = []
        truth: list[str] = []
        with path.open(encoding="utf-8", errors="replace", newline="") as f:
            rows = csv.reader(f)
            next(rows, None)
            for row in rows:
                if len(row) < 4 or row[3].strip() in TYPES_LEFT_OUT:
                    continue
                tweet_id = row[0].strip().strip('"')
                try:
                    ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS
                    created = datetime.fromtimestamp(ms / 1000, UTC).isoformat()
                except ValueError:
                    created = ""
                records.append({"id": tweet_id, "text": row[1], "created_at": created})
                truth.append(row[3].strip())
        events.append(Event(path.parent.name, records, truth))
    return events


class DiskCachedEncoder:
    """The production encoder, with vectors kept on disk by text hash (evaluation only)."""

    def __init__(self, directory: Path) -> None:
        from bot.clients.encoder import shared_encoder

        self._inner = shared_encoder()
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)

    @property
    def dim(self) -> int:
        return self._inner.dim

    def encode(self, texts: Sequence[str]) -> Vectors:
        digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:24]
        path = self._dir / f"eval-{digest}.npy"
        if path.exists():
            cached: Vectors = np.load(path)
            return cached
        vectors = self._inner.encode(texts)
        np.save(path, vectors)
        return vectors


def purity(truth: Sequence[str], clusters: Sequence[int]) -> float:
    placed = [(t, c) for t, c in zip(truth, clusters, strict=True) if c >= 0]
    if not placed:
        return 0.0
    by_cluster: dict[int, Counter[str]] = {}
    for t, c in placed:
        by_cluster.setdefault(c, Counter())[t] += 1
    return sum(cnt.most_common(1)[0][1] for cnt in by_cluster.values()) / len(placed)


def score(truth: Sequence[str], clusters: Sequence[int]) -> Score:
    from sklearn.metrics import adjusted_rand_score

    n = len(truth)
    other = sum(1 for c in clusters if c < 0)
    return Score(
        ari=float(adjusted_rand_score(truth, list(clusters))),
        purity=purity(truth, clusters),
        other=other / n if n else 0.0,
        themes=len({c for c in clusters if c >= 0}),
    )


def ours(event: Event, encoder: Any) -> Score:
    out = analyse(event.records, lang="en", encoder=encoder)
    ids = {t["id"]: i for i, t in enumerate(out["themes"])}
    clusters = [ids[p["theme"]] if p["theme"] is not None else -1 for p in out["posts"]]
    return score(event.truth, clusters)


def baseline(event: Event) -> Score:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [r["text"] for r in event.records]
    x = TfidfVectorizer(stop_words="english", min_df=2).fit_transform(texts)
    k = len(set(event.truth))
    labels = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(x)
    return score(event.truth, [int(c) for c in labels])


def before(event: Event, module: Any) -> Score:
    analysed = tag([to_post(r, i) for i, r in enumerate(event.records)])
    result = module.find_themes(analysed)
    other = next((i for i, t in enumerate(result.themes) if t.is_other), None)
    return score(event.truth, [-1 if c == other else c for c in result.theme_of])


def _mean(scores: Sequence[Score]) -> Score:
    return Score(
        statistics.fmean(s.ari for s in scores),
        statistics.fmean(s.purity for s in scores),
        statistics.fmean(s.other for s in scores),
        round(statistics.fmean(s.themes for s in scores)),
    )


def _line(name: str, s: Score, b: Score, old: Score | None) -> str:
    line = (
        f"{name:34} {s.ari:6.3f} {s.purity:7.3f} {s.other:6.1%} {s.themes:3d} |"
        f" {b.ari:6.3f} {b.purity:7.3f} |"
    )
    if old is not None:
        line += f" {old.ari:6.3f} {old.purity:7.3f} {old.other:6.1%} {old.themes:3d}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the themes on CrisisLex T26.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="keep vectors on disk here")
    parser.add_argument("--events", type=int, default=0, help="only the first N events")
    args = parser.parse_args(argv)
    events = load_events(args.data)
    if args.events:
        events = events[: args.events]
    if not events:
        print(f"no CrisisLex T26 events under {args.data}: nothing to evaluate")
        return 0
    encoder: Any = DiskCachedEncoder(args.cache) if args.cache else None
    from bench.bench_themes import themes_before

    old_module = themes_before()
    print("themes on CrisisLex T26 information types")
    print(f"{'':34} {'ours':^29} | {'TF-IDF + k-means':^14} | {'before issue 17':^26}")
    head = f"{'ARI':>6} {'purity':>7} {'other':>6} {'k':>3}"
    print(f"{'event':34} {head} | {'ARI':>6} {'purity':>7} | {head}")
    dev: list[tuple[Score, Score, Score | None]] = []
    held: list[tuple[Score, Score, Score | None]] = []
    t0 = time.perf_counter()
    for event in events:
        s, b = ours(event, encoder), baseline(event)
        o = before(event, old_module) if old_module is not None else None
        (dev if event.name.startswith("2012") else held).append((s, b, o))
        print(_line(f"{event.name} ({len(event.truth)})", s, b, o))

    def means(rows: list[tuple[Score, Score, Score | None]]) -> tuple[Score, Score, Score | None]:
        olds = [r[2] for r in rows if r[2] is not None]
        return (
            _mean([r[0] for r in rows]),
            _mean([r[1] for r in rows]),
            _mean(olds) if olds else None,
        )

    for name, rows in (("mean, development (2012)", dev), ("mean, held out (2013)", held)):
        if rows:
            print(_line(name, *means(rows)))
    every = dev + held
    print(_line("mean, all events", *means(every)))
    held = held or every
    target = _mean([r[0] for r in held])
    met = target.ari >= GOAL_ARI and target.purity >= GOAL_PURITY and target.other <= GOAL_OTHER
    print(
        f"goal on held-out (ARI >= {GOAL_ARI}, purity >= {GOAL_PURITY}, other <= {GOAL_OTHER:.0%}):"
        f" {'met' if met else 'not met'}; {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
