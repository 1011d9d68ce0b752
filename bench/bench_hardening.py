"""Issue 22 (content and publishing hardening): what the new checks cost and catch.

(a) The claims lexicon (`bot/domain/claims`) on real tweets read at run time from
    `../shared/data` (never copied): Sanders brand tweets (EN) and DEFT 2017 (FR). Reported:
    the share of ordinary tweets that would be flagged "a person must check" (the price of the
    check in false alarms on ordinary talk), by category, and the time of the scan beside the
    time of the whole compliance check it adds to (baseline: the check without claims).
(b) A 20 MB model response through the real openai client against the local fake server:
    time and peak traced memory with the 1 MB cap (refused before parsing) beside the same
    body read with the cap lifted to 64 MB (the behaviour before: read and parsed whole).

Run: .venv/bin/python bench/bench_hardening.py
"""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.llm import OpenAIConfig, OpenAIEngine  # noqa: E402
from bot.domain.claims import find_claims  # noqa: E402
from bot.domain.compliance import check  # noqa: E402
from bot.domain.defaults import default_editorial_line  # noqa: E402
from bot.ports.language import (  # noqa: E402
    AnswerRequest,
    EngineError,
    Intent,
    Period,
    Understanding,
)
from tests.support.fake_openai import FAKE_API_KEY, FakeOpenAI  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
HUGE = 20_000_000


def sanders() -> list[str]:
    path = DATA / "sanders_brands" / "full-corpus.csv"
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return [row["TweetText"] for row in csv.DictReader(fh) if row.get("TweetText")]


def deft() -> list[str]:
    path = DATA / "deft2017_fr" / "task1-train.csv"
    texts = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("//"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            texts.append(parts[1])
    return texts


def lexicon_on(name: str, texts: list[str]) -> None:
    line = default_editorial_line()
    by_category: Counter[str] = Counter()
    flagged = 0
    started = time.perf_counter()
    for text in texts:
        hits = find_claims(text)
        flagged += bool(hits)
        by_category.update({f"{h.kind}:{h.category}" for h in hits})
    scan = time.perf_counter() - started
    sample = texts[:1000]
    started = time.perf_counter()
    for text in sample:
        check(text, line, lang=None)
    full = (time.perf_counter() - started) / len(sample)
    print(
        f"  {name}: {len(texts)} tweets, flagged {flagged} ({100 * flagged / len(texts):.1f} %)"
        f" | scan {1e6 * scan / len(texts):.0f} µs/text, whole check {1e6 * full:.0f} µs/text"
        f" (claims add {100 * (scan / len(texts)) / full:.0f} %)"
    )
    top = ", ".join(f"{k} {v}" for k, v in by_category.most_common(6))
    print(f"    by category: {top or '-'}")


def request() -> AnswerRequest:
    return AnswerRequest(
        question="Que dit-on de nous aujourd'hui ?",
        understanding=Understanding(intent=Intent.PULSE, lang="fr", period=Period.TODAY),
        figures={"posts": 10},
        themes=[],
        posts=[],
    )


async def one(server: FakeOpenAI, cap: int) -> tuple[str, float, int]:
    engine = OpenAIEngine(
        OpenAIConfig(
            model="gpt-fake",
            api_key=FAKE_API_KEY,
            base_url=server.base_url,
            timeout_s=30,
            max_retries=0,
            max_response_bytes=cap,
        )
    )
    server.huge_bytes = HUGE
    server.fail_next("huge")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        await engine.write_answer(request())
        outcome = "parsed"
    except EngineError as exc:
        outcome = exc.code
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await engine.aclose()
    return outcome, elapsed, peak


async def size_cap() -> None:
    async with FakeOpenAI() as server:
        base = await one(server, 64_000_000)
        capped = await one(server, 1_000_000)
    for name, (outcome, elapsed, peak) in (("no cap (before)", base), ("1 MB cap", capped)):
        print(
            f"  {name}: {outcome}, {elapsed * 1000:.0f} ms, peak traced memory {peak / 1e6:.1f} MB"
        )


def main() -> int:
    logging.disable(logging.WARNING)
    print("(a) claims lexicon on real tweets (../shared/data, read at run time)")
    if DATA.exists():
        lexicon_on("Sanders brands, EN", sanders())
        lexicon_on("DEFT 2017, FR", deft())
    else:
        print("  ../shared/data not found: skipped")
    print(f"(b) a {HUGE // 1_000_000} MB model response through the openai client")
    asyncio.run(size_cap())
    return 0


if __name__ == "__main__":
    sys.exit(main())
