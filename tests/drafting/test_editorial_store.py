"""Editorial line storage: default, versions with who and when, roll-back, CAS, located errors."""

from __future__ import annotations

import asyncio

import pytest

from bot.clients.store.local import LocalDirStore
from bot.domain.defaults import default_editorial_line, default_editorial_line_yaml
from bot.domain.editorial import Editor, UnknownVersion
from bot.ports.store import PreconditionFailed
from bot.services.editorial_store import (
    EditorialStore,
    VersionConflict,
    audit_log_key,
    editorial_key,
)
from tests.drafting.conftest import FakeClock

ALICE = Editor(user_id="aad-alice", name="Alice")
BOB = Editor(user_id="aad-bob", name="Bob")


def _with_forbidden(extra: str) -> str:
    return default_editorial_line_yaml().replace(
        '    - "#concours"', f'    - "#concours"\n    - "{extra}"'
    )


async def test_a_tenant_without_a_line_gets_the_demo_line_under_its_own_id(
    editorial: EditorialStore, store: LocalDirStore
) -> None:
    line = await editorial.current("tenant-a")
    assert line.tenant_id == "tenant-a"
    assert line.same_content(default_editorial_line().model_copy(update={"tenant_id": "tenant-a"}))
    history = await editorial.history("tenant-a")
    assert history.latest_version == 1
    assert await store.read(editorial_key("tenant-a")) is None  # reading writes nothing


async def test_save_appends_versions_with_who_when_and_note(
    editorial: EditorialStore, store: LocalDirStore
) -> None:
    result = await editorial.save("tenant-a", _with_forbidden("#bonplan"), ALICE, "no deals")
    assert result.ok and not result.unchanged
    assert result.line is not None
    assert result.line.revision.version == 2  # the default is version 1
    assert result.line.revision.changed_by == ALICE
    assert result.line.revision.note == "no deals"
    assert "#bonplan" in result.line.hashtags.forbidden
    history = await editorial.history("tenant-a")
    assert [v.revision.version for v in history.versions] == [1, 2]
    assert history.versions[0].revision.changed_by.name == "Pulse"
    audit = await store.read_log(audit_log_key("tenant-a"))
    assert audit[-1]["event"] == "editorial.saved" and audit[-1]["by"] == "aad-alice"


async def test_saving_the_same_content_makes_no_new_version(editorial: EditorialStore) -> None:
    first = await editorial.save("tenant-a", _with_forbidden("#bonplan"), ALICE)
    again = await editorial.save("tenant-a", _with_forbidden("#bonplan"), BOB)
    assert first.line is not None and again.line is not None
    assert again.unchanged and again.line.revision.version == first.line.revision.version


async def test_yaml_problems_are_located_and_nothing_is_saved(
    editorial: EditorialStore, store: LocalDirStore
) -> None:
    text = _with_forbidden("promo sans dièse")
    result = await editorial.save("tenant-a", text, ALICE)
    assert not result.ok
    problem = next(p for p in result.problems if p.code == "hashtag.invalid")
    assert problem.loc == "hashtags.forbidden[5]"
    expected_line = text.splitlines().index('    - "promo sans dièse"') + 1
    assert problem.line == expected_line
    assert await store.read(editorial_key("tenant-a")) is None


async def test_yaml_without_tenant_or_revision_is_completed_and_lines_stay_exact(
    editorial: EditorialStore,
) -> None:
    lines = [
        x
        for x in default_editorial_line_yaml().splitlines()
        if not x.startswith(("tenant_id:", "revision:", "  version:", "  changed_", "    user_id",
                             "    name: Pulse", "  note: Default", "  restored_from"))
    ]  # fmt: skip
    text = "\n".join(lines) + "\n"
    ok = await editorial.save("tenant-b", text, ALICE)
    assert ok.ok and ok.line is not None and ok.line.tenant_id == "tenant-b"
    broken = text.replace("max_count: 2\nmentions:", "max_count: -1\nmentions:")
    result = await editorial.save("tenant-b", broken, ALICE)
    problem = next(p for p in result.problems if p.loc == "hashtags.max_count")
    assert problem.line == broken.splitlines().index("  max_count: -1") + 1


async def test_syntax_errors_are_located(editorial: EditorialStore) -> None:
    result = await editorial.save("tenant-a", "company:\n  name: [Velora\nlanguages: [fr]\n", ALICE)
    assert [p.code for p in result.problems] == ["yaml.syntax"]
    assert result.problems[0].line is not None


async def test_an_imported_line_of_another_tenant_is_stored_under_ours(
    editorial: EditorialStore,
) -> None:
    result = await editorial.save("tenant-c", default_editorial_line_yaml(), ALICE, "copy")
    assert result.line is not None and result.line.tenant_id == "tenant-c"
    assert result.unchanged  # same content as the default


async def test_rollback_restores_an_earlier_version_as_a_new_one(
    editorial: EditorialStore,
) -> None:
    await editorial.save("tenant-a", _with_forbidden("#bonplan"), ALICE)
    await editorial.save("tenant-a", _with_forbidden("#flash"), BOB)
    restored = await editorial.rollback("tenant-a", 1, ALICE, "back to default")
    assert restored.revision.version == 4
    assert restored.revision.restored_from == 1
    assert restored.revision.changed_by == ALICE
    assert restored.same_content((await editorial.history("tenant-a")).get(1))
    with pytest.raises(UnknownVersion):
        await editorial.rollback("tenant-a", 9, ALICE)


async def test_a_stale_form_is_refused_not_merged(editorial: EditorialStore) -> None:
    await editorial.save("tenant-a", _with_forbidden("#bonplan"), ALICE)
    with pytest.raises(VersionConflict) as err:
        await editorial.save("tenant-a", _with_forbidden("#flash"), BOB, expected_version=1)
    assert err.value.current == 2
    with pytest.raises(VersionConflict):
        await editorial.rollback("tenant-a", 1, BOB, expected_version=1)


async def test_concurrent_saves_all_land_thanks_to_compare_and_set(
    store: LocalDirStore, clock: FakeClock
) -> None:
    stores = [EditorialStore(store, clock) for _ in range(4)]
    results = await asyncio.gather(
        *(s.save("tenant-a", _with_forbidden(f"#tag{i}"), ALICE) for i, s in enumerate(stores))
    )
    assert all(r.ok for r in results)
    history = await stores[0].history("tenant-a")
    assert history.latest_version == 5
    assert sorted(r.line.revision.version for r in results if r.line) == [2, 3, 4, 5]


async def test_a_lost_race_is_retried(editorial: EditorialStore, store: LocalDirStore) -> None:
    real_write = store.write
    raced = {"done": False}

    async def racing_write(key: str, value: dict, **kw: object) -> str:  # type: ignore[type-arg]
        if not raced["done"]:
            raced["done"] = True
            other = EditorialStore(store, FakeClock())
            await other.save("tenant-a", _with_forbidden("#first"), BOB)
            # the stale write below must now fail and be retried
        return await real_write(key, value, **kw)  # type: ignore[arg-type]

    store.write = racing_write  # type: ignore[method-assign]
    result = await editorial.save("tenant-a", _with_forbidden("#second"), ALICE)
    store.write = real_write  # type: ignore[method-assign]
    assert result.line is not None and result.line.revision.version == 3
    history = await editorial.history("tenant-a")
    assert history.get(2).revision.changed_by == BOB


async def test_gives_up_after_endless_races(
    editorial: EditorialStore, store: LocalDirStore
) -> None:
    async def always_stale(*args: object, **kw: object) -> str:
        raise PreconditionFailed("stale")

    store.write = always_stale  # type: ignore[method-assign]
    with pytest.raises(PreconditionFailed):
        await editorial.save("tenant-a", _with_forbidden("#x"), ALICE)
