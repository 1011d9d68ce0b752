"""Token estimates and a token-budgeted sample of posts for the language model.

The model bills and limits by tokens; before a call we only need a cheap, slightly pessimistic
estimate (about 3.5 characters a token for French/English text and JSON), so that a request
stays under its budget whatever the day's volume. The real figures come back in the response's
`usage` and are logged.

`budget_sample` picks posts that represent every theme: themes take turns (in the order given,
largest first), each giving its most engaging post not yet taken, until the budget is spent.
Hidden characters are stripped and long posts shortened before anything is counted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Final

from bot.domain.text import strip_hidden
from bot.ports.language import SamplePost

__all__ = [
    "CHARS_PER_TOKEN",
    "MAX_POST_CHARS",
    "MESSAGE_OVERHEAD_TOKENS",
    "budget_sample",
    "clean_post",
    "clean_text",
    "estimate_messages",
    "estimate_tokens",
    "post_line",
    "theme_names",
]

CHARS_PER_TOKEN: Final = 3.5
MESSAGE_OVERHEAD_TOKENS: Final = 4  # role and separators of one chat message
MAX_POST_CHARS: Final = 400  # a long post is cut: the gist is in its first lines

# C0/C1 controls except tab and newline, which `clean_text` folds into spaces anyway.
_CONTROL_TABLE: Final[dict[int, str]] = {
    **{c: " " for c in range(0x00, 0x20)},
    0x7F: " ",
    **{c: " " for c in range(0x80, 0xA0)},
    0x2028: " ",
    0x2029: " ",
}


def estimate_tokens(text: str) -> int:
    """A pessimistic token count for `text` (no tokenizer needed)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_messages(contents: Iterable[str]) -> int:
    """Estimated input tokens of a chat request made of these message contents."""
    return sum(estimate_tokens(c) + MESSAGE_OVERHEAD_TOKENS for c in contents) + 3


def clean_text(text: str, max_chars: int = MAX_POST_CHARS) -> str:
    """One line of visible text: hidden and control characters removed, whitespace folded."""
    text = strip_hidden(text).translate(_CONTROL_TABLE)
    text = " ".join(text.split())
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def clean_post(post: SamplePost, max_chars: int = MAX_POST_CHARS) -> SamplePost:
    """The post as the model may see it: text and author cleaned, text shortened."""
    return replace(
        post,
        text=clean_text(post.text, max_chars),
        author=clean_text(post.author, 40),
        theme=clean_text(post.theme, 80) if post.theme is not None else None,
    )


def post_line(post: SamplePost) -> str:
    """One post as a JSON line, as prompts quote it: `<` and `>` escaped so that a post can
    never close the data block it sits in."""
    data = {
        "id": post.id,
        "author": post.author,
        "followers": post.followers,
        "lang": post.lang,
        "sentiment": post.sentiment,
        "theme": post.theme,
        "engagement": post.engagement,
        "text": post.text,
    }
    line = json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
    return line.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def theme_names(themes: Sequence[Mapping[str, object]]) -> list[str]:
    """Theme labels from the analysis' theme dicts (`label`, or `name` / `theme`)."""
    names: list[str] = []
    for theme in themes:
        for key in ("label", "name", "theme"):
            value = theme.get(key)
            if isinstance(value, str) and value:
                names.append(value)
                break
    return names


def budget_sample(
    posts: Sequence[SamplePost],
    themes: Sequence[str] | Sequence[Mapping[str, object]] = (),
    max_tokens: int = 4000,
) -> list[SamplePost]:
    """Representative posts whose quoted lines fit in `max_tokens` (estimated).

    Themes take turns in the order given (then any theme not listed, then posts without a
    theme); each turn adds the theme's most engaging post not taken yet. Exact duplicates of a
    text already taken are skipped. A post that does not fit is skipped, and the selection ends
    once nothing else can fit. Posts are returned cleaned (see `clean_post`).
    """
    if max_tokens <= 0 or not posts:
        return []
    order = [t for t in themes if isinstance(t, str)] or theme_names(
        [t for t in themes if not isinstance(t, str)]
    )
    buckets: dict[str | None, list[SamplePost]] = {name: [] for name in order}
    for post in posts:
        buckets.setdefault(post.theme, []).append(post)
    queues = [
        sorted(bucket, key=lambda p: (-p.engagement, -p.followers, p.id))
        for bucket in _bucket_order(buckets)
    ]
    cursors = [0] * len(queues)
    chosen: list[SamplePost] = []
    seen_texts: set[str] = set()
    spent = 0
    smallest = 1 + MESSAGE_OVERHEAD_TOKENS  # no post line is cheaper than this
    active = [i for i, q in enumerate(queues) if q]
    while active and max_tokens - spent >= smallest:
        still: list[int] = []
        for i in active:
            queue = queues[i]
            while cursors[i] < len(queue):
                post = clean_post(queue[cursors[i]])
                cursors[i] += 1
                key = post.text.casefold()
                if key in seen_texts:
                    continue
                cost = estimate_tokens(post_line(post)) + 1  # and its newline
                if spent + cost > max_tokens:
                    continue
                seen_texts.add(key)
                chosen.append(post)
                spent += cost
                break
            if cursors[i] < len(queue):
                still.append(i)
        active = still
    return chosen


def _bucket_order(buckets: dict[str | None, list[SamplePost]]) -> list[list[SamplePost]]:
    named = [b for name, b in buckets.items() if name is not None]
    return [*named, buckets.get(None, [])]
