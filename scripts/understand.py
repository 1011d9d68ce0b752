"""How Pulse reads questions: one JSON line in, one JSON line out.

Input, one object a line: ``{"text": str, "locale": "fr-FR", "previous": <an output line of this
script, or null>}``. Output, one object a line: ``{"intent", "lang", "period", "topic",
"competitor", "post_ref", "follow_up", "confidence", "date", "reason", "alternatives"}`` with the
lower-case values of ``bot/ports/language.py`` (``date`` is set for period ``date``; ``reason``
and ``alternatives`` only for intent ``unknown``). Names come from the demo watch profile unless
``--profile FILE`` (a watch profile in YAML) is given; ``--today YYYY-MM-DD`` fixes the day that
weekdays and dates are read from. A line that is not valid JSON gives ``{"error": ...}`` and the
next line is read.

    .venv/bin/python scripts/understand.py [--profile FILE] [--today 2026-12-07] < questions.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH  # noqa: E402
from bot.clients.encoder import shared_encoder  # noqa: E402
from bot.domain.understanding import understand  # noqa: E402
from bot.domain.watch import ProfileError, WatchProfile  # noqa: E402
from bot.ports.language import Intent, Period, Understanding  # noqa: E402

FIELDS = ("intent", "lang", "period", "topic", "competitor", "post_ref", "follow_up", "confidence")


def to_json(u: Understanding) -> dict[str, Any]:
    return {
        "intent": u.intent.value,
        "lang": u.lang,
        "period": u.period.value,
        "topic": u.topic,
        "competitor": u.competitor,
        "post_ref": u.post_ref,
        "follow_up": u.follow_up,
        "confidence": round(u.confidence, 3),
        "date": u.date,
        "reason": u.reason,
        "alternatives": [a.value for a in u.alternatives],
    }


def from_json(data: Any) -> Understanding | None:
    """A previous understanding given as JSON; None when absent or not one."""
    if not isinstance(data, dict) or "intent" not in data:
        return None
    try:
        return Understanding(
            intent=Intent(str(data["intent"]).lower()),
            lang=str(data.get("lang") or "en"),
            period=Period(str(data.get("period") or "today").lower()),
            topic=data.get("topic"),
            competitor=data.get("competitor"),
            post_ref=data.get("post_ref"),
            follow_up=bool(data.get("follow_up", False)),
            confidence=float(data.get("confidence", 1.0)),
            date=data.get("date"),
        )
    except (TypeError, ValueError):
        return None


def run(lines: TextIO, out: TextIO, profile: WatchProfile, today: date) -> int:
    encoder = shared_encoder()
    vocabulary = profile.vocabulary()
    for raw in lines:
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError("expected an object with a text")
        except ValueError as exc:
            out.write(json.dumps({"error": f"bad input line: {exc}"}) + "\n")
            continue
        got = understand(
            item["text"],
            str(item.get("locale") or "") or None,
            from_json(item.get("previous")),
            encoder,
            vocabulary,
            today=today,
        )
        out.write(json.dumps(to_json(got), ensure_ascii=False) + "\n")
        out.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="How Pulse reads questions (JSON lines).")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE_PATH)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    try:
        profile = WatchProfile.from_yaml(args.profile.read_text(encoding="utf-8"))
    except (OSError, ProfileError) as exc:
        print(f"cannot read the watch profile {args.profile}: {exc}", file=sys.stderr)
        return 2
    return run(sys.stdin, sys.stdout, profile, args.today)


if __name__ == "__main__":
    sys.exit(main())
