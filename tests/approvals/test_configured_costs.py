"""The X cost of a published post is counted at the configured prices, against the configured
monthly budget: the approvals' ledger is the app's (bot.composition.build_ledger), not a default
one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.clients.store import LocalDirStore
from bot.composition import build_approval_services, build_core, build_ledger
from bot.config import load_settings
from bot.domain.drafts import DraftState
from tests.approvals.conftest import ALICE, BOB, TENANT, FakeClock, x_source
from tests.support.fake_x import FakeXServer

USER_TOKEN = "fake-user-token-for-test"
TEXT = "Nous recrutons 50 ingénieurs à Lyon — rejoignez-nous !"


def settings_with_prices(fake_x: FakeXServer):  # type: ignore[no-untyped-def]
    return load_settings(
        _env_file=None,
        PULSE_X_PRICES={"post_create": "0.25"},
        X_API_BASE_URL=fake_x.base_url,
        PULSE_X_MONTHLY_BUDGET_USD="7",
        X_POSTING_ENABLED="true",
        X_USER_ACCESS_TOKEN=USER_TOKEN,
        PULSE_ADMINS="aad-erin",
        PULSE_APPROVERS="aad-bob",
    )


async def publish_one(services, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    draft = await services.approvals.submit(TENANT, ALICE, TEXT, "fr", {}, None)
    decided = await services.approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert decided.accepted
    result = await services.publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.PUBLISHED


async def test_the_app_ledger_prices_a_published_post(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    settings = settings_with_prices(fake_x)
    store = LocalDirStore(tmp_path)
    ledger = build_ledger(settings, store, clock)
    assert ledger.monthly_budget == Decimal("7")
    async with x_source(fake_x) as source:
        services = build_approval_services(settings, store, clock, publisher=source, ledger=ledger)
        await publish_one(services, clock)
    month = await ledger.month_totals()
    assert month.billed.posts_created == 1
    assert month.dollars == Decimal("0.25")  # the configured price, not the default


async def test_the_composed_publishing_uses_the_configured_prices(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    """Built by the composition root: one ledger (the listening one), one X client that reads
    and posts with the configured user context."""
    settings = settings_with_prices(fake_x)
    fake_x.user_token = USER_TOKEN  # the OAuth 2.0 user token the settings name
    core = build_core(settings, store=LocalDirStore(tmp_path), clock=clock)
    try:
        await publish_one(core.approvals, clock)
        month = await core.answering.ledger.month_totals()
    finally:
        await core.close()
    assert month.billed.posts_created == 1
    assert month.dollars == Decimal("0.25")
    assert len(fake_x.created) == 1
