"""Pulse past one machine, on this one: web instances and worker processes sharing Azurite (blob
store + work queue), with the fake X server, a fake model and a local Bot Connector. Used by
tests/scale and bench/bench_workers.py.

- web instances: `create_app` ×N in this process (each on its own port, its own store and queue
  clients), answers dispatched to the queue;
- workers: `python -m bot.worker` subprocesses, configured by environment only;
- demo mode with STORAGE_BACKEND=blob and PULSE_QUEUE_BACKEND=azure: production mode would need
  a reachable identity provider for the workers' outbound tokens (a worker process gets its
  credentials from the environment only, there is no test hook there); everything that scales
  (shared blob store, queue, exactly-once markers, serviceUrl guard) is the same in both modes.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from app import create_app
from bot.clients.queue.azure import AzureQueue
from bot.clients.store.blob import BlobStore
from bot.config import load_settings
from bot.devtools.connector import LocalConnector
from tests.support.azurite import Azurite
from tests.support.fake_openai import FAKE_API_KEY, ChatRequest, FakeOpenAI, example_for
from tests.support.fake_x import TEST_BEARER_TOKEN, FakeXServer
from tests.support.teams import TENANT, message

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Qu'est-ce qu'on dit de nous aujourd'hui ?"
SLOW_MARKER = "zzlent"


def model_answer(request: ChatRequest) -> dict[str, Any] | str:
    """Valid structured output: every question is understood as "pulse, today, in French"."""
    schema = request.schema
    if schema is None:
        return "ok"
    out = example_for(schema)
    props = schema.get("properties", {})
    wanted: dict[str, Any] = {
        "intent": "pulse",
        "lang": "fr",
        "period": "today",
        "topic": None,
        "competitor": None,
        "post_ref": None,
        "follow_up": False,
        "confidence": 0.95,
        "headline": "On parle de Velora",
        "summary": "Les échanges portent sur les livraisons et la batterie.",
        "points": ["La livraison domine.", "La batterie revient souvent."],
        "cited_post_ids": [],
        "next_steps": ["Répondre aux clients sur les délais."],
    }
    if isinstance(out, dict):
        out.update({k: v for k, v in wanted.items() if k in props})
    return out


class ScaleModel(FakeOpenAI):
    """The fake model, ~`delay` s per call; the answer to a question containing `SLOW_MARKER` is
    slow (`slow_s`) the first time only: the window in which a worker is killed."""

    slow_s: float = 30.0  # far longer than it takes to pick the victim and kill it
    slow_seen: int = 0

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()  # aiohttp keeps the body: the parent reads it again
        text = json.dumps(body.get("messages", []), ensure_ascii=False)
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema", {})
        if SLOW_MARKER in text and "headline" in schema.get("properties", {}):
            self.slow_seen += 1
            if self.slow_seen == 1:
                await asyncio.sleep(self.slow_s)
        return await super()._handle(request)


def seed_posts(x: FakeXServer, count: int = 160) -> None:
    now = datetime.now(UTC)
    themes = [
        ("livraison", "Ma Velora est arrivée avec trois semaines de retard, livraison pénible"),
        ("batterie", "La batterie PowerCell de ma Velora tient super bien, ravi"),
        ("prix", "Velora augmente encore ses prix, ça devient cher"),
        ("sav", "Le service client Velora m'a répondu en une heure, top"),
    ]
    users = [x.add_user(f"cycliste{i}", followers=50 + 37 * i) for i in range(40)]
    for i in range(count):
        _, text = themes[i % len(themes)]
        # Most of them today, the rest over the past week (the usual volume).
        age = timedelta(minutes=7 * i) if i < count * 2 // 3 else timedelta(hours=6 * i % 160)
        x.add_post(
            f"{text} #{i}",
            author=users[i % len(users)],
            created_at=now - age - timedelta(minutes=1),
            lang="fr",
            likes=(i * 13) % 90,
            reposts=i % 7,
        )


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Rig:
    blob: Azurite
    queue_service: Azurite
    workdir: Path
    model_delay_s: float = 0.2
    worker_concurrency: int = 8
    visibility_timeout_s: int = 10
    container: str = field(default_factory=lambda: f"scale{uuid.uuid4().hex[:12]}")
    queue_name: str = field(default_factory=lambda: f"scale-{uuid.uuid4().hex[:12]}")
    x: FakeXServer = field(default_factory=lambda: FakeXServer(bearer_token=TEST_BEARER_TOKEN))
    model: ScaleModel = field(default_factory=ScaleModel)
    connector: LocalConnector = field(default_factory=LocalConnector)
    web: list[TestServer] = field(default_factory=list)
    workers: dict[str, Worker] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None

    # -- setup ---------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """What a web instance and a worker are configured with (demo mode, shared Azurite)."""
        return {
            "PULSE_MODE": "demo",
            "PULSE_LOG_LEVEL": "INFO",
            "STORAGE_BACKEND": "blob",
            "AZURE_STORAGE_CONNECTION_STRING": self.blob.connection_string,
            "AZURE_STORAGE_CONTAINER": self.container,
            "STORAGE_TIMEOUT_S": "20",
            "PULSE_QUEUE_BACKEND": "azure",
            "PULSE_ANSWER_DISPATCH": "queue",
            "AZURE_STORAGE_QUEUE_CONNECTION_STRING": self.queue_service.connection_string,
            "PULSE_QUEUE_NAME": self.queue_name,
            "PULSE_QUEUE_VISIBILITY_TIMEOUT_S": str(self.visibility_timeout_s),
            "PULSE_QUEUE_RETRY_BASE_S": "1",
            "PULSE_QUEUE_RETRY_MAX_S": "5",
            "PULSE_QUEUE_POLL_MAX_S": "0.5",
            "PULSE_WORKER_CONCURRENCY": str(self.worker_concurrency),
            "PULSE_WORKER_PORT": "0",
            "PULSE_WORKER_DRAIN_TIMEOUT_S": "5",
            "X_API_BASE_URL": self.x.base_url,
            "X_BEARER_TOKEN": TEST_BEARER_TOKEN,
            "OPENAI_BASE_URL": self.model.base_url,
            "OPENAI_API_KEY": FAKE_API_KEY,
            "OPENAI_MODEL": "gpt-fake-mini",
            "OPENAI_MAX_RETRIES": "0",
            "PULSE_SCHEDULER_ENABLED": "false",
        }

    async def start(self, *, web_instances: int = 3, workers: int = 2) -> None:
        self.model.delay = self.model_delay_s
        self.model.responder = model_answer
        await self.x.start()
        seed_posts(self.x)
        await self.model.start()
        await self.connector.start()
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        env = self.env()
        settings = load_settings(_env_file=None, **env)
        for _ in range(web_instances):
            app = create_app(settings, briefings_installed=False)
            server = TestServer(app, host="127.0.0.1", port=0)
            await server.start_server()
            self.web.append(server)
        names = [f"worker-{i}" for i in range(workers)]
        for name in names:
            self.start_worker(name)
        await asyncio.gather(*(self.wait_ready(n) for n in names))

    def start_worker(self, name: str) -> Worker:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / f"{name}.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "AZURE_"))},
            **self.env(),
            "CONTAINER_APP_REPLICA_NAME": name,
            "PYTHONPATH": str(ROOT),
        }
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.worker"],
                cwd=self.workdir,  # no .env there: the environment only
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        worker = Worker(name, process, log)
        self.workers[name] = worker
        return worker

    async def wait_ready(self, name: str, timeout: float = 120.0) -> None:
        worker = self.workers[name]
        deadline = time.monotonic() + timeout
        while f"{name} ready" not in worker.text():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{worker.text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self, name: str) -> None:
        process = self.workers[name].process
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    async def close(self) -> None:
        for worker in self.workers.values():
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.workers.values():
            try:
                await asyncio.to_thread(worker.process.wait, 15)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=5)
        for server in self.web:
            await server.close()
        if self.session is not None:
            await self.session.close()
        await self.connector.stop()
        await self.model.stop()
        await self.x.close()

    # -- driving -------------------------------------------------------------------------------

    async def ask(
        self, conversation_id: str, *, instance: int, text: str = QUESTION, activity_id: str = ""
    ) -> int:
        assert self.session is not None
        server = self.web[instance % len(self.web)]
        activity = message(
            text,
            service_url=self.connector.url,
            conversation_id=conversation_id,
            user_id=f"user-{conversation_id}",
            locale="fr-FR",
            tenant=TENANT,
            activity_id=activity_id or f"act-{conversation_id}",
        )
        async with self.session.post(
            str(server.make_url("/api/messages")), json=activity
        ) as response:
            await response.read()
            return response.status

    def cards(self) -> Counter[str]:
        """Answer cards per conversation."""
        return Counter(
            r.conversation_id
            for r in self.connector.received
            if r.method != "DELETE" and r.activity.get("attachments")
        )

    def texts(self, needle: str) -> Counter[str]:
        return Counter(
            r.conversation_id
            for r in self.connector.received
            if needle in str(r.activity.get("text") or "")
        )

    async def wait_cards(self, conversations: set[str], timeout: float) -> None:
        await self.connector.wait_for(lambda _: conversations <= set(self.cards()), timeout=timeout)

    def composing(self, name: str) -> int:
        """How many answers the worker `name` has started composing (its log says)."""
        return self.workers[name].text().count("): composing")

    def unfinished_sends(self, name: str) -> set[str]:
        """Conversations whose answer the worker `name` was sending, by its log, but never
        marked sent: where a kill lands in the window `bot.teams.answer_jobs` documents (the
        connector may have delivered the card; the job is redone and the card sent again)."""
        text = self.workers[name].text()
        started = set(re.findall(r"\[act-([\w-]+)\] answer job \w+: claimed, sending", text))
        done = set(re.findall(r"\[act-([\w-]+)\] answer job \w+: sent$", text, re.MULTILINE))
        return started - done

    def holder_of(self, activity_id: str) -> str | None:
        """The worker whose log shows it composing the answer to `activity_id`."""
        pattern = re.compile(rf"activity {re.escape(activity_id)}, delivery \d+\): composing")
        for name, worker in self.workers.items():
            if pattern.search(worker.text()):
                return name
        return None

    def store(self) -> BlobStore:
        return BlobStore(
            container=self.container,
            connection_string=self.blob.connection_string,
            timeout_s=20.0,
        )

    def queue(self) -> AzureQueue:
        return AzureQueue(
            self.queue_name, connection_string=self.queue_service.connection_string, timeout_s=20
        )
