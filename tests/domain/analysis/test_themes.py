from __future__ import annotations

import random
from collections import Counter

from bot.domain.analysis.themes import find_themes
from bot.domain.analysis.types import Sentiment
from tests.domain.analysis.demo_eval import adjusted_rand
from tests.domain.analysis.synthetic import make_posts


def test_synthetic_themes_are_recovered_with_readable_labels() -> None:
    labelled = make_posts(1500, seed=5)
    posts = [lp.post for lp in labelled]
    result = find_themes(posts, exclude_terms=["VeloNova"])
    truth = [lp.theme for lp in labelled]
    assert adjusted_rand(truth, list(result.theme_of)) >= 0.8
    named = [t for t in result.themes if not t.is_other]
    dominant = {Counter(truth[i] for i in t.members).most_common(1)[0][0] for t in named}
    assert dominant == {"battery", "delivery", "service", "ride", "price"}
    keywords = {k for t in named for k in t.keywords}
    assert "délais de livraison" in keywords  # bigram, connector and accents kept
    assert "service client" in keywords
    assert all("velonova" not in t.label.lower() for t in result.themes)
    for t in named:
        assert t.label and len(t.label) <= 60
        assert t.sentiment.total == t.size
        assert 1 <= len(t.representatives) <= 3
        assert all(r.index in t.members for r in t.representatives)
    service = next(t for t in named if "service client" in t.keywords)
    assert service.sentiment.dominant is Sentiment.NEGATIVE


def test_every_post_has_a_theme_and_sizes_add_up() -> None:
    labelled = make_posts(400, seed=2, campaign=30)
    posts = [lp.post for lp in labelled]
    result = find_themes(posts)
    assert len(result.theme_of) == len(posts)
    assert all(0 <= t < len(result.themes) for t in result.theme_of)
    assert sum(t.posts for t in result.themes) == len(posts)
    assert sum(t.size for t in result.themes) == result.distinct
    assert result.themes[-1].is_other or not any(t.is_other for t in result.themes)


def test_deterministic_and_independent_of_input_order() -> None:
    posts = [lp.post for lp in make_posts(600, seed=9, campaign=12)]
    a = find_themes(posts)
    assert a == find_themes(posts)
    shuffled = posts[:]
    random.Random(4).shuffle(shuffled)
    b = find_themes(shuffled)
    assert [t.label for t in a.themes] == [t.label for t in b.themes]
    assert [t.posts for t in a.themes] == [t.posts for t in b.themes]


def test_empty_and_tiny_inputs() -> None:
    assert find_themes([]).themes == ()
    posts = [lp.post for lp in make_posts(3, seed=1)]
    result = find_themes(posts)
    assert sum(t.posts for t in result.themes) == 3


def test_ten_thousand_posts_with_a_campaign() -> None:
    # Speed is measured by bench/bench_analysis.py and bench/bench_themes.py, not asserted here.
    labelled = make_posts(10_000, seed=3, campaign=100)
    result = find_themes([lp.post for lp in labelled])
    assert sum(t.posts for t in result.themes) == 10_100
    assert sum(t.size for t in result.themes) == result.distinct < 10_000
    campaign = [i for i, lp in enumerate(labelled) if lp.theme == "campaign"]
    assert len(campaign) == 100
    assert len({result.theme_of[i] for i in campaign}) == 1  # the copies count once, together


def test_french_and_english_words_for_the_same_thing_share_a_key() -> None:
    from bot.domain.analysis._text import phrase_synonym, tokens

    def keys(text: str) -> list[str]:
        return [t.key for t in tokens(text) if t.key]

    assert keys("delivery recall fire app") == keys("livraison rappel incendie appli")
    assert phrase_synonym("customer servic") == phrase_synonym("servic client") == "sav"
