"""Themes: what the posts are about, with short labels, sizes, tone and representative posts.

Deterministic and fast (numpy only). Each distinct post (copies folded, see `dedupe`) becomes a
binary TF-IDF vector over key terms: words (folded, lightly stemmed, stop-words removed) and
two-word phrases ("service client", "délais de livraison": one or two small connectors allowed).
Spherical k-means, seeded and over-clustered, is followed by merging clusters whose centroids are
close, which picks the number of themes; small clusters go to "other". A theme's label is its
most distinctive key phrases, bigrams preferred when they cover most of their word's posts, in
their most frequent written form (accents kept).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.domain.analysis._text import (
    ARTICLE,
    PREPOSITION,
    Token,
    fold,
    phrase_synonym,
    stem,
    tokens,
)
from bot.domain.analysis.dedupe import Folding, fold_duplicates
from bot.domain.analysis.thresholds import ThemeParams
from bot.domain.analysis.types import AnalysedPost, SentimentSplit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LABEL_SEPARATOR = " · "


@dataclass(frozen=True, slots=True)
class ThemePost:
    index: int  # in the input sequence
    centrality: float  # cosine to the theme's centre, in [0, 1]
    engagement: int
    copies: int  # posts folded into this one (1 when it is unique)


@dataclass(frozen=True, slots=True)
class Theme:
    label: str  # "" for "other": the presentation layer names it
    keywords: tuple[str, ...]  # key phrases, most distinctive first, as written (accents kept)
    size: int  # distinct posts (a copy-paste campaign counts once)
    posts: int  # posts, copies included
    share: float  # size / distinct posts of the sample
    sentiment: SentimentSplit  # over distinct posts
    representatives: tuple[ThemePost, ...]
    members: tuple[int, ...]  # indices in the input, copies included
    is_other: bool = False


@dataclass(frozen=True, slots=True)
class Themes:
    themes: tuple[Theme, ...]  # largest first; "other", if any, last
    theme_of: tuple[int, ...]  # for each input post, the index of its theme in `themes`
    distinct: int  # distinct posts analysed


@dataclass(slots=True)
class _Unit:
    """A distinct post: a duplicate group, in canonical order."""

    members: list[int]
    text_index: int
    features: set[str]


def _phrases(toks: list[Token]) -> tuple[set[str], list[tuple[str, str]]]:
    """Unigram keys, and (bigram key, surface) pairs of one text."""
    keys = {t.key for t in toks if t.key}
    bigrams: list[tuple[str, str]] = []
    for i, t in enumerate(toks):
        if not t.key:
            continue
        j = i + 1
        if j < len(toks) and toks[j].role == PREPOSITION:
            j += 1
            if j < len(toks) and toks[j].role == ARTICLE:
                j += 1
        if j < len(toks) and toks[j].key and toks[j].key != t.key:
            surface = " ".join(x.surface for x in toks[i : j + 1])
            key = f"{t.key} {toks[j].key}"
            synonym = phrase_synonym(key)
            if synonym is not None:  # "customer service" is the word "sav"
                keys.add(synonym)
                bigrams.append((synonym, surface))
            else:
                bigrams.append((key, surface))
    return keys, bigrams


def find_themes(
    posts: Sequence[AnalysedPost],
    *,
    folding: Folding | None = None,
    params: ThemeParams | None = None,
    exclude_terms: Iterable[str] = (),
) -> Themes:
    """Group `posts` into themes. `exclude_terms` (the brand's own names) never label a theme.

    `folding`, if given, must come from `fold_duplicates` over the same posts in the same order.
    """
    p = params or ThemeParams()
    n = len(posts)
    if n == 0:
        return Themes((), (), 0)
    # Canonical order, so that the result does not depend on the order of the input.
    order = sorted(range(n), key=lambda i: (posts[i].post.created_at, posts[i].post.id, i))
    rank = {i: r for r, i in enumerate(order)}
    if folding is None:
        folding = fold_duplicates([posts[i].post.text for i in range(n)])
    groups = sorted(
        (sorted(g.members, key=rank.__getitem__) for g in folding.groups),
        key=lambda m: rank[m[0]],
    )
    excluded = {stem(fold(w)) for term in exclude_terms for w in term.split()}
    excluded |= {fold(term).lstrip("@#") for term in exclude_terms}

    surface_counts: Counter[tuple[str, str]] = Counter()
    units: list[_Unit] = []
    for members in groups:
        toks = tokens(posts[members[0]].post.text)
        toks = [Token(t.surface, "") if t.key in excluded else t for t in toks]
        keys, bigrams = _phrases(toks)
        surface_counts.update((t.key, t.surface) for t in toks if t.key)
        surface_counts.update(bigrams)
        units.append(_Unit(members, members[0], keys | {k for k, _ in bigrams}))

    m = len(units)
    df: Counter[str] = Counter()
    for u in units:
        df.update(u.features)
    min_df = max(2, math.ceil(p.min_df_share * m))
    max_df = p.max_df_share * m if m >= 20 else m
    vocab_items = sorted(
        ((k, c) for k, c in df.items() if min_df <= c <= max_df), key=lambda kc: (-kc[1], kc[0])
    )[: p.max_vocabulary]
    vocab = {k: v for v, (k, _) in enumerate(vocab_items)}
    idf = np.array([math.log((1 + m) / (1 + c)) + 1.0 for _, c in vocab_items])

    rows: list[list[int]] = [sorted(vocab[f] for f in u.features if f in vocab) for u in units]
    has_features = [i for i, r in enumerate(rows) if r]
    labels = np.full(m, -1, dtype=np.int64)
    if len(has_features) >= 2 and vocab:
        indptr = np.zeros(len(has_features) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(rows[i]) for i in has_features])
        indices = np.fromiter((f for i in has_features for f in rows[i]), dtype=np.int64)
        data = idf[indices]
        norms = np.sqrt(np.add.reduceat(data * data, indptr[:-1]))
        data = data / np.repeat(norms, np.diff(indptr))
        x = _Sparse(indptr, indices, data, len(vocab))
        sub = _cluster(x, p)
        labels[has_features] = _settle(x, sub, p, m)

    # The most frequent written form of each key (ties: the first in alphabetical order).
    surfaces: dict[str, str] = {}
    best: dict[str, int] = {}
    for (key, surface), count in sorted(surface_counts.items()):
        if count > best.get(key, 0):
            best[key] = count
            surfaces[key] = surface
    return _build(posts, units, labels, rows, vocab_items, surfaces, p, n)


@dataclass(frozen=True, slots=True)
class _Sparse:
    indptr: I64
    indices: I64
    data: F64
    n_features: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def dot(self, centres: F64) -> F64:
        """(rows x k) similarities to `centres` (k x features)."""
        prod = self.data[:, None] * centres.T[self.indices]
        out: F64 = np.add.reduceat(prod, self.indptr[:-1], axis=0)
        return out

    def sums(self, labels: I64, k: int) -> F64:
        """(k x features) sums of the rows of each label."""
        row_labels = np.repeat(labels, np.diff(self.indptr))
        flat = np.bincount(
            row_labels * self.n_features + self.indices,
            weights=self.data,
            minlength=k * self.n_features,
        )
        out: F64 = flat.astype(np.float64).reshape(k, self.n_features)
        return out


def _normalise_rows(c: F64) -> F64:
    norms = np.linalg.norm(c, axis=1, keepdims=True)
    out: F64 = c / np.where(norms > 0, norms, 1.0)
    return out


def _cluster(x: _Sparse, p: ThemeParams) -> I64:
    """Spherical k-means from several seeds (the best fit wins), then merging."""
    n = x.n_rows
    k = int(max(2, min(p.max_initial_k, round(1.5 * math.sqrt(n)), n // 2)))
    best_fit, best_labels = -1.0, np.zeros(n, dtype=np.int64)
    for r in range(max(1, p.restarts)):
        fit, labels = _kmeans(x, k, p.seed + 7919 * r, p.kmeans_iterations)
        if fit > best_fit:
            best_fit, best_labels = fit, labels
    return _merge(x, best_labels, p.merge_similarity)


def _kmeans(x: _Sparse, k: int, seed: int, iterations: int) -> tuple[float, I64]:
    """Labels, and their fit: the sum of each row's cosine to its centre."""
    n = x.n_rows
    rng = np.random.default_rng(seed)
    # k-means++ seeding on cosine distance.
    centres = np.zeros((k, x.n_features))
    first = int(rng.integers(n))
    centres[0] = _row(x, first)
    best = x.dot(centres[:1])[:, 0]
    for c in range(1, k):
        dist = np.clip(1.0 - best, 0.0, None)
        total = float(dist.sum())
        pick = int(rng.integers(n)) if total <= 0 else int(rng.choice(n, p=dist / total))
        centres[c] = _row(x, pick)
        best = np.maximum(best, x.dot(centres[c : c + 1])[:, 0])
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations):
        sims = x.dot(centres)
        new = np.argmax(sims, axis=1).astype(np.int64)
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
        sums = x.sums(labels, k)
        counts = np.bincount(labels, minlength=k)
        for c in np.flatnonzero(
            counts == 0
        ).tolist():  # re-seed an empty cluster on the worst-fit row
            worst = int(np.argmin(sims[np.arange(n), labels]))
            sums[c] = _row(x, worst)
            labels[worst] = c
        centres = _normalise_rows(sums)
    fit = float(x.dot(centres)[np.arange(n), labels].sum())
    return fit, labels


def _settle(x: _Sparse, labels: I64, p: ThemeParams, m: int) -> I64:
    """Keep the clusters big enough to be themes; every post then joins the nearest kept theme,
    or "other" (-1) when it is not similar enough to any (a few rounds, centres recomputed)."""
    min_size = max(p.min_theme_size, math.ceil(p.min_theme_share * m))
    for _ in range(3):
        k = int(labels.max()) + 1
        if k <= 0:
            break
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        kept = sorted((c for c in range(k) if sizes[c] >= min_size), key=lambda c: (-sizes[c], c))
        kept = kept[: p.max_themes]
        if not kept:
            return np.full(x.n_rows, -1, dtype=np.int64)
        sums = x.sums(np.where(labels >= 0, labels, k), k + 1)
        centres = _normalise_rows(sums[kept])
        sims = x.dot(centres)
        best = np.argmax(sims, axis=1)
        fit = sims[np.arange(x.n_rows), best]
        new = np.where(fit >= p.min_member_similarity, best, -1).astype(np.int64)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _row(x: _Sparse, i: int) -> F64:
    out = np.zeros(x.n_features)
    s, e = x.indptr[i], x.indptr[i + 1]
    out[x.indices[s:e]] = x.data[s:e]
    return out


def _merge(x: _Sparse, labels: I64, threshold: float) -> I64:
    """Agglomerate clusters whose centroids' cosine reaches `threshold`; relabel 0..k-1."""
    k = int(labels.max()) + 1
    sums = x.sums(labels, k)
    alive = [c for c in range(k) if np.any(labels == c)]
    mapping = {c: c for c in range(k)}
    while len(alive) > 1:
        cents = _normalise_rows(sums[alive])
        sim = cents @ cents.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < threshold:
            break
        ca, cb = alive[int(min(a, b))], alive[int(max(a, b))]
        sums[ca] += sums[cb]
        for c, target in mapping.items():
            if target == cb:
                mapping[c] = ca
        alive.remove(cb)
    relabel = {c: i for i, c in enumerate(alive)}
    return np.array([relabel[mapping[int(c)]] for c in labels], dtype=np.int64)


def _build(
    posts: Sequence[AnalysedPost],
    units: list[_Unit],
    labels: I64,
    rows: list[list[int]],
    vocab_items: list[tuple[str, int]],
    surfaces: dict[str, str],
    p: ThemeParams,
    n: int,
) -> Themes:
    m = len(units)
    n_clusters = int(labels.max()) + 1 if m else 0
    sizes = np.bincount(labels[labels >= 0], minlength=n_clusters) if n_clusters else np.zeros(0)
    min_size = max(p.min_theme_size, math.ceil(p.min_theme_share * m))
    kept = [c for c in range(n_clusters) if sizes[c] >= min_size]
    kept.sort(key=lambda c: (-int(sizes[c]), c))
    kept = kept[: p.max_themes]

    n_vocab = len(vocab_items)
    keys = [k for k, _ in vocab_items]
    df_all = np.array([c for _, c in vocab_items], dtype=np.float64)
    unit_engagement = [max(posts[i].post.metrics.engagement for i in u.members) for u in units]

    idf = np.array([math.log((1 + m) / (1 + c)) + 1.0 for _, c in vocab_items])

    def display(key: str) -> str:
        return surfaces.get(key, key)

    themes: list[Theme] = []
    theme_of = [-1] * n
    used_units: set[int] = set()
    for c in kept:
        members_u = [i for i in range(m) if labels[i] == c]
        used_units.update(members_u)
        df_in = np.zeros(n_vocab)
        for i in members_u:
            df_in[rows[i]] += 1.0
        phrases = _label_phrases(df_in, len(members_u), df_all, m, keys, p.keywords)
        words = tuple(display(k) for k in phrases)
        centre = df_in / max(len(members_u), 1)
        themes.append(
            _theme(
                posts,
                units,
                members_u,
                rows,
                centre,
                idf,
                unit_engagement,
                p,
                m,
                label=_label(phrases, words),
                keywords=words,
            )
        )
    rest = [i for i in range(m) if i not in used_units]
    if rest:
        themes.append(
            _theme(
                posts,
                units,
                rest,
                rows,
                None,
                idf,
                unit_engagement,
                p,
                m,
                label="",
                keywords=(),
                is_other=True,
            )
        )
    for t_index, theme in enumerate(themes):
        for i in theme.members:
            theme_of[i] = t_index
    return Themes(tuple(themes), tuple(theme_of), m)


def _label(phrases: list[str], words: tuple[str, ...]) -> str:
    """The most distinctive key phrase when it is a two-word phrase, else the top two words."""
    if phrases and " " in phrases[0]:
        return words[0]
    return LABEL_SEPARATOR.join(words[:2])


def _label_phrases(
    df_in: F64, size: int, df_all: F64, m: int, keys: list[str], limit: int
) -> list[str]:
    """The most distinctive key phrases of a cluster; a bigram replaces its word when it covers
    most of the word's posts in the cluster."""
    p_in = df_in / max(size, 1)
    p_all = df_all / max(m, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(df_in > 0, p_in * np.log(np.maximum(p_in, 1e-12) / p_all), 0.0)
    score = np.where(p_in >= 0.1, score, 0.0)
    ranked = [int(i) for i in np.lexsort((np.arange(len(keys)), -score)) if score[i] > 0]
    index = {k: i for i, k in enumerate(keys)}
    chosen: list[str] = []
    covered: set[str] = set()
    for i in ranked:
        key = keys[i]
        if " " not in key:
            # Prefer the best bigram holding this word, if it covers most of its posts.
            best_bigram = None
            for j in ranked:
                kj = keys[j]
                if " " in kj and key in kj.split() and df_in[j] >= 0.5 * df_in[i]:
                    best_bigram = kj
                    break
            if best_bigram is not None:
                key = best_bigram
        parts = set(key.split())
        if parts & covered:
            continue
        if " " in key and key not in index:
            continue
        chosen.append(key)
        covered |= parts
        if len(chosen) >= limit:
            break
    return chosen


def _theme(
    posts: Sequence[AnalysedPost],
    units: list[_Unit],
    members_u: list[int],
    rows: list[list[int]],
    centre: F64 | None,
    idf: F64,
    unit_engagement: list[int],
    p: ThemeParams,
    m: int,
    *,
    label: str,
    keywords: tuple[str, ...],
    is_other: bool = False,
) -> Theme:
    scored: list[tuple[float, int, ThemePost]] = []
    max_eng = max((unit_engagement[i] for i in members_u), default=0)
    cvec = None
    if centre is not None and len(idf):
        cvec = centre * idf
        norm = float(np.linalg.norm(cvec))
        cvec = cvec / norm if norm > 0 else cvec
    for i in members_u:
        u = units[i]
        central = 0.0
        if cvec is not None and rows[i]:
            w = idf[rows[i]]
            central = float(np.dot(w, cvec[rows[i]]) / np.linalg.norm(w))
        eng = unit_engagement[i]
        eng_part = math.log1p(eng) / math.log1p(max_eng) if max_eng > 0 else 0.0
        score = 0.7 * central + 0.3 * eng_part
        best = max(u.members, key=lambda j: (posts[j].post.metrics.engagement, -j))
        scored.append((score, i, ThemePost(best, round(central, 4), eng, len(u.members))))
    scored.sort(key=lambda s: (-s[0], s[1]))
    reps = tuple(tp for _, _, tp in scored[: p.representatives])
    all_members = sorted(j for i in members_u for j in units[i].members)
    split = SentimentSplit.of(
        SentimentSplit.of(posts[j].sentiment for j in units[i].members).dominant
        or posts[units[i].members[0]].sentiment
        for i in members_u
    )
    return Theme(
        label=label,
        keywords=keywords,
        size=len(members_u),
        posts=len(all_members),
        share=len(members_u) / m if m else 0.0,
        sentiment=split,
        representatives=reps,
        members=tuple(all_members),
        is_other=is_other,
    )
