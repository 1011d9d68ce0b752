"""`make chat`: talk to Pulse in a terminal, through its real HTTP endpoint.

Starts Pulse (demo settings, or your .env) on a free loopback port, with a local Bot Connector
that receives its replies, and prints them as text. `--locale fr-FR` to chat in French.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from bot.config import ConfigError, load_settings
from bot.devtools.connector import LocalConnector, bound_port, message_text
from bot.i18n import language_of, t
from bot.logs import setup_logging

REPLY_WAIT_S = 45.0
QUIET_S = 0.6


def _waiting(connector: LocalConnector) -> bool:
    """The last message is the "looking into it" note: the answer card is still to come."""
    last = connector.messages()[-1:]
    notes = {t(lang, "answer.looking") for lang in ("fr", "en")}
    return bool(last) and str(last[0].get("text") or "") in notes


def button_titles(activity: dict[str, object]) -> list[str]:
    """The titles of a reply's card buttons, to show what can be answered in the terminal."""
    titles: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and node.get("title"):
                titles.append(str(node["title"]))
            for key in ("body", "actions", "items", "columns", "card"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for attachment in activity.get("attachments") or []:  # type: ignore[attr-defined]
        if isinstance(attachment, dict):
            walk(attachment.get("content"))
    # the same title on several buttons ("Choose" under each draft): number them
    return [
        f"{title} {titles[: i + 1].count(title)}" if titles.count(title) > 1 else title
        for i, title in enumerate(titles)
    ]


def _activity(
    kind: str, service_url: str, conversation: str, locale: str, **extra: object
) -> dict[str, object]:
    return {
        "type": kind,
        "id": uuid.uuid4().hex,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:terminal-user", "name": "You", "aadObjectId": "terminal-user"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "local"},
        "recipient": {"id": "28:pulse", "name": "Pulse"},
        "locale": locale,
        "channelData": {"tenant": {"id": "local"}},
        **extra,
    }


async def chat(locale: str) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not settings.is_demo:
        print("make chat runs Pulse in demo mode only (no Teams identity here).", file=sys.stderr)
        return 2
    setup_logging("WARNING", settings.secrets(), "text")
    connector = LocalConnector()
    service_url = await connector.start()
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = bound_port(site)
    endpoint = f"http://127.0.0.1:{port}/api/messages"
    conversation = f"terminal-{uuid.uuid4().hex[:8]}"
    shown = 0

    async def send(activity: dict[str, object]) -> None:
        nonlocal shown
        async with (
            aiohttp.ClientSession() as session,
            session.post(endpoint, json=activity) as resp,
        ):
            if resp.status >= 400:
                print(f"[HTTP {resp.status}]")
        # Replies may arrive after the HTTP answer (background work, "je regarde…" then the
        # card): wait for the first, then until Pulse has been quiet for a moment.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_WAIT_S
        count, quiet_since = shown, loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            now_count = len(connector.messages())
            if now_count != count:
                count, quiet_since = now_count, loop.time()
            elif count > shown and loop.time() - quiet_since > QUIET_S and not _waiting(connector):
                break
        for reply in connector.messages()[shown:]:
            print(f"\nPulse> {message_text(reply)}\n")
            buttons = button_titles(reply)
            if buttons:
                print(f"  [{'] ['.join(buttons)}]\n  ({t(lang, 'chat.buttons_hint')})\n")
        shown = len(connector.messages())

    lang = language_of(locale)
    print(f"Chatting with Pulse ({settings.mode.value} mode, locale {locale}). Ctrl-D to quit.")
    await send(
        _activity(
            "conversationUpdate",
            service_url,
            conversation,
            locale,
            membersAdded=[{"id": "28:pulse"}, {"id": "29:terminal-user"}],
        )
    )
    try:
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            if text.strip():
                await send(_activity("message", service_url, conversation, locale, text=text))
    finally:
        await runner.cleanup()
        await connector.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--locale", default=os.environ.get("PULSE_CHAT_LOCALE", "en-US"))
    args = parser.parse_args()
    try:
        return asyncio.run(chat(args.locale))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
