"""Issue 22, item 14: a model response is capped in tokens (asked) and in bytes (enforced below
the real openai client, before any parsing). The fake server streams a 20 MB completion against
a 1 MB cap."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clients.llm import OpenAIEngine
from bot.clients.offline_engine import OfflineEngine
from bot.clients.store import LocalDirStore
from bot.ports.language import EngineError
from bot.services.drafting import DraftingService
from bot.services.editorial_store import EditorialStore
from tests.llm.conftest import EngineFactory, answer_request
from tests.support.fake_openai import OPENAI_PATH, FakeOpenAI

HUGE = 20_000_000
CAP = 1_000_000


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.mark.parametrize("fault", ["huge", "huge_declared"])
async def test_a_huge_body_is_refused_before_parsing(
    make_engine: EngineFactory, fake_openai: FakeOpenAI, fault: str
) -> None:
    engine = await make_engine(max_response_bytes=CAP)
    fake_openai.huge_bytes = HUGE
    fake_openai.fail_next(fault)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        with pytest.raises(EngineError) as err:
            await engine.write_answer(answer_request())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.code == "response_too_large"
    assert fake_openai.calls[OPENAI_PATH] == 1  # not retried
    assert peak < 8 * CAP  # the 20 MB were never held (nor parsed)
    # The client stopped reading early (socket buffers aside), or never started.
    assert fake_openai.huge_sent < HUGE // 2


async def test_the_same_body_under_the_cap_is_read(
    make_engine: EngineFactory, fake_openai: FakeOpenAI
) -> None:
    engine = await make_engine(max_response_bytes=CAP)
    fake_openai.huge_bytes = CAP // 2
    fake_openai.fail_next("huge")
    with pytest.raises(EngineError) as err:  # read, parsed, then refused by the schema
        await engine.write_answer(answer_request())
    assert err.value.code == "invalid_output"


async def test_every_call_asks_for_bounded_output(
    make_engine: EngineFactory, fake_openai: FakeOpenAI
) -> None:
    engine = await make_engine(max_output_tokens=600)
    await engine.understand("Que dit-on de nous ?", "fr", None)
    assert fake_openai.last.body["max_completion_tokens"] == 600
    assert fake_openai.last.headers.get("accept-encoding") == "identity"


async def test_a_huge_body_falls_back_to_the_offline_engine(
    make_engine: EngineFactory, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    engine: OpenAIEngine = await make_engine(max_response_bytes=CAP)
    fake_openai.huge_bytes = HUGE
    fake_openai.fail_next("huge")
    editorial = EditorialStore(LocalDirStore(tmp_path / "data"), Clock())
    service = DraftingService(editorial, engine, fallback=OfflineEngine())
    variants = await service.propose("tenant-contoso", "atelier de Saint-Étienne", "fr", 1)
    assert variants and all(v.notice == "engine.response_too_large" for v in variants)
    assert all(v.engine == "offline" for v in variants)
