"""What talking to X costs: a price table, usage counts, and the per-answer cost line (pure).

X pay-per-use (checked Nov 2026): a post read about $0.005, a user read $0.010, a counts request
$0.005, creating a post $0.015, or $0.20 when it contains a URL. Repeated reads of the same post
within a UTC day are not charged twice: the ledger (bot/services/costs.py) dedupes ids per day,
so `Usage` here counts what is billed, and `CostLine` shows both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class PriceTable:
    """US dollars per unit. Configurable: X changes its prices."""

    post_read: Decimal = Decimal("0.005")
    user_read: Decimal = Decimal("0.010")
    counts_request: Decimal = Decimal("0.005")
    post_create: Decimal = Decimal("0.015")
    post_create_with_url: Decimal = Decimal("0.20")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PriceTable:
        """From settings: unknown keys are refused, missing ones keep their default."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown price(s): {', '.join(sorted(unknown))}")
        prices = {k: _d(v) for k, v in values.items()}
        if any(p < 0 for p in prices.values()):
            raise ValueError("prices cannot be negative")
        return cls(**prices)


@dataclass(frozen=True, slots=True)
class Usage:
    """Billable units."""

    posts_read: int = 0
    users_read: int = 0
    counts_requests: int = 0
    posts_created: int = 0
    posts_created_with_url: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Usage)))

    def dollars(self, prices: PriceTable) -> Decimal:
        return (
            self.posts_read * prices.post_read
            + self.users_read * prices.user_read
            + self.counts_requests * prices.counts_request
            + self.posts_created * prices.post_create
            + self.posts_created_with_url * prices.post_create_with_url
        )

    def to_json(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(Usage)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        return cls(**{f.name: int(data.get(f.name, 0) or 0) for f in fields(Usage)})


_WORDS = {
    "en": {
        "post": ("post read", "posts read"),
        "user": ("user read", "users read"),
        "counts": ("counts request", "counts requests"),
        "created": ("post created", "posts created"),
        "none": "no new X reads",
        "repeat": "{n} already read today, not billed again",
        "nothing_billed": "nothing billed",
    },
    "fr": {
        "post": ("post lu", "posts lus"),
        "user": ("compte lu", "comptes lus"),
        "counts": ("requête de volume", "requêtes de volume"),
        "created": ("post publié", "posts publiés"),
        "none": "aucune nouvelle lecture X",
        "repeat": "{n} déjà lus aujourd'hui, non refacturés",
        "nothing_billed": "rien de facturé",
    },
}


@dataclass(frozen=True, slots=True)
class CostLine:
    """What one answer cost on X: units read (as returned by X) and dollars billed.

    `posts_read` counts posts X returned; `posts_billed` those charged (a post read again
    within the same UTC day is free)."""

    posts_read: int = 0
    users_read: int = 0
    counts_requests: int = 0
    posts_created: int = 0
    dollars: Decimal = Decimal(0)
    posts_billed: int | None = None

    @classmethod
    def of(cls, read: Usage, billed: Usage, prices: PriceTable) -> CostLine:
        return cls(
            posts_read=read.posts_read,
            users_read=read.users_read,
            counts_requests=read.counts_requests,
            posts_created=read.posts_created + read.posts_created_with_url,
            dollars=billed.dollars(prices),
            posts_billed=billed.posts_read,
        )

    def __add__(self, other: CostLine) -> CostLine:
        billed = None
        if self.posts_billed is not None or other.posts_billed is not None:
            billed = (self.posts_billed or 0) + (other.posts_billed or 0)
        return CostLine(
            posts_read=self.posts_read + other.posts_read,
            users_read=self.users_read + other.users_read,
            counts_requests=self.counts_requests + other.counts_requests,
            posts_created=self.posts_created + other.posts_created,
            dollars=self.dollars + other.dollars,
            posts_billed=billed,
        )

    def render(self, lang: str = "en") -> str:
        """ "100 posts read, ≈ $0.50" — or "100 posts lus, ≈ 0,50 $". One wording everywhere
        (cards, briefings, `make chat`): what X returned, how many of those posts were read
        again today (not billed again), and the dollars actually billed — "nothing billed"
        when nothing was."""
        words = _WORDS.get(lang, _WORDS["en"])
        sep = "\u202f" if lang == "fr" else ","
        parts = []
        for key, n in (
            ("post", self.posts_read),
            ("user", self.users_read),
            ("counts", self.counts_requests),
            ("created", self.posts_created),
        ):
            if n:
                singular, plural = words[key]
                count = f"{n:,}".replace(",", sep)
                parts.append(f"{count} {singular if n == 1 else plural}")
        if not parts:
            parts.append(str(words["none"]))
        if self.posts_billed is not None and self.posts_read > self.posts_billed:
            again = f"{self.posts_read - self.posts_billed:,}".replace(",", sep)
            parts[0] += f" ({str(words['repeat']).format(n=again)})"
        if self.dollars == 0:
            return f"{', '.join(parts)}, {words['nothing_billed']}"
        return f"{', '.join(parts)}, ≈ {format_dollars(self.dollars, lang)}"


def format_dollars(amount: Decimal, lang: str = "en") -> str:
    rounded = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if rounded == 0 and amount > 0:
        rounded = amount.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    if lang == "fr":
        return f"{rounded:,}".replace(",", "\u202f").replace(".", ",") + " $"
    return f"${rounded:,}"
