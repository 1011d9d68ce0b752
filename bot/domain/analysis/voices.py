"""Notable voices: the authors who matter most in the period, with their stance and top post."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.analysis.thresholds import VoiceParams
from bot.domain.analysis.types import AnalysedPost, Sentiment, SentimentSplit
from bot.ports.posts import Author


@dataclass(frozen=True, slots=True)
class Voice:
    author: Author
    posts: int  # posts of this author in the sample
    engagement: int  # likes + reposts + replies + quotes of those posts
    followers: int
    verified: bool
    stance: Sentiment | None  # dominant sentiment of the author's posts
    sentiment: SentimentSplit
    top_post: int  # index in the input of the author's most engaging post
    score: float  # ranking score: log10 reach (verified bonus) + log10 engagement


def notable_voices(
    posts: Sequence[AnalysedPost], *, params: VoiceParams | None = None
) -> tuple[Voice, ...]:
    """Authors ranked by reach (followers, verified) and engagement of their posts in `posts`."""
    p = params or VoiceParams()
    by_author: dict[str, list[int]] = {}
    for i, ap in enumerate(posts):
        by_author.setdefault(ap.post.author.id, []).append(i)
    voices: list[Voice] = []
    for indices in by_author.values():
        # The most recent profile seen for the author (followers change over time).
        author = max((posts[i].post for i in indices), key=lambda p_: (p_.created_at, p_.id)).author
        engagement = sum(posts[i].post.metrics.engagement for i in indices)
        reach = math.log10(1 + author.followers) * (p.verified_bonus if author.verified else 1.0)
        score = reach + p.engagement_weight * math.log10(1 + engagement)
        split = SentimentSplit.of(posts[i].sentiment for i in indices)
        top = max(
            indices,
            key=lambda i: (posts[i].post.metrics.engagement, posts[i].post.created_at, -i),
        )
        voices.append(
            Voice(
                author=author,
                posts=len(indices),
                engagement=engagement,
                followers=author.followers,
                verified=author.verified,
                stance=split.dominant,
                sentiment=split,
                top_post=top,
                score=round(score, 6),
            )
        )
    voices.sort(key=lambda v: (-v.score, -v.followers, v.author.id))
    return tuple(voices[: p.max_voices])


def negative_reach(posts: Sequence[AnalysedPost]) -> tuple[int, int, int]:
    """Followers of the distinct authors of negative posts, how many such authors, and how many
    of them are verified."""
    authors: dict[str, Author] = {}
    for ap in posts:
        if ap.sentiment is Sentiment.NEGATIVE:
            authors[ap.post.author.id] = ap.post.author
    return (
        sum(a.followers for a in authors.values()),
        len(authors),
        sum(1 for a in authors.values() if a.verified),
    )
