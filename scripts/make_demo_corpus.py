# The templates below are prose: long lines and word lists read better unwrapped.
# ruff: noqa: E501
"""Generate the demo corpus: posts about Velora, a fictional French e-bike maker.

Every text is written by the project (nothing is copied from real posts): the data tables
(names, accounts, templates) are in `scripts/demo_corpus/corpus.yaml`, the world and the story in `scripts/demo_corpus/`. The
output is deterministic (fixed seed, gzip without timestamp), so regenerating it gives the
same bytes:

    .venv/bin/python scripts/make_demo_corpus.py [--out DIR]

Writes `bot/clients/demo/corpus.jsonl.gz` (one JSON object a line: a `meta` line, `author`
lines, then `post` lines, oldest first; times are `offset_s`, seconds before the corpus end)
and `bot/clients/demo/labels.json` (ground truth per post, the story's events, the themes).

The story (nominal time; Paris is UTC+1 in November 2026): 14 days ending Thursday
2026-11-19 14:00 Paris. Friday 13th 10:00: launch of the Velora Cargo 2. Monday 16th 18:00:
the CRISIS — a journalist's thread alleging battery fires goes viral. Tuesday: copy-paste
campaign, share price drop. Wednesday 08:15: the CEO's radio interview.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import unicodedata
from datetime import datetime
from pathlib import Path

from demo_corpus.story import conversations, everyday, story
from demo_corpus.world import (
    CRISIS,
    DAYS,
    END,
    INTERVIEW,
    LAUNCH,
    OUT_DIR,
    SEED,
    THEMES,
    X_EPOCH_MS,
    Draft,
    Person,
    drafts,
    rng,
)


def metrics(d: Draft) -> dict[str, int]:
    base = 0.6 + d.author.followers * 0.0025
    likes = int(rng.lognormvariate(math.log(base), 0.9) * d.reach)
    if d.crisis and d.reach > 10:
        likes = int(likes * 1.5)
    reposts = int(likes * rng.uniform(0.05, 0.35))
    replies = int(likes * rng.uniform(0.02, 0.2))
    quotes = int(likes * rng.uniform(0.0, 0.06))
    impressions = int(
        d.author.followers * rng.uniform(0.05, 0.4) + likes * rng.uniform(20, 60)
    ) + rng.randrange(5, 60)
    return {
        "likes": likes,
        "reposts": reposts,
        "replies": replies,
        "quotes": quotes,
        "impressions": impressions,
    }


def snowflake(at: datetime, seq: int) -> str:
    ms = int(at.timestamp() * 1000)
    return str(((ms - X_EPOCH_MS) << 22) | seq)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    out_dir: Path = parser.parse_args().out
    out_dir.mkdir(parents=True, exist_ok=True)
    everyday()
    conversations()
    story()
    drafts.sort(key=lambda d: d.at)
    for seq, d in enumerate(drafts):
        d.id = snowflake(d.at, seq)
        d.metrics = metrics(d)
    used_authors: dict[str, Person] = {}
    lines: list[str] = []
    meta = {
        "kind": "meta",
        "corpus": "velora-demo",
        "version": 1,
        "seed": SEED,
        "nominal_end": END.isoformat(),
        "days": DAYS,
        "posts": len(drafts),
        "note": "Fictional company and posts, written by the Pulse project. Times are offset_s before the end.",
    }
    lines.append(json.dumps(meta, ensure_ascii=False))
    for d in drafts:
        used_authors.setdefault(d.author.id, d.author)
    for a in sorted(used_authors.values(), key=lambda a: int(a.id)):
        lines.append(
            json.dumps(
                {
                    "kind": "author",
                    "id": a.id,
                    "handle": a.handle,
                    "name": a.name,
                    "followers": a.followers,
                    "verified": a.verified,
                    "description": a.description,
                },
                ensure_ascii=False,
            )
        )
    for d in drafts:
        parent = d.reply_to
        root = d
        while root.reply_to is not None:
            root = root.reply_to
        lines.append(
            json.dumps(
                {
                    "kind": "post",
                    "id": d.id,
                    "offset_s": int((d.at - END).total_seconds()),
                    "author_id": d.author.id,
                    "text": unicodedata.normalize("NFC", d.text),
                    "lang": d.lang,
                    "metrics": d.metrics,
                    "reply_to_id": parent.id if parent else None,
                    "reply_to_author_id": parent.author.id if parent else None,
                    "quote_of_id": d.quote_of.id if d.quote_of else None,
                    "conversation_id": root.id,
                },
                ensure_ascii=False,
            )
        )
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(("\n".join(lines) + "\n").encode())
    (out_dir / "corpus.jsonl.gz").write_bytes(buffer.getvalue())

    labels_head = {
        "corpus": "velora-demo",
        "version": 1,
        "nominal_end": END.isoformat(),
        "crisis": {
            "start_offset_s": int((CRISIS - END).total_seconds()),
            "theme": "battery_safety",
            "nominal_start": CRISIS.isoformat(),
            "summary": "Journalist @lea_marchand's thread alleges PowerCell battery fires; viral within the hour.",
        },
        "events": [
            {
                "id": "launch",
                "offset_s": int((LAUNCH - END).total_seconds()),
                "summary": "Velora Cargo 2 launch",
            },
            {
                "id": "crisis",
                "offset_s": int((CRISIS - END).total_seconds()),
                "summary": "Battery fire allegations",
            },
            {
                "id": "interview",
                "offset_s": int((INTERVIEW - END).total_seconds()),
                "summary": "CEO on Radio Cité",
            },
        ],
        "themes": [{"id": t, "label_fr": fr, "label_en": en} for t, fr, en in THEMES],
    }
    head = json.dumps(labels_head, ensure_ascii=False, indent=1)[:-2]
    post_lines = [
        json.dumps(d.id)
        + ": "
        + json.dumps(
            {
                "sentiment": d.sentiment,
                "theme": d.theme,
                "is_crisis": d.crisis,
                "is_homonym": d.homonym,
                "is_injection": d.injection,
                "is_campaign": d.campaign,
                "is_own": d.own,
            }
        )
        for d in drafts
    ]
    labels = head + ',\n "posts": {\n  ' + ",\n  ".join(post_lines) + "\n }\n}\n"
    json.loads(labels)  # well-formed
    (out_dir / "labels.json").write_text(labels, encoding="utf-8")
    langs = {lang: sum(d.lang == lang for d in drafts) for lang in ("fr", "en")}
    # A script's report goes to stdout.
    print(f"{len(drafts)} posts, {len(used_authors)} authors, {langs}")


if __name__ == "__main__":
    main()
