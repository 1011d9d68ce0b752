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
from bot.logs import setup_logging


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
        # Replies may arrive after the HTTP answer (background work): wait a little for them.
        for _ in range(40):
            await asyncio.sleep(0.05)
            if len(connector.messages()) > shown:
                await asyncio.sleep(0.2)
                break
        for reply in connector.messages()[shown:]:
            print(f"\nPulse> {message_text(reply)}\n")
        shown = len(connector.messages())

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
