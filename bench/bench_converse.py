"""Conversations that let go and are honest when unsure (issue 16), on the project's labelled
questions (`tests/domain/data/intents.yaml` and `intents_holdout.yaml`, read at run time) and
on edit requests written here, through the real question reader (interim model).

(a) Mid-draft: every labelled question that is not a draft request, sent while a draft is open
    (`previous` = the draft): share let go (answered) vs the baseline dialog, which took every
    message as a rewrite (0 %). Edit requests: share kept as edits (baseline: 100 %).
(b) UNKNOWN: share of the questions labelled unknown that get a reason-specific reply (decline,
    small talk, refusal, "Did you mean…") rather than "not understood" (baseline: 0 %); for
    questions read as "unclear", share whose true intent is among the offered readings.
(c) The cost of the check: reader time per mid-draft message (the baseline dialog: none).

Run: .venv/bin/python bench/bench_converse.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.offline_engine import OfflineEngine  # noqa: E402
from bot.ports.language import Intent, Understanding  # noqa: E402
from bot.teams.clarify import readings_of  # noqa: E402
from dialogs.drafting_dialog import is_new_question, reads_as_draft_command  # noqa: E402

DATA = ROOT / "tests" / "domain" / "data"
BRIEF = {"fr": "notre nouvelle batterie", "en": "our new battery"}
EDITS = {
    "fr": ["plus court", "plus formel", "ajoute le hashtag", "moins formel", "en anglais",
           "ajoute un emoji", "enlève le lien", "plus percutant", "rends-le plus chaleureux",
           "mentionne le prix", "sans hashtag", "plus drôle", "parle aussi de la garantie",
           "commence par une question", "retire la dernière phrase"],
    "en": ["shorter", "more formal", "add the hashtag", "less formal", "in French",
           "add an emoji", "remove the link", "punchier", "make it warmer", "mention the price",
           "no hashtags", "make it funnier", "also talk about the warranty",
           "start with a question", "drop the last sentence"],
}  # fmt: skip


def questions() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("intents.yaml", "intents_holdout.yaml"):
        data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        held_out = name.endswith("holdout.yaml")
        out += [{**q, "held_out": held_out} for q in data["questions"] if not q.get("previous")]
    return out


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} % ({part}/{whole})" if whole else "   n/a"


def main() -> None:
    engine = OfflineEngine()
    engine.warm_up()
    qs = questions()
    print(f"{len(qs)} labelled questions; {sum(len(v) for v in EDITS.values())} edit requests")

    # (a) mid-draft
    print("\n(a) mid-draft messages            baseline (all rewrites)   now")
    timings: list[float] = []
    for lang in ("fr", "en"):
        draft = Understanding(Intent.DRAFT, lang, topic=BRIEF[lang])
        new = [q for q in qs if q["lang"] == lang and q["intent"] != "draft"]
        let_go = held = held_go = 0
        for q in new:
            started = time.perf_counter()
            went = False
            if not reads_as_draft_command(q["q"]):
                u = engine.understand_sync(q["q"], lang, draft)
                went = is_new_question(u, BRIEF[lang])
            timings.append(time.perf_counter() - started)
            let_go += went
            held += q["held_out"]
            held_go += went and q["held_out"]
        kept = 0
        lost: list[str] = []
        for text in EDITS[lang]:
            started = time.perf_counter()
            if reads_as_draft_command(text):
                kept += 1
            else:
                u = engine.understand_sync(text, lang, draft)
                if is_new_question(u, BRIEF[lang]):
                    lost.append(f"{text!r} → {u.intent.value} {u.confidence:.2f}")
                else:
                    kept += 1
            timings.append(time.perf_counter() - started)
        print(f"  {lang} new questions let go     {pct(0, len(new))}       {pct(let_go, len(new))}")
        print(f"  {lang}   of which held out      {pct(0, held)}        {pct(held_go, held)}")
        print(f"  {lang} edit requests kept       {pct(len(EDITS[lang]), len(EDITS[lang]))}"
              f"      {pct(kept, len(EDITS[lang]))}")  # fmt: skip
        for miss in lost:
            print(f"     edit taken as a question: {miss}")

    # (a') the threshold: let-go on held-out questions vs edits kept
    print("\n(a') threshold   held-out questions let go   edit requests kept")
    for threshold in (0.5, 0.6, 0.75, 0.9):
        go = n = keep = m = 0
        for lang in ("fr", "en"):
            draft = Understanding(Intent.DRAFT, lang, topic=BRIEF[lang])
            for q in qs:
                if q["lang"] != lang or q["intent"] == "draft" or not q["held_out"]:
                    continue
                n += 1
                if not reads_as_draft_command(q["q"]):
                    u = engine.understand_sync(q["q"], lang, draft)
                    go += is_new_question(u, BRIEF[lang], threshold)
            for text in EDITS[lang]:
                m += 1
                if reads_as_draft_command(text):
                    keep += 1
                    continue
                u = engine.understand_sync(text, lang, draft)
                keep += not is_new_question(u, BRIEF[lang], threshold)
        print(f"  {threshold:.2f}         {pct(go, n)}           {pct(keep, m)}")

    # (b) unknown and unclear
    print("\n(b) honest when unsure             baseline                  now")
    unknown = [q for q in qs if q["intent"] == "unknown"]
    specific = 0
    unclear_total = unclear_hit = 0
    for q in qs:
        u = engine.understand_sync(q["q"], q["lang"], None)
        if q["intent"] == "unknown":
            specific += u.intent is Intent.UNKNOWN and (
                u.reason in ("out_of_scope", "smalltalk", "injection") or bool(readings_of(u))
            )
        elif u.intent is Intent.UNKNOWN and u.reason == "unclear":
            unclear_total += 1
            unclear_hit += Intent(q["intent"]) in readings_of(u)
    print(f"  unknown: a specific reply        {pct(0, len(unknown))}       "
          f"{pct(specific, len(unknown))}")  # fmt: skip
    print(f"  known but read 'unclear'         n/a                       {unclear_total}")
    print(f"  ... true intent among readings   n/a                       "
          f"{pct(unclear_hit, unclear_total)}")  # fmt: skip

    # (c) cost
    ms = sorted(t * 1000 for t in timings)
    print("\n(c) cost per mid-draft message     baseline                  now")
    print(
        f"  median / p95 ms                  0 / 0                     "
        f"{statistics.median(ms):.1f} / {ms[int(0.95 * (len(ms) - 1))]:.1f}"
    )


if __name__ == "__main__":
    main()
