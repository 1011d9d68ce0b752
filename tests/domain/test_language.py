"""Language identification: made-up sentences, plus accuracy on the shared data if present."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.language import detect_language, detect_language_tokens
from bot.domain.text import normalise, tokenize

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le service client ne répond jamais, c'est vraiment pénible", "fr"),
        ("Merci à toute l'équipe pour cette belle journée !", "fr"),
        ("Je pense que leur nouvelle appli est très réussie", "fr"),
        ("The new update is great and the battery lasts longer", "en"),
        ("I can't believe they raised the prices again", "en"),
        ("What do you think about their results today?", "en"),
        ("El servicio es muy malo y no me gusta nada", "other"),
        ("Der Kundendienst ist nicht gut und das ist schade", "other"),
        ("これは素晴らしい製品です", "other"),
        ("Это очень хороший продукт", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_tokens_entry_point_matches() -> None:
    text = normalise("C'est une super nouvelle pour @Acme !")
    assert detect_language_tokens(tokenize(text, punct=True)) == detect_language(text) == "fr"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_accuracy_on_shared_data() -> None:
    from scripts.eval_sentiment import language_accuracy

    acc = language_accuracy(DATA)
    assert acc["lang_accuracy_en"] >= 0.97
    assert acc["lang_accuracy_fr"] >= 0.95
