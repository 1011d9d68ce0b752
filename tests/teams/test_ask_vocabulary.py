"""Questions are understood with the asking tenant's watch profile, and still understood when
the profile cannot be read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.clients.offline_engine import OfflineEngine
from bot.clients.store import LocalDirStore
from bot.domain.watch import Competitor, WatchProfile
from bot.ports.language import Intent
from bot.ports.store import StorageUnavailable, Versioned
from bot.services.ask import AskService
from bot.services.insights import InsightsService
from bot.services.profiles import ProfileRepository
from tests.drafting.conftest import FakeClock


class Unreadable(LocalDirStore):
    """A store whose reads fail as an unreachable Blob Storage's do."""

    async def read(self, key: str) -> Versioned | None:
        raise StorageUnavailable("blob store down")


def ask_service(store: LocalDirStore) -> AskService:
    profiles = ProfileRepository(store, DEFAULT_PROFILE_PATH, FakeClock())
    listening: Any = None  # understanding never listens
    insights = InsightsService(listening, profiles, FakeClock())
    # Started with no names at all: whatever is known comes from the tenant's profile.
    offline = OfflineEngine()
    return AskService(insights, offline, offline)


async def test_each_tenant_is_understood_with_its_own_competitors(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path)
    ask = ask_service(store)
    profiles = ProfileRepository(store, DEFAULT_PROFILE_PATH, FakeClock())
    base = profiles.default()
    other = base.model_copy(update={"competitors": [Competitor(name="Zedbike", names=["Zedbike"])]})
    await profiles.save("tenant-b", WatchProfile.model_validate(other.model_dump()), by="t")

    vocab_a = await ask.vocabulary("tenant-a")  # no stored profile: the default one
    assert vocab_a is not None and "Rouleo" in vocab_a.competitors
    assert "Velora" in vocab_a.own_names and "PowerCell" in vocab_a.topics
    got_a = await ask.understand("et Rouleo ?", "fr", None, "tenant-a")
    assert got_a.intent is Intent.COMPETITORS and got_a.competitor == "Rouleo"

    got_b = await ask.understand("et Zedbike ?", "fr", None, "tenant-b")
    assert got_b.intent is Intent.COMPETITORS and got_b.competitor == "Zedbike"
    assert (await ask.understand("et Rouleo ?", "fr", None, "tenant-b")).competitor is None


async def test_an_unreadable_profile_degrades_to_the_engines_names(tmp_path: Path) -> None:
    ask = ask_service(Unreadable(tmp_path))
    assert await ask.vocabulary("tenant-a") is None
    got = await ask.understand("qu'est-ce qu'on dit de nous aujourd'hui ?", "fr", None, "t")
    assert got.intent is Intent.PULSE
