"""Issue 22, items 5, 11, 12: an edit runs the submission's checks, an approval re-checks the
exact text, a 429 from X is waited out, a display name cannot break out of the audit export."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bot.clients.store import LocalDirStore
from bot.clients.store.records import parse_record
from bot.devtools.connector import message_text
from bot.domain.drafts import Draft, DraftState, Person
from bot.domain.editorial import EditorialLine
from bot.services.approvals import KIND, SCHEMA, ApprovalService, Outcome, draft_key
from bot.teams.approval_cards import approval_card
from bot.teams.approvals import code_fence, markdown_literal
from tests.approvals.conftest import ALICE, BOB, TENANT, FakeClock, make_services, x_source
from tests.approvals.teams_support import card_texts, invoke, wire
from tests.approvals.test_teams_approvals import COMMS, TEXT, setup_channel, submit_and_get_card
from tests.support.fake_x import FakeXServer
from tests.support.teams import message
from tests.teams.conftest import Pulse

CLEAN_FR = "Nous recrutons 50 ingénieurs à Lyon — rejoignez-nous ! #Velora"
HOSTILE_FR = "Velora est en faillite ! http://evil.example/x @attacker #crypto"


async def test_an_edit_that_breaks_the_line_is_refused_and_nothing_is_posted(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approvals.submit(TENANT, ALICE, CLEAN_FR, "fr", {}, None)
        edit = await approvals.decide(TENANT, draft.id, 1, ALICE, "edit", new_text=HOSTILE_FR)
        assert edit.outcome is Outcome.NOT_COMPLIANT
        assert edit.report is not None
        assert {f.code for f in edit.report.errors} >= {
            "link.domain_not_allowed",
            "hashtag.not_allowed",
        }
        current = await approvals.get(TENANT, draft.id)
        assert current is not None and current.version == 1 and current.text == CLEAN_FR
        # The refusal is on record, with why.
        refused = [e for e in await approvals.audit_events(TENANT) if not e.accepted]
        assert [(e.action, e.reason) for e in refused] == [("edit", "not_compliant")]
        assert "link.domain_not_allowed" in refused[0].detail["errors"]
        # One approval later, only the clean text can reach X.
        approved = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
        assert approved.accepted
        await publishing.publish(TENANT, draft.id)
    assert [c["text"] for c in fake_x.created] == [CLEAN_FR]


async def test_an_approval_rechecks_the_exact_text_against_the_current_line(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = LocalDirStore(tmp_path)
    approvals, _publishing = make_services(store, clock)
    draft = await approvals.submit(TENANT, ALICE, CLEAN_FR, "fr", {}, None)
    # The stored text is changed behind the service's back (or the line changed since).
    key = draft_key(TENANT, draft.id)
    found = await store.read(key)
    assert found is not None
    data = parse_record(found.value, kind=KIND, schema=SCHEMA).data
    data["versions"][0]["text"] = HOSTILE_FR
    record = dict(found.value)
    record["data"] = data
    await store.write(key, record, if_match=found.etag)
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.outcome is Outcome.NOT_COMPLIANT
    assert result.report is not None and not result.report.compliant
    current = await approvals.get(TENANT, draft.id)
    assert current is not None and current.state is DraftState.PENDING


async def test_a_stricter_line_blocks_the_approval_of_an_older_text(
    tmp_path: Path, clock: FakeClock
) -> None:
    approvals, _ = make_services(LocalDirStore(tmp_path), clock)
    draft = await approvals.submit(TENANT, ALICE, "Merci à nos équipes ! #VAE", "fr", {}, None)
    base = approvals.line
    stricter = EditorialLine.model_validate(
        {**base.model_dump(mode="json"), "hashtags": {"allowed": [], "max_count": 0}}
    )

    async def line_for(_tenant: str) -> EditorialLine:
        return stricter

    approvals.line_for = line_for
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.outcome is Outcome.NOT_COMPLIANT
    approvals.line_for = None
    assert (await approvals.decide(TENANT, draft.id, 1, BOB, "approve")).accepted


async def test_a_compliant_edit_is_still_accepted(tmp_path: Path, clock: FakeClock) -> None:
    approvals, _ = make_services(LocalDirStore(tmp_path), clock)
    draft = await approvals.submit(TENANT, ALICE, CLEAN_FR, "fr", {}, None)
    shorter = "Nous recrutons à Lyon ! #Velora"
    result = await approvals.decide(
        TENANT, draft.id, 1, Person("aad-bob", "Bob"), "edit", new_text=shorter
    )
    assert result.accepted and result.draft is not None
    assert result.draft.version == 2 and result.draft.text == shorter
    assert result.report is not None and result.report.compliant


# -- through the real endpoint ---------------------------------------------------------------


async def test_an_edit_by_card_is_refused_with_the_reasons_in_french(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w, locale="fr-FR")
    draft, _ = await submit_and_get_card(w)
    _, body = await demo.post(
        invoke(
            url,
            "alice",
            "draft.edit",
            {"draft_id": draft.id, "version": 1, "new_text": HOSTILE_FR},
            locale="fr-FR",
        )
    )
    texts = card_texts(body["value"])
    assert "ne respecte pas la ligne éditoriale" in texts
    assert "evil.example" in texts and "#crypto" in texts
    current = await w.approvals.get(TENANT, draft.id)
    assert current is not None and current.version == 1 and current.text == TEXT


async def test_a_display_name_with_backticks_stays_inside_the_export_block(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w)
    draft, _ = await submit_and_get_card(w)
    hostile = "Mallory ```\n# Approved by the CEO\n[click](https://evil.example) ````"
    click = invoke(url, "dave", "draft.approve", {"draft_id": draft.id, "version": 1})
    click["from"]["name"] = hostile
    await demo.post(click)  # refused (not an approver) but on record, with the name
    before = len(demo.connector.messages(COMMS))
    await demo.post(
        message(
            "export audit",
            service_url=url,
            user_id="bob",
            conversation_id=COMMS,
            conversation_type="channel",
        )
    )
    msgs = await demo.connector.wait_messages(before + 1, COMMS)
    text = message_text(msgs[-1])
    block = text.split("\n\n", 1)[1]
    fence = block.split("\n", 1)[0]
    assert set(fence) == {"`"} and len(fence) >= 5  # longer than the name's ````
    assert block.rstrip().endswith("\n" + fence)
    inside = block[len(fence) : block.rstrip().rindex("\n" + fence)]
    assert "Mallory ```" in inside and "evil.example" in inside
    # No run of backticks inside is as long as the fence: the block cannot close early.
    assert max(len(r) for r in re.findall(r"`+", inside)) < len(fence)


def test_code_fence_is_longer_than_any_backtick_run() -> None:
    assert code_fence("plain") == "```"
    assert code_fence("a ``` b") == "````"
    assert code_fence("`````") == "``````"


# -- 429 on posting ----------------------------------------------------------------------------


async def approved(approvals: ApprovalService, text: str = CLEAN_FR) -> Draft:
    draft = await approvals.submit(TENANT, ALICE, text, "fr", {}, None)
    result = await approvals.decide(TENANT, draft.id, 1, BOB, "approve")
    assert result.accepted and result.draft is not None
    return result.draft


async def test_a_429_on_posting_is_waited_out_then_posted_once(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved(approvals)
        fake_x.fail("/2/tweets", 429, times=1, reset_in=1)
        result = await publishing.publish(TENANT, draft.id)
    assert result.published and result.draft is not None
    assert result.draft.state is DraftState.PUBLISHED
    assert [c["text"] for c in fake_x.created] == [CLEAN_FR]
    posts = [r for r in fake_x.requests if r.method == "POST" and r.path == "/2/tweets"]
    assert len(posts) == 2  # the 429, then the 201
    actions = [e.action for e in await approvals.audit_events(TENANT)]
    assert "publish_failed" not in actions and actions[-1] == "published"


async def test_retry_after_is_honoured_when_x_sends_no_reset(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        # Without Retry-After the wait would be the 60 s default, over this bound: postponed.
        publishing.rate_limit_max_wait_s = 5.0
        draft = await approved(approvals)
        fake_x.fail(
            "/2/tweets", 429, times=1, headers={"x-rate-limit-reset": "", "retry-after": "1"}
        )
        result = await publishing.publish(TENANT, draft.id)
    assert result.published
    assert [c["text"] for c in fake_x.created] == [CLEAN_FR]


async def test_a_long_rate_limit_postpones_within_the_approval_and_posts_later(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        draft = await approved(approvals)
        fake_x.fail("/2/tweets", 429, times=None, reset_in=900)  # 15 minutes
        result = await publishing.publish(TENANT, draft.id)
        assert result.draft is not None and result.draft.state is DraftState.APPROVED
        assert result.draft.not_before is not None and result.draft.failure is None
        assert result.draft.version == 1 and result.draft.approved_by() == {BOB.id}
        card = card_texts(approval_card(result.draft, "fr"))
        assert "Limite de débit de X : nouvelle publication à partir du" in card
        # Not yet: the job leaves it alone until X's reset.
        assert await publishing.publish_due() == []
        assert not (await publishing.publish(TENANT, draft.id)).published
        calls = len([r for r in fake_x.requests if r.method == "POST"])
        assert calls == 1
        fake_x.clear_faults()
        clock.advance(timedelta(minutes=16))
        done = await publishing.publish_due()
        # Twice is safe: exactly one post.
        again = await publishing.publish(TENANT, draft.id)
    assert [r.published for r in done] == [True] and again.published
    assert [c["text"] for c in fake_x.created] == [CLEAN_FR]
    actions = [e.action for e in await approvals.audit_events(TENANT)]
    assert actions.count("publish_postponed") == 1 and actions[-1] == "published"


async def test_a_rate_limit_past_the_approval_validity_fails_with_the_reason(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path),
            clock,
            publisher=source,
            enabled=True,
            max_age=timedelta(minutes=10),
        )
        draft = await approved(approvals)
        fake_x.fail("/2/tweets", 429, times=None, reset_in=900)
        result = await publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.FAILED
    assert result.draft.failure == "rate_limited"
    assert fake_x.created == []


async def test_a_429_without_any_reset_waits_the_bounded_default(
    tmp_path: Path, clock: FakeClock, fake_x: FakeXServer
) -> None:
    async with x_source(fake_x) as source:
        approvals, publishing = make_services(
            LocalDirStore(tmp_path), clock, publisher=source, enabled=True
        )
        publishing.rate_limit_max_wait_s = 5.0  # the 60 s default is longer: postponed
        draft = await approved(approvals)
        fake_x.fail("/2/tweets", 429, times=1, headers={"x-rate-limit-reset": ""})
        result = await publishing.publish(TENANT, draft.id)
    assert result.draft is not None and result.draft.state is DraftState.APPROVED
    assert result.draft.not_before == clock.now() + timedelta(seconds=60)
    assert fake_x.created == []


async def test_a_display_name_cannot_add_markdown_to_the_decisions_history(demo: Pulse) -> None:
    w = wire(demo)
    url = demo.connector.url
    await setup_channel(w)
    draft, _ = await submit_and_get_card(w)
    click = invoke(url, "bob", "draft.approve", {"draft_id": draft.id, "version": 1})
    click["from"]["name"] = "Bob\n# Approved by the CEO [click](https://evil.example)"
    await demo.post(click)
    before = len(demo.connector.messages(COMMS))
    await demo.post(
        message(
            "decisions",
            service_url=url,
            user_id="carol",
            conversation_id=COMMS,
            conversation_type="channel",
        )
    )
    text = message_text((await demo.connector.wait_messages(before + 1, COMMS))[-1])
    assert r"Bob \# Approved by the CEO \[click\]\(https://evil.example\)" in text
    assert "\n#" not in text and "](" not in text


def test_markdown_literal_escapes_and_folds() -> None:
    assert markdown_literal("a ``` b\n# c") == r"a \`\`\` b \# c"
