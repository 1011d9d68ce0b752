"""A Pulse (demo mode) in its own process, for tests that kill it: test_redelivery.py.

python -m tests.teams.pulse_proc DATA_DIR

Prints the port it listens on (loopback, chosen by the OS), then serves until killed."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

from app import create_app
from bot.config import load_settings
from bot.devtools.connector import bound_port


async def main(data_dir: str) -> None:
    settings = load_settings(_env_file=None, PULSE_DATA_DIR=data_dir)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(bound_port(site), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
