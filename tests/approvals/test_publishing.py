"""Publishing: off (ready to publish), on (exactly once), ambiguous failures, reconciliation
after a real process kill, scheduled publication."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.clients.store import LocalDirStore
from bot.clients.store.records import make_record
from bot.domain.drafts import DraftState
from bot.services.approvals import draft_key
from bot.services.publishing import intent_link, same_text
from tests.approvals.conftest import ALICE, BOB, TENANT, FakeClock, make_services, x_source
from tests.support.fake_x import FakeXServer

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Nous recrutons 50 ingénieurs à Lyon — rejoignez-nous ! #Velora"


async def approved_draft(approvals, text: str = TEXT, **kw):  # type: ignore[no-untyped-def]
    draft = await approvals.submit(TENANT, ALICE, text, "fr", {}, None, **kw)
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.accepted
    return result.draft


def test_intent_link_encodes_the_exact_text() -> None:
    link = intent_link(TEXT + " & more?")
    assert link.startswith("https://x.com/intent/post?text=")
    assert parse_qs(urlsplit(link).query)["text"] == [TEXT + " & more?"]
    assert same_text("Voir https://t.co/abc", "Voir https://velora.com/jobs")
    assert not same_text("Voyez https://t.co/abc", "Voir https://velora.com/jobs")


async def test_publishing_off_gives_ready_to_publish(tmp_path: Path, clock: FakeClock) -> None:
    approvals, publishing = make_services(LocalDirStore(tmp_path), clock)
    draft = await approved_draft(approvals)
    result = await publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.READY
    assert result.draft.text == TEXT


async def test_publishes_exactly_once(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals)
        results = await asyncio.gather(*(publishing.publish(TENANT, draft.id) for _ in range(5)))
    assert [c["text"] for c in fake_x.created] == [TEXT]
    final = await approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.PUBLISHED
    assert final.post_id == fake_x.created[0]["id"]
    assert sum(r.published for r in results) >= 1


async def test_5xx_after_x_created_the_post_is_found_not_repeated(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    # X stored the post, then the answer was lost (a 5xx from a proxy): seed the timeline.
    fake_x.fail("/2/tweets", 503, times=None)
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals)
        landed = fake_x.add_post(TEXT, author=fake_x.me, created_at=clock.now())
        result = await publishing.publish(TENANT, draft.id)
    assert fake_x.calls["/2/tweets"] == 1  # never sent twice
    assert result.draft is not None and result.draft.state is DraftState.PUBLISHED
    assert result.draft.post_id == landed.id
    assert result.draft.last is not None and result.draft.last.detail["reconciled"] is True


async def test_timeout_not_created_is_checked_then_retried_once(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    fake_x.slow("/2/tweets", 1.0, times=1)  # our 0.6 s timeout fires first
    async with x_source(fake_x, timeout_s=0.6) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals)
        result = await publishing.publish(TENANT, draft.id)
        await asyncio.sleep(0.6)  # let the slow first request finish on the server
    assert [c["text"] for c in fake_x.created] == [TEXT]
    assert fake_x.calls[f"/2/users/{fake_x.me.id}/tweets"] >= 1  # looked before retrying
    assert result.draft is not None and result.draft.state is DraftState.PUBLISHED


async def test_5xx_not_created_is_retried_once(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    fake_x.fail("/2/tweets", 503, times=1)
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals)
        result = await publishing.publish(TENANT, draft.id)
    assert [c["text"] for c in fake_x.created] == [TEXT]
    assert result.draft is not None and result.draft.state is DraftState.PUBLISHED


async def test_repeated_5xx_stays_publishing_then_reconciles(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    fake_x.fail("/2/tweets", 503, times=2)
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals)
        result = await publishing.publish(TENANT, draft.id)
        assert result.uncertain and fake_x.created == []
        assert (await publishing.reconcile()) == []  # too recent: maybe still in flight
        clock.advance(timedelta(minutes=3))
        await publishing.reconcile()
    final = await approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.PUBLISHED
    assert len(fake_x.created) == 1


async def test_rejected_by_x_fails(tmp_path: Path, clock: FakeClock, fake_x: FakeXServer) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        # A text over the limit can no longer be approved (the approval re-checks it): X
        # refuses a compliant one here, as it may (a policy, a reply not allowed...).
        draft = await approved_draft(approvals)
        fake_x.fail("/2/tweets", 403, times=1)
        result = await publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.FAILED
    assert fake_x.created == []


async def test_tampered_stored_text_is_never_sent(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    store = LocalDirStore(tmp_path)
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(store, clock, publisher=source, enabled=True)
        draft = await approved_draft(approvals)
        data = draft.to_data()
        data["versions"][-1]["text"] = TEXT + " (edited behind our back)"
        await store.write(draft_key(TENANT, draft.id), make_record("draft", 1, data))
        result = await publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.FAILED
    assert result.draft.failure == "text_mismatch"
    assert fake_x.created == []


async def test_scheduled_publication(tmp_path: Path, clock: FakeClock, fake_x: FakeXServer) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved_draft(approvals, scheduled_at=clock.now() + timedelta(hours=1))
        await publishing.publish(TENANT, draft.id)
        await publishing.publish_due()
        assert fake_x.created == []
        clock.advance(timedelta(hours=1))
        await publishing.publish_due()
    assert len(fake_x.created) == 1


async def test_killed_between_x_answer_and_state_write_is_reconciled(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    store = LocalDirStore(tmp_path)
    approvals, _ = make_services(store, clock)
    draft = await approved_draft(approvals)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.approvals.publish_worker",
        str(tmp_path),
        fake_x.base_url,
        TENANT,
        draft.id,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert line.startswith(b"SENT "), line
    proc.send_signal(signal.SIGKILL)  # a real crash: X has the post, our state does not
    await proc.wait()
    stuck = await approvals.get(TENANT, draft.id)
    assert stuck is not None and stuck.state is DraftState.PUBLISHING
    assert len(fake_x.created) == 1

    async with x_source(fake_x) as source:
        _, publishing = make_services(store, clock, publisher=source, enabled=True)
        clock.advance(timedelta(minutes=3))
        await publishing.reconcile()
    final = await approvals.get(TENANT, draft.id)
    assert final is not None and final.state is DraftState.PUBLISHED
    assert final.post_id == line.split()[1].decode()
    assert len(fake_x.created) == 1  # no second post
