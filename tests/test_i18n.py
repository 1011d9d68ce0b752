"""Message catalogues: every key exists in both languages, placeholders agree."""

from __future__ import annotations

import re
from typing import Any

from bot.i18n import catalogue, language_of, t


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): node}


def test_french_and_english_catalogues_have_the_same_keys_and_placeholders() -> None:
    fr, en = _flatten(catalogue("fr")), _flatten(catalogue("en"))
    assert fr.keys() == en.keys()
    for key in fr:
        if isinstance(fr[key], str):
            assert set(re.findall(r"{(\w+)}", fr[key])) == set(re.findall(r"{(\w+)}", en[key])), key
        else:
            assert type(fr[key]) is type(en[key]), key


def test_locale_selection() -> None:
    assert language_of("fr-FR") == "fr"
    assert language_of("fr_CA") == "fr"
    assert language_of("en-GB") == "en"
    assert language_of("de-DE") == "en"
    assert language_of(None) == "en"
    assert t("fr-BE", "cancelled") == "C'est fait, j'ai arrêté."
