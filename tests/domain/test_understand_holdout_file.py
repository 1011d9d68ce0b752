"""The held-out question-understanding set (tests/domain/data/understand_holdout.yaml): its
structure, allowed values, coverage and independence from the training data. Not the
classifier: the evaluation itself is wired by scripts/understand.py."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.domain.watch import WatchProfile
from bot.ports.language import Intent

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = Path(__file__).parent / "data" / "understand_holdout.yaml"
ASKED_ON = date(2026, 12, 7)  # the day the questions are assumed to be asked (a Monday)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NEW_PERIODS = {"this_morning", "date", *WEEKDAYS, *(f"since_{d}" for d in WEEKDAYS[1:])}
PERIODS = {"today", "yesterday", "last_24h", "this_week", "last_7_days", *NEW_PERIODS}
LANGS = {"fr", "en"}
ITEM_KEYS = {
    "text",
    "locale",
    "previous",
    "intent",
    "lang",
    "period",
    "date",
    "topic",
    "competitor",
    "post_ref",
    "follow_up",
}
PREVIOUS_KEYS = {"intent", "lang", "period", "topic", "competitor", "post_ref"}
MAIN_INTENTS = (
    "pulse",
    "topic",
    "competitors",
    "crisis",
    "trends",
    "show_posts",
    "explain",
    "draft",
    "briefing",
)
SMALL_INTENTS = ("should_respond", "editorial_line", "help")
LOCALE = re.compile(r"^(fr|en)-[A-Z]{2}$")


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form, for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def _load() -> tuple[str, list[dict[str, Any]]]:
    raw = HOLDOUT.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    assert isinstance(data, dict) and set(data) == {"items"}
    assert isinstance(data["items"], list)
    return raw, data["items"]


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return _load()[1]


@pytest.fixture(scope="module")
def competitors() -> set[str]:
    profile = WatchProfile.from_yaml(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    return {c.name for c in profile.competitors}


def _label(item: dict[str, Any]) -> str:
    return repr(item.get("text"))


def test_header_says_how_it_was_written_and_never_to_train_on_it() -> None:
    raw, _ = _load()
    header = "\n".join(line for line in raw.splitlines() if line.startswith("#")).casefold()
    assert raw.startswith("#")
    assert "never train" in header
    assert "by hand" in header


def test_every_item_has_the_required_fields_and_allowed_values(
    items: list[dict[str, Any]],
) -> None:
    intents = {i.value for i in Intent}
    for item in items:
        label = _label(item)
        assert isinstance(item, dict), label
        assert set(item) <= ITEM_KEYS, (label, set(item) - ITEM_KEYS)
        assert {"text", "locale", "intent", "lang"} <= set(item), label
        assert isinstance(item["text"], str), label
        assert item["text"].strip() == item["text"] and item["text"], label
        assert LOCALE.match(item["locale"]), label
        assert item["intent"] in intents, label
        assert item["lang"] in LANGS, label
        if "period" in item:
            assert item["period"] in PERIODS, label
        if "follow_up" in item:
            assert isinstance(item["follow_up"], bool), label


def test_dates_go_only_with_period_date_and_are_past_iso_days(
    items: list[dict[str, Any]],
) -> None:
    for item in items:
        label = _label(item)
        assert ("date" in item) == (item.get("period") == "date"), label
        if "date" in item:
            assert isinstance(item["date"], str), label  # quoted, not a YAML date
            day = date.fromisoformat(item["date"])
            assert day.isoformat() == item["date"], label
            assert (ASKED_ON - day).days in range(1, 60), label


def test_topics_belong_to_topic_and_draft_items_and_are_written_in_the_message(
    items: list[dict[str, Any]],
) -> None:
    for item in items:
        label = _label(item)
        if "topic" not in item:
            continue
        assert item["intent"] in {"topic", "draft"}, label
        assert isinstance(item["topic"], str) and item["topic"].strip(), label
        if not item.get("follow_up"):
            assert fold(item["topic"]) in fold(item["text"]), label


def test_competitors_are_profile_names_and_every_named_one_is_expected(
    items: list[dict[str, Any]], competitors: set[str]
) -> None:
    for item in items:
        label = _label(item)
        named = {c for c in competitors if re.search(rf"\b{c}\b", item["text"], re.IGNORECASE)}
        if "competitor" in item:
            assert item["competitor"] in competitors, label
            assert item["competitor"] in named, label
            assert item["intent"] != "unknown", label
        elif item["intent"] != "unknown":
            assert not named, label


def test_post_refs_are_status_ids_linked_in_the_message(items: list[dict[str, Any]]) -> None:
    refs = [item for item in items if "post_ref" in item]
    assert len(refs) >= 8
    for item in refs:
        label = _label(item)
        assert isinstance(item["post_ref"], str) and item["post_ref"].isdigit(), label
        assert item["post_ref"] in item["text"], label
        assert item["intent"] == "should_respond", label


def test_follow_ups_carry_a_well_formed_previous_understanding(
    items: list[dict[str, Any]], competitors: set[str]
) -> None:
    intents = {i.value for i in Intent}
    for item in items:
        label = _label(item)
        if item.get("follow_up"):
            assert "previous" in item, label
        if "previous" not in item:
            continue
        previous = item["previous"]
        assert isinstance(previous, dict), label
        assert set(previous) <= PREVIOUS_KEYS, label
        assert previous["intent"] in intents and previous["intent"] != "unknown", label
        assert previous["lang"] in LANGS, label
        assert previous.get("period", "today") in PERIODS - {"date"}, label
        assert previous.get("competitor", next(iter(competitors))) in competitors, label


def test_no_duplicate_messages(items: list[dict[str, Any]]) -> None:
    counts = Counter(fold(item["text"]) for item in items)
    assert [text for text, n in counts.items() if n > 1] == []


def test_counts_and_mix(items: list[dict[str, Any]]) -> None:
    assert len(items) >= 260
    intents = Counter(item["intent"] for item in items)
    for intent in MAIN_INTENTS:
        assert intents[intent] >= 12, intent
    for intent in SMALL_INTENTS:
        assert intents[intent] >= 8, intent
    assert intents["unknown"] >= 40
    assert set(intents) == {i.value for i in Intent}

    french = sum(item["lang"] == "fr" for item in items) / len(items)
    assert 0.50 <= french <= 0.62, french
    fr_from_en = sum(item["lang"] == "fr" and item["locale"].startswith("en") for item in items)
    en_from_fr = sum(item["lang"] == "en" and item["locale"].startswith("fr") for item in items)
    assert fr_from_en >= 10 and en_from_fr >= 10, (fr_from_en, en_from_fr)

    assert sum(bool(item.get("follow_up")) for item in items) >= 25
    assert sum(item.get("period") in NEW_PERIODS for item in items) >= 20
    assert sum(item.get("period") == "date" for item in items) >= 4
    draft_revisions = [
        item for item in items if item.get("follow_up") and item["previous"]["intent"] == "draft"
    ]
    assert len(draft_revisions) >= 5 and all(i["intent"] == "draft" for i in draft_revisions)


def _training_texts() -> list[Path]:
    paths = [p for p in (ROOT / "content" / "intents").rglob("*") if p.is_file()]
    paths += [ROOT / "tests" / "domain" / "data" / n for n in ("intents.yaml",)]
    return [p for p in paths if p.is_file()]


def test_no_held_out_message_appears_in_the_training_data(items: list[dict[str, Any]]) -> None:
    """Leakage guard: a held-out message of five words or more found verbatim (folded) in the
    classifier's training data makes the evaluation worthless. Short ones ("more", "aide",
    "what can you do") may legitimately be in both."""
    sources = _training_texts()
    if not sources:
        pytest.skip("no training data in this checkout yet (content/intents/)")
    training = fold("\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sources))
    long_texts = [item["text"] for item in items if len(re.findall(r"\w+", item["text"])) >= 5]
    assert len(long_texts) >= 150
    assert [t for t in long_texts if fold(t) in training] == []
