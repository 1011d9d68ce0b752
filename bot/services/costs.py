"""The X cost ledger: totals per UTC day and per month in the Store, and the monthly cap.

Keys (records of kind `x-cost-day` / `x-cost-month`, schema 1)::

    costs/x/days/<YYYY-MM-DD>   usage read, usage billed, dollars, ids already billed that day
    costs/x/months/<YYYY-MM>    usage billed, dollars

Every increment is a compare-and-set (`cas_update`), so several bot instances can record at once.

X does not charge twice for the same post read within a UTC day. The day record keeps the ids of
the posts (and users) billed that day and bills only new ones. To keep the record small, at most
`max_ids_per_day` ids of each kind are remembered; beyond that every read is counted as new — an
over-estimate, never an under-estimate. The month total is updated after the day record: a crash
between the two writes under-counts the month by that one answer (accepted; the day records hold
the truth and can be summed again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.clients.store.records import cas_update, make_record, parse_record
from bot.domain.costs import CostLine, PriceTable, Usage, format_dollars
from bot.ports.clock import Clock
from bot.ports.posts import BudgetExceeded
from bot.ports.store import JSON, Store

log = logging.getLogger(__name__)

DAY_KIND = "x-cost-day"
MONTH_KIND = "x-cost-month"
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Totals:
    period: str  # "2026-11-28" or "2026-11"
    billed: Usage
    dollars: Decimal
    read: Usage | None = None  # days only: what X returned, repeats included


class CostLedger:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        prices: PriceTable | None = None,
        monthly_budget_usd: Decimal | float | None = None,
        max_ids_per_day: int = 50_000,
    ) -> None:
        self._store = store
        self._clock = clock
        self.prices = prices or PriceTable()
        self.monthly_budget = (
            Decimal(str(monthly_budget_usd)) if monthly_budget_usd is not None else None
        )
        self._max_ids = max_ids_per_day

    # -- keys ---------------------------------------------------------------------------------

    @staticmethod
    def day_key(day: str) -> str:
        return f"costs/x/days/{day}"

    @staticmethod
    def month_key(month: str) -> str:
        return f"costs/x/months/{month}"

    def _periods(self, when: datetime | None = None) -> tuple[str, str]:
        now = (when or self._clock.now()).astimezone(UTC)
        return now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")

    # -- budget -------------------------------------------------------------------------------

    async def ensure_budget(self, upcoming: Usage) -> None:
        """Raise `BudgetExceeded` if `upcoming` (at most this much) could pass the monthly cap."""
        if self.monthly_budget is None:
            return
        month = await self.month_totals()
        worst = upcoming.dollars(self.prices)
        if month.dollars + worst > self.monthly_budget:
            raise BudgetExceeded(
                f"The monthly X budget of {format_dollars(self.monthly_budget)} is reached: "
                f"{format_dollars(month.dollars)} spent in {month.period}, and this read could "
                f"cost up to {format_dollars(worst)}. X reads are stopped until next month, "
                "or until an admin raises the budget (PULSE_X_MONTHLY_BUDGET_USD)."
            )

    # -- recording ----------------------------------------------------------------------------

    async def record(
        self,
        *,
        post_ids: Iterable[str] = (),
        user_ids: Iterable[str] = (),
        counts_requests: int = 0,
        posts_created: int = 0,
        posts_created_with_url: int = 0,
    ) -> CostLine:
        """Add what X returned to today's and this month's totals; return this call's line.
        A post (or user) X returned twice in one call (in the most engaging and the most
        recent pages) is one post read: the line never says "already read today" of a post
        read once, and its count is the sample the answer shows."""
        posts = list(dict.fromkeys(post_ids))
        users = list(dict.fromkeys(user_ids))
        read = Usage(
            posts_read=len(posts),
            users_read=len(users),
            counts_requests=counts_requests,
            posts_created=posts_created,
            posts_created_with_url=posts_created_with_url,
        )
        if read == Usage():
            return CostLine.of(read, read, self.prices)
        day, month = self._periods()
        billed_box: list[Usage] = []

        def bump_day(current: JSON | None) -> JSON:
            data = _data(current, DAY_KIND)
            seen_posts = set(data.get("post_ids", []))
            seen_users = set(data.get("user_ids", []))
            new_posts = _new(posts, seen_posts)
            new_users = _new(users, seen_users)
            billed = Usage(
                posts_read=len(new_posts),
                users_read=len(new_users),
                counts_requests=counts_requests,
                posts_created=posts_created,
                posts_created_with_url=posts_created_with_url,
            )
            billed_box[:] = [billed]
            data["post_ids"] = _remember(data.get("post_ids", []), new_posts, self._max_ids)
            data["user_ids"] = _remember(data.get("user_ids", []), new_users, self._max_ids)
            data["read"] = (Usage.from_json(data.get("read", {})) + read).to_json()
            data["billed"] = (Usage.from_json(data.get("billed", {})) + billed).to_json()
            data["dollars"] = str(Decimal(data.get("dollars", "0")) + billed.dollars(self.prices))
            return make_record(DAY_KIND, SCHEMA, data, now=self._clock.now())

        await cas_update(self._store, self.day_key(day), bump_day)
        billed = billed_box[0]

        def bump_month(current: JSON | None) -> JSON:
            data = _data(current, MONTH_KIND)
            data["billed"] = (Usage.from_json(data.get("billed", {})) + billed).to_json()
            data["dollars"] = str(Decimal(data.get("dollars", "0")) + billed.dollars(self.prices))
            return make_record(MONTH_KIND, SCHEMA, data, now=self._clock.now())

        await cas_update(self._store, self.month_key(month), bump_month)
        line = CostLine.of(read, billed, self.prices)
        log.info("X cost: %s", line.render())
        return line

    # -- reading ------------------------------------------------------------------------------

    async def day_totals(self, day: str | None = None) -> Totals:
        day = day or self._periods()[0]
        data = await self._read(self.day_key(day), DAY_KIND)
        return Totals(
            period=day,
            billed=Usage.from_json(data.get("billed", {})),
            dollars=Decimal(data.get("dollars", "0")),
            read=Usage.from_json(data.get("read", {})),
        )

    async def month_totals(self, month: str | None = None) -> Totals:
        month = month or self._periods()[1]
        data = await self._read(self.month_key(month), MONTH_KIND)
        return Totals(
            period=month,
            billed=Usage.from_json(data.get("billed", {})),
            dollars=Decimal(data.get("dollars", "0")),
        )

    async def _read(self, key: str, kind: str) -> dict[str, Any]:
        found = await self._store.read(key)
        return _data(None if found is None else found.value, kind)


def _data(current: JSON | None, kind: str) -> dict[str, Any]:
    if current is None:
        return {}
    return dict(parse_record(current, kind=kind, schema=SCHEMA).data)


def _new(ids: list[str], seen: set[str]) -> list[str]:
    """Ids not billed yet today (each once, even if repeated within this call)."""
    out: list[str] = []
    local: set[str] = set()
    for i in ids:
        if i not in seen and i not in local:
            local.add(i)
            out.append(i)
    return out


def _remember(known: list[str], new: list[str], cap: int) -> list[str]:
    room = max(0, cap - len(known))
    return [*known, *new[:room]]
