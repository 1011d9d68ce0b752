"""Fixtures for the demo source: a fixed clock, the corpus, its labels, the demo profile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.clients.demo.corpus import (
    DEFAULT_PROFILE_PATH,
    DemoCorpus,
    load_corpus,
    load_labels,
)
from bot.clients.demo.source import DemoSource
from bot.domain.watch import WatchProfile

NOW = datetime(2027, 3, 3, 10, 30, 15, 500_000, tzinfo=UTC)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def source(clock: FixedClock) -> DemoSource:
    return DemoSource(clock)


@pytest.fixture(scope="session")
def corpus() -> DemoCorpus:
    return load_corpus()


@pytest.fixture(scope="session")
def labels() -> dict[str, Any]:
    return load_labels()


@pytest.fixture(scope="session")
def profile() -> WatchProfile:
    return WatchProfile.from_yaml(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
