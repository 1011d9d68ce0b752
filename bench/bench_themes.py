"""Themes for 100, 1,000 and 5,000 posts: cold (the sentence encoder runs on every post) and with
stored embeddings (vectors already kept), beside today's themes (the lexical algorithm before
issue 17, taken from git at the merge base with main and run in the same process).

Beside them, k-means (issue 17's first clustering) on the stored vectors. Also the p95 of the
analysis of an answer's 100-post sample (goal: under 1.5 s on one core),
cold and with stored vectors. Runs pinned to one CPU; CPU time is printed beside wall time
(the machine may be shared). Posts: the synthetic bilingual posts of the analysis tests.

Run: .venv/bin/python bench/bench_themes.py [--sizes 100,1000,5000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.encoder import UseEncoder  # noqa: E402
from bot.domain.analysis.matching import text_for_vector  # noqa: E402
from bot.domain.analysis.themes import find_themes  # noqa: E402
from bot.domain.analysis.thresholds import ThemeParams  # noqa: E402
from tests.domain.analysis.synthetic import make_posts  # noqa: E402

BEFORE_FILES = ("__init__.py", "_text.py", "lexicon.py", "stopwords.py", "thresholds.py")
BEFORE_FILES += ("dedupe.py", "types.py", "themes.py")


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})


# The last commit with the lexical themes (issue 17 replaced them in the next one).
BEFORE_COMMIT = "24a2d44^"


def themes_before() -> ModuleType | None:
    """The themes module before issue 17, read from git, or None without git history."""
    base = BEFORE_COMMIT
    target = Path(tempfile.mkdtemp(prefix="themes_before_")) / "themes_before"
    target.mkdir()
    for name in BEFORE_FILES:
        done = subprocess.run(
            ["git", "show", f"{base}:bot/domain/analysis/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return None
        body = done.stdout.replace("bot.domain.analysis.", "themes_before.")
        if name == "__init__.py":
            body = '"""Themes before issue 17 (from git)."""\n'
        (target / name).write_text(body, encoding="utf-8")
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("themes_before.themes")


KMEANS = ThemeParams(algorithm="kmeans")  # issue 17's first clustering, beside today's


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], list[float], Any]:
    walls, cpus = [], []
    result = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeats", type=int, default=20, help="runs of the 100-post sample")
    args = parser.parse_args()
    _one_core()
    before = themes_before()
    encoder = UseEncoder(cache_size=0)  # no cache: "cold" encodes every post
    encoder.warm_up()
    print("themes: synthetic bilingual posts, one CPU; times are best of runs (CPU s / wall s)")
    print(
        f"{'posts':>6} {'cold (encode+themes)':>22} {'stored vectors':>16}"
        f" {'k-means, stored':>16} {'today':>14}"
    )
    for n in [int(s) for s in args.sizes.split(",") if s]:
        posts = [lp.post for lp in make_posts(n, seed=3, campaign=n // 100)]
        texts = [text_for_vector(p.post.text) for p in posts]
        runs = 1 if n > 1000 else 3
        vectors = encoder.encode(texts)

        def cold(posts: list[Any] = posts, texts: list[str] = texts) -> Any:
            return find_themes(posts, encoder.encode(texts))

        def stored(posts: list[Any] = posts, vectors: Any = vectors) -> Any:
            return find_themes(posts, vectors)

        cw, cc, _ = timed(cold, runs)
        sw, sc, result = timed(stored, runs)
        kw, kc, _ = timed(lambda posts=posts, v=vectors: find_themes(posts, v, params=KMEANS), runs)
        today = "n/a"
        if before is not None:
            tw, tc, _ = timed(lambda posts=posts: before.find_themes(posts), runs)
            today = f"{min(tc):.2f}/{min(tw):.2f}"
        named = sum(1 for t in result.themes if not t.is_other)
        print(
            f"{len(posts):>6} {min(cc):>11.2f}/{min(cw):<10.2f} {min(sc):>7.2f}/{min(sw):<8.2f}"
            f" {min(kc):>7.2f}/{min(kw):<8.2f} {today:>14}   ({named} themes)"
        )
    # The answer's sample: 100 posts, many runs, p95.
    sample = [lp.post for lp in make_posts(100, seed=21)]
    texts = [text_for_vector(p.post.text) for p in sample]
    vectors = encoder.encode(texts)
    cw, cc, _ = timed(lambda: find_themes(sample, encoder.encode(texts)), args.repeats)
    sw, sc, _ = timed(lambda: find_themes(sample, vectors), args.repeats)
    kw, kc, _ = timed(lambda: find_themes(sample, vectors, params=KMEANS), args.repeats)
    line = f"100-post sample over {args.repeats} runs, p95 CPU/wall (goal < 1.5 s):"
    print(line, f"cold {p95(cc):.3f}/{p95(cw):.3f} s, stored vectors {p95(sc):.3f}/{p95(sw):.3f} s")
    print(
        f"  k-means (issue 17's first clustering), stored vectors:"
        f" p95 {p95(kc):.3f}/{p95(kw):.3f} s"
    )
    if before is not None:
        tw, tc, _ = timed(lambda: before.find_themes(sample), args.repeats)
        print(f"  today's themes on the same sample: p95 {p95(tc):.3f}/{p95(tw):.3f} s")
    print(f"  median cold wall: {statistics.median(cw):.3f} s")


if __name__ == "__main__":
    main()
