"""A local Bot Connector: the HTTP service Teams exposes for a bot's replies.

The bot sends replies, updates and proactive messages to `serviceUrl`; this server receives
them on loopback and keeps them, for `make chat` and for tests (the SDK sends with synchronous
`requests` in a thread pool, so it must be a real HTTP server, not a mock).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]


@dataclass
class Received:
    method: str
    path: str
    conversation_id: str
    activity: JSON
    authorization: str | None = field(repr=False, default=None)


class LocalConnector:
    """Records what the bot sends; answers like the Bot Connector REST API (v3)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_with: dict[str, int] = {}  # conversation id -> HTTP status to answer
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = bound_port(site)
        self.url = f"http://{host}:{bound}/"
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _record(self, request: web.Request, activity: JSON) -> None:
        async with self._changed:
            self.received.append(
                Received(
                    request.method,
                    request.path,
                    request.match_info.get("cid", ""),
                    activity,
                    request.headers.get("Authorization"),
                )
            )
            self._changed.notify_all()

    async def _send(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if cid in self.fail_with:
            return web.json_response({"error": {"code": "Failure"}}, status=self.fail_with[cid])
        activity = await request.json()
        await self._record(request, activity)
        return web.json_response(
            {"id": request.match_info.get("aid") or f"reply-{next(self._ids)}"}
        )

    async def _delete(self, request: web.Request) -> web.Response:
        await self._record(request, {"id": request.match_info["aid"], "type": "delete"})
        return web.Response(status=200)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        cid = f"conv-{next(self._ids)}"
        if body.get("activity"):
            await self._record(request, body["activity"])
        return web.json_response({"id": cid, "activityId": f"a-{next(self._ids)}"})

    async def _member(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        return web.json_response({"id": mid, "name": mid, "aadObjectId": mid})

    def messages(self, conversation_id: str | None = None) -> list[JSON]:
        return [
            r.activity
            for r in self.received
            if r.method != "DELETE"
            and (conversation_id is None or r.conversation_id == conversation_id)
            and r.activity.get("type") == "message"
        ]

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0
    ) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: predicate(self.received)), timeout
            )

    async def wait_messages(
        self, count: int, conversation_id: str | None = None, timeout: float = 10.0
    ) -> list[JSON]:
        await self.wait_for(lambda _: len(self.messages(conversation_id)) >= count, timeout)
        return self.messages(conversation_id)


def bound_port(site: web.TCPSite) -> int:
    """The port the OS chose for a site bound to port 0 (aiohttp does not expose it)."""
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])


def message_text(activity: JSON) -> str:
    """The visible text of a bot message: its text, or the text blocks of its cards."""
    parts = [str(activity.get("text") or "")]
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") or {}
        parts.extend(_card_texts(content.get("body", [])))
    return "\n".join(p for p in parts if p)


def _card_texts(elements: list[Any]) -> list[str]:
    texts: list[str] = []
    for el in elements:
        if not isinstance(el, dict):
            continue
        if el.get("type") == "TextBlock":
            texts.append(str(el.get("text", "")))
        if el.get("type") == "RichTextBlock":  # a draft's exact text (not read as Markdown)
            runs = el.get("inlines") or []
            texts.append("".join(str(r.get("text", "")) for r in runs if isinstance(r, dict)))
        for child_key in ("items", "columns", "body"):
            if isinstance(el.get(child_key), list):
                texts.extend(_card_texts(el[child_key]))
        if el.get("type") == "FactSet":
            texts.extend(f"{f.get('title')} {f.get('value')}" for f in el.get("facts", []))
    return texts
