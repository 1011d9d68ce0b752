"""User-facing text, one message catalogue per language (`bot/locales/<lang>.json`).

French is first-class: a Teams locale such as `fr-FR` or `fr-CA` selects French; anything else
that we do not have falls back to English.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED = ("fr", "en")
DEFAULT_LANG = "en"


def language_of(locale: str | None) -> str:
    """`fr-FR` → `fr`; unknown or missing → English."""
    if not locale:
        return DEFAULT_LANG
    lang = locale.replace("_", "-").split("-")[0].lower()
    return lang if lang in SUPPORTED else DEFAULT_LANG


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """`<lang>.json` plus every `<lang>.<area>.json` beside it (one file per feature area)."""
    data: dict[str, Any] = {}
    files = [LOCALES_DIR / f"{lang}.json", *sorted(LOCALES_DIR.glob(f"{lang}.*.json"))]
    for path in files:
        with path.open(encoding="utf-8") as fh:
            part: dict[str, Any] = json.load(fh)
        overlap = data.keys() & part.keys()
        if overlap:
            raise ValueError(f"{path.name} redefines {sorted(overlap)}")
        data.update(part)
    return data


def _lookup(lang: str, key: str) -> Any:
    node: Any = catalogue(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"missing message {key!r} in {lang}")
        node = node[part]
    return node


def t(lang: str, key: str, **params: Any) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled."""
    value = _lookup(language_of(lang), key)
    if not isinstance(value, str):
        raise KeyError(f"message {key!r} is not a string")
    return value.format(**params) if params else value


def t_list(lang: str, key: str) -> list[str]:
    value = _lookup(language_of(lang), key)
    if not isinstance(value, list):
        raise KeyError(f"message {key!r} is not a list")
    return [str(v) for v in value]
