"""Fixtures of the storage tests: both backends behind one `store` fixture."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clients.store import BlobStore, LocalDirStore
from bot.ports.store import Store
from tests.support.azurite import Azurite, azurite_blob, azurite_queue

__all__ = ["azurite_blob", "azurite_queue"]

BACKENDS = ["local", pytest.param("blob", marks=pytest.mark.azurite)]


def new_container() -> str:
    return f"t{uuid.uuid4().hex[:24]}"


def make_blob_store(conn: str, **kwargs: object) -> BlobStore:
    options: dict[str, object] = {"timeout_s": 20.0}
    options.update(kwargs)
    return BlobStore(container=new_container(), connection_string=conn, **options)  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    if backend == "local":
        s: Store = LocalDirStore(tmp_path / "data", timeout_s=20.0)
    else:
        azurite: Azurite = request.getfixturevalue("azurite_blob")
        s = make_blob_store(azurite.connection_string)
    try:
        yield s
    finally:
        await s.close()
