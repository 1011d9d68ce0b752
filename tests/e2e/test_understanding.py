"""Honest when unsure, in the Agents Playground (headless Chromium): an unclear message gets a
"Did you mean…" card whose button answers the chosen reading; an out-of-scope question gets a
polite decline; a question asked in the middle of a draft is answered, the draft set aside.

Screenshots go to build/e2e/understanding-*.png (looked at by people).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TIMEOUT_MS = 60_000
COMPOSE_BOX = '[role="textbox"][contenteditable="true"]'
SEND_BUTTON = 'button[aria-label="Send Message"]'
# bot/locales/{en,fr}.converse.json, {en,fr}.answer.json, {fr}.drafting.json
DID_YOU_MEAN = "Vouliez-vous dire…"  # converse.clarify.title (fr)
OUT_OF_SCOPE = "That's outside what I do"  # converse.out_of_scope.title (en)
SET_ASIDE = "J'ai mis de côté le brouillon"  # converse.draft_set_aside (fr), its start
VARIANTS_TITLE = "Propositions de post pour X"  # drafting.card.title (fr)
ALERT_LEVEL = "Niveau d'alerte"  # answer.facts.alert_level (fr)


def _send(page: Any, text: str) -> None:
    box = page.locator(COMPOSE_BOX).first
    box.click()
    page.keyboard.type(text)
    page.locator(SEND_BUTTON).first.click()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"understanding-{name}.png"))


def test_unclear_out_of_scope_and_a_question_mid_draft(page: Any, playground: Any) -> None:
    page.goto(playground.url, wait_until="domcontentloaded")
    page.locator(COMPOSE_BOX).first.wait_for(state="visible", timeout=TIMEOUT_MS)

    # An edit request with no draft under way: Pulse asks which reading was meant.
    _send(page, "plus court")
    page.get_by_text(DID_YOU_MEAN).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _shot(page, "1-did-you-mean")
    buttons = page.get_by_role("button").filter(has_text="Proposer un post")
    assert buttons.count() >= 1  # converse.clarify.readings.draft (fr)

    # Out of scope, in English: a decline that says what Pulse can do.
    _send(page, "What's the weather in Lyon tomorrow?")
    page.get_by_text(OUT_OF_SCOPE).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _shot(page, "2-out-of-scope")

    # A draft, then a new question: answered, the draft set aside.
    _send(page, "propose un tweet sur notre nouvelle batterie")
    page.get_by_text(VARIANTS_TITLE).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _send(page, "y a-t-il une crise en ce moment ?")
    page.get_by_text(SET_ASIDE).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.get_by_text(ALERT_LEVEL).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _shot(page, "3-question-mid-draft")
