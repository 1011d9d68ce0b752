"""Cost meter (pure) and the X cost ledger on the real LocalDirStore."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clients.store.local import LocalDirStore
from bot.domain.costs import CostLine, PriceTable, Usage, format_dollars
from bot.ports.posts import BudgetExceeded
from bot.services.costs import CostLedger
from tests.x.conftest import FakeClock


def test_price_table_defaults_and_overrides() -> None:
    p = PriceTable()
    assert (p.post_read, p.user_read, p.counts_request, p.post_create, p.post_create_with_url) == (
        Decimal("0.005"),
        Decimal("0.010"),
        Decimal("0.005"),
        Decimal("0.015"),
        Decimal("0.20"),
    )
    assert PriceTable.from_mapping({"post_read": 0.004}).post_read == Decimal("0.004")
    with pytest.raises(ValueError, match="unknown"):
        PriceTable.from_mapping({"post_reads": 1})
    with pytest.raises(ValueError):
        PriceTable.from_mapping({"post_read": -1})


def test_usage_dollars() -> None:
    u = Usage(
        posts_read=100, users_read=10, counts_requests=2, posts_created=1, posts_created_with_url=1
    )
    assert u.dollars(PriceTable()) == Decimal("0.5") + Decimal("0.1") + Decimal("0.01") + Decimal(
        "0.015"
    ) + Decimal("0.2")
    assert Usage.from_json(u.to_json()) == u
    assert u + Usage(posts_read=1) == Usage(101, 10, 2, 1, 1)


def test_cost_line_renders() -> None:
    line = CostLine.of(Usage(posts_read=100), Usage(posts_read=100), PriceTable())
    assert line.render() == "100 posts read, ≈ $0.50"
    assert line.render("fr") == "100 posts lus, ≈ 0,50 $"
    full = CostLine.of(
        Usage(posts_read=1, users_read=2, counts_requests=1),
        Usage(posts_read=1, users_read=2, counts_requests=1),
        PriceTable(),
    )
    assert full.render() == "1 post read, 2 users read, 1 counts request, ≈ $0.03"
    assert CostLine().render() == "no new X reads, nothing billed"
    assert CostLine(posts_billed=0).render("fr") == "aucune nouvelle lecture X, rien de facturé"
    repeat = CostLine.of(Usage(posts_read=5), Usage(), PriceTable())
    assert repeat.render() == (
        "5 posts read (5 already read today, not billed again), nothing billed"
    )
    # Some posts new, some read again, a counts request: the dollars are what is billed.
    mixed = CostLine.of(
        Usage(posts_read=100, counts_requests=1),
        Usage(posts_read=40, counts_requests=1),
        PriceTable(),
    )
    assert mixed.render() == (
        "100 posts read (60 already read today, not billed again), 1 counts request, ≈ $0.21"
    )
    assert mixed.render("fr") == (
        "100 posts lus (60 déjà lus aujourd'hui, non refacturés), 1 requête de volume, ≈ 0,21 $"
    )
    assert format_dollars(Decimal("0.005")) == "$0.01"
    assert format_dollars(Decimal("0.002")) == "$0.002"  # never "$0.00" for a real cost
    assert format_dollars(Decimal("1234.5"), "fr") == "1\u202f234,50 $"
    assert (line + full).posts_read == 101


@pytest.fixture
def store(tmp_path: Path) -> LocalDirStore:
    return LocalDirStore(tmp_path / "store")


async def test_same_post_is_billed_once_per_utc_day(store: LocalDirStore) -> None:
    clock = FakeClock(datetime(2026, 11, 28, 10, tzinfo=UTC))
    ledger = CostLedger(store, clock)
    first = await ledger.record(post_ids=["1", "2", "3"], user_ids=["u1"], counts_requests=1)
    assert first.posts_read == 3 and first.posts_billed == 3
    assert first.dollars == Decimal("0.015") + Decimal("0.010") + Decimal("0.005")
    again = await ledger.record(post_ids=["2", "3", "4", "4"], user_ids=["u1"])
    assert again.posts_read == 3 and again.posts_billed == 1  # "4" twice in one call: one read
    assert again.dollars == Decimal("0.005")
    clock.advance(timedelta(days=1))  # a new UTC day: billed again
    next_day = await ledger.record(post_ids=["1"])
    assert next_day.posts_billed == 1
    day1 = await ledger.day_totals("2026-11-28")
    assert day1.billed.posts_read == 4 and day1.read is not None and day1.read.posts_read == 6
    month = await ledger.month_totals("2026-11")
    assert month.billed == Usage(posts_read=5, users_read=1, counts_requests=1)
    assert month.dollars == Decimal("0.040")


async def test_concurrent_records_are_all_counted(store: LocalDirStore) -> None:
    ledger = CostLedger(store, FakeClock())
    await asyncio.gather(*(ledger.record(post_ids=[str(i)], counts_requests=1) for i in range(12)))
    month = await ledger.month_totals()
    assert month.billed.posts_read == 12 and month.billed.counts_requests == 12
    assert month.dollars == Decimal("0.120")


async def test_monthly_cap_stops_reads_before_they_happen(store: LocalDirStore) -> None:
    ledger = CostLedger(store, FakeClock(), monthly_budget_usd=1.00)
    await ledger.ensure_budget(Usage(posts_read=100, users_read=50))  # $1.00: just fits
    await ledger.record(post_ids=[str(i) for i in range(100)])  # $0.50 spent
    await ledger.ensure_budget(Usage(posts_read=100))
    with pytest.raises(BudgetExceeded, match=r"monthly X budget of \$1\.00.*\$0\.50 spent"):
        await ledger.ensure_budget(Usage(posts_read=100, users_read=1))


async def test_no_cap_means_no_check(store: LocalDirStore) -> None:
    await CostLedger(store, FakeClock()).ensure_budget(Usage(posts_read=10**9))


async def test_id_memory_is_capped_and_over_estimates(store: LocalDirStore) -> None:
    ledger = CostLedger(store, FakeClock(), max_ids_per_day=2)
    await ledger.record(post_ids=["1", "2", "3"])
    again = await ledger.record(post_ids=["1", "3"])
    assert again.posts_billed == 1  # "3" was not remembered: billed again (never under)
