"""The labelled phrasings that `make train` learns the question classifier from (content/intents).

Data checks only: every file parses, labels and placeholders are the allowed ones, no demo-tenant
name leaks into the training data (it would inflate the evaluation), no phrasing is duplicated,
and each label has enough phrasings in both languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

INTENTS_DIR = Path(__file__).resolve().parents[2] / "content" / "intents"
FILLERS = INTENTS_DIR / "_fillers.yaml"

PLACEHOLDERS = {"company", "competitor", "product", "topic"}
MINIMUM = {
    **dict.fromkeys(
        (
            "pulse",
            "topic",
            "competitors",
            "crisis",
            "trends",
            "show_posts",
            "explain",
            "draft",
            "briefing",
        ),
        60,
    ),
    **dict.fromkeys(("should_respond", "editorial_line", "help", "revise", "follow_up"), 40),
    "out_of_scope": 60,
    "smalltalk": 30,
    "injection": 40,
}
LABELS = set(MINIMUM)
MINIMUM_TOTAL = 1100
# The demo tenant's names are in the evaluation files: none may appear in the training data.
DEMO_NAMES = (
    "velora",
    "rouleo",
    "voltigo",
    "cyclaro",
    "powercell",
    "velora ride",
    "cargo 2",
)


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how two phrasings are judged the same."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def label_files() -> list[Path]:
    return sorted(p for p in INTENTS_DIR.glob("*.yaml") if not p.name.startswith("_"))


def load(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def phrasings(data: dict[str, object], lang: str) -> list[str]:
    items = data.get(lang)
    assert isinstance(items, list), (data.get("label"), lang)
    return items


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, list[str]]]:
    """label -> lang -> phrasings, for all label files."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in label_files():
        data = load(path)
        out[str(data["label"])] = {lang: phrasings(data, lang) for lang in ("fr", "en")}
    return out


def test_one_file_per_label_and_each_parses() -> None:
    files = label_files()
    assert {p.stem for p in files} == LABELS
    for path in files:
        data = load(path)
        assert set(data) == {"label", "description", "fr", "en"}, path
        assert data["label"] == path.stem
        assert isinstance(data["description"], str) and data["description"].strip()
        for lang in ("fr", "en"):
            items = phrasings(data, lang)
            assert items, (path, lang)
            for item in items:
                assert isinstance(item, str) and item.strip() == item and item, (path, item)


def test_placeholders_are_the_four_known_ones(corpus: dict[str, dict[str, list[str]]]) -> None:
    for label, langs in corpus.items():
        for items in langs.values():
            for item in items:
                names = re.findall(r"\{([^{}]*)\}", item)
                assert set(names) <= PLACEHOLDERS, (label, item)
                stripped = re.sub(r"\{[^{}]*\}", "", item)
                assert "{" not in stripped and "}" not in stripped, (label, item)


def test_fillers_cover_every_placeholder_with_invented_values() -> None:
    fillers = yaml.safe_load(FILLERS.read_text(encoding="utf-8"))
    assert set(fillers) == PLACEHOLDERS
    for name in ("company", "competitor", "product"):
        values = fillers[name]
        assert isinstance(values, list) and len(values) >= 3, name
        assert all(isinstance(v, str) and v.strip() for v in values), name
    assert set(fillers["topic"]) == {"fr", "en"}
    for lang in ("fr", "en"):
        assert len(fillers["topic"][lang]) >= 3, lang
    names = [fold(v) for name in ("company", "competitor") for v in fillers[name]]
    assert len(names) == len(set(names)), "a company is also a competitor"
    # Phrasings write "du {product}" and "de {topic}": fillers must read well there.
    assert not [v for v in fillers["product"] if re.match(r"(?i)(the|le|la|les|l')\b", v)]
    assert not [v for v in fillers["topic"]["fr"] if re.match(r"(?i)(le|les)\b", v)]


def test_phrasings_do_not_put_an_article_before_topic(
    corpus: dict[str, dict[str, list[str]]],
) -> None:
    for label, langs in corpus.items():
        for items in langs.values():
            for item in items:
                assert not re.search(r"(?i)\b(the|le|la|les|du|des|au|aux) \{topic\}", item), (
                    label,
                    item,
                )


def test_no_demo_tenant_name_anywhere_in_the_training_data() -> None:
    files = sorted(INTENTS_DIR.iterdir())
    assert files
    for path in files:
        text = fold(path.read_text(encoding="utf-8"))
        for name in DEMO_NAMES:
            assert not re.search(rf"\b{re.escape(name)}\b", text), (path.name, name)


def test_no_duplicate_phrasing_within_or_across_labels(
    corpus: dict[str, dict[str, list[str]]],
) -> None:
    where: dict[str, list[str]] = {}
    for label, langs in corpus.items():
        for items in langs.values():
            for item in items:
                where.setdefault(fold(item), []).append(label)
    duplicates = {text: labels for text, labels in where.items() if len(labels) > 1}
    assert duplicates == {}


def test_minimum_counts_per_label_and_in_all(corpus: dict[str, dict[str, list[str]]]) -> None:
    counts = {label: len(langs["fr"]) + len(langs["en"]) for label, langs in corpus.items()}
    short = {label: n for label, n in counts.items() if n < MINIMUM[label]}
    assert short == {}
    assert sum(counts.values()) >= MINIMUM_TOTAL


def test_french_and_english_are_about_even(corpus: dict[str, dict[str, list[str]]]) -> None:
    per_lang = Counter({lang: 0 for lang in ("fr", "en")})
    for label, langs in corpus.items():
        fr, en = len(langs["fr"]), len(langs["en"])
        assert min(fr, en) >= 0.4 * (fr + en), (label, fr, en)
        per_lang.update({"fr": fr, "en": en})
    assert abs(per_lang["fr"] - per_lang["en"]) <= 0.1 * sum(per_lang.values())


def test_readme_documents_every_label_and_placeholder() -> None:
    readme = (INTENTS_DIR / "README.md").read_text(encoding="utf-8")
    for label in LABELS:
        assert f"`{label}`" in readme, label
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in readme, name
