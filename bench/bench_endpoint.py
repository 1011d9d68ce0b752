"""POST /api/messages throughput and latency: Pulse's `help` turn beside a bare botbuilder echo
bot, both served by their own process on this machine, measured in the same run.

Each request is a distinct activity (Pulse remembers ids) in one of 20 conversations (people
come back to their chat); each bot's replies go to the same local Bot Connector, so both pay
for the outbound reply."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.devtools.connector import LocalConnector  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CONVERSATIONS = 20  # the same people keep chatting: conversation ids repeat, as in Teams


def activity(service_url: str, text: str) -> dict[str, object]:
    conversation = f"bench-{random.randrange(CONVERSATIONS)}"
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "text": text,
        "locale": "en-US",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:bench", "name": "Bench", "aadObjectId": "bench"},
        "conversation": {"id": conversation, "tenantId": "bench"},
        "recipient": {"id": "28:bot", "name": "Bot"},
    }


async def wait_healthy(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


async def load(
    url: str, service_url: str, text: str, total: int, concurrency: int
) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            queue.get_nowait()
            body = activity(service_url, text)
            start = time.perf_counter()
            async with session.post(url, json=body) as resp:
                await resp.read()
                if resp.status >= 300:
                    errors += 1
            latencies.append(time.perf_counter() - start)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, errors


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def measure(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    service_url: str,
    text: str,
    total: int,
    concurrency: int,
) -> dict[str, float]:
    proc = start(cmd, env)
    try:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/api/messages"
        await load(url, service_url, text, min(50, total), concurrency)  # warm-up
        elapsed, latencies, errors = await load(url, service_url, text, total, concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    q = statistics.quantiles(latencies, n=100)
    return {"rps": total / elapsed, "p50": q[49] * 1000, "p95": q[94] * 1000, "errors": errors}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    connector = LocalConnector()
    service_url = await connector.start()
    with tempfile.TemporaryDirectory() as data_dir:
        echo_port, pulse_port = free_port(), free_port()
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "MICROSOFT_"))
        }
        echo = await measure(
            "echo",
            [sys.executable, "bench/echo_app.py", str(echo_port)],
            base_env,
            echo_port,
            service_url,
            "hello",
            args.requests,
            args.concurrency,
        )
        pulse_env = {
            **base_env,
            "PULSE_PORT": str(pulse_port),
            "PULSE_DATA_DIR": data_dir,
            "PULSE_LOG_LEVEL": "WARNING",
        }
        pulse = await measure(
            "pulse",
            [sys.executable, "app.py"],
            pulse_env,
            pulse_port,
            service_url,
            "help",
            args.requests,
            args.concurrency,
        )
    await connector.stop()

    print(f"\nPOST /api/messages — {args.requests} requests, concurrency {args.concurrency}")
    print(f"{'':24}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
    for name, r in (("botbuilder echo (base)", echo), ("Pulse 'help' turn", pulse)):
        print(f"{name:24}{r['rps']:>10.1f}{r['p50']:>10.1f}{r['p95']:>10.1f}{int(r['errors']):>8}")
    ratio = pulse["rps"] / echo["rps"]
    print(f"Pulse / echo throughput: {ratio:.2f}x (goal ≥ 0.80x)")


if __name__ == "__main__":
    asyncio.run(main())
