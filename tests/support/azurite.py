"""Azurite (the Azure Storage emulator) for tests and benchmarks: real blob and queue services.

Fixtures (session-scoped; register them by importing this module's fixtures into a conftest):

- `azurite_blob`  -> `Azurite` with `.connection_string`, `.endpoint`, `.port`
- `azurite_queue` -> the same for the queue service

Each starts `azurite-blob` / `azurite-queue` on 127.0.0.1 with an OS-chosen port, in memory, in
a temporary directory, reads the real port from its output ("... successfully listens on
http://127.0.0.1:PORT", printed even with --silent), and kills it at the end of the session.

When the binary is missing the tests are skipped with a clear message — unless the environment
variable CI is set: in CI a missing Azurite is a failure, never a silent skip. The binary is
looked up in $AZURITE_BIN_DIR, then tools/node_modules/.bin, then PATH.

The account key below is the well-known public development key of Azurite (devstoreaccount1),
published in Microsoft's documentation; it protects nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
ROOT = Path(__file__).resolve().parents[2]
_LISTENS = re.compile(r"successfully listens on https?://[^\s:]+:(\d+)")
_SERVICES = {"blob": ("azurite-blob", "Blob"), "queue": ("azurite-queue", "Queue")}


@dataclass
class Azurite:
    service: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return connection_string(self.service, self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Azurite shuts down cleanly on SIGINT
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def connection_string(service: str, port: int, host: str = "127.0.0.1") -> str:
    endpoint_name = _SERVICES[service][1]
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"{endpoint_name}Endpoint=http://{host}:{port}/{ACCOUNT};"
    )


def find_binary(service: str) -> str | None:
    name = _SERVICES[service][0]
    candidates = []
    if os.environ.get("AZURITE_BIN_DIR"):
        candidates.append(Path(os.environ["AZURITE_BIN_DIR"]) / name)
    candidates.append(ROOT / "tools" / "node_modules" / ".bin" / name)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def start_azurite(service: str = "blob", *, startup_timeout: float = 30.0) -> Azurite:
    """Start one Azurite service; raise FileNotFoundError when the binary is missing."""
    binary = find_binary(service)
    if binary is None:
        raise FileNotFoundError(f"{_SERVICES[service][0]} not found (npm install azurite)")
    workdir = Path(tempfile.mkdtemp(prefix=f"azurite-{service}-"))
    log_path = workdir / "azurite.out"
    args = [
        binary,
        f"--{service}Host",
        "127.0.0.1",
        f"--{service}Port",
        "0",
        "--inMemoryPersistence",
        "--silent",
        "--skipApiVersionCheck",
    ]
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir
        )
    deadline = time.monotonic() + startup_timeout
    while True:
        text = log_path.read_text(errors="replace")
        match = _LISTENS.search(text)
        if match:
            return Azurite(service, int(match.group(1)), process, workdir)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=5)
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeError(f"{_SERVICES[service][0]} did not start:\n{text[-2000:]}")
        time.sleep(0.05)


def _fixture(service: str) -> Iterator[Azurite]:
    if find_binary(service) is None:
        message = (
            f"{_SERVICES[service][0]} is not installed: run `npm install --prefix tools azurite` "
            "(or set AZURITE_BIN_DIR)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {message}", pytrace=False)
        pytest.skip(message)
    instance = start_azurite(service)
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def azurite_blob() -> Iterator[Azurite]:
    """A session-wide Azurite blob service on 127.0.0.1 (in memory)."""
    yield from _fixture("blob")


@pytest.fixture(scope="session")
def azurite_queue() -> Iterator[Azurite]:
    """A session-wide Azurite queue service on 127.0.0.1 (in memory)."""
    yield from _fixture("queue")
