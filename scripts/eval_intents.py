"""Question understanding on held-out questions: intents, UNKNOWN, slots, French vs English.

Reads the held-out files (never trained on):
- ``tests/domain/data/understand_holdout.yaml``: 282 questions written fresh, without seeing the
  training phrasings (the goal: intent accuracy ≥ 92%, UNKNOWN precision and recall ≥ 0.8);
- ``tests/domain/data/intents_holdout.yaml``: the 61 held-out questions of the old rules.
Each is read through the same path as ``scripts/understand.py`` (the demo watch profile, questions
asked on 2026-12-07), and, beside it, through the old cue-phrase rules of commit ``BASELINE``
(read from git history, when the checkout has it).

    .venv/bin/python scripts/eval_intents.py [--errors]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH  # noqa: E402
from bot.domain.text import fold_words  # noqa: E402
from bot.domain.watch import WatchProfile  # noqa: E402
from bot.ports.language import Intent, Period, Understanding, Vocabulary  # noqa: E402

DATA = ROOT / "tests" / "domain" / "data"
FRESH = DATA / "understand_holdout.yaml"
OLD_HOLDOUT = DATA / "intents_holdout.yaml"
TODAY = date(2026, 12, 7)
BASELINE = "2a83339"  # the last commit with the cue-phrase rules (bot/domain/intents.py)

Reader = Callable[[str, str | None, Understanding | None], Understanding]


@dataclass
class Item:
    text: str
    locale: str | None
    intent: str
    expected: dict[str, Any]
    previous: Understanding | None


@dataclass
class Report:
    name: str
    total: int = 0
    right: int = 0
    by_lang: Counter[str] = field(default_factory=Counter)
    right_by_lang: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    truth: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    slots: dict[str, list[bool]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0

    def precision(self, intent: str) -> float:
        return self.hits[intent] / self.predicted[intent] if self.predicted[intent] else 0.0

    def recall(self, intent: str) -> float:
        return self.hits[intent] / self.truth[intent] if self.truth[intent] else 0.0

    def slot(self, name: str) -> tuple[float, int]:
        values = self.slots.get(name, [])
        return (sum(values) / len(values) if values else 0.0), len(values)


def _previous(raw: dict[str, Any] | None) -> Understanding | None:
    if not raw:
        return None
    return Understanding(
        intent=Intent(raw["intent"]),
        lang=raw.get("lang", "fr"),
        period=Period(raw.get("period", "today")),
        topic=raw.get("topic"),
        competitor=raw.get("competitor"),
    )


def load(path: Path) -> list[Item]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = []
    for raw in data.get("items") or data.get("questions"):
        text = str(raw.get("text", raw.get("q")))
        locale = raw.get("locale", raw.get("lang"))
        expected = {
            k: raw[k]
            for k in ("period", "topic", "competitor", "post_ref", "follow_up", "date")
            if k in raw
        }
        if "lang" in raw and "locale" in raw:
            expected["lang"] = raw["lang"]
        if "answer_lang" in raw:
            expected["lang"] = raw["answer_lang"]
        items.append(
            Item(text, locale, str(raw["intent"]), expected, _previous(raw.get("previous")))
        )
    return items


def evaluate(name: str, items: list[Item], read: Reader) -> Report:
    report = Report(name)
    for item in items:
        got = read(item.text, item.locale, item.previous)
        lang = str(item.expected.get("lang") or (item.locale or "en")[:2])
        report.total += 1
        report.by_lang[lang] += 1
        report.truth[item.intent] += 1
        report.predicted[got.intent.value] += 1
        if got.intent.value != item.intent:
            report.errors.append(
                f"{item.text!r}: expected {item.intent}, got {got.intent.value}"
                f" ({got.confidence:.2f})"
            )
            continue
        report.right += 1
        report.right_by_lang[lang] += 1
        report.hits[item.intent] += 1
        checks = _slot_checks(got)
        for slot, check in checks.items():
            if slot in item.expected:
                ok = bool(check(item.expected[slot]))
                report.slots.setdefault(slot, []).append(ok)
                if not ok:
                    report.errors.append(
                        f"{item.text!r}: {slot} should be {item.expected[slot]!r}, got {got}"
                    )
    return report


def _slot_checks(got: Understanding) -> dict[str, Callable[[Any], bool]]:
    return {
        "period": lambda v: got.period.value == v,
        "topic": lambda v: got.topic is not None and fold_words(str(v)) in fold_words(got.topic),
        "competitor": lambda v: got.competitor == v,
        "post_ref": lambda v: got.post_ref == str(v),
        "follow_up": lambda v: got.follow_up is bool(v),
        "date": lambda v: got.date == str(v),
        "lang": lambda v: got.lang == v,
    }


def learned_reader(vocabulary: Vocabulary) -> Reader:
    from bot.clients.encoder import shared_encoder
    from bot.domain.understanding import understand

    encoder = shared_encoder()
    return lambda text, locale, previous: understand(
        text, locale, previous, encoder, vocabulary, today=TODAY
    )


def baseline_reader(vocabulary: Vocabulary) -> Reader | None:
    """The old cue-phrase rules, read from git history (None when the checkout lacks them)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BASELINE}:bot/domain/intents.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(tempfile.mkdtemp()) / "old_intents.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_intents", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_intents"] = module
    spec.loader.exec_module(module)
    return lambda text, locale, previous: module.understand(
        text,
        locale,
        previous,
        competitors=vocabulary.competitors,
        topics_hint=vocabulary.topics,
        own_names=vocabulary.own_names,
        sector_terms=vocabulary.sector_terms,
    )


def demo_vocabulary() -> Vocabulary:
    return WatchProfile.from_yaml(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")).vocabulary()


def print_report(new: Report, old: Report | None) -> None:
    def pair(a: float, b: float | None, pct: bool = True) -> str:
        fmt = (lambda v: f"{v:6.1%}") if pct else (lambda v: f"{v:6.2f}")
        return f"{fmt(a)}  {fmt(b) if b is not None else '   n/a'}"

    print(f"\n== {new.name}: {new.total} questions ==   learned   old rules")
    print(f"intent accuracy            {pair(new.accuracy, old.accuracy if old else None)}")
    for lang in sorted(new.by_lang):
        a = new.right_by_lang[lang] / new.by_lang[lang]
        b = old.right_by_lang[lang] / old.by_lang[lang] if old and old.by_lang[lang] else None
        print(f"  {lang} ({new.by_lang[lang]:3d})                  {pair(a, b)}")
    for intent in sorted(new.truth):
        p, r = new.precision(intent), new.recall(intent)
        op, orr = (old.precision(intent), old.recall(intent)) if old else (None, None)
        print(
            f"  {intent:15s} n={new.truth[intent]:3d}"
            f"  P {pair(p, op, False)}   R {pair(r, orr, False)}"
        )
    for slot in ("period", "competitor", "topic", "post_ref", "follow_up", "date", "lang"):
        value, n = new.slot(slot)
        if n:
            ov = old.slot(slot)[0] if old and old.slot(slot)[1] else None
            print(f"{slot:10s} accuracy (n={n:3d})  {pair(value, ov)}   (when the intent is right)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Question understanding on held-out questions.")
    parser.add_argument("--errors", action="store_true", help="list the misreadings")
    args = parser.parse_args(argv)
    vocabulary = demo_vocabulary()
    learned = learned_reader(vocabulary)
    old = baseline_reader(vocabulary)
    for path in (FRESH, OLD_HOLDOUT):
        items = load(path)
        new_report = evaluate(path.name, items, learned)
        old_report = evaluate(path.name, items, old) if old else None
        print_report(new_report, old_report)
        if args.errors:
            print("\n".join(f"  - {e}" for e in new_report.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
