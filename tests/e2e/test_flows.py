"""Whole flows through the Agents Playground: question → draft → approval → post on a fake X,
and an on-demand briefing.

Pulse runs in demo mode with posting on, towards `FakeXServer` (tests/support/fake_x.py) on a
loopback port, in a thread of this process: demo mode allows `X_POSTING_ENABLED=true` only
towards 127.0.0.1. Reading posts stays on the demo corpus (no bearer token). With no roles and
no approvals channel configured, the local Playground user holds every role, may approve their
own draft, and gets the approval card in their own personal chat.

Card buttons (`Action.Execute`, `Action.Submit`, `Action.ShowCard`) render as `button` elements
named by their title; the newest card is the last one in the DOM, hence `.last`.

Set PULSE_E2E_STEPS=1 to save a screenshot of every step in build/e2e/.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.support.fake_x import FakeXServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TIMEOUT_MS = 45_000
COMPOSE_BOX = '[role="textbox"][contenteditable="true"]'
SEND_BUTTON = 'button[aria-label="Send Message"]'
USER_TOKEN = "fake-user-token-for-tests"
WELCOME = "Hello, I'm Pulse"
QUESTION = "What are people saying about us today?"
# bot/locales/en.*.json
DRAFT_BUTTON = "Draft a post on this"  # answer.buttons.draft
VARIANTS_TITLE = "Draft posts for X"  # drafting.card.title
CHOOSE = "Choose"  # drafting.card.pick
REVIEW_TITLE = "Your post for X"  # drafting.card.review_title
EDIT_LABEL = "Edit the text directly"  # drafting.card.edit_label
SUBMIT = "Submit for approval"  # drafting.card.submit
SUBMIT_ANYWAY = "Submit anyway with warnings"  # drafting.card.submit_anyway
SUBMITTED_TITLE = "Submitted for approval"  # drafting.card.submitted_title
APPROVAL_TITLE = "Post for X — approval requested"  # approvals.card.title
APPROVE = "Approve"  # approvals.card.approve
PUBLISHED = "Published on X ("  # approvals.state.published: "📣 Published on X ({at})."
LIVE = "Your post is live on X:"  # approvals.notify.published
VIEW_POST = "View the post"  # approvals.card.view_post
BRIEFING_SUBTITLE = "What was said about"  # briefing.subtitle (before " {company} ...")
BRIEFING_TITLE = re.compile(r"^Your briefing for ")  # briefing.title


# -- a fake X in a thread of this process ------------------------------------------------------


class FakeXThread:
    """`FakeXServer` on its own event loop in a daemon thread: Pulse is another process."""

    def __init__(self) -> None:
        self.server = FakeXServer(user_token=USER_TOKEN)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> str:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)

    def call(self, fn: Any) -> Any:
        """Run `fn()` on the server's loop (read its records without racing a request)."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def fake_x(e2e_prerequisites: None) -> Iterator[FakeXThread]:
    fake = FakeXThread()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def pulse_extra_env(fake_x: FakeXThread) -> dict[str, str]:
    """Overrides conftest's: Pulse posts to the fake X (reading stays on the demo corpus)."""
    return {
        "X_POSTING_ENABLED": "true",
        "X_API_BASE_URL": fake_x.server.base_url,
        "X_USER_ACCESS_TOKEN": USER_TOKEN,
        "X_BEARER_TOKEN": "",
    }


# -- page helpers ------------------------------------------------------------------------------


def _step(page: Any, name: str) -> None:
    if os.environ.get("PULSE_E2E_STEPS"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"flows-{name}.png"), full_page=True)


def _open(page: Any, playground: Any) -> None:
    page.goto(playground.url, wait_until="domcontentloaded")
    page.locator(COMPOSE_BOX).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.get_by_text(WELCOME, exact=True).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def _send(page: Any, text: str) -> None:
    page.locator(COMPOSE_BOX).first.click()
    page.keyboard.type(text)
    page.locator(SEND_BUTTON).first.click()


def _wait_more(locator: Any, before: int, what: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until `locator` matches more elements than `before` (a new card arrived)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while locator.count() <= before:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    locator.last.wait_for(state="visible", timeout=timeout_ms)


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _stored_drafts(data_dir: Path) -> list[dict[str, Any]]:
    """Every draft in Pulse's local store: `kv/drafts/<tenant>/<id>~.json` envelopes
    `{"etag", "modified", "value"}`, whose value is a record `{"kind": "draft", "data"}`."""
    found = []
    for path in sorted((data_dir / "kv" / "drafts").rglob("*~.json")):
        try:
            record = json.loads(path.read_text("utf-8"))["value"]
        except (OSError, ValueError, KeyError):
            continue
        if isinstance(record, dict) and record.get("kind") == "draft":
            found.append(record["data"])
    return found


# -- the tests ---------------------------------------------------------------------------------


def test_question_to_draft_to_approval_to_post_on_x(
    page: Any, playground: Any, pulse_server: Any, fake_x: FakeXThread
) -> None:
    created_before = len(fake_x.call(lambda: list(fake_x.server.created)))
    _open(page, playground)

    # 1. The question → the answer card with its "Draft a post on this" button.
    draft_buttons = _button(page, DRAFT_BUTTON)
    _send(page, QUESTION)
    _wait_more(draft_buttons, 0, "the answer card")
    _step(page, "1-answer")

    # 2. "Draft a post on this" → the variants card, sent as a new message.
    variants_titles = page.get_by_text(VARIANTS_TITLE, exact=True)
    draft_buttons.last.click()
    _wait_more(variants_titles, 0, "the variants card")
    choose = _button(page, CHOOSE)
    _wait_more(choose, 0, "the variants card's Choose buttons")
    _step(page, "2-variants")

    # 3. Choose the first variant → the review card replaces the variants card.
    review_titles = page.get_by_text(REVIEW_TITLE, exact=True)
    choose.first.click()
    _wait_more(review_titles, 0, "the review card")
    editor = page.get_by_label(EDIT_LABEL).last
    editor.wait_for(state="visible", timeout=TIMEOUT_MS)
    chosen = editor.input_value()
    assert chosen.strip(), "the review card shows no text"
    # The text offered in the input is the one shown for the variant.
    assert page.get_by_text(chosen, exact=True).count() >= 1
    _step(page, "3-review")

    # 4. Submit for approval → "Submitted", and the approval card arrives in this chat.
    approval_titles = page.get_by_text(APPROVAL_TITLE, exact=True)
    submit = _button(page, SUBMIT).or_(_button(page, SUBMIT_ANYWAY))
    submit.last.click()
    page.get_by_text(SUBMITTED_TITLE, exact=True).last.wait_for(state="visible", timeout=TIMEOUT_MS)
    _wait_more(approval_titles, 0, "the approval card")
    approve = _button(page, APPROVE)
    _wait_more(approve, 0, "the approval card's Approve button")
    _step(page, "4-approval")

    drafts = _stored_drafts(pulse_server.data_dir)
    assert len(drafts) == 1, f"expected one stored draft, found {len(drafts)}"
    stored_text = drafts[0]["versions"][-1]["text"]
    assert stored_text == chosen, "the stored draft is not the chosen variant"
    assert fake_x.call(lambda: len(fake_x.server.created)) == created_before, "posted too soon"

    # 5. Approve → published on the fake X: the approval card is updated in place and the
    #    requester (the same person here) is told, with the post's link.
    approve.last.click()
    page.get_by_text(PUBLISHED, exact=False).last.wait_for(state="visible", timeout=TIMEOUT_MS)
    live = page.get_by_text(LIVE, exact=False).last
    live.wait_for(state="visible", timeout=TIMEOUT_MS)
    _step(page, "5-published")

    created = fake_x.call(lambda: list(fake_x.server.created))[created_before:]
    assert len(created) == 1, f"expected exactly one post on X, got {created!r}"
    post = created[0]
    assert post["text"].encode("utf-8") == chosen.encode("utf-8")
    assert post["text"].encode("utf-8") == stored_text.encode("utf-8")
    assert post["reply_to"] is None
    assert f"Bearer {USER_TOKEN}" in fake_x.call(lambda: list(fake_x.server.auth_seen))
    assert post["id"] in live.inner_text(), "the notification does not link to the post"
    # The card's "View the post" (Action.OpenUrl) renders as a button with role "link".
    view_post = page.get_by_role("link", name=VIEW_POST, exact=True).last
    view_post.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert str(view_post.get_attribute("title")).endswith(f"/status/{post['id']}")

    (stored,) = _stored_drafts(pulse_server.data_dir)
    assert stored["state"] == "published"
    assert str(stored.get("post_url") or "").endswith(f"/status/{post['id']}")

    # Nothing is posted twice (a late card refresh or retry would show up by now).
    page.wait_for_timeout(2_000)
    assert fake_x.call(lambda: len(fake_x.server.created)) == created_before + 1


def test_briefing_now_shows_the_briefing_card(page: Any, playground: Any) -> None:
    _open(page, playground)
    _send(page, "briefing now")
    page.get_by_text(BRIEFING_TITLE).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    subtitle = page.get_by_text(BRIEFING_SUBTITLE, exact=False).first
    subtitle.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "on X in the last 24 hours" in subtitle.inner_text()
    _step(page, "briefing")
