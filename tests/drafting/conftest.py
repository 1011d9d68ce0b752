"""Fixtures for drafting and the editorial line: a local store, a clock, programmable engines."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clients.store.local import LocalDirStore
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    DraftRequest,
    EngineError,
    PostDraft,
    Understanding,
    Vocabulary,
)
from bot.services.drafting import DraftingService
from bot.services.editorial_store import EditorialStore
from bot.teams.actions import Actor
from tests.teams.conftest import connector, demo, make_pulse  # noqa: F401  (endpoint fixtures)

SNAPSHOTS = Path(__file__).parent / "snapshots"
LABELS = Path(__file__).parents[2] / "bot" / "clients" / "demo" / "labels.json"


class FakeClock:
    def __init__(self) -> None:
        self.now_value = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.now_value += timedelta(seconds=1)
        return self.now_value


Writer = Callable[[DraftRequest, int], list[PostDraft]]


@dataclass
class StubEngine:
    """A `LanguageEngine` whose posts come from `writer(request, call_number)`."""

    writer: Writer
    engine_name: str = "stub-model"
    is_offline: bool = False
    requests: list[DraftRequest] = field(default_factory=list)
    fail_with: str | None = None

    @property
    def name(self) -> str:
        return self.engine_name

    @property
    def offline(self) -> bool:
        return self.is_offline

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        raise NotImplementedError

    async def write_answer(self, request: AnswerRequest) -> AnswerDraft:
        raise NotImplementedError

    async def write_posts(self, request: DraftRequest) -> list[PostDraft]:
        self.requests.append(request)
        if self.fail_with:
            raise EngineError(self.fail_with)
        return self.writer(request, len(self.requests))


def post(text: str, rationale: str = "Sobre et concret, une idée par post.") -> PostDraft:
    return PostDraft(text=text, rationale=rationale, engine="stub-model")


CLEAN_FR = [
    "Ce matin à Saint-Étienne, nos équipes ont testé chaque vélo sur banc avant expédition. "
    "Merci à elles pour ce travail précis. #FabriquéEnFrance",
    "Nos techniciens répondent à chaque demande sous 48 heures ouvrées. Merci pour vos retours, "
    "ils nous aident à progresser chaque semaine.",
    "Freins hydrauliques et éclairage intégré de série : la sécurité passe avant tout sur "
    "chacun de nos vélos. #SécuritéRoutière",
]
CLEAN_EN = [
    "This morning in Saint-Étienne, our teams bench-tested every bike before shipping. "
    "Thank you for this careful work. #MadeInFrance",
    "Our technicians answer every request within two working days. Thank you for your "
    "feedback: it helps us improve every week.",
    "Hydraulic brakes and built-in lights come standard: safety comes first on every bike we "
    "build. #ebike",
]


def clean_writer(request: DraftRequest, call: int) -> list[PostDraft]:
    texts = CLEAN_FR if request.lang == "fr" else CLEAN_EN
    if request.revision == "shorter" and request.count == 1:
        return [post(texts[0].split(". ")[0] + ".")]
    if request.revision and "shorter" in request.revision:
        return [post(x.split(". ")[0] + ".") for x in texts[: request.count]]
    return [post(x) for x in texts[: request.count]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path) -> LocalDirStore:
    return LocalDirStore(tmp_path / "store")


@pytest.fixture
def editorial(store: LocalDirStore, clock: FakeClock) -> EditorialStore:
    return EditorialStore(store, clock)


@pytest.fixture
def engine() -> StubEngine:
    return StubEngine(clean_writer)


@pytest.fixture
def drafting(editorial: EditorialStore, engine: StubEngine) -> DraftingService:
    return DraftingService(editorial, engine)


@dataclass
class RecordingSubmit:
    calls: list[tuple[Actor, str, str, dict[str, Any]]] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, actor: Actor, text: str, lang: str, context: dict[str, Any]) -> str:
        if self.fail:
            raise RuntimeError("approvals down")
        self.calls.append((actor, text, lang, context))
        return f"draft-{len(self.calls)}"


@pytest.fixture
def submit() -> RecordingSubmit:
    return RecordingSubmit()


def demo_themes() -> list[tuple[str, str]]:
    """(label, lang) for every theme of the demo corpus, in French and in English."""
    themes = json.loads(LABELS.read_text(encoding="utf-8"))["themes"]
    out: list[tuple[str, str]] = []
    for theme in themes:
        out.append((theme["label_fr"], "fr"))
        out.append((theme["label_en"], "en"))
    return out


def assert_snapshot(name: str, card: Any) -> None:
    """Compare with tests/drafting/snapshots/<name>.json; UPDATE_SNAPSHOTS=1 rewrites."""
    path = SNAPSHOTS / f"{name}.json"
    rendered = json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {name} was missing and has been written; run again")
    assert rendered == path.read_text(encoding="utf-8"), f"snapshot {name} differs"
