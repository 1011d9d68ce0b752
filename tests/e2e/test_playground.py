"""Pulse through the Microsoft 365 Agents Playground, in headless Chromium.

What the Playground does (0.2.28): on every page load it sends `installationUpdate` (action add,
locale en-US) then `conversationUpdate` with `membersAdded` [user, bot] and *no* locale, in the
personal chat; typed messages arrive as `message` with locale "en-US". Pulse answers the
conversationUpdate with its welcome card and "help" with its help card. Each card's text may
appear more than once in the DOM, hence `.first`.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

WELCOME = {"en": "Hello, I'm Pulse", "fr": "Bonjour, je suis Pulse"}
HELP = {"en": "What I can do", "fr": "Ce que je sais faire"}
TIMEOUT_MS = 45_000
COMPOSE_BOX = '[role="textbox"][contenteditable="true"]'
SEND_BUTTON = 'button[aria-label="Send Message"]'


def _card_title(page: Any, titles: dict[str, str]) -> Any:
    """A locator for the card title in either language."""
    en, fr = (page.get_by_text(titles[lang], exact=True) for lang in ("en", "fr"))
    return en.or_(fr)


def _language_of(page: Any, titles: dict[str, str]) -> str:
    for lang, title in titles.items():
        if page.get_by_text(title, exact=True).count():
            return lang
    raise AssertionError(f"none of {list(titles.values())} is on the page")


def _open(page: Any, playground: Any) -> None:
    page.goto(playground.url, wait_until="domcontentloaded")
    page.locator(COMPOSE_BOX).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def _send(page: Any, text: str) -> None:
    box = page.locator(COMPOSE_BOX).first
    box.click()
    page.keyboard.type(text)
    page.locator(SEND_BUTTON).first.click()


def test_welcome_card_on_install(page: Any, playground: Any) -> None:
    _open(page, playground)
    _card_title(page, WELCOME).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    lang = _language_of(page, WELCOME)
    print(f"welcome card language: {lang}")
    # The card comes from the bot, not from the user.
    assert page.get_by_text(WELCOME[lang], exact=True).first.is_visible()


def test_help_card_answers_help(page: Any, playground: Any) -> None:
    _open(page, playground)
    _card_title(page, WELCOME).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    help_titles = _card_title(page, HELP)
    before = help_titles.count()

    _send(page, "help")

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while help_titles.count() <= before:
        assert time.monotonic() < deadline, "no help card after sending 'help'"
        page.wait_for_timeout(200)
    help_titles.last.wait_for(state="visible", timeout=TIMEOUT_MS)
    print(f"help card language: {_language_of(page, HELP)}")
    # The message the user typed is shown in the conversation too.
    assert page.get_by_text("help", exact=True).first.is_visible()


def test_a_question_gets_a_grounded_answer_card(page: Any, playground: Any) -> None:
    _open(page, playground)
    _card_title(page, WELCOME).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _send(page, "What are people saying about us today?")
    # The answer card: figures against usual, and the tone of the posts read.
    page.get_by_text("Mentions today", exact=True).first.wait_for(
        state="visible", timeout=TIMEOUT_MS
    )
    assert page.get_by_text("Tone", exact=True).first.is_visible()
    assert page.get_by_text("Draft a post on this").first.is_visible()


def test_an_x_question_is_explained(page: Any, playground: Any) -> None:
    _open(page, playground)
    _card_title(page, WELCOME).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _send(page, "what is a quote post?")
    page.get_by_text("Source: Pulse's X guide", exact=False).first.wait_for(
        state="visible", timeout=TIMEOUT_MS
    )
