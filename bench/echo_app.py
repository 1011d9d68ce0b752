"""The baseline of the endpoint benchmark: a bare botbuilder echo bot, as the samples write it."""

from __future__ import annotations

import sys
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


def main() -> None:
    config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", lambda _: web.json_response({"status": "alive"}))
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
