"""Sentence vectors of posts, computed once per post and kept: in memory (bounded), and in the
store (`embeddings/<post id>`) so that answers, briefings and alerts — in this process or
another instance — reuse them instead of running the encoder again.

Fails safe: a storage fault means "encode again"; an encoder fault means no vectors (the themes
then fall back to a lexical stand-in, and say so), never a failed answer.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import numpy as np

from bot.domain.analysis.matching import text_for_vector
from bot.ports.embeddings import SentenceEncoder, Vectors
from bot.ports.posts import Post
from bot.ports.store import JSON, StorageError, Store

logger = logging.getLogger(__name__)

PREFIX: Final = "embeddings/"
MODEL_ID: Final = "use-m3"  # the vectors of another model are not comparable: re-encoded
_MEMORY: Final = 20_000
_PARALLEL: Final = 16
_STORE_TIMEOUT_S: Final = 3.0


def _key(post_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in post_id)[:200]
    return f"{PREFIX}{safe}"


def _pack(vector: Vectors) -> JSON:
    data = base64.b64encode(np.asarray(vector, dtype=np.float16).tobytes()).decode("ascii")
    return {"model": MODEL_ID, "dim": int(vector.shape[-1]), "f16": data}


def _unpack(value: JSON, dim: int) -> Vectors | None:
    if not isinstance(value, dict) or value.get("model") != MODEL_ID or value.get("dim") != dim:
        return None
    raw = value.get("f16")
    if not isinstance(raw, str):
        return None
    try:
        vec = np.frombuffer(base64.b64decode(raw), dtype=np.float16).astype(np.float32)
    except ValueError:
        return None
    if vec.shape != (dim,):
        return None
    norm = float(np.linalg.norm(vec))
    out: Vectors = vec / norm if norm > 0 else vec
    return out


class PostEmbeddings:
    """`vectors(posts)`: one L2-normalised row per post, from memory, the store or the encoder."""

    def __init__(
        self, encoder: SentenceEncoder, store: Store | None = None, *, memory: int = _MEMORY
    ) -> None:
        self._encoder = encoder
        self._store = store
        self._memory = memory
        self._known: OrderedDict[str, Vectors] = OrderedDict()
        self.encoded = 0  # posts run through the encoder (for tests and benchmarks)

    @property
    def dim(self) -> int:
        return self._encoder.dim

    def _remember(self, post_id: str, vec: Vectors) -> None:
        self._known[post_id] = vec
        self._known.move_to_end(post_id)
        while len(self._known) > self._memory:
            self._known.popitem(last=False)

    async def vectors(self, posts: Sequence[Post]) -> Vectors | None:
        """Vectors of `posts` (same order), or None when the encoder failed."""
        dim = self.dim
        out = np.zeros((len(posts), dim), dtype=np.float32)
        missing: list[int] = []
        for i, post in enumerate(posts):
            hit = self._known.get(post.id)
            if hit is not None:
                out[i] = hit
            else:
                missing.append(i)
        if missing and self._store is not None:
            found = await self._read([posts[i].id for i in missing], dim)
            still: list[int] = []
            for i, vec in zip(missing, found, strict=True):
                if vec is None:
                    still.append(i)
                else:
                    out[i] = vec
                    self._remember(posts[i].id, vec)
            missing = still
        if not missing:
            return out
        texts = [text_for_vector(posts[i].text) for i in missing]
        try:
            fresh = await asyncio.to_thread(self._encoder.encode, texts)
        except Exception as exc:
            logger.warning("sentence encoder failed (%s): lexical themes", exc.__class__.__name__)
            return None
        self.encoded += len(missing)
        for row, i in enumerate(missing):
            out[i] = fresh[row]
            self._remember(posts[i].id, fresh[row])
        if self._store is not None:
            await self._write([(posts[i].id, fresh[row]) for row, i in enumerate(missing)])
        return out

    async def encode_text(self, text: str) -> Vectors | None:
        """One text's vector (a topic asked about), or None when the encoder failed."""
        try:
            vec = await asyncio.to_thread(self._encoder.encode, [text_for_vector(text)])
        except Exception as exc:
            logger.warning("sentence encoder failed (%s)", exc.__class__.__name__)
            return None
        out: Vectors = vec[0]
        return out

    async def _read(self, ids: list[str], dim: int) -> list[Vectors | None]:
        assert self._store is not None
        store = self._store
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(post_id: str) -> Vectors | None:
            async with gate:
                try:
                    got = await asyncio.wait_for(store.read(_key(post_id)), _STORE_TIMEOUT_S)
                except (StorageError, TimeoutError) as exc:
                    logger.info("stored vector unreadable (%s)", exc.__class__.__name__)
                    return None
            return None if got is None else _unpack(got.value, dim)

        return list(await asyncio.gather(*(one(i) for i in ids)))

    async def _write(self, items: list[tuple[str, Vectors]]) -> None:
        assert self._store is not None
        store = self._store
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(post_id: str, vec: Vectors) -> None:
            async with gate:
                try:
                    await asyncio.wait_for(store.write(_key(post_id), _pack(vec)), _STORE_TIMEOUT_S)
                except (StorageError, TimeoutError) as exc:
                    logger.info("vector not stored (%s)", exc.__class__.__name__)

        await asyncio.gather(*(one(i, v) for i, v in items))
