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

Brand days (`tests/domain/data/themes_brand_days.jsonl`, written for the project: three fictional
brands, a rail operator, a mobile operator and a bank, two days each, every post labelled with
its reason — delay, cancellation, refund, staff, app, price, card, outage, praise, question...):
each brand's day is one window, scored the same way against the reasons. Day 1 is the development
set, day 2 is held out (never tuned on).

    .venv/bin/python scripts/eval_themes.py [--data ../shared/data] [--cache DIR] [--events N]
        [--only crisislex|brand]

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
BRAND_DAYS = ROOT / "tests" / "domain" / "data" / "themes_brand_days.jsonl"
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


def load_brand_days(path: Path) -> list[Event]:
    """One event per brand and day of the brand-like set, truth = each post's reason."""
    import json

    days: dict[tuple[str, int], Event] = {}
    if not path.exists():
        return []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        key = (str(row["brand"]), int(row["day"]))
        if key not in days:
            days[key] = Event(f"{key[0]} day {key[1]}", [], [])
        record = {k: row[k] for k in ("id", "text", "created_at", "author", "followers")}
        days[key].records.append(record)
        days[key].truth.append(str(row["reason"]))
    return [days[k] for k in sorted(days, key=lambda k: (k[1], k[0]))]


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


def _report(
    title: str,
    events: list[Event],
    encoder: Any,
    old_module: Any,
    is_dev: Any,
    dev_name: str,
    held_name: str,
) -> Score:
    print(title)
    print(f"{'':34} {'ours':^29} | {'TF-IDF + k-means':^14} | {'before issue 17':^26}")
    head = f"{'ARI':>6} {'purity':>7} {'other':>6} {'k':>3}"
    print(f"{'event':34} {head} | {'ARI':>6} {'purity':>7} | {head}")
    dev: list[tuple[Score, Score, Score | None]] = []
    held: list[tuple[Score, Score, Score | None]] = []
    for event in events:
        s, b = ours(event, encoder), baseline(event)
        o = before(event, old_module) if old_module is not None else None
        (dev if is_dev(event) else held).append((s, b, o))
        print(_line(f"{event.name} ({len(event.truth)})", s, b, o))

    def means(rows: list[tuple[Score, Score, Score | None]]) -> tuple[Score, Score, Score | None]:
        olds = [r[2] for r in rows if r[2] is not None]
        return (
            _mean([r[0] for r in rows]),
            _mean([r[1] for r in rows]),
            _mean(olds) if olds else None,
        )

    for name, rows in ((dev_name, dev), (held_name, held)):
        if rows:
            print(_line(name, *means(rows)))
    every = dev + held
    print(_line("mean, all", *means(every)))
    return _mean([r[0] for r in (held or every)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the themes on CrisisLex T26.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--brand-days", type=Path, default=BRAND_DAYS)
    parser.add_argument("--cache", type=Path, default=None, help="keep vectors on disk here")
    parser.add_argument("--events", type=int, default=0, help="only the first N events")
    parser.add_argument("--only", choices=("crisislex", "brand"), default=None)
    args = parser.parse_args(argv)
    events = load_events(args.data) if args.only != "brand" else []
    if args.events:
        events = events[: args.events]
    brand = load_brand_days(args.brand_days) if args.only != "crisislex" else []
    if not events and not brand:
        print(f"no CrisisLex T26 events under {args.data} and no brand days: nothing to evaluate")
        return 0
    encoder: Any = DiskCachedEncoder(args.cache) if args.cache else None
    from bench.bench_themes import themes_before

    old_module = themes_before()
    t0 = time.perf_counter()
    goal = f"ARI >= {GOAL_ARI}, purity >= {GOAL_PURITY}, other <= {GOAL_OTHER:.0%}"
    for title, evs, is_dev, dev_name, held_name in (
        (
            "themes on CrisisLex T26 information types",
            events,
            lambda e: e.name.startswith("2012"),
            "mean, development (2012)",
            "mean, held out (2013)",
        ),
        (
            "themes on the brand days (reasons of complaints)",
            brand,
            lambda e: e.name.endswith("day 1"),
            "mean, development (day 1)",
            "mean, held out (day 2)",
        ),
    ):
        if not evs:
            continue
        target = _report(title, evs, encoder, old_module, is_dev, dev_name, held_name)
        met = target.ari >= GOAL_ARI and target.purity >= GOAL_PURITY and target.other <= GOAL_OTHER
        print(f"goal on held-out ({goal}): {'met' if met else 'not met'}\n")
    print(f"{time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
