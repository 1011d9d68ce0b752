"""The sentiment model: linear heads over word features, the embedding head, persistence."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from enum import IntEnum
from itertools import chain
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from bot.domain.language import detect_language_tokens
from bot.domain.sentiment.cues import CUES_PATH, parse_cues, parse_lexicon, parse_valence
from bot.domain.sentiment.features import FEATURE_VERSION, Featurizer, tokens_for_sentiment
from bot.domain.text import normalise

DEFAULT_MODEL_PATH: Final = Path(__file__).resolve().parents[1] / "models" / "sentiment.npz"


class Label(IntEnum):
    """Sentiment class; the values are the label ids of the research data sets."""

    NEGATIVE = 0
    NEUTRAL = 1
    POSITIVE = 2

    @property
    def text(self) -> str:
        """Lowercase name: ``"negative"``, ``"neutral"`` or ``"positive"``."""
        return self.name.lower()


_LABELS: Final = (Label.NEGATIVE, Label.NEUTRAL, Label.POSITIVE)
LANG_ORDER: Final = ("fr", "en", "other")
"""Row order of the per-language bias offsets."""
FloatArray = npt.NDArray[np.float32]
_CACHE_LIMIT: Final = 400_000


class LinearHead:
    """One logistic-regression head: its feature vocabulary, idf-scaled weights and biases.

    A :class:`SentimentModel` routes each language to one head. Thread-safe: the unit cache is
    only touched under the head's lock.
    """

    def __init__(
        self,
        vocab: Sequence[str],
        weights: FloatArray,
        sq_weights: FloatArray,
        bias: FloatArray,
        featurizer: Featurizer,
        lang_bias: FloatArray | None = None,
    ) -> None:
        if weights.shape != (len(vocab), 3) or sq_weights.shape != (len(vocab),):
            raise ValueError("weights do not match the vocabulary")
        self.vocab: dict[str, int] = {f: i for i, f in enumerate(vocab)}
        self._wg = np.ascontiguousarray(weights, dtype=np.float32)  # idf-scaled weights
        self._g2 = np.ascontiguousarray(sq_weights, dtype=np.float32)  # idf²
        self._bias = np.asarray(bias, dtype=np.float32).reshape(3)
        self.featurizer = featurizer
        # Rows 0..V-1 of the tables are the features; rows V.. are "units": the summed features
        # of one token key, added on first sight (so a post gathers ~2 rows per token, not ~10).
        self._n_features = len(vocab)
        self._tw = self._wg
        self._tg2 = self._g2
        self._units: dict[str, int] = {}
        self.lock = threading.Lock()
        self._lang_ids = {
            lang: self.vocab[f"lang:{lang}"]
            for lang in ("fr", "en", "other")
            if f"lang:{lang}" in self.vocab
        }
        # Per-language offset added to the bias (rows: fr, en, other), e.g. the neutral offsets
        # calibrated by cross-validation per language at training time.
        self._lang_bias = (
            np.zeros((len(LANG_ORDER), 3), dtype=np.float32)
            if lang_bias is None
            else np.asarray(lang_bias, dtype=np.float32).reshape(len(LANG_ORDER), 3)
        )
        self._lang_rows = np.array(
            [self._lang_ids.get(lang, -1) for lang in LANG_ORDER], dtype=np.int64
        )

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """What :meth:`SentimentModel.save` writes for this head (weights as float16)."""
        vocab = [""] * len(self.vocab)
        for f, i in self.vocab.items():
            vocab[i] = f
        return {
            "vocab": np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
            "weights": self._wg.astype(np.float16),
            "sq_weights": self._g2.astype(np.float32),
            "bias": self._bias,
            "lang_bias": self._lang_bias,
        }

    def _unit_id(self, key: str) -> int:
        vocab = self.vocab
        ids = [vocab[f] for f in self.featurizer.token_features(key) if f in vocab]
        if len(self._units) >= _CACHE_LIMIT:
            self._units.clear()
            self._tw = self._wg
            self._tg2 = self._g2
        row = self._n_features + len(self._units)
        if row >= len(self._tg2):  # grow the unit rows geometrically
            extra = max(1024, len(self._units))
            self._tw = np.concatenate([self._tw, np.zeros((extra, 3), dtype=np.float32)])
            self._tg2 = np.concatenate([self._tg2, np.zeros(extra, dtype=np.float32)])
        if ids:
            self._tw[row] = self._wg[ids].sum(axis=0)
            self._tg2[row] = self._g2[ids].sum()
        self._units[key] = row
        return row

    def post_ids(self, tokens: Sequence[str], lang: str) -> list[int]:
        """Row ids (with repeats) of one tokenised post; never empty. Call under ``lock``."""
        keys, bigrams = self.featurizer.units(tokens)
        units = self._units
        ids = [units.get(k) or self._unit_id(k) for k in keys]
        get = self.vocab.get
        ids.extend([i for i in map(get, bigrams) if i is not None])
        lang_id = self._lang_ids.get(lang)
        if lang_id is None:
            lang_id = self._lang_ids.get("other", 0)
        ids.append(lang_id)
        return ids

    def logits(
        self,
        token_lists: Sequence[Sequence[str]],
        langs: Sequence[str],
        *,
        offsets: bool = True,
    ) -> FloatArray:
        """Raw class scores (n × 3) of tokenised posts (``offsets``: with the per-language
        neutral offsets of this head alone; the ensemble has its own)."""
        if not token_lists:
            return np.zeros((0, 3), dtype=np.float32)
        with self.lock:
            id_lists = [self.post_ids(t, lang) for t, lang in zip(token_lists, langs, strict=True)]
            lengths = np.fromiter((len(x) for x in id_lists), dtype=np.int64, count=len(id_lists))
            starts = np.zeros(len(id_lists), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            flat = np.fromiter(chain.from_iterable(id_lists), np.int64, int(lengths.sum()))
            scores = np.add.reduceat(self._tw[flat], starts, axis=0)
            norms = np.sqrt(np.add.reduceat(self._tg2[flat], starts))
        last = flat[starts + lengths - 1]  # post_ids ends every post with its language row
        lang_row = (last[:, None] == self._lang_rows[None, :]).argmax(axis=1)
        bias = self._bias + self._lang_bias[lang_row] if offsets else self._bias
        out: FloatArray = (scores / norms[:, None] + bias).astype(np.float32)
        return out


class EmbeddingHead:
    """A linear head over multilingual sentence embeddings (USE multilingual v3, 512-d), and
    how it is mixed with the word model.

    Pure: it takes the vectors (computed by the caller through ``bot.ports.embeddings``, for the
    sample of an answer, a briefing or an alert only). The mix is
    ``(1 - alpha) · log p_words + alpha · log p_embeddings + offset[lang]``, with ``alpha`` and
    the per-language neutral offsets chosen by cross-validation on the training data.
    """

    def __init__(
        self, weights: FloatArray, bias: FloatArray, alpha: float, lang_bias: FloatArray
    ) -> None:
        if weights.ndim != 2 or weights.shape[1] != 3:
            raise ValueError("embedding weights must be (dim, 3)")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError("alpha must be in [0, 1]")
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32).reshape(3)
        self.alpha = float(alpha)
        self.lang_bias = np.asarray(lang_bias, dtype=np.float32).reshape(len(LANG_ORDER), 3)

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0])

    def logits(self, vectors: FloatArray) -> FloatArray:
        """Class scores (n × 3) of the embedding head alone."""
        out: FloatArray = (np.asarray(vectors, dtype=np.float32) @ self.weights + self.bias).astype(
            np.float32
        )
        return out

    def mix(self, word_logits: FloatArray, vectors: FloatArray, langs: Sequence[str]) -> FloatArray:
        """Ensemble scores (n × 3) from the word model's logits (without offsets) and vectors."""
        rows = np.array(
            [LANG_ORDER.index(x) if x in LANG_ORDER else 2 for x in langs], dtype=np.int64
        )
        mixed = (1.0 - self.alpha) * _log_softmax(word_logits) + self.alpha * _log_softmax(
            self.logits(vectors)
        )
        out: FloatArray = (mixed + self.lang_bias[rows]).astype(np.float32)
        return out

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {
            "emb.weights": self.weights,
            "emb.bias": self.bias,
            "emb.lang_bias": self.lang_bias,
            "emb.alpha": np.array([self.alpha], dtype=np.float64),
        }


def _log_softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    out: FloatArray = (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).astype(np.float32)
    return out


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def confidence_of(proba: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Confidence per post and whether it is mixed.

    Confidence is the top probability minus the smaller of P(negative) and P(positive): a post
    that is both praised and blamed ("great phone, awful support") gets a low confidence rather
    than counting as plainly negative. Mixed: both polar probabilities at least 0.25.
    """
    polar_min = np.minimum(proba[:, 0], proba[:, 2])
    conf = np.clip(proba.max(axis=1) - polar_min, 0.0, 1.0).astype(np.float32)
    return conf, polar_min >= MIXED_MIN


MIXED_MIN: Final = 0.25


class SentimentModel:
    """A trained sentiment model: one :class:`LinearHead` per language group.

    ``routes`` maps each language ("fr", "en", "other") to the name of the head that scores it;
    the shipped model has an English head (words, bigrams, lexicons; trained on English only)
    and a multilingual one (the same plus character n-grams; French and English) for French and
    other languages. Use :meth:`load`; predictions are pure and thread-safe.
    """

    def __init__(
        self,
        heads: dict[str, LinearHead],
        routes: dict[str, str],
        meta: dict[str, object] | None = None,
        embedding: EmbeddingHead | None = None,
    ) -> None:
        missing = [lang for lang in LANG_ORDER if routes.get(lang) not in heads]
        if missing:
            raise ValueError(f"no head for {missing}")
        self.heads = dict(heads)
        self.embedding = embedding
        self.routes = {lang: routes[lang] for lang in LANG_ORDER}
        self.meta: dict[str, object] = dict(meta or {})

    # ---- persistence ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> SentimentModel:
        """Load a model file; ``None`` gives the shipped model, loaded once per process."""
        if path is None:
            return _default_model()
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("feature_version") != FEATURE_VERSION:
                raise ValueError(
                    f"model feature version {meta.get('feature_version')} != {FEATURE_VERSION}: "
                    "retrain with scripts/train_sentiment.py"
                )
            lexicon = parse_lexicon(bytes(data["lexicon"]).decode("utf-8"))
            valence = parse_valence(bytes(data["valence"]).decode("utf-8"))
            cues = parse_cues(bytes(data["cues"]).decode("utf-8"))
            heads: dict[str, LinearHead] = {}
            for name, spec in meta["heads"].items():
                heads[name] = LinearHead(
                    bytes(data[f"{name}.vocab"]).decode("utf-8").split("\n"),
                    data[f"{name}.weights"].astype(np.float32),
                    data[f"{name}.sq_weights"].astype(np.float32),
                    data[f"{name}.bias"].astype(np.float32),
                    Featurizer(lexicon, valence, char_ngrams=bool(spec["char_ngrams"]), cues=cues),
                    data[f"{name}.lang_bias"].astype(np.float32),
                )
            embedding = None
            if "emb.weights" in data.files:
                embedding = EmbeddingHead(
                    data["emb.weights"].astype(np.float32),
                    data["emb.bias"].astype(np.float32),
                    float(data["emb.alpha"][0]),
                    data["emb.lang_bias"].astype(np.float32),
                )
            return cls(heads, meta["routes"], meta, embedding)

    def save(self, path: str | Path, lexicon_text: str, cues_text: str | None = None) -> None:
        """Write the model as a compressed ``.npz`` (no pickles); lexicons are shared by heads.

        ``cues_text``: the cue file to embed (default: ``models/sentiment_cues.txt``).
        """
        if cues_text is None:
            cues_text = CUES_PATH.read_text(encoding="utf-8")
        first = next(iter(self.heads.values())).featurizer
        valence = "\n".join(f"{w}\t{v:g}" for w, v in sorted(first.valence.items()))
        prior = self.meta.get("heads")
        prior_heads: dict[str, dict[str, object]] = prior if isinstance(prior, dict) else {}
        heads_meta = {
            name: {**prior_heads.get(name, {}), "char_ngrams": head.featurizer.char_ngrams}
            for name, head in self.heads.items()
        }
        meta = dict(
            self.meta, feature_version=FEATURE_VERSION, heads=heads_meta, routes=self.routes
        )
        arrays = {
            f"{name}.{key}": value
            for name, head in self.heads.items()
            for key, value in head.arrays().items()
        }
        if self.embedding is not None:
            arrays.update(self.embedding.arrays())
        arrays["lexicon"] = np.frombuffer(lexicon_text.encode("utf-8"), dtype=np.uint8)
        arrays["cues"] = np.frombuffer(cues_text.encode("utf-8"), dtype=np.uint8)
        arrays["valence"] = np.frombuffer(valence.encode("utf-8"), dtype=np.uint8)
        arrays["meta"] = np.frombuffer(
            json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8
        )
        # numpy's stub types **kwds like its allow_pickle flag; every value here is an array.
        np.savez_compressed(Path(path), **arrays)  # type: ignore[arg-type]

    @property
    def n_features(self) -> int:
        """Features over all heads."""
        return sum(len(head.vocab) for head in self.heads.values())

    def _tokens_and_langs(
        self, texts: Sequence[str], langs: Sequence[str] | None
    ) -> tuple[list[list[str]], list[str]]:
        tokens = [tokens_for_sentiment(normalise(t)) for t in texts]
        if langs is None:
            return tokens, [detect_language_tokens(t) for t in tokens]
        if len(langs) != len(texts):
            raise ValueError("langs must be as long as texts")
        return tokens, list(langs)

    # ---- prediction -------------------------------------------------------------------------

    def logits_tokens(
        self,
        token_lists: Sequence[Sequence[str]],
        langs: Sequence[str],
        *,
        offsets: bool = True,
    ) -> FloatArray:
        """Raw class scores (n × 3) from already tokenised posts, each scored by its head."""
        if len(token_lists) != len(langs):
            raise ValueError("langs must be as long as the token lists")
        out: FloatArray = np.zeros((len(langs), 3), dtype=np.float32)
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault(self.routes.get(lang, self.routes["other"]), []).append(i)
        for name, idx in groups.items():
            out[idx] = self.heads[name].logits(
                [token_lists[i] for i in idx], [langs[i] for i in idx], offsets=offsets
            )
        return out

    def predict_proba_tokens(
        self,
        token_lists: Sequence[Sequence[str]],
        langs: Sequence[str],
        vectors: FloatArray | None = None,
    ) -> FloatArray:
        """Probabilities (n × 3: negative, neutral, positive) from already tokenised posts.

        With ``vectors`` (one sentence embedding per post) and a model that has an embedding
        head, the ensemble of both heads; otherwise the word model alone.
        """
        if vectors is None or self.embedding is None:
            return _softmax(self.logits_tokens(token_lists, langs))
        if len(vectors) != len(token_lists) or np.shape(vectors)[1:] != (self.embedding.dim,):
            raise ValueError(f"vectors must be ({len(token_lists)}, {self.embedding.dim})")
        words = self.logits_tokens(token_lists, langs, offsets=False)
        return _softmax(self.embedding.mix(words, vectors, langs))

    def predict_proba(
        self,
        texts: Sequence[str],
        langs: Sequence[str] | None = None,
        vectors: FloatArray | None = None,
    ) -> FloatArray:
        """Class probabilities, shape ``(len(texts), 3)``, columns in :class:`Label` order.

        Texts may be raw (they are normalised here). ``langs`` ("fr"/"en"/"other") are detected
        when not given. ``vectors``: optional sentence embeddings of the texts (see
        :meth:`predict_proba_tokens`).
        """
        tokens, langs_ = self._tokens_and_langs(texts, langs)
        return self.predict_proba_tokens(tokens, langs_, vectors)

    def predict(
        self,
        texts: Sequence[str],
        langs: Sequence[str] | None = None,
        vectors: FloatArray | None = None,
    ) -> list[Label]:
        """Most probable :class:`Label` of each text."""
        if not texts:
            return []
        proba = self.predict_proba(texts, langs, vectors)
        return [_LABELS[i] for i in proba.argmax(axis=1).tolist()]


_default_lock = threading.Lock()
_default: list[SentimentModel] = []


def _default_model() -> SentimentModel:
    if not _default:
        with _default_lock:
            if not _default:
                _default.append(SentimentModel.load(DEFAULT_MODEL_PATH))
    return _default[0]
