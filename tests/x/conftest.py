"""Fixtures: a fake X API v2 server on 127.0.0.1 and the real tweepy-based XSource aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.clients.x import OAuth1UserAuth, XSource
from bot.ports.posts import Window
from tests.support.fake_x import TEST_BEARER_TOKEN, FakeXServer

CONSUMER_KEY = "consumer-key-abcdef"
OAUTH1 = OAuth1UserAuth(
    consumer_key=SecretStr(CONSUMER_KEY),
    consumer_secret=SecretStr("consumer-secret-ghijkl"),
    access_token=SecretStr("1000-access-token-mnopqr"),
    access_token_secret=SecretStr("access-secret-stuvwx"),
)


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeXServer]:
    async with FakeXServer(consumer_key=CONSUMER_KEY) as server:
        yield server


@pytest.fixture
async def source(fake_x: FakeXServer) -> AsyncIterator[XSource]:
    async with XSource(
        SecretStr(TEST_BEARER_TOKEN),
        user_auth=OAUTH1,
        base_url=fake_x.base_url,
        retry_backoff_s=0.05,
        timeout_s=5.0,
    ) as src:
        yield src


def last_hours(hours: float = 24) -> Window:
    now = datetime.now(UTC)
    return Window(now - timedelta(hours=hours), now)


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta
