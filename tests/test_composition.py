"""The composition root builds everything once from one `Settings` (issue 21): the web app and
the worker share the same core construction; nothing is wired after construction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.clients.store import LocalDirStore
from bot.clients.x.source import XSource
from bot.composition import build_core, build_web, build_worker
from bot.config import load_settings
from bot.services.roles import APPROVER
from bot.teams.approval_cards import APPROVE
from bot.teams.briefing_cards import SAVE_VERB

ROOT = Path(__file__).resolve().parents[1]


async def test_the_web_components_are_built_once_and_share_their_parts(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, PULSE_DATA_DIR=str(tmp_path / "data"))
    web = build_web(settings)
    try:
        core = web.core
        # the editorial line and the ledger reach approvals through their constructors
        assert core.approvals.approvals.line_for == core.editorial.current
        assert web.bot.actions.handles(APPROVE) and web.bot.actions.handles(SAVE_VERB)
        assert web.intents.briefings is web.briefings
        assert web.intents.ask is web.ask is core.answering.ask
        assert web.answer_queue is None  # demo: answers in process
        assert web.store is core.store and web.settings is settings
    finally:
        await core.close()


async def test_posting_uses_the_reading_client_and_its_user_context(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None,
        X_BEARER_TOKEN="fake-bearer-for-test",
        X_API_BASE_URL="http://127.0.0.1:9/",
        X_POSTING_ENABLED="true",
        X_USER_ACCESS_TOKEN="fake-user-token-for-test",
    )
    core = build_core(settings, store=LocalDirStore(tmp_path))
    try:
        assert isinstance(core.answering.source, XSource)
        assert core.approvals.publishing.publisher is core.answering.source
    finally:
        await core.close()


async def test_posting_stays_off_without_its_setting(tmp_path: Path) -> None:
    core = build_core(load_settings(_env_file=None), store=LocalDirStore(tmp_path))
    try:
        assert core.approvals.publishing.publisher is None
    finally:
        await core.close()


async def test_the_worker_builds_from_the_same_settings(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, PULSE_DATA_DIR=str(tmp_path / "data"), PULSE_QUEUE_NAME="jobs-test"
    )
    worker = build_worker(settings, name="worker-test")
    try:
        assert "jobs-test" in repr(worker.queue)
        assert worker.core.settings is settings
    finally:
        await worker.queue.close()
        await worker.core.close()


def test_the_worker_process_never_loads_the_web_app() -> None:
    code = "import sys, bot.worker, bot.composition; sys.exit(1 if 'app' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]


async def test_a_roles_team_is_read_through_the_loader_given_at_construction(
    tmp_path: Path,
) -> None:
    asked: list[str] = []

    async def members(team_id: str) -> set[str]:
        asked.append(team_id)
        return {"aad-carol"}

    settings = load_settings(_env_file=None, PULSE_ROLES_TEAM_ID="team-comms")
    core = build_core(settings, store=LocalDirStore(tmp_path), team_members=members)
    try:
        assert APPROVER in await core.approvals.roles.roles_of("aad-carol")
        assert APPROVER not in await core.approvals.roles.roles_of("aad-dave")
        assert asked == ["team-comms"]  # read once, then cached
    finally:
        await core.close()
