"""Fixtures for the end-to-end tests: Pulse and the Agents Playground as subprocesses, Chromium.

Pulse runs `app.py` in demo mode on a free loopback port; the Microsoft 365 Agents Playground
(npm `@microsoft/m365agentsplayground`, a Teams emulator with a mock Bot Connector) is pointed at
it; Playwright drives the Playground's web page in Debian's headless Chromium. Every request the
page makes outside loopback is aborted (it asks a CDN for fonts). On failure, a screenshot, the
page's HTML and both servers' logs are written to build/e2e/.

Missing prerequisites (chromium, node, the Playground) skip the tests locally and fail them in CI.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "e2e"
CHROMIUM = Path(os.environ.get("PULSE_E2E_CHROMIUM", "/usr/bin/chromium"))
PLAYGROUND = ROOT / "tools" / "node_modules" / ".bin" / "agentsplayground"
PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 60.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def _missing_prerequisites() -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if shutil.which("node") is None:
        missing.append("node is not on PATH")
    if not PLAYGROUND.exists():
        missing.append(
            f"the Agents Playground is not installed ({PLAYGROUND}): npm ci --prefix tools"
        )
    if not (ROOT / "app.py").is_file():
        missing.append("app.py is missing")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package is not installed")
    return missing


@pytest.fixture(scope="session")
def e2e_prerequisites() -> None:
    missing = _missing_prerequisites()
    if missing:
        reason = "end-to-end prerequisites missing: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str
    data_dir: Path | None = None

    def log_text(self) -> str:
        try:
            return self.log.read_text("utf-8", errors="replace")
        except OSError:
            return ""


def _start(name: str, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> Any:
    log_file = log.open("wb")
    try:
        # A new session, so the finaliser can end the process and any child it started.
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log_file.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # the group this fixture created, by its id
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_http(server: Server, url: str, deadline: float) -> None:
    last_error = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with code {server.process.returncode}:\n{server.log_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready at {url} ({last_error}):\n{server.log_text()}")


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_APP_", "PULSE_"))}
    return env


# Pulse welcomes a conversation once, and the Playground keeps one personal chat id for its
# lifetime: a Playground per test (about a second to start) gives each test a new conversation,
# so no test depends on the ones before it. Pulse (several seconds to start) is shared.


@pytest.fixture(scope="module")
def pulse_extra_env() -> dict[str, str]:
    """Extra environment for Pulse; a test module overrides this fixture to configure it
    (tests/e2e/test_flows.py: posting to a fake X server)."""
    return {}


@pytest.fixture(scope="module")
def pulse_server(
    e2e_prerequisites: None,
    tmp_path_factory: pytest.TempPathFactory,
    pulse_extra_env: dict[str, str],
) -> Iterator[Server]:
    run_dir = tmp_path_factory.mktemp("pulse")
    port = free_port()
    data_dir = run_dir / "data"
    data_dir.mkdir()
    env = {
        **_base_env(),
        "PULSE_MODE": "demo",
        "PULSE_PORT": str(port),
        "PULSE_HOST": "127.0.0.1",
        "PULSE_DATA_DIR": str(data_dir),
        "PULSE_ENV_FILE": "",
        "PULSE_LOG_LEVEL": "INFO",
        "MICROSOFT_APP_ID": "",
        "MICROSOFT_APP_PASSWORD": "",
        "STORAGE_BACKEND": "local",
        "PYTHONUNBUFFERED": "1",
        **pulse_extra_env,
    }
    python = str(PYTHON if PYTHON.exists() else Path(sys.executable))
    log = run_dir / "pulse.log"
    process = _start("Pulse", [python, "app.py"], env, ROOT, log)
    server = Server("Pulse", process, log, f"http://127.0.0.1:{port}/api/messages", data_dir)
    try:
        _wait_http(server, f"http://127.0.0.1:{port}/healthz", time.monotonic() + START_TIMEOUT_S)
        yield server
    finally:
        _stop(process)


_LISTENING = re.compile(r"Listening on (\d+)")


@pytest.fixture(scope="module")
def user_locale() -> str:
    """The browser's locale and the Playground's system locale (LANG); a test module overrides
    this fixture for a French-speaking user (tests/e2e/test_french.py). The Playground 0.2.28
    itself stamps every activity "en-US" whatever the locale (its activity generators hard-code
    it), so Pulse must tell the language from the words."""
    return "en-US"


@pytest.fixture
def playground(pulse_server: Server, tmp_path: Path, user_locale: str) -> Iterator[Server]:
    """The Agents Playground, pointed at Pulse. It picks another port if ours is taken: the one it
    actually uses is read from its "Listening on N" line."""
    run_dir = tmp_path
    cwd = run_dir / "playground"  # it writes ./devTools/ and reads ./.m365agentsplayground.yml
    cwd.mkdir()
    env = {
        **_base_env(),
        "TEAMSAPPTESTER_BROWSER": "none",
        "BOT_ENDPOINT": pulse_server.url,
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(run_dir / "playground-internal.log"),
        "LANG": user_locale.replace("-", "_") + ".UTF-8",
    }
    log = run_dir / "playground.log"
    args = [str(PLAYGROUND), "--port", str(free_port()), "--disable-telemetry"]
    process = _start("Agents Playground", args, env, cwd, log)
    server = Server("Agents Playground", process, log, "")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (match := _LISTENING.search(server.log_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Agents Playground did not start:\n{server.log_text()}")
            time.sleep(0.2)
        server.url = f"http://127.0.0.1:{match.group(1)}/"
        _wait_http(server, server.url, deadline)
        yield server
    finally:
        _stop(process)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser(e2e_prerequisites: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _loopback_only(route: Any) -> None:
    url = route.request.url
    host = urlsplit(url).hostname or ""
    if url.startswith(("data:", "blob:")) or host in LOOPBACK_HOSTS:
        route.continue_()
    else:
        route.abort()


@pytest.fixture
def page(
    browser: Any,
    playground: Server,
    pulse_server: Server,
    request: pytest.FixtureRequest,
    user_locale: str,
) -> Iterator[Any]:
    """A fresh browser context on the Playground; artefacts go to build/e2e/ if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=user_locale)
    context.set_default_timeout(30_000)
    context.route("**/*", _loopback_only)
    pw_page = context.new_page()
    try:
        yield pw_page
    finally:
        reports = request.node.stash.get(_REPORTS, {})
        if any(r.failed for r in reports.values()):
            _save_artifacts(request.node.name, pw_page, [pulse_server, playground])
        context.close()


def _save_artifacts(test_name: str, pw_page: Any, servers: list[Server]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    with contextlib.suppress(Exception):
        pw_page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    with contextlib.suppress(Exception):
        (ARTIFACTS / f"{stem}.html").write_text(pw_page.content(), "utf-8")
    for server in servers:
        name = server.name.lower().replace(" ", "-")
        (ARTIFACTS / f"{stem}.{name}.log").write_text(server.log_text(), "utf-8")
