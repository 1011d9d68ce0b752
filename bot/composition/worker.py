"""The worker's components (`python -m bot.worker`): the core services, its own adapter (same
outbound credentials and serviceUrl guard as the web instances) and the "answer" job handler.
The web app builds the same handler for its in-process worker (memory queue)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clients.queue.factory import create_queue
from bot.composition.core import Core, build_core
from bot.config import Settings
from bot.ports.clock import Clock
from bot.ports.queue import WorkQueue
from bot.ports.store import Store
from bot.teams.adapter import Adapter, CredentialsFactory, build_adapter, build_authentication
from bot.teams.answer_jobs import AnswerJobHandler
from bot.teams.ask import AnswerComposer


def build_answer_handler(
    settings: Settings,
    core: Core,
    adapter: Adapter,
    *,
    worker_name: str,
    claim_lease_s: float,
) -> AnswerJobHandler:
    """The "answer" job: composes the answer with the core's services, sends it by `adapter`."""
    composer = AnswerComposer(
        core.answering.ask, core.store, core.clock, show_cost_to_all=settings.is_demo
    )
    return AnswerJobHandler(
        composer,
        adapter,
        settings.bot.app_id,
        core.store,
        core.clock,
        worker_name=worker_name,
        claim_lease_s=claim_lease_s,
    )


@dataclass
class WorkerComponents:
    core: Core
    queue: WorkQueue
    adapter: Adapter
    answers: AnswerJobHandler


def build_worker(
    settings: Settings,
    *,
    name: str,
    store: Store | None = None,
    clock: Clock | None = None,
    credentials_factory: CredentialsFactory | None = None,
) -> WorkerComponents:
    core = build_core(settings, store=store, clock=clock)
    adapter = build_adapter(build_authentication(settings, credentials_factory))
    answers = build_answer_handler(
        settings,
        core,
        adapter,
        worker_name=name,
        claim_lease_s=settings.queue.visibility_timeout_s,
    )
    return WorkerComponents(core, create_queue(settings, core.store), adapter, answers)
