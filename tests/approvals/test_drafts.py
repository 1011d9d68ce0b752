"""The draft state machine: every transition, illegal ones, expiry, versions, policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import drafts as dm
from bot.domain.drafts import ApprovalPolicy, DraftState, Person, PolicyMode

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ALICE = Person("aad-alice", "Alice")
BOB = Person("aad-bob", "Bob")
CAROL = Person("aad-carol", "Carol")


def pending(policy: ApprovalPolicy | None = None, **kw: object) -> dm.Draft:
    created = dm.new_draft(
        draft_id="d1",
        tenant_id="t1",
        requester=ALICE,
        text="Hello, world — café ☕",
        lang="en",
        now=NOW,
        max_age=timedelta(hours=24),
        policy=policy,
        **kw,  # type: ignore[arg-type]
    )
    assert created.draft.state is DraftState.DRAFT
    return dm.submit(created.draft, ALICE, NOW).draft


def test_versions_hash_the_exact_utf8_bytes() -> None:
    d = pending()
    assert d.version == 1
    assert d.current.sha256 == dm.text_hash("Hello, world — café ☕")
    # NFD "café" is different bytes: a different hash.
    assert dm.text_hash("cafe\u0301") != dm.text_hash("café")


def test_submit_then_approve_returns_state_and_audit_event() -> None:
    d = pending()
    assert d.state is DraftState.PENDING
    moved = dm.approve(d, BOB, 1, NOW + timedelta(minutes=1))
    assert moved.draft.state is DraftState.APPROVED
    e = moved.event
    assert (e.action, e.actor, e.version, e.from_state, e.to_state) == (
        "approved",
        BOB,
        1,
        "pending",
        "approved",
    )
    assert e.at == NOW + timedelta(minutes=1)
    assert moved.draft.decided == e


def test_reject_needs_a_reason_and_records_it() -> None:
    d = pending()
    with pytest.raises(ValueError):
        dm.reject(d, BOB, 1, "  ", NOW)
    moved = dm.reject(d, BOB, 1, "off-brand", NOW)
    assert moved.draft.state is DraftState.REJECTED
    assert moved.event.reason == "off-brand"


def test_request_changes_then_edit_goes_back_to_pending_as_new_version() -> None:
    d = dm.request_changes(pending(), BOB, 1, "shorter please", NOW).draft
    assert d.state is DraftState.CHANGES_REQUESTED
    edited = dm.edit(d, ALICE, 1, "Hello.", NOW).draft
    assert edited.state is DraftState.PENDING
    assert edited.version == 2 and edited.text == "Hello."
    assert edited.current.sha256 == dm.text_hash("Hello.")
    assert edited.versions[0].text == "Hello, world — café ☕"


def test_edit_after_approval_is_pending_again_and_old_approval_does_not_count() -> None:
    approved = dm.approve(pending(), BOB, 1, NOW).draft
    edited = dm.edit(approved, CAROL, 1, "New text", NOW).draft
    assert edited.state is DraftState.PENDING and edited.version == 2
    assert edited.approved_by() == set()
    with pytest.raises(dm.StaleVersion) as stale:  # a click on the v1 card
        dm.approve(edited, BOB, 1, NOW)
    assert stale.value.current == 2
    # Carol wrote v2: she may not approve it; Bob may.
    with pytest.raises(dm.SelfApproval):
        dm.approve(edited, CAROL, 2, NOW)
    assert dm.approve(edited, BOB, 2, NOW).draft.state is DraftState.APPROVED


def test_second_click_on_a_decided_draft_says_who_decided() -> None:
    approved = dm.approve(pending(), BOB, 1, NOW).draft
    for attempt in (
        lambda: dm.approve(approved, CAROL, 1, NOW),
        lambda: dm.reject(approved, CAROL, 1, "no", NOW),
        lambda: dm.request_changes(approved, CAROL, 1, None, NOW),
    ):
        with pytest.raises(dm.StaleVersion) as stale:
            attempt()
        assert stale.value.last is not None
        assert stale.value.last.actor == BOB and stale.value.last.action == "approved"


def test_self_approval_refused_unless_allowed() -> None:
    d = pending()
    with pytest.raises(dm.SelfApproval):
        dm.approve(d, ALICE, 1, NOW)
    assert dm.approve(d, ALICE, 1, NOW, allow_self=True).draft.state is DraftState.APPROVED


def test_expiry_by_age_and_by_scheduled_time() -> None:
    d = pending()
    assert not dm.expiry_due(d, NOW + timedelta(hours=23))
    late = NOW + timedelta(hours=24)
    assert dm.expiry_due(d, late)
    with pytest.raises(dm.DraftExpired):
        dm.approve(d, BOB, 1, late)
    expired = dm.expire(d, late)
    assert expired.draft.state is DraftState.EXPIRED and expired.event.reason == "max_age"
    with pytest.raises(dm.DraftExpired):
        dm.approve(expired.draft, BOB, 1, late)
    with pytest.raises(dm.IllegalTransition):
        dm.expire(pending(), NOW)  # not due

    scheduled = pending(scheduled_at=NOW + timedelta(hours=1))
    moved = dm.expire(scheduled, NOW + timedelta(hours=1))
    assert moved.event.reason == "scheduled_time_passed"
    # Approved drafts do not expire.
    assert not dm.expiry_due(dm.approve(pending(), BOB, 1, NOW).draft, late)


def test_publishing_path_and_attempt_ownership() -> None:
    approved = dm.approve(pending(), BOB, 1, NOW).draft
    publishing = dm.start_publishing(approved, "a1", NOW).draft
    assert publishing.state is DraftState.PUBLISHING and publishing.attempts == 1
    with pytest.raises(dm.IllegalTransition):
        dm.mark_published(publishing, "other", "1", "u", NOW, found=False)
    taken = dm.start_publishing(publishing, "a2", NOW).draft  # reconciliation takes over
    assert taken.attempts == 2
    with pytest.raises(dm.IllegalTransition):
        dm.mark_published(taken, "a1", "1", "u", NOW, found=False)
    done = dm.mark_published(taken, "a2", "42", "https://x.com/i/status/42", NOW, found=True)
    assert done.draft.state is DraftState.PUBLISHED and done.draft.post_id == "42"
    assert done.event.detail["reconciled"] is True
    failed = dm.mark_failed(dm.start_publishing(approved, "a3", NOW).draft, "a3", "rejected", NOW)
    assert failed.draft.state is DraftState.FAILED and failed.draft.failure == "rejected"
    ready = dm.ready_to_publish(approved, NOW)
    assert ready.draft.state is DraftState.READY


@pytest.mark.parametrize(
    ("state_of", "move"),
    [
        ("rejected", lambda d: dm.edit(d, ALICE, 1, "x", NOW)),
        ("published", lambda d: dm.edit(d, ALICE, 1, "x", NOW)),
        ("pending", lambda d: dm.start_publishing(d, "a", NOW)),
        ("pending", lambda d: dm.ready_to_publish(d, NOW)),
        ("pending", lambda d: dm.mark_published(d, "a", "1", "u", NOW, found=False)),
        ("draft", lambda d: dm.approve(d, dm.Person("aad-bob"), 1, NOW)),
        ("draft", lambda d: dm.submit(dm.submit(d, ALICE, NOW).draft, ALICE, NOW)),
        ("published", lambda d: dm.start_publishing(d, "b", NOW)),
    ],
)
def test_illegal_transitions(state_of: str, move: object) -> None:
    base = dm.new_draft(
        draft_id="d", tenant_id="t", requester=ALICE, text="t", lang="en", now=NOW
    ).draft
    drafts = {
        "draft": base,
        "pending": dm.submit(base, ALICE, NOW).draft,
    }
    drafts["rejected"] = dm.reject(drafts["pending"], BOB, 1, "no", NOW).draft
    approved = dm.approve(drafts["pending"], BOB, 1, NOW).draft
    drafts["published"] = dm.mark_published(
        dm.start_publishing(approved, "a", NOW).draft, "a", "1", "u", NOW, found=False
    ).draft
    with pytest.raises((dm.IllegalTransition, dm.StaleVersion)):
        move(drafts[state_of])  # type: ignore[operator]


def test_two_step_all_policy_needs_every_named_approver() -> None:
    policy = ApprovalPolicy(PolicyMode.ALL, ("aad-bob", "aad-carol"))
    d = pending(policy)
    first = dm.approve(d, BOB, 1, NOW)
    assert first.draft.state is DraftState.PENDING and first.event.action == "approval_recorded"
    with pytest.raises(dm.StaleVersion):
        dm.approve(first.draft, BOB, 1, NOW)  # the same person twice
    second = dm.approve(first.draft, CAROL, 1, NOW)
    assert second.draft.state is DraftState.APPROVED
    # An edit in between resets the round.
    edited = dm.edit(first.draft, ALICE, 1, "v2", NOW).draft
    assert dm.approve(edited, CAROL, 2, NOW).draft.state is DraftState.PENDING


def test_any_policy_one_approval_suffices() -> None:
    d = pending(ApprovalPolicy(PolicyMode.ANY, ("aad-bob", "aad-carol")))
    assert dm.approve(d, CAROL, 1, NOW).draft.state is DraftState.APPROVED


def test_round_trip_through_data() -> None:
    d = dm.edit(dm.approve(pending(), BOB, 1, NOW).draft, CAROL, 1, "v2 ☕", NOW).draft
    assert dm.Draft.from_data(d.to_data()) == d
