"""Question understanding: latency per question (p50/p95, one core) beside the old cue-phrase
rules, and the model's load time (encoder weights + classifier), measured in the same run.

Questions: the held-out files of tests/domain/data (fresh and old), each asked once cold (new
text, the encoder's cache empty) — a question is rarely asked twice word for word.
Goal: p95 ≤ 10 ms; load ≤ 2 s, at start-up, off the request path.

    .venv/bin/python bench/bench_understanding.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.eval_intents import (  # noqa: E402
    FRESH,
    OLD_HOLDOUT,
    TODAY,
    baseline_reader,
    demo_vocabulary,
    load,
)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def main() -> int:
    from bot.clients.encoder import UseEncoder
    from bot.domain.understanding import understand
    from bot.domain.understanding.model import IntentModel

    started = time.perf_counter()
    encoder = UseEncoder()
    encoder.warm_up()
    model = IntentModel.load()
    load_s = time.perf_counter() - started

    vocabulary = demo_vocabulary()
    items = load(FRESH) + load(OLD_HOLDOUT)
    old = baseline_reader(vocabulary)
    understand("warm-up", "en", None, encoder, vocabulary, today=TODAY, model=model)

    new_ms: list[float] = []
    for item in items:
        t0 = time.perf_counter()
        understand(
            item.text, item.locale, item.previous, encoder, vocabulary, today=TODAY, model=model
        )
        new_ms.append((time.perf_counter() - t0) * 1000)
    old_ms: list[float] = []
    if old is not None:
        old("warm-up", "en", None)
        for item in items:
            t0 = time.perf_counter()
            old(item.text, item.locale, item.previous)
            old_ms.append((time.perf_counter() - t0) * 1000)

    print(f"{len(items)} questions, each read once (cold)")
    print(f"{'':28s}{'p50':>9s}{'p95':>9s}")
    p50, p95 = _percentiles(new_ms)
    print(f"{'learned reader (ms)':28s}{p50:9.2f}{p95:9.2f}   goal p95 <= 10 ms")
    if old_ms:
        p50, p95 = _percentiles(old_ms)
        print(f"{'old cue-phrase rules (ms)':28s}{p50:9.2f}{p95:9.2f}")
    else:
        print("old cue-phrase rules: not in this checkout's history")
    print(f"load (encoder + classifier): {load_s:.2f} s   goal <= 2 s, at start-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
