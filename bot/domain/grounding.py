"""Figures a text may state: those found in the data it was written from. Pure.

`unsupported_numbers(text, allowed_numbers(values))` lists the numbers in `text` that are
neither small counts, years, nor one of the values (or their percentage or rounding): a model
that writes them invented them. Used on every model text, answers and drafts alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["allowed_numbers", "no_posts_found", "numbers_in", "unsupported_numbers"]

_NUMBER_RE: Final = re.compile(r"\d+(?:[ \u00a0\u202f.,]\d+)*")
_ALWAYS_ALLOWED_NUMBERS: Final = frozenset({*range(0, 11), 12, 24, 30, 48, 72, 100})


def _parse_number(raw: str) -> float | None:
    digits = re.sub(r"[ \u00a0\u202f]", "", raw)
    if "," in digits and "." in digits:
        thousands = "," if digits.index(",") < digits.index(".") else "."
        digits = digits.replace(thousands, "").replace(",", ".")
    elif "," in digits or "." in digits:
        sep = "," if "," in digits else "."
        groups = digits.split(sep)
        if len(groups) > 2 or (len(groups) == 2 and len(groups[1]) == 3 and groups[0] != "0"):
            digits = "".join(groups)  # thousands separators: 12,500 or 1.234.567
        else:
            digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def numbers_in(text: str) -> list[float]:
    return [n for n in (_parse_number(m) for m in _NUMBER_RE.findall(text)) if n is not None]


def allowed_numbers(values: Iterable[object]) -> frozenset[float]:
    """Every number the model may write: the values, their percentages and roundings."""
    found: set[float] = set()
    for value in values:
        if isinstance(value, bool):
            continue
        numbers = [float(value)] if isinstance(value, int | float) else numbers_in(str(value))
        for n in numbers:
            found.update({n, round(n), round(n, 1)})
            if 0 < abs(n) <= 1:
                found.update({round(n * 100), round(n * 100, 1)})
            if abs(n) >= 1000:
                found.update({round(n / 1000), round(n / 1000, 1)})  # 12 500 → "12,5k"
            if abs(n) >= 1_000_000:
                found.update({round(n / 1e6), round(n / 1e6, 1)})
    return frozenset(found)


def unsupported_numbers(text: str, allowed: frozenset[float]) -> list[float]:
    """Numbers in `text` that are neither small counts, years, nor found in `allowed`."""
    bad = []
    for n in numbers_in(text):
        if n in _ALWAYS_ALLOWED_NUMBERS or (n.is_integer() and 2000 <= n <= 2100):
            continue
        if n in allowed or round(n, 1) in allowed:
            continue
        bad.append(n)
    return bad


def no_posts_found(figures: dict[str, str | int | float]) -> bool:
    """Nothing read and nothing counted: the honest answer is "no posts about X". Not when the
    counts could not be read (the alert level is then "unknown"): that is missing data, not an
    empty subject; nor when posts were read or counted."""
    total = figures.get("total_mentions", figures.get("today_mentions"))
    if figures.get("sample_size") != 0 or figures.get("crisis_level") == "unknown":
        return False
    return total in (0, None)
