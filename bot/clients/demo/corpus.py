"""The demo corpus on disk: loaded once, kept in memory, with each post's search features.

Written by `scripts/make_demo_corpus.py`. Times are offsets (seconds, ≤ 0) before the corpus
end; `DemoSource` maps the end to "now".
"""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.clients.demo.query import PostFeatures, features
from bot.ports.posts import Author, Metrics

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent
DEFAULT_CORPUS_PATH = DEMO_DIR / "corpus.jsonl.gz"
DEFAULT_LABELS_PATH = DEMO_DIR / "labels.json"
DEFAULT_PROFILE_PATH = DEMO_DIR / "watch_profile.yaml"
COMPANY_PATH = DEMO_DIR / "company.yaml"


class CorpusError(Exception):
    """The corpus file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class CorpusEntry:
    id: str
    id_int: int
    offset_s: int  # ≤ 0: seconds before the corpus end
    text: str
    lang: str | None
    author: Author
    metrics: Metrics
    reply_to_id: str | None
    quote_of_id: str | None
    conversation_id: str | None
    features: PostFeatures


@dataclass(frozen=True, slots=True)
class DemoCorpus:
    meta: dict[str, Any]
    entries: tuple[CorpusEntry, ...]  # oldest first
    offsets: tuple[int, ...]  # entries' offset_s, for bisection

    def __len__(self) -> int:
        return len(self.entries)


def _author(raw: dict[str, Any]) -> Author:
    return Author(
        id=str(raw["id"]),
        handle=str(raw["handle"]),
        name=str(raw["name"]),
        followers=int(raw.get("followers", 0)),
        verified=bool(raw.get("verified", False)),
        description=str(raw.get("description", "")),
    )


def _entry(raw: dict[str, Any], authors: dict[str, Author]) -> CorpusEntry:
    author = authors[str(raw["author_id"])]
    reply_author_id = raw.get("reply_to_author_id")
    reply_author = authors.get(str(reply_author_id)) if reply_author_id else None
    m = raw.get("metrics", {})
    text = str(raw["text"])
    lang = raw.get("lang")
    return CorpusEntry(
        id=str(raw["id"]),
        id_int=int(raw["id"]),
        offset_s=int(raw["offset_s"]),
        text=text,
        lang=lang,
        author=author,
        metrics=Metrics(
            likes=int(m.get("likes", 0)),
            reposts=int(m.get("reposts", 0)),
            replies=int(m.get("replies", 0)),
            quotes=int(m.get("quotes", 0)),
            impressions=m.get("impressions"),
        ),
        reply_to_id=raw.get("reply_to_id"),
        quote_of_id=raw.get("quote_of_id"),
        conversation_id=raw.get("conversation_id"),
        features=features(
            text,
            author=author.handle,
            lang=lang,
            reply_to_author=reply_author.handle if reply_author else None,
            is_reply=raw.get("reply_to_id") is not None,
            is_quote=raw.get("quote_of_id") is not None,
            verified=author.verified,
        ),
    )


@lru_cache(maxsize=4)
def load_corpus(path: Path = DEFAULT_CORPUS_PATH) -> DemoCorpus:
    """Read and index a corpus file; cached, so every source shares one copy."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise CorpusError(f"cannot read the demo corpus {path}: {exc}") from exc
    meta: dict[str, Any] = {}
    authors: dict[str, Author] = {}
    raw_posts: list[dict[str, Any]] = []
    for record in records:
        kind = record.get("kind")
        if kind == "meta":
            meta = record
        elif kind == "author":
            author = _author(record)
            authors[author.id] = author
        elif kind == "post":
            raw_posts.append(record)
    try:
        entries = sorted(
            (_entry(raw, authors) for raw in raw_posts), key=lambda e: (e.offset_s, e.id_int)
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CorpusError(f"malformed demo corpus {path}: {exc!r}") from exc
    if any(e.offset_s > 0 for e in entries):
        raise CorpusError(f"malformed demo corpus {path}: a post is after the corpus end")
    log.info("demo corpus loaded: %d posts from %s", len(entries), path.name)
    return DemoCorpus(meta=meta, entries=tuple(entries), offsets=tuple(e.offset_s for e in entries))


def load_labels(path: Path = DEFAULT_LABELS_PATH) -> dict[str, Any]:
    """The ground truth beside the corpus (for tests and benchmarks, never for answers)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
