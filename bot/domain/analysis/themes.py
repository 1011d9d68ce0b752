"""Themes: what the posts are about, with short labels, sizes, tone and representative posts.

Themes come from meaning: each distinct post (copies folded, see `dedupe`) is a sentence vector
given by the caller (multilingual embeddings, so a French and an English post about one thing
are close; the domain never runs the encoder). Without vectors (no encoder, or it failed) a
lexical TF-IDF projection stands in, so the answer degrades instead of failing.

1. Agglomerative clustering (average linkage, cosine; SciPy), the tree cut where it first holds
   k clusters of at least the minimum size, for each k within bounds set by the number of
   posts; the k with the best silhouette (cosine) wins (`ThemeParams.algorithm = "kmeans"`:
   k-means instead). Themes hold from a few dozen to thousands of posts.
2. Near-duplicate themes (centroid cosine >= `merge_similarity`) merge; themes too small to
   stand dissolve.
3. Every post joins the theme it matches best (`matching.relevance`: cosine to the theme's
   centre plus a bonus for its key phrases: the same rule a topic question uses), or "other"
   when it matches none well enough; "other" is capped at `max_other_share`.
4. Labels: class-based TF-IDF over words and 2–3-word phrases, stop-words of both languages
   removed (data files), never a handle, an author's name, a person's name (capitalised-name
   heuristic) or the brand's own names; no phrase starting or ending with a conjugated verb or
   a vague word (data files `label_weak_*.txt`), no word most of the window holds unless the
   theme holds it twice as often; in the answer's language when the theme has such posts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.domain.analysis._text import ARTICLE, PREPOSITION, Token, tokens
from bot.domain.analysis.dedupe import Folding, fold_duplicates
from bot.domain.analysis.matching import relevance, term_keys
from bot.domain.analysis.stopwords import LABEL_WEAK, LABEL_WEAK_ENDINGS
from bot.domain.analysis.thresholds import ThemeParams
from bot.domain.analysis.types import AnalysedPost, SentimentSplit
from bot.domain.text import fold
from bot.domain.text import stem_light as stem

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
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
    # The theme's centre in the space the themes were found in (sentence vectors less their
    # mean over the sample, L2-normalised); () for "other".
    centre: tuple[float, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Themes:
    themes: tuple[Theme, ...]  # largest first; "other", if any, last
    theme_of: tuple[int, ...]  # for each input post, the index of its theme in `themes`
    distinct: int  # distinct posts analysed
    semantic: bool = True  # False: no sentence vectors were given, lexical fallback used


# --------------------------------------------------------------------------------------------
# Key phrases
# --------------------------------------------------------------------------------------------

_CAPITALISED_PAIR = re.compile(
    r"(?<![.!?]\s)(?<!^)\b([A-ZÀ-Ý][a-zà-ÿ'’\-]{1,})\s+([A-ZÀ-Ý][a-zà-ÿ'’\-]{1,})\b"
)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)


def _phrases(toks: list[Token]) -> list[tuple[str, str]]:
    """(key, surface) of the words, 2-word phrases (a preposition and an article may join
    them: "délais de livraison") and 3-word phrases of one text."""
    out: list[tuple[str, str]] = []
    for i, t in enumerate(toks):
        if not t.key:
            continue
        out.append((t.key, t.surface))
        j = i + 1
        if j < len(toks) and toks[j].role == PREPOSITION:
            j += 1
            if j < len(toks) and toks[j].role == ARTICLE:
                j += 1
        if j < len(toks) and toks[j].key and toks[j].key != t.key:
            out.append((f"{t.key} {toks[j].key}", " ".join(x.surface for x in toks[i : j + 1])))
            if j == i + 1 and j + 1 < len(toks) and toks[j + 1].key:
                k3 = toks[j + 1].key
                if k3 not in (t.key, toks[j].key):
                    surface = " ".join(x.surface for x in toks[i : j + 2])
                    out.append((f"{t.key} {toks[j].key} {k3}", surface))
    return out


_WEAK_KEYS = frozenset(stem(fold(w)) for w in LABEL_WEAK) | frozenset(fold(w) for w in LABEL_WEAK)
_WEAK_ENDINGS = tuple(fold(e) for e in LABEL_WEAK_ENDINGS)


def _weak(word_key: str) -> bool:
    return word_key in _WEAK_KEYS or word_key.endswith(_WEAK_ENDINGS)


def can_label(key: str) -> bool:
    """A key phrase may label a theme unless it starts or ends with a weak word (a conjugated
    verb, a vague word: data files `label_weak_*.txt`)."""
    words = key.split()
    return bool(words) and not _weak(words[0]) and not _weak(words[-1])


def _name_keys(posts: Sequence[AnalysedPost], exclude_terms: Iterable[str]) -> set[str]:
    """Keys that must never label a theme: the brand's names, the authors' handles and names,
    and people's names found in the texts (two capitalised words inside a sentence, the first
    of which is an author's first name or never written in lower case in the sample)."""
    keys: set[str] = set()

    def add(words: str) -> None:
        for w in _WORD.findall(words):
            folded = fold(w.lstrip("@#"))
            keys.add(folded)
            keys.add(stem(folded))

    for term in exclude_terms:
        add(term)
    first_names: set[str] = set()
    lower_seen: set[str] = set()
    pairs: list[tuple[str, str]] = []
    for ap in posts:
        author = ap.post.author
        add(author.handle)
        add(author.name)
        parts = _WORD.findall(author.name)
        if len(parts) >= 2:
            first_names.add(fold(parts[0]))
        text = ap.post.text
        lower_seen.update(fold(w) for w in _WORD.findall(text) if w[:1].islower())
        pairs.extend((m.group(1), m.group(2)) for m in _CAPITALISED_PAIR.finditer(text))
    for first, last in pairs:
        f, last_f = fold(first), fold(last)
        if f in first_names or (f not in lower_seen and last_f not in lower_seen):
            keys.update({f, stem(f), last_f, stem(last_f)})
    return keys


@dataclass(slots=True)
class _Terms:
    """Key phrases of each distinct post, and their written forms."""

    per_unit: list[set[str]]
    surfaces: dict[str, str]
    lang_of_unit: list[str]


def _unit_terms(
    posts: Sequence[AnalysedPost], groups: list[list[int]], banned: set[str], brands: set[str]
) -> _Terms:
    counts: Counter[tuple[str, str]] = Counter()
    per_unit: list[set[str]] = []

    def out(key: str) -> bool:
        # A name, a word built on the brand's ("#VeloraCargo2"), or the start of a brand's
        # handle written apart ("Kestrel" of @KestrelBank).
        return (
            key in banned
            or any(b in key for b in brands)
            or (len(key) >= 5 and any(b.startswith(key) for b in brands))
        )

    for members in groups:
        toks = tokens(posts[members[0]].post.text)
        toks = [Token(t.surface, "") if out(t.key) else t for t in toks]
        found = _phrases(toks)
        counts.update(found)
        per_unit.append({k for k, _ in found})
    surfaces: dict[str, str] = {}
    best: dict[str, int] = {}
    for (key, surface), count in sorted(counts.items()):
        if count > best.get(key, 0):
            best[key], surfaces[key] = count, surface
    return _Terms(per_unit, surfaces, [posts[m[0]].lang for m in groups])


def _label_terms(
    terms: _Terms, clusters: list[list[int]], p: ThemeParams, lang: str | None
) -> list[list[str]]:
    """The key phrases of each cluster, most distinctive first: class-based TF-IDF (a term's
    share of the cluster's posts, times log(1 + average cluster size / the term's frequency over
    all clusters)); a phrase replaces its words when it covers most of their posts."""
    df_in: list[Counter[str]] = []
    df_all: Counter[str] = Counter()
    lang_df: list[Counter[str]] = []
    for members in clusters:
        c: Counter[str] = Counter()
        lc: Counter[str] = Counter()
        for u in members:
            c.update(terms.per_unit[u])
            if lang and terms.lang_of_unit[u] == lang:
                lc.update(terms.per_unit[u])
        df_in.append(c)
        lang_df.append(lc)
        df_all.update(c)
    avg = sum(len(m) for m in clusters) / max(len(clusters), 1)
    units = max(sum(len(m) for m in clusters), 1)
    out: list[list[str]] = []
    for members, c, lc in zip(clusters, df_in, lang_df, strict=True):
        size = max(len(members), 1)
        min_df = max(2, math.ceil(p.label_min_share * size))

        def weight(k: str, n: int, size: int = size) -> float:
            # A phrase names a subject better than a word: a little more weight per word.
            bonus = 1.0 + p.phrase_bonus * k.count(" ")
            return bonus * (n / size) * math.log(1.0 + avg / df_all[k])

        def distinct(k: str, n: int, size: int = size) -> bool:
            # A word most posts of the window hold ("train" for a rail operator) names no
            # theme, unless the theme holds it far more often than the window does.
            window = df_all[k] / units
            return window < p.label_max_share or n / size >= 2.0 * window

        scored = {
            k: weight(k, n) for k, n in c.items() if n >= min_df and can_label(k) and distinct(k, n)
        }
        if not scored:  # a small theme with no shared phrase: its most distinctive words
            scored = {k: weight(k, n) for k, n in c.items() if can_label(k)}
        ranked = sorted(scored, key=lambda k: (-scored[k], k))
        if lang and ranked:
            # In the answer's language when the theme speaks it: its terms first, if close.
            top = scored[ranked[0]]
            own = [k for k in ranked if lc[k] * 2 >= c[k] and scored[k] >= 0.35 * top]
            ranked = own + [k for k in ranked if k not in own]
        chosen: list[str] = []
        covered: set[str] = set()
        for key in ranked:
            if " " not in key:
                longer = [
                    k
                    for k in ranked
                    if " " in k and key in k.split() and c[k] >= 0.5 * c[key] and k not in chosen
                ]
                if longer:
                    key = longer[0]
            parts = set(key.split())
            if parts & covered:
                continue
            chosen.append(key)
            covered |= parts
            if len(chosen) >= p.keywords:
                break
        out.append(chosen)
    return out


# --------------------------------------------------------------------------------------------
# Vectors
# --------------------------------------------------------------------------------------------


def _normalise_rows(x: F64) -> F64:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: F64 = x / np.where(norms > 0, norms, 1.0)
    return out


def _lexical_vectors(terms: _Terms, dims: int = 128) -> F64:
    """Fallback vectors: TF-IDF over the key phrases, projected on `dims` SVD components."""
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, ks in enumerate(terms.per_unit):
        for key in sorted(ks):
            rows.append(i)
            cols.append(vocab.setdefault(key, len(vocab)))
    m = len(terms.per_unit)
    if not vocab:
        return np.zeros((m, 1))
    x = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, len(vocab)))
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    x = x.multiply(np.log((1 + m) / (1 + df)) + 1.0).tocsr()
    k = min(dims, m - 1, len(vocab) - 1)
    dense = TruncatedSVD(k, random_state=0).fit_transform(x) if k >= 2 else x.toarray()
    return _normalise_rows(np.asarray(dense, dtype=np.float64))


def _kmeans(x: F64, k: int, seed: int, n_init: int) -> tuple[I64, F64]:
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, max_iter=100)
    labels = km.fit_predict(x).astype(np.int64)
    return labels, _normalise_rows(np.asarray(km.cluster_centers_, dtype=np.float64))


def _choose_k(x: F64, p: ThemeParams, min_size: int) -> tuple[I64, F64]:
    """k-means for each k in bounds; the best silhouette (cosine) wins (ties: the smaller k).
    k is chosen and the centres fitted on at most `fit_sample` posts; every post then joins
    its nearest centre."""
    from threadpoolctl import threadpool_limits

    m = len(x)
    k_max = max(2, min(p.max_k, m // max(min_size, 1), int(p.k_per_sqrt * math.sqrt(m))))
    k_min = min(max(2, min(p.min_k, m // max(p.posts_per_min_k, 1))), k_max)
    rng = np.random.default_rng(p.seed)
    fit_rows = (
        np.sort(rng.choice(m, p.fit_sample, replace=False)) if m > p.fit_sample else np.arange(m)
    )
    xs = x[fit_rows]
    best: tuple[float, int, I64, F64] | None = None
    with threadpool_limits(limits=1):  # one core: the service runs many analyses at once
        for k in range(k_min, k_max + 1):
            found = _try_k(xs, k, p)
            if found is not None and (best is None or found[0] > best[0] + 1e-9):
                best = found
    if best is None:
        return np.zeros(m, dtype=np.int64), _normalise_rows(x.mean(axis=0, keepdims=True))
    centres = best[3]
    labels = np.argmax(x @ centres.T, axis=1).astype(np.int64)
    return labels, centres


def _choose_cut(x: F64, p: ThemeParams, min_size: int) -> tuple[I64, F64]:
    """Agglomerative clustering (average linkage, cosine) on at most `fit_sample` posts; for
    each k in bounds, the tree is cut where it first holds k clusters of at least `min_size`
    posts (smaller ones are left for the assignment to place); the best silhouette (cosine,
    over the posts of those clusters) wins (ties: the smaller k)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.metrics import silhouette_score

    m = len(x)
    k_max = max(2, min(p.max_k, m // max(min_size, 1), int(p.k_per_sqrt * math.sqrt(m))))
    k_min = min(max(2, min(p.min_k, m // max(p.posts_per_min_k, 1))), k_max)
    rng = np.random.default_rng(p.seed)
    fit_rows = (
        np.sort(rng.choice(m, p.fit_sample, replace=False)) if m > p.fit_sample else np.arange(m)
    )
    xs = x[fit_rows]
    least = max(2, math.ceil(min_size * len(xs) / m))  # the minimum size, in the fitted sample
    # Cosine distances computed here (a zero row, a post without words in the lexical stand-in,
    # is at distance 1 from all, not NaN).
    distances = np.clip(1.0 - xs @ xs.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method="average")
    # Undo the merges from the last: after undoing t - 1 of them the tree holds t clusters;
    # count those of at least `least` posts as it goes (O(n)), cut only where it is needed.
    n_fit = len(xs)
    size = tree[:, 3].astype(np.int64)
    big = 1 if n_fit >= least else 0
    first_t: dict[int, int] = {}
    for t in range(2, n_fit + 1):
        node = n_fit - t + 1  # the merge undone: row n_fit - t of the tree
        a, b = int(tree[node - 1, 0]), int(tree[node - 1, 1])
        big -= int(size[node - 1] >= least)
        for child in (a, b):
            big += int((size[child - n_fit] if child >= n_fit else 1) >= least)
        if big > k_max:
            break
        if big >= k_min:
            first_t.setdefault(big, t)
    cuts: dict[int, I64] = {}
    for k, t in first_t.items():
        raw = fcluster(tree, t, criterion="maxclust").astype(np.int64)
        sizes = np.bincount(raw)
        cuts[k] = np.where(sizes[raw] >= least, raw, -1)
    best: tuple[float, int] | None = None
    for k, labels in sorted(cuts.items()):
        inside = labels >= 0
        if len(set(labels[inside].tolist())) < 2:
            continue
        sub = distances[np.ix_(inside, inside)]
        sil = float(silhouette_score(sub, labels[inside], metric="precomputed"))
        if best is None or sil - p.k_penalty * k > best[0] + 1e-9:
            best = (sil - p.k_penalty * k, k)
    if best is None:
        return np.zeros(m, dtype=np.int64), _normalise_rows(x.mean(axis=0, keepdims=True))
    labels = cuts[best[1]]
    ids = sorted(set(labels[labels >= 0].tolist()))
    centres = _normalise_rows(np.stack([xs[labels == c].sum(axis=0) for c in ids]))
    return np.argmax(x @ centres.T, axis=1).astype(np.int64), centres


def _try_k(xs: F64, k: int, p: ThemeParams) -> tuple[float, int, I64, F64] | None:
    from sklearn.metrics import silhouette_score

    labels, centres = _kmeans(xs, k, p.seed, p.n_init)
    if len(set(labels.tolist())) < 2:
        return None
    score = float(silhouette_score(xs, labels, metric="cosine")) - p.k_penalty * k
    return score, k, labels, centres


def _merge(x: F64, labels: I64, threshold: float) -> I64:
    """Merge clusters whose centroids' cosine reaches `threshold`, closest first."""
    groups = {c: [c] for c in sorted(set(labels.tolist()))}
    sums = {c: x[labels == c].sum(axis=0) for c in groups}
    while len(groups) > 1:
        ids = sorted(groups)
        cents = _normalise_rows(np.stack([sums[c] for c in ids]))
        sim = cents @ cents.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < threshold:
            break
        ca, cb = ids[int(min(a, b))], ids[int(max(a, b))]
        sums[ca] = sums[ca] + sums.pop(cb)
        groups[ca] += groups.pop(cb)
    mapping = {old: new for new, c in enumerate(sorted(groups)) for old in groups[c]}
    return np.array([mapping[int(c)] for c in labels], dtype=np.int64)


def _assign(
    x: F64,
    labels: I64,
    p: ThemeParams,
    min_size: int,
    unit_terms: list[set[str]],
    keys: list[list[str]] | None,
) -> tuple[I64, F64]:
    """Final membership: each post joins the kept theme it matches best (`relevance`), or
    "other" (-1) below `min_member_similarity`; "other" is then capped at `max_other_share`
    (its best-matching posts join their theme)."""
    m = len(x)
    k = int(labels.max()) + 1 if m else 0
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    kept = sorted((c for c in range(k) if sizes[c] >= min_size), key=lambda c: (-sizes[c], c))
    kept = kept[: p.max_themes]
    if not kept:
        return np.full(m, -1, dtype=np.int64), np.zeros((0, x.shape[1]))
    centres = _normalise_rows(np.stack([x[labels == c].sum(axis=0) for c in kept]))
    scores = np.stack(
        [
            relevance(x, centres[j], unit_terms, keys[kept[j]] if keys else ())
            for j in range(len(kept))
        ],
        axis=1,
    )
    best = np.argmax(scores, axis=1)
    fit = scores[np.arange(m), best]
    new = np.where(fit >= p.min_member_similarity, best, -1).astype(np.int64)
    cap = math.floor(p.max_other_share * m)
    outside = np.flatnonzero(new < 0)
    if len(outside) > cap:
        order = outside[np.argsort(-fit[outside], kind="stable")]
        readmit = order[: len(outside) - cap]
        new[readmit] = best[readmit]
    # Themes that lost their posts to others dissolve into the nearest remaining one.
    sizes2 = np.bincount(new[new >= 0], minlength=len(kept))
    small = [j for j in range(len(kept)) if 0 < sizes2[j] < min_size or sizes2[j] == 0]
    if small and len(small) < len(kept):
        alive = [j for j in range(len(kept)) if j not in small]
        sub = scores[:, alive]
        for i in np.flatnonzero(np.isin(new, small)).tolist():
            new[i] = alive[int(np.argmax(sub[i]))]
    remap = {old: i for i, old in enumerate(sorted(set(new[new >= 0].tolist())))}
    final = np.array([remap.get(int(c), -1) for c in new], dtype=np.int64)
    cents = (
        _normalise_rows(np.stack([x[final == c].sum(axis=0) for c in range(len(remap))]))
        if remap
        else np.zeros((0, x.shape[1]))
    )
    return final, cents


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def find_themes(
    posts: Sequence[AnalysedPost],
    vectors: npt.NDArray[np.floating] | None = None,
    *,
    folding: Folding | None = None,
    params: ThemeParams | None = None,
    exclude_terms: Iterable[str] = (),
    lang: str | None = None,
) -> Themes:
    """Group `posts` into themes.

    `vectors`: one L2-normalised sentence vector per post (same order); without them a lexical
    stand-in is used (`Themes.semantic` is False). `exclude_terms` (the brand's own names) never
    label a theme; `lang` is the language labels are preferably written in. `folding`, if given,
    must come from `fold_duplicates` over the same posts in the same order.
    """
    p = params or ThemeParams()
    n = len(posts)
    if n == 0:
        return Themes((), (), 0, vectors is not None)
    if vectors is not None and len(vectors) != n:
        raise ValueError("one vector per post is needed")
    # Canonical order, so that the result does not depend on the order of the input.
    order = sorted(range(n), key=lambda i: (posts[i].post.created_at, posts[i].post.id, i))
    rank = {i: r for r, i in enumerate(order)}
    if folding is None:
        folding = fold_duplicates([posts[i].post.text for i in range(n)])
    groups = sorted(
        (sorted(g.members, key=rank.__getitem__) for g in folding.groups),
        key=lambda ms: rank[ms[0]],
    )
    exclude_terms = list(exclude_terms)
    banned = _name_keys(posts, exclude_terms)
    brands = {fold(w.lstrip("@#")) for t in exclude_terms for w in _WORD.findall(t)}
    terms = _unit_terms(posts, groups, banned, {b for b in brands if len(b) >= 4})
    m = len(groups)
    if vectors is not None:
        x = _normalise_rows(np.asarray([vectors[g[0]] for g in groups], dtype=np.float64))
    else:
        x = _lexical_vectors(terms)
    if p.centre_vectors and m >= 2 * p.min_theme_size:
        # What every post shares (the brand, the event) says nothing about themes: removed.
        x = _normalise_rows(x - x.mean(axis=0, keepdims=True))
    min_size = max(p.min_theme_size, math.ceil(p.min_theme_share * m))
    labels = np.full(m, -1, dtype=np.int64)
    centres = np.zeros((0, x.shape[1]))
    if m >= 2 * min_size and np.any(x):
        choose = _choose_cut if p.algorithm == "average" else _choose_k
        first = _merge(x, choose(x, p, min_size)[0], p.merge_similarity)
        labels, centres = _assign(x, first, p, min_size, terms.per_unit, None)
        if p.match_keywords > 0 and labels.max() >= 0:  # the key phrases count too
            clusters = [np.flatnonzero(labels == c).tolist() for c in range(len(centres))]
            keys = _label_terms(terms, clusters, p, None)
            top = [ks[: p.match_keywords] for ks in keys]
            labels, centres = _assign(x, labels, p, min_size, terms.per_unit, top)
    clusters = [np.flatnonzero(labels == c).tolist() for c in range(len(centres))]
    phrases = _label_terms(terms, clusters, p, lang) if clusters else []
    return _build(posts, groups, x, labels, centres, clusters, phrases, terms, p, n, vectors)


def _label(phrases: list[str], surfaces: dict[str, str]) -> str:
    """The most distinctive key phrase when it has several words, else the top two words
    (not two forms of one word: "cancellation · cancelled")."""
    words = [surfaces.get(k, k) for k in phrases]
    if phrases and " " in phrases[0]:
        return words[0]
    if len(phrases) >= 2 and " " not in phrases[1] and phrases[0][:5] == phrases[1][:5]:
        return words[0]
    return LABEL_SEPARATOR.join(words[:2])


def _build(
    posts: Sequence[AnalysedPost],
    groups: list[list[int]],
    x: F64,
    labels: I64,
    centres: F64,
    clusters: list[list[int]],
    phrases: list[list[str]],
    terms: _Terms,
    p: ThemeParams,
    n: int,
    vectors: object,
) -> Themes:
    m = len(groups)
    engagement = [max(posts[i].post.metrics.engagement for i in g) for g in groups]
    built: list[tuple[int, Theme]] = []
    for c, members_u in enumerate(clusters):
        if not members_u:
            continue
        built.append(
            (
                c,
                _theme(
                    posts,
                    groups,
                    members_u,
                    x,
                    centres[c],
                    engagement,
                    p,
                    m,
                    label=_label(phrases[c], terms.surfaces),
                    keywords=tuple(terms.surfaces.get(k, k) for k in phrases[c]),
                ),
            )
        )
    built.sort(key=lambda ct: (-ct[1].size, ct[0]))
    themes = [t for _, t in built]
    rest = np.flatnonzero(labels < 0).tolist()
    if rest:
        themes.append(
            _theme(
                posts, groups, rest, x, None, engagement, p, m, label="", keywords=(), other=True
            )
        )
    theme_of = [-1] * n
    for t_index, theme in enumerate(themes):
        for i in theme.members:
            theme_of[i] = t_index
    return Themes(tuple(themes), tuple(theme_of), m, vectors is not None)


def _theme(
    posts: Sequence[AnalysedPost],
    groups: list[list[int]],
    members_u: list[int],
    x: F64,
    centre: F64 | None,
    engagement: list[int],
    p: ThemeParams,
    m: int,
    *,
    label: str,
    keywords: tuple[str, ...],
    other: bool = False,
) -> Theme:
    max_eng = max((engagement[i] for i in members_u), default=0)
    central = (
        np.clip(x[members_u] @ centre, 0.0, 1.0) if centre is not None else np.zeros(len(members_u))
    )
    scored: list[tuple[float, int, ThemePost]] = []
    for pos, i in enumerate(members_u):
        g = groups[i]
        eng = engagement[i]
        eng_part = math.log1p(eng) / math.log1p(max_eng) if max_eng > 0 else 0.0
        c = float(central[pos])
        score = 0.7 * c + 0.3 * eng_part
        best = max(g, key=lambda j: (posts[j].post.metrics.engagement, -j))
        scored.append((score, i, ThemePost(best, round(c, 4), eng, len(g))))
    scored.sort(key=lambda s: (-s[0], s[1]))
    reps = tuple(tp for _, _, tp in scored[: p.representatives])
    all_members = sorted(j for i in members_u for j in groups[i])
    split = SentimentSplit.of(
        SentimentSplit.of(posts[j].sentiment for j in groups[i]).dominant
        or posts[groups[i][0]].sentiment
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
        is_other=other,
        centre=() if centre is None else tuple(round(float(v), 6) for v in centre),
    )


def text_terms(text: str) -> set[str]:
    """The key phrases of one text, as the themes see them (for `matching.relevance`)."""
    return {k for k, _ in _phrases(tokens(text))}


def topic_matches(
    texts: Sequence[str],
    vectors: npt.NDArray[np.floating] | None,
    topic_vector: npt.NDArray[np.floating] | None,
    topic: str,
    params: ThemeParams | None = None,
) -> list[bool]:
    """Which posts are about `topic` ("our battery"): `matching.relevance` to the topic's vector
    and words (the rule of theme membership) reaches `topic_similarity`. Without vectors,
    the words alone decide."""
    p = params or ThemeParams()
    terms = term_keys(topic)
    post_terms = [text_terms(t) for t in texts]
    if vectors is None or topic_vector is None or len(texts) == 0:
        words = {w for term in terms for w in term.split()}
        return [
            bool(words & {w for k in pt for w in k.split()}) if words else True for pt in post_terms
        ]
    return [
        bool(s >= p.topic_similarity) for s in relevance(vectors, topic_vector, post_terms, terms)
    ]


__all__ = [
    "LABEL_SEPARATOR",
    "Theme",
    "ThemePost",
    "Themes",
    "find_themes",
    "term_keys",
    "text_terms",
    "topic_matches",
]
