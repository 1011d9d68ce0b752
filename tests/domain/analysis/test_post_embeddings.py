"""Post vectors are computed once and kept: in memory, and in the store for other instances."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.clients.encoder import shared_encoder
from bot.clients.store import LocalDirStore
from bot.ports.posts import Author, Post
from bot.services.embeddings import PostEmbeddings


def _posts(texts: list[str]) -> list[Post]:
    author = Author(id="1", handle="someone", name="Some One")
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    return [Post(id=f"p{i}", text=t, created_at=at, author=author) for i, t in enumerate(texts)]


class BrokenEncoder:
    dim = 512

    def encode(self, texts: object) -> np.ndarray:
        raise RuntimeError("model file unreadable")


async def test_vectors_are_encoded_once_then_read_back_by_another_instance(
    tmp_path: Path,
) -> None:
    store = LocalDirStore(tmp_path / "data")
    posts = _posts(["Ma batterie est morte", "Battery died again", "Livraison en retard"])
    first = PostEmbeddings(shared_encoder(), store)
    v1 = await first.vectors(posts)
    assert v1 is not None and v1.shape == (3, 512)
    assert first.encoded == 3
    again = await first.vectors(posts[::-1])
    assert first.encoded == 3  # from memory
    assert again is not None and np.allclose(again, v1[::-1])
    assert len(await store.list("embeddings/")) == 3
    # Another instance (another process, another replica) reads them from the store.
    other = PostEmbeddings(BrokenEncoder(), store)
    v2 = await other.vectors(posts)
    assert other.encoded == 0
    assert v2 is not None and np.allclose(v2, v1, atol=2e-3)  # kept as float16
    assert float(v1[0] @ v1[1]) > float(v1[0] @ v1[2])  # battery FR/EN closer than delivery


async def test_an_encoder_fault_degrades_to_no_vectors(tmp_path: Path) -> None:
    broken = PostEmbeddings(BrokenEncoder(), LocalDirStore(tmp_path / "data"))
    assert await broken.vectors(_posts(["un post"])) is None
    assert await broken.encode_text("batterie") is None
