"""Themes throughput: posts per second over 10,000 synthetic posts (folding of copies included).

Run: .venv/bin/python bench/bench_themes.py [n_posts] [repeats]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.analysis.themes import find_themes
from tests.domain.analysis.synthetic import make_posts


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    posts = [lp.post for lp in make_posts(n, seed=3, campaign=n // 100)]
    find_themes(posts[:500])  # warm the caches of the tokeniser
    walls, cpus = [], []
    result = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = find_themes(posts, exclude_terms=["VeloNova"])
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert result is not None
    wall, cpu = min(walls), min(cpus)
    print(f"themes: {n} posts ({result.distinct} distinct), {len(result.themes)} themes")
    print(f"best of {repeats}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"throughput: {n / wall:,.0f} posts/s (wall), {n / cpu:,.0f} posts/s (CPU)")


if __name__ == "__main__":
    main()
