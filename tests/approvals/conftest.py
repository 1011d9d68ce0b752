"""Fixtures of the approval tests: a settable clock, both store backends, a fake X server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.clients.store import BlobStore, LocalDirStore
from bot.clients.x import OAuth1UserAuth, XSource
from bot.domain.defaults import default_editorial_line
from bot.domain.drafts import Person
from bot.ports.store import Store
from bot.services.approvals import ApprovalService, DraftEvents
from bot.services.publishing import PublishingService
from bot.services.roles import RoleService
from tests.support.azurite import Azurite, azurite_blob
from tests.support.fake_x import TEST_BEARER_TOKEN, FakeXServer
from tests.teams.conftest import connector, demo, issuer, make_pulse

__all__ = ["azurite_blob", "connector", "demo", "issuer", "make_pulse"]

TENANT = "tenant-contoso"
ALICE = Person("aad-alice", "Alice")  # executive, requester
BOB = Person("aad-bob", "Bob")  # comms approver
CAROL = Person("aad-carol", "Carol")  # comms approver
DAVE = Person("aad-dave", "Dave")  # nobody
ADMIN = Person("aad-erin", "Erin")  # admin
CONSUMER_KEY = "consumer-key-abcdef"
OAUTH1 = OAuth1UserAuth(
    consumer_key=SecretStr(CONSUMER_KEY),
    consumer_secret=SecretStr("consumer-secret-ghijkl"),
    access_token=SecretStr("1000-access-token-mnopqr"),
    access_token_secret=SecretStr("access-secret-stuvwx"),
)
BACKENDS = ["local", pytest.param("blob", marks=pytest.mark.azurite)]


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime.now(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def make_roles(**overrides: object) -> RoleService:
    options: dict[str, object] = {
        "admins": "aad-erin",
        "approvers": "aad-bob,aad-carol",
        "executives": "aad-alice",
    }
    options.update(overrides)
    return RoleService(**options)  # type: ignore[arg-type]


def make_services(
    store: Store,
    clock: FakeClock,
    *,
    publisher: XSource | None = None,
    enabled: bool = False,
    roles: RoleService | None = None,
    **approval_options: object,
) -> tuple[ApprovalService, PublishingService]:
    events = DraftEvents()
    approvals = ApprovalService(
        store,
        clock,
        roles or make_roles(),
        line=default_editorial_line(),
        events=events,
        **approval_options,  # type: ignore[arg-type]
    )
    publishing = PublishingService(
        approvals.repo,
        clock,
        publisher=publisher,
        enabled=enabled,
        timeout_s=3.0,
        events=events,
    )
    return approvals, publishing


def blob_store(azurite: Azurite, container: str | None = None) -> BlobStore:
    return BlobStore(
        container=container or f"t{uuid.uuid4().hex[:24]}",
        connection_string=azurite.connection_string,
        timeout_s=20.0,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "local":
        s: Store = LocalDirStore(tmp_path / "data", timeout_s=20.0)
    else:
        s = blob_store(request.getfixturevalue("azurite_blob"))
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeXServer]:
    async with FakeXServer(consumer_key=CONSUMER_KEY) as server:
        yield server


def x_source(fake_x: FakeXServer, timeout_s: float = 2.0) -> XSource:
    return XSource(
        SecretStr(TEST_BEARER_TOKEN),
        user_auth=OAUTH1,
        base_url=fake_x.base_url,
        retry_backoff_s=0.05,
        timeout_s=timeout_s,
        account_id=fake_x.me.id,
        account_handle=fake_x.me.username,
    )
