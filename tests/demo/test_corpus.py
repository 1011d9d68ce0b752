"""The demo corpus and its ground truth: the story the demo tells is really in the data."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.clients.demo.corpus import (
    COMPANY_PATH,
    DEFAULT_CORPUS_PATH,
    DEFAULT_LABELS_PATH,
    DemoCorpus,
)

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600
PARIS = HOUR  # the corpus is in November: Paris is UTC+1


def test_size_span_and_languages(corpus: DemoCorpus) -> None:
    assert len(corpus) >= 2000
    span = corpus.offsets[-1] - corpus.offsets[0]
    assert 13.5 * 24 * HOUR <= span <= 14 * 24 * HOUR
    assert corpus.offsets[-1] <= 0
    langs = Counter(e.lang for e in corpus.entries)
    assert set(langs) == {"fr", "en"}
    assert 0.55 < langs["fr"] / len(corpus) < 0.85
    assert len({e.id for e in corpus.entries}) == len(corpus)
    assert DEFAULT_CORPUS_PATH.stat().st_size + DEFAULT_LABELS_PATH.stat().st_size < 2_000_000


def test_ids_are_time_ordered(corpus: DemoCorpus) -> None:
    ids = [e.id_int for e in corpus.entries]
    assert ids == sorted(ids)


def test_authors_have_a_heavy_tail(corpus: DemoCorpus) -> None:
    authors = {e.author.id: e.author for e in corpus.entries}
    followers = sorted(a.followers for a in authors.values())
    median = followers[len(followers) // 2]
    assert median < 500
    assert followers[-1] > 100_000
    assert sum(a.verified for a in authors.values()) >= 15
    handles = {a.handle for a in authors.values()}
    assert {"lea_marchand", "ebike_nerd", "camille_arnaud", "velora_support"} <= handles


def test_replies_and_quotes_are_consistent(corpus: DemoCorpus) -> None:
    by_id = {e.id: e for e in corpus.entries}
    replies = [e for e in corpus.entries if e.reply_to_id]
    quotes = [e for e in corpus.entries if e.quote_of_id]
    assert len(replies) > 200 and len(quotes) > 50
    for e in replies:
        parent = by_id[e.reply_to_id or ""]
        assert parent.offset_s <= e.offset_s
        assert e.conversation_id == parent.conversation_id
        assert e.features.reply_to_author == parent.author.handle
    for e in quotes:
        assert by_id[e.quote_of_id or ""].offset_s <= e.offset_s
    for e in corpus.entries:
        if not e.reply_to_id:
            assert e.conversation_id == e.id


def test_labels_match_the_corpus(corpus: DemoCorpus, labels: dict[str, Any]) -> None:
    posts = labels["posts"]
    assert set(posts) == {e.id for e in corpus.entries}
    themes = {t["id"] for t in labels["themes"]}
    assert all(t["label_fr"] and t["label_en"] for t in labels["themes"])
    for label in posts.values():
        assert label["sentiment"] in {"neg", "neu", "pos"}
        assert label["theme"] in themes
    assert {e["id"] for e in labels["events"]} == {"launch", "crisis", "interview"}
    sentiments = Counter(p["sentiment"] for p in posts.values())
    assert min(sentiments.values()) > 300


def _hourly(corpus: DemoCorpus, labels: dict[str, Any]) -> Counter[int]:
    """Posts about the company (not homonyms, not its own) per hour before the corpus end."""
    posts = labels["posts"]
    keep = [
        e
        for e in corpus.entries
        if not posts[e.id]["is_homonym"]
        and not posts[e.id]["is_own"]
        and posts[e.id]["theme"] not in {"sector", "competitors"}
    ]
    return Counter(e.offset_s // HOUR for e in keep)


def test_crisis_spikes_at_the_labelled_hour(corpus: DemoCorpus, labels: dict[str, Any]) -> None:
    start = labels["crisis"]["start_offset_s"]
    assert start % HOUR == 0
    hourly = _hourly(corpus, labels)
    crisis_hour = start // HOUR
    # The same hour on the previous days, and the hours just before.
    baseline = [hourly[crisis_hour - 24 * d] for d in range(1, 7)] + [
        hourly[crisis_hour - h] for h in range(1, 4)
    ]
    mean = sum(baseline) / len(baseline)
    assert hourly[crisis_hour] >= 5 * mean, (hourly[crisis_hour], baseline)
    first_hour = [
        labels["posts"][e.id]
        for e in corpus.entries
        if start <= e.offset_s < start + HOUR and labels["posts"][e.id]["is_crisis"]
    ]
    assert len(first_hour) >= 50
    negative = sum(p["sentiment"] == "neg" for p in first_hour) / len(first_hour)
    assert negative > 0.6
    big_voices = {
        e.author.handle
        for e in corpus.entries
        if start <= e.offset_s < start + 2 * HOUR and e.author.followers > 50_000
    }
    assert {"lea_marchand", "ebike_nerd", "conso_alerte"} <= big_voices
    # Nothing about the crisis before it starts.
    assert not [
        e for e in corpus.entries if e.offset_s < start and labels["posts"][e.id]["is_crisis"]
    ]


def test_calm_days_have_a_daily_rhythm(corpus: DemoCorpus, labels: dict[str, Any]) -> None:
    hourly = _hourly(corpus, labels)
    start = labels["crisis"]["start_offset_s"]
    launch = next(e["offset_s"] for e in labels["events"] if e["id"] == "launch")
    calm = [h for h in hourly if h < launch // HOUR - 24]  # the first, calm week
    by_paris_hour: Counter[int] = Counter()
    end_hour_paris = 14  # the corpus ends at 14:00 Paris
    for h in calm:
        by_paris_hour[(end_hour_paris + h) % 24] += hourly[h]
    night = sum(by_paris_hour[h] for h in range(1, 6))
    day = sum(by_paris_hour[h] for h in range(9, 14))
    assert day > 8 * night
    assert start < 0


def test_homonyms_injections_and_campaign(corpus: DemoCorpus, labels: dict[str, Any]) -> None:
    posts = labels["posts"]
    homonyms = [e for e in corpus.entries if posts[e.id]["is_homonym"]]
    assert len(homonyms) > 50
    assert all("velora" in e.text.lower() for e in homonyms)

    injections = [e for e in corpus.entries if posts[e.id]["is_injection"]]
    assert len(injections) >= 10
    assert {e.lang for e in injections} == {"fr", "en"}
    hidden = [e for e in injections if any(0xE0000 <= ord(c) <= 0xE007F for c in e.text)]
    zero_width = [e for e in injections if "\u200b" in e.text]
    assert hidden and zero_width
    assert any("ignore" in e.text.lower() for e in injections)

    campaign = [e for e in corpus.entries if posts[e.id]["is_campaign"]]
    assert len(campaign) >= 50
    distinct = {e.text for e in campaign}
    assert 3 < len(distinct) < len(campaign) / 2  # near-duplicates


def test_company_facts_file() -> None:
    import yaml

    company = yaml.safe_load(COMPANY_PATH.read_text(encoding="utf-8"))
    assert company["name"] == "Velora"
    assert len(company["competitors"]) == 3
    assert company["people"][0]["name"] == "Camille Arnaud"


@pytest.mark.skipif(sys.platform == "win32", reason="byte comparison of gzip output")
def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_corpus.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (tmp_path / "corpus.jsonl.gz").read_bytes() == DEFAULT_CORPUS_PATH.read_bytes()
    assert (tmp_path / "labels.json").read_bytes() == DEFAULT_LABELS_PATH.read_bytes()
