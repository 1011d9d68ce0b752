"""Near-duplicate folding: a copy-paste campaign counts once, with its size.

Two steps. Texts equal once normalised (case, accents, links, @mentions, punctuation; numbers
kept) fold together; then MinHash over word 3-grams, with locality-sensitive banding, folds texts
whose 3-gram Jaccard similarity reaches a threshold (a word or two changed in a long post) and
whose numbers are the same ("en 3 jours" and "en 30 jours" are two reports). Texts of fewer than
`min_words` words only fold on an exact normalised match: posts in the same few words (people
write "livraison repoussée encore" independently, and so does a template) are not a campaign,
whereas a copied appeal is long. Runs in well under a second for 10,000 posts.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.domain.analysis._text import normalised

_PERMUTATIONS = 48
_BANDS = 16  # 16 bands of 3 rows: a pair of similarity 0.6 meets in a band with p ~ 0.98
_SEED = 20240611
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    representative: int  # index, in the input, of the group's first member
    members: tuple[int, ...]  # indices in the input, ascending, the representative included

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Folding:
    groups: tuple[DuplicateGroup, ...]  # one per distinct text, by representative index
    group_of: tuple[int, ...]  # for each input index, the index of its group in `groups`

    @property
    def campaigns(self) -> tuple[DuplicateGroup, ...]:
        """Groups of two texts or more, the largest first."""
        multi = [g for g in self.groups if g.size > 1]
        return tuple(sorted(multi, key=lambda g: (-g.size, g.representative)))

    @property
    def distinct(self) -> int:
        return len(self.groups)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            lo, hi = min(ri, rj), max(ri, rj)
            self.parent[hi] = lo


def _word_hash(word: str, cache: dict[str, int]) -> int:
    h = cache.get(word)
    if h is None:
        h = zlib.crc32(word.encode("utf-8")) | (zlib.adler32(word.encode("utf-8")) << 32)
        cache[word] = h
    return h


def fold_duplicates(
    texts: Sequence[str], *, threshold: float = 0.6, min_words: int = 12
) -> Folding:
    """Group `texts` that are copies of each other (see the module's docstring)."""
    n = len(texts)
    uf = _UnionFind(n)

    # 1. Exact match on the normalised text.
    keys = [normalised(t) or t.strip() for t in texts]
    first: dict[str, int] = {}
    uniques: list[int] = []
    for i, key in enumerate(keys):
        j = first.setdefault(key, i)
        if j == i:
            uniques.append(i)
        else:
            uf.union(i, j)

    # 2. MinHash + LSH over word 3-grams of the longer distinct texts.
    min_words = max(min_words, 3)
    long_docs = [i for i in uniques if keys[i].count(" ") + 1 >= min_words]
    if len(long_docs) > 1:
        _fold_near(keys, long_docs, threshold, uf)

    roots: dict[int, list[int]] = {}
    for i in range(n):
        roots.setdefault(uf.find(i), []).append(i)
    groups = sorted(
        (DuplicateGroup(m[0], tuple(m)) for m in roots.values()), key=lambda g: g.representative
    )
    group_of = [0] * n
    for gi, g in enumerate(groups):
        for m in g.members:
            group_of[m] = gi
    return Folding(tuple(groups), tuple(group_of))


def _fold_near(keys: list[str], docs: list[int], threshold: float, uf: _UnionFind) -> None:
    cache: dict[str, int] = {}
    word_hashes: list[int] = []
    starts: list[int] = []
    for i in docs:
        starts.append(len(word_hashes))
        word_hashes.extend(_word_hash(w, cache) for w in keys[i].split())
    ends = [*starts[1:], len(word_hashes)]
    words = np.array(word_hashes, dtype=np.uint64)
    # 3-gram hashes at every position (those crossing a document's end are dropped below).
    c1, c2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
    with np.errstate(over="ignore"):
        grams = words[:-2] * c1 + words[1:-1] * c2 + words[2:]
    # Segments [start, end - 2) of `grams` belong to each document.
    seg_start = np.array(starts, dtype=np.int64)
    seg_len = np.array(ends, dtype=np.int64) - seg_start - 2
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, 2**63, size=_PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=_PERMUTATIONS, dtype=np.uint64)
    idx = np.concatenate([np.arange(s, s + ln) for s, ln in zip(seg_start, seg_len, strict=True)])
    doc_grams = grams[idx]
    offsets = np.concatenate(([0], np.cumsum(seg_len)[:-1])).astype(np.int64)
    signatures = np.empty((len(docs), _PERMUTATIONS), dtype=np.uint64)
    chunk = 65536
    # Chunk over documents so that the (grams x permutations) matrix stays small.
    d0 = 0
    while d0 < len(docs):
        d1 = d0
        while d1 < len(docs) and offsets[d1] - offsets[d0] < chunk:
            d1 += 1
        g0 = int(offsets[d0])
        g1 = int(offsets[d1]) if d1 < len(docs) else len(doc_grams)
        with np.errstate(over="ignore"):
            hashed: npt.NDArray[np.uint64] = (doc_grams[g0:g1, None] * a[None, :] + b) >> 32
        signatures[d0:d1] = np.minimum.reduceat(hashed, offsets[d0:d1] - g0, axis=0)
        d0 = d1
    rows = _PERMUTATIONS // _BANDS
    numbers = [sorted(w for w in keys[i].split() if any(c.isdigit() for c in w)) for i in docs]
    sets: dict[int, frozenset[int]] = {}

    def gram_set(k: int) -> frozenset[int]:
        s = sets.get(k)
        if s is None:
            o = int(offsets[k])
            s = frozenset(doc_grams[o : o + int(seg_len[k])].tolist())
            sets[k] = s
        return s

    checked: set[tuple[int, int]] = set()
    for band in range(_BANDS):
        bucket: dict[bytes, int] = {}
        block = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        for k in range(len(docs)):
            key = block[k].tobytes()
            head = bucket.setdefault(key, k)
            if head == k or (head, k) in checked:
                continue
            checked.add((head, k))
            sa, sb = gram_set(head), gram_set(k)
            if numbers[head] == numbers[k] and len(sa & sb) >= threshold * len(sa | sb):
                uf.union(docs[head], docs[k])
