"""Analyse an export of posts: language, sentiment and themes, as Pulse computes them.

Input (stdin): JSON lines, one post each:
    {"id": "...", "text": "...", "created_at": "2026-12-07T09:00:00Z", "author": "handle",
     "followers": 120}
Output (stdout): one JSON object
    {"posts": [{"id", "lang", "sentiment": "negative"|"neutral"|"positive",
                "theme": theme id or null for "other"}],
     "themes": [{"id", "label", "post_ids"}]}
The whole input is one window, analysed without sampling.

    .venv/bin/python scripts/analyse.py [--lang fr|en] [--sentiment-only] < posts.jsonl

Sentiment is the production ensemble (the word model mixed with the head over each post's
multilingual sentence embedding, as for the sample of an answer or a briefing), the word model
alone when the encoder fails. `--sentiment-only` skips the themes: it measures the sentiment
model; `--words-only` also skips the encoder (the fast word model alone, as on every post).
A comms team analyses an export with this script; `scripts/eval_themes.py` measures the themes
through `analyse()` below.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.analysis.matching import text_for_vector  # noqa: E402
from bot.domain.analysis.themes import Themes, find_themes  # noqa: E402
from bot.domain.analysis.types import AnalysedPost, to_sentiment  # noqa: E402
from bot.domain.sentiment import analyse_texts  # noqa: E402
from bot.ports.embeddings import SentenceEncoder  # noqa: E402
from bot.ports.posts import Author, Post  # noqa: E402
from bot.services.sentiment import SampleSentiment  # noqa: E402


def _time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_post(record: Mapping[str, Any], index: int) -> Post:
    """A `Post` from one input line (missing fields get neutral defaults)."""
    author = str(record.get("author") or "")
    try:
        followers = int(record.get("followers") or 0)
    except (TypeError, ValueError):
        followers = 0
    return Post(
        id=str(record.get("id") if record.get("id") is not None else index),
        text=str(record.get("text") or ""),
        created_at=_time(record.get("created_at")),
        author=Author(id=author, handle=author.lstrip("@"), name="", followers=followers),
    )


def tag(posts: Sequence[Post], encoder: SentenceEncoder | None = None) -> list[AnalysedPost]:
    """Language and sentiment by the production functions: with ``encoder``, the ensemble of
    `bot.services.sentiment` (word model alone if encoding fails); without, `analyse_texts`."""
    texts = [p.text for p in posts]
    tagged = analyse_texts(texts) if encoder is None else SampleSentiment(encoder=encoder)(texts)
    return [
        AnalysedPost(p, t.lang, to_sentiment(t.sentiment))
        for p, t in zip(posts, tagged, strict=True)
    ]


_HANDLE = re.compile(r"(?<![\w@])@(\w+)")
BRAND_SHARE = 0.15  # an account mentioned by this share of the posts is the brand's


def brand_accounts(posts: Sequence[Post]) -> list[str]:
    """The accounts the export is about (no watch profile here): those mentioned in at least
    `BRAND_SHARE` of the posts ("@airline" starts most of a brand's mentions). Their names never
    label a theme."""
    counts: Counter[str] = Counter()
    for post in posts:
        counts.update({h.lower() for h in _HANDLE.findall(post.text)})
    least = max(2, BRAND_SHARE * len(posts))
    return sorted(h for h, n in counts.items() if n >= least)


def themes_of(
    analysed: Sequence[AnalysedPost], lang: str | None, encoder: SentenceEncoder | None = None
) -> Themes:
    """Themes of the whole input as one window, with the production encoder and clustering."""
    if encoder is None:
        from bot.clients.encoder import shared_encoder

        encoder = shared_encoder()
    vectors = (
        encoder.encode([text_for_vector(ap.post.text) for ap in analysed]) if analysed else None
    )
    exclude = brand_accounts([ap.post for ap in analysed])
    return find_themes(analysed, vectors, lang=lang, exclude_terms=exclude)


def analyse(
    records: Iterable[Mapping[str, Any]],
    *,
    lang: str | None = None,
    sentiment_only: bool = False,
    encoder: SentenceEncoder | None = None,
    words_only: bool = False,
) -> dict[str, Any]:
    """The output object for the input records (see the module's docstring)."""
    posts = [to_post(r, i) for i, r in enumerate(records)]
    if encoder is None and not words_only and posts:
        from bot.clients.encoder import shared_encoder

        encoder = shared_encoder()
    analysed = tag(posts, None if words_only else encoder)
    theme_ids: list[str | None] = [None] * len(posts)
    themes_out: list[dict[str, Any]] = []
    if not sentiment_only and analysed:
        result = themes_of(analysed, lang, encoder)
        number = 0
        for theme in result.themes:
            if theme.is_other:
                continue
            number += 1
            tid = f"t{number}"
            for i in theme.members:
                theme_ids[i] = tid
            themes_out.append(
                {"id": tid, "label": theme.label, "post_ids": [posts[i].id for i in theme.members]}
            )
    return {
        "posts": [
            {
                "id": p.id,
                "lang": ap.lang,
                "sentiment": ap.sentiment.value.lower(),
                "theme": theme_ids[i],
            }
            for i, (p, ap) in enumerate(zip(posts, analysed, strict=True))
        ],
        "themes": themes_out,
    }


def read_records(lines: Iterable[str]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise SystemExit(f"line {number}: not a JSON object")
        records.append(value)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lang", choices=("fr", "en"), default=None, help="language of labels")
    parser.add_argument("--sentiment-only", action="store_true", help="no themes")
    parser.add_argument(
        "--words-only", action="store_true", help="sentiment by the word model alone (fast)"
    )
    args = parser.parse_args(argv)
    sys.stdin.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    records = read_records(sys.stdin)
    out = analyse(
        records, lang=args.lang, sentiment_only=args.sentiment_only, words_only=args.words_only
    )
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
