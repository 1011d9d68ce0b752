"""`make run`: Pulse in demo mode plus the Microsoft 365 Agents Playground pointed at it.

Prints the address to open; Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "tools" / "node_modules" / ".bin" / "agentsplayground"


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback URL we built
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    return False


def main() -> int:
    bot_port = int(os.environ.get("PULSE_PORT", "3978"))
    playground_port = int(os.environ.get("PLAYGROUND_PORT", "56150"))
    env = {**os.environ, "PULSE_PORT": str(bot_port)}
    bot = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env)
    if not wait_for(f"http://127.0.0.1:{bot_port}/healthz", 30):
        print("Pulse did not start; see the messages above.", file=sys.stderr)
        bot.terminate()
        return 1
    (ROOT / "var").mkdir(exist_ok=True)
    playground_env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "BOT_ENDPOINT": f"http://127.0.0.1:{bot_port}/api/messages",
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(ROOT / "var" / "agentsplayground.log"),
    }
    playground = subprocess.Popen(
        [str(PLAYGROUND), "--port", str(playground_port), "--disable-telemetry"],
        cwd=ROOT / "var",
        env=playground_env,
        stdout=subprocess.PIPE,
        text=True,
    )
    # The Playground picks another port when the one asked for is taken: read the real one.
    deadline = time.monotonic() + 60
    while playground.stdout and time.monotonic() < deadline:
        line = playground.stdout.readline()
        if not line:
            break
        found = re.search(r"Listening on (\d+)", line)
        if found:
            playground_port = int(found.group(1))
            break
    if wait_for(f"http://127.0.0.1:{playground_port}/", 60):
        print(
            f"\n  Pulse is running (demo mode).\n"
            f"  Open http://127.0.0.1:{playground_port}/ in your browser: Teams, locally.\n"
            f"  No browser? In another terminal: make chat\n"
            f"  Ctrl-C stops both.\n",
            flush=True,
        )
    else:
        print(
            "The Agents Playground did not start; Pulse itself is up (try make chat).",
            file=sys.stderr,
        )
    try:
        while bot.poll() is None and playground.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (playground, bot):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (playground, bot):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
