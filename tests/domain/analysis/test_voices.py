from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.analysis.types import AnalysedPost, Sentiment
from bot.domain.analysis.voices import negative_reach, notable_voices
from bot.ports.posts import Author, Metrics, Post

T = datetime(2025, 5, 1, tzinfo=UTC)


def _ap(i: int, author: Author, likes: int, sentiment: Sentiment) -> AnalysedPost:
    post = Post(str(i), f"post {i}", T + timedelta(minutes=i), author, metrics=Metrics(likes=likes))
    return AnalysedPost(post, "fr", sentiment)


def test_ranked_by_reach_and_engagement_with_stance_and_top_post() -> None:
    journalist = Author("1", "lea", "Léa", followers=180_000, verified=True)
    fan = Author("2", "fan", "Fan", followers=300)
    viral = Author("3", "viral", "Viral", followers=2_000)
    posts = [
        _ap(0, journalist, 50, Sentiment.NEGATIVE),
        _ap(1, journalist, 900, Sentiment.NEGATIVE),
        _ap(2, journalist, 10, Sentiment.NEUTRAL),
        _ap(3, fan, 2, Sentiment.POSITIVE),
        _ap(4, viral, 20_000, Sentiment.POSITIVE),
    ]
    voices = notable_voices(posts)
    assert [v.author.handle for v in voices] == ["lea", "viral", "fan"]
    lea = voices[0]
    assert lea.stance is Sentiment.NEGATIVE
    assert lea.posts == 3 and lea.engagement == 960
    assert lea.top_post == 1
    assert voices[1].stance is Sentiment.POSITIVE
    assert negative_reach(posts) == (180_000, 1, 1)
    assert notable_voices([]) == ()
