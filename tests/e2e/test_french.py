"""A whole French conversation in the Agents Playground, by a French-locale user: question →
answer card (charts included) → drafts → review → submitted, every card in French.

The browser runs with locale fr-FR and the Playground with LANG=fr_FR.UTF-8. The Playground
0.2.28 still stamps every activity with locale "en-US" (its activity generators hard-code it;
neither the browser's language nor a setting changes it), so this is the case of a French
message from an en-US client: the language comes from the words, and every card follows it.

Screenshots of every step go to build/e2e/french-*.png (looked at by people: hour labels, tick
values, tone colours, one language per card).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TIMEOUT_MS = 60_000
COMPOSE_BOX = '[role="textbox"][contenteditable="true"]'
SEND_BUTTON = 'button[aria-label="Send Message"]'
QUESTION = "qu'est-ce qu'on dit de nous aujourd'hui ?"
# bot/locales/fr.*.json
WELCOME = re.compile(r"^(Bonjour, je suis Pulse|Hello, I'm Pulse)$")  # welcome.title
MENTIONS_TODAY = "Mentions aujourd'hui"  # answer.facts.mentions_today
VOLUME_CHART = "Mentions par heure"  # answer.chart_volume
DRAFT_BUTTON = "Rédiger un post là-dessus"  # answer.buttons.draft
VARIANTS_TITLE = "Propositions de post pour X"  # drafting.card.title
CHOOSE = "Choisir"  # drafting.card.pick
REVIEW_TITLE = "Votre post pour X"  # drafting.card.review_title
SUBMIT = "Envoyer pour validation"  # drafting.card.submit
SUBMIT_ANYWAY = "Envoyer malgré les avertissements"  # drafting.card.submit_anyway
SENT = re.compile(r"Envoyé pour validation par .+ · \d\d:\d\d UTC")  # drafting.card.sent_state
# English labels that must not appear around French content (bot/locales/en.*.json)
ENGLISH = ["Draft a post on this", "Mentions today", "Tone", "Choose", "Submit for approval",
           "What to do", "Your post for X", "Draft posts for X", "Post for X — approval requested",
           "Approve", "Reject", "Waiting for approval."]  # fmt: skip
APPROVAL_TITLE = "Publication X — validation demandée"  # approvals.card.title


@pytest.fixture(scope="module")
def user_locale() -> str:
    return "fr-FR"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"french-{name}.png"), full_page=True)


def _send(page: Any, text: str) -> None:
    page.locator(COMPOSE_BOX).first.click()
    page.keyboard.type(text)
    page.locator(SEND_BUTTON).first.click()


def _wait_more(locator: Any, before: int, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while locator.count() <= before:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    locator.last.wait_for(state="visible", timeout=TIMEOUT_MS)


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _no_english(page: Any) -> None:
    for label in ENGLISH:
        assert page.get_by_text(label, exact=True).count() == 0, f"English label {label!r}"


def test_a_french_conversation_in_the_playground(page: Any, playground: Any) -> None:
    assert page.evaluate("navigator.language") == "fr-FR"
    page.goto(playground.url, wait_until="domcontentloaded")
    page.locator(COMPOSE_BOX).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.get_by_text(WELCOME).first.wait_for(state="visible", timeout=TIMEOUT_MS)

    # 1. A French question → a French answer card, with its charts.
    _send(page, QUESTION)
    draft_buttons = _button(page, DRAFT_BUTTON)
    _wait_more(draft_buttons, 0, "the French answer card")
    assert page.get_by_text(MENTIONS_TODAY, exact=True).count() >= 1
    page.wait_for_timeout(1_500)  # the charts draw after the card
    _shot(page, "1-answer")
    # The charts as drawn: the tone donut's three colours (vermillion-red, grey, blue), and
    # the hour labels of the volume line, whole (none cut by the renderer).
    slices = page.locator('[role="img"][aria-label*=" out of "]')
    fills = {
        str(label).split(",")[0]: str(fill)
        for label, fill in page.evaluate(
            """() => [...document.querySelectorAll('[role="img"][aria-label*=" out of "]')]
                .map(el => [el.getAttribute('aria-label'), el.getAttribute('fill')])"""
        )
    }
    assert fills == {"Négatif": "#d33f4c", "Neutre": "#CCCCCC", "Positif": "#13458f"}, fills
    slices.last.scroll_into_view_if_needed()
    _shot(page, "1-charts")
    line = page.locator(f'[aria-label="{VOLUME_CHART}, Line chart"]').last
    labels = line.evaluate(
        """el => [...el.querySelectorAll('foreignObject div')]
            .map(d => [d.textContent, d.scrollWidth <= d.clientWidth])"""
    )
    assert labels and all(re.fullmatch(r"\d\dh", text) for text, _ in labels), labels
    assert all(whole for _, whole in labels), f"hour labels cut: {labels}"
    _no_english(page)

    # 2. "Rédiger un post là-dessus" → the French drafts card.
    draft_buttons.last.click()
    _wait_more(page.get_by_text(VARIANTS_TITLE, exact=True), 0, "the drafts card")
    choose = _button(page, CHOOSE)
    _wait_more(choose, 0, "the Choisir buttons")
    _shot(page, "2-drafts")
    _no_english(page)

    # 3. Choisir → the review card; 4. Envoyer pour validation → the state, no buttons left.
    choose.first.click()
    _wait_more(page.get_by_text(REVIEW_TITLE, exact=True), 0, "the review card")
    _shot(page, "3-review")
    submit = _button(page, SUBMIT).or_(_button(page, SUBMIT_ANYWAY))
    submit.last.click()
    page.get_by_text(SENT).last.wait_for(state="visible", timeout=TIMEOUT_MS)
    # 5. In demo mode the approval card comes to this chat: in French too, with who, when, why.
    page.get_by_text(APPROVAL_TITLE, exact=True).last.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^Pourquoi : ")).last.wait_for(state="visible")
    _shot(page, "4-submitted")
    _no_english(page)
