"""One matching: how much a post is about something — a theme (its centre and key phrases) or
a topic asked about ("about our battery": its vector and words). Themes and topic questions
count posts with this one function, so a topic and the theme that names it agree.

relevance = cosine(post vector, centre) + `KEYWORD_BONUS` when the post holds one of the key
phrases (folded and lightly stemmed: "batterie", "batteries" and "battery" meet).
A post matches when its relevance reaches the threshold (`ThemeParams.min_member_similarity`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.domain.analysis._text import tokens

KEYWORD_BONUS = 0.25

_NOISE = re.compile(r"^\s*RT\s+@\w+:?\s*|https?://\S+|www\.\S+|(?<![\w@])@\w+", re.IGNORECASE)


def text_for_vector(text: str) -> str:
    """What a post's sentence vector is computed from: its words, without the repost prefix,
    links, @handles, HTML entities and '#' signs (they weigh on the vector and mean nothing
    about the subject: on CrisisLex they halved the agreement of themes with the truth)."""
    cleaned = " ".join(_NOISE.sub(" ", html.unescape(text)).replace("#", " ").split())
    return cleaned or text.strip()


F64 = npt.NDArray[np.float64]


def term_keys(text: str) -> list[str]:
    """The key of a topic or key phrase: its words folded, stemmed, stop-words dropped, joined
    by spaces ("the batteries" -> "batteri")."""
    key = " ".join(t.key for t in tokens(text) if t.key)
    return [key] if key else []


def relevance(
    vectors: npt.NDArray[np.floating],
    centre: npt.NDArray[np.floating],
    post_terms: Sequence[set[str]],
    terms: Sequence[str],
) -> F64:
    """For each post (row of `vectors`, its key phrases in `post_terms`): cosine to `centre`
    plus the keyword bonus when it holds one of `terms` (keys, see `term_keys`)."""
    cos = np.asarray(vectors, dtype=np.float64) @ np.asarray(centre, dtype=np.float64)
    wanted = {t for t in terms if t}
    if wanted:
        bonus = np.array([KEYWORD_BONUS if wanted & ts else 0.0 for ts in post_terms])
        cos = cos + bonus
    out: F64 = cos
    return out


def matches(
    vectors: npt.NDArray[np.floating],
    centre: npt.NDArray[np.floating],
    post_terms: Sequence[set[str]],
    terms: Sequence[str],
    threshold: float,
) -> list[bool]:
    """Which posts are about the centre/terms (the rule themes use for their members)."""
    return [bool(s >= threshold) for s in relevance(vectors, centre, post_terms, terms)]
