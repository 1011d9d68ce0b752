"""Talking to a tenant-document editor (editorial line, watch profile) through the real HTTP
endpoint: say a message, press a card button, read the cards back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.teams.files import FileFetcher
from tests.support.teams import card_action, message
from tests.teams.conftest import Pulse


def local_fetcher() -> FileFetcher:
    """The file fetcher of the tests: also the local file server, over plain HTTP."""
    return FileFetcher(
        allowed_hosts=("*.sharepoint.com", "127.0.0.1"), require_https=False, max_bytes=64 * 1024
    )


@dataclass
class EditorChat:
    pulse: Pulse

    async def say(
        self, text: str, user: str = "alice", locale: str = "fr-FR", **extra: Any
    ) -> list[dict[str, Any]]:
        """Send a message; the bot's replies to it."""
        connector = self.pulse.connector
        before = len(connector.messages())
        activity = message(text, service_url=connector.url, user_id=user, locale=locale)
        activity.update(extra)
        status, _ = await self.pulse.post(activity)
        assert status in (200, 201)
        await connector.wait_for(lambda _: len(connector.messages()) > before)
        return connector.messages()[before:]

    async def invoke(
        self, verb: str, data: dict[str, Any], user: str = "alice", locale: str = "fr-FR"
    ) -> dict[str, Any]:
        """Press a card button (Action.Execute); the invoke response's body."""
        activity = card_action(
            verb, data, service_url=self.pulse.connector.url, user_id=user, locale=locale
        )
        status, body = await self.pulse.post(activity)
        assert status == 200
        return body  # type: ignore[no-any-return]


def first_card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(a["content"] for m in messages for a in m.get("attachments") or [])


def inputs_of(card: dict[str, Any]) -> dict[str, Any]:
    """The form's inputs by id."""
    return {el["id"]: el for el in card["body"] if el["type"].startswith("Input.")}


def exported_yaml(card: dict[str, Any]) -> str:
    """The YAML shown by an export card."""
    return str(
        next(
            run["text"]
            for el in card["body"]
            if el["type"] == "RichTextBlock"
            for run in el["inlines"]
        )
    )


def input_values(card: dict[str, Any]) -> dict[str, str]:
    """The form's values by input id."""
    return {key: el["value"] for key, el in inputs_of(card).items()}
