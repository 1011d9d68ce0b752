"""The approval service on both store backends (local directory and Azurite)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

from bot.domain.drafts import DraftState, Person
from bot.ports.store import Store
from bot.services.approvals import Outcome, audit_log
from tests.approvals.conftest import ALICE, BOB, CAROL, DAVE, TENANT, FakeClock, make_services


async def test_submit_and_approve_with_audit(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    draft = await approvals.submit(
        TENANT, ALICE, "Proud of our team.", "en", {"source": "test"}, None
    )
    assert draft.state is DraftState.PENDING and draft.version == 1
    assert "findings" in draft.current.report
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.accepted and result.draft is not None
    assert result.draft.state is DraftState.APPROVED
    log = await store.read_log(audit_log(TENANT))
    assert [r["action"] for r in log] == ["created", "submitted", "approved"]


async def test_concurrent_clicks_have_exactly_one_winner(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    draft = await approvals.submit(TENANT, ALICE, "Race me.", "en", {}, None)
    results = await asyncio.gather(
        approvals.decide(TENANT, draft.id, 1, BOB, "approve"),
        approvals.decide(TENANT, draft.id, 1, CAROL, "reject", reason="no"),
    )
    winners = [r for r in results if r.accepted]
    losers = [r for r in results if not r.accepted]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].outcome is Outcome.ALREADY_DECIDED
    assert losers[0].previous is not None
    assert losers[0].previous.actor == winners[0].event.actor  # type: ignore[union-attr]
    log = await store.read_log(audit_log(TENANT))
    clicks = [r for r in log if r["action"] in ("approve", "reject", "approved", "rejected")]
    assert len(clicks) == 2  # the accepted one and the refused one
    assert sum(1 for r in clicks if not r["accepted"]) == 1


async def test_refusals_are_audited(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    draft = await approvals.submit(TENANT, ALICE, "Hello.", "en", {}, None)
    assert (
        await approvals.decide(TENANT, draft.id, 1, DAVE, "approve")
    ).outcome is Outcome.NOT_ALLOWED
    assert (
        await approvals.decide(TENANT, draft.id, 1, ALICE, "approve")
    ).outcome is Outcome.NOT_ALLOWED
    assert (
        await approvals.decide("other-tenant", draft.id, 1, BOB, "approve")
    ).outcome is Outcome.NOT_FOUND
    assert (await approvals.decide(TENANT, draft.id, 1, BOB, "reject")).outcome is Outcome.INVALID
    assert (await approvals.decide(TENANT, draft.id, 1, BOB, "launch")).outcome is Outcome.INVALID
    refused = [r for r in await store.read_log(audit_log(TENANT)) if not r["accepted"]]
    assert [r["reason"] for r in refused] == [
        "not_allowed",
        "not_allowed",
        "invalid",
        "invalid",
    ]
    assert len(await store.read_log(audit_log("other-tenant"))) == 1


async def test_self_approval_by_an_approver_author(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    draft = await approvals.submit(TENANT, BOB, "Written by comms.", "en", {}, None)
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.outcome is Outcome.SELF_APPROVAL
    allowing, _ = make_services(store, clock, allow_self_approval=True)
    assert (await allowing.decide(TENANT, draft.id, 1, BOB, "approve")).accepted


async def test_edit_creates_a_checked_new_version_and_stale_clicks_say_so(
    store: Store, clock: FakeClock
) -> None:
    approvals, _ = make_services(store, clock)
    draft = await approvals.submit(TENANT, ALICE, "First.", "en", {}, None)
    edit = await approvals.decide(TENANT, draft.id, 1, CAROL, "edit", new_text="Second, better.")
    assert edit.accepted and edit.draft is not None and edit.draft.version == 2
    assert edit.report is not None
    stale = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert stale.outcome is Outcome.ALREADY_DECIDED
    assert stale.previous is not None and stale.previous.action == "edited"
    assert stale.previous.actor.id == CAROL.id
    # The requester may edit their own draft too.
    mine = await approvals.decide(TENANT, draft.id, 2, ALICE, "edit", new_text="Third.")
    assert mine.accepted and mine.draft is not None and mine.draft.version == 3


async def test_edit_racing_an_approval(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    for _ in range(5):
        draft = await approvals.submit(TENANT, ALICE, "Original text.", "en", {}, None)
        approve, edit = await asyncio.gather(
            approvals.decide(TENANT, draft.id, 1, BOB, "approve"),
            approvals.decide(TENANT, draft.id, 1, CAROL, "edit", new_text="Changed text."),
        )
        final = await approvals.get(TENANT, draft.id)
        assert final is not None
        if final.version == 1:  # the approval won, the edit came later or lost
            assert final.state is DraftState.APPROVED
        else:  # an approval never carries over to a new version
            assert final.state is DraftState.PENDING and final.version == 2
            assert final.approved_by() == set()
        assert approve.accepted or edit.accepted


async def test_expiry(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock, max_age=timedelta(hours=2))
    old = await approvals.submit(TENANT, ALICE, "Old news.", "en", {}, None)
    clock.advance(timedelta(hours=3))
    result = await approvals.decide(TENANT, old.id, 1, BOB, "approve")
    assert result.outcome is Outcome.EXPIRED
    assert result.draft is not None and result.draft.state is DraftState.EXPIRED
    late = await approvals.submit(
        TENANT,
        ALICE,
        "Scheduled.",
        "en",
        {},
        None,
        scheduled_at=clock.now() + timedelta(minutes=30),
    )
    clock.advance(timedelta(minutes=31))
    expired = await approvals.expire_due(TENANT)
    assert [d.id for d in expired] == [late.id]


async def test_history_and_csv_export(store: Store, clock: FakeClock) -> None:
    approvals, _ = make_services(store, clock)
    a = await approvals.submit(TENANT, ALICE, "One.", "en", {}, None)
    b = await approvals.submit(TENANT, Person("aad-alice", "Alice"), "Two.", "en", {}, None)
    await approvals.decide(TENANT, a.id, 1, BOB, "approve")
    await approvals.decide(TENANT, b.id, 1, CAROL, "reject", reason='=HYPERLINK("evil")')
    history = await approvals.history(TENANT)
    assert [(e.action, e.draft_id) for e in history] == [("rejected", b.id), ("approved", a.id)]
    rows = list(csv.reader(io.StringIO(await approvals.export_audit_csv(TENANT))))
    assert rows[0][:4] == ["at", "draft_id", "version", "action"]
    assert len(rows) == 1 + 6
    assert any(r[-1] == '\'=HYPERLINK("evil")' for r in rows)  # no formula injection
