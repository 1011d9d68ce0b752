"""Train Pulse's question classifier reproducibly and write bot/domain/models/intents.npz.

Reads the labelled phrasings in ``content/intents/*.yaml`` (one file per label, French and
English lists; see content/intents/README.md). Placeholders ``{company}``, ``{competitor}``,
``{product}`` and ``{topic}`` are filled twice: once with the generic words the reader puts in
place of a tenant's names at run time ("our company", « le concurrent »…), once with an invented
name from ``_fillers.yaml``, so the model holds for any tenant. Phrasings are embedded with the
multilingual sentence encoder (USE multilingual v3, ``bot.clients.encoder``); their character
2–4-grams (TF-IDF, sublinear) are added beside the embedding, and a multinomial L2 logistic
regression is fitted over both (scikit-learn; inference is NumPy).

Chosen by grouped 5-fold cross-validation on the training phrasings only (the variants of a
phrasing stay in one fold): the regularisation C, the calibration temperature (minimum
log-loss of the out-of-fold probabilities) and the confidence threshold below which Pulse asks
instead of answering. The held-out files under tests/ are never read here.
Deterministic: fixed seeds, sorted inputs, a deterministic solver.

    .venv/bin/python scripts/train_intents.py [--out PATH] [--c C]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.text import fold_words  # noqa: E402
from bot.domain.understanding.model import MODEL_FILE, char_ngrams  # noqa: E402

CONTENT = ROOT / "content" / "intents"
PLACEHOLDER_RE = re.compile(r"\{(company|competitor|product|topic)\}")
MASKS = {
    "fr": {
        "company": "notre entreprise",
        "competitor": "le concurrent",
        "product": "notre produit",
    },
    "en": {"company": "our company", "competitor": "the competitor", "product": "our product"},
}
GENERIC_LABELS = ("pulse", "show_posts", "help", "smalltalk")
C_GRID = (32.0, 128.0)
NGRAM_SCALE = 0.5  # weight of the character n-gram block beside the sentence embedding
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.20, 0.71, 0.025))
NON_REQUESTS = ("out_of_scope", "smalltalk", "injection")


@dataclass(frozen=True)
class Phrasing:
    label: str
    lang: str
    text: str  # with placeholders
    group: int  # index of the phrasing: its variants share it


def read_phrasings(folder: Path = CONTENT) -> tuple[list[Phrasing], dict[str, object]]:
    phrasings: list[Phrasing] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        label = str(data["label"])
        for lang in ("fr", "en"):
            for text in data.get(lang) or []:
                phrasings.append(Phrasing(label, lang, str(text), len(phrasings)))
    fillers = yaml.safe_load((folder / "_fillers.yaml").read_text(encoding="utf-8"))
    return phrasings, fillers


def _choices(fillers: dict[str, object], key: str, lang: str) -> list[str]:
    value = fillers[key]
    if isinstance(value, dict):
        return [str(v) for v in value.get(lang) or value.get("en") or []]
    return [str(v) for v in value]  # type: ignore[union-attr]


def expand(p: Phrasing, fillers: dict[str, object]) -> list[str]:
    """The phrasing as the model will see it: masked, and with invented names."""
    if not PLACEHOLDER_RE.search(p.text):
        return [p.text]
    rng = random.Random(hashlib.sha256(p.text.encode()).hexdigest())
    topics = _choices(fillers, "topic", p.lang)
    masked = PLACEHOLDER_RE.sub(
        lambda m: MASKS[p.lang].get(m.group(1)) or rng.choice(topics), p.text
    )
    named = PLACEHOLDER_RE.sub(lambda m: rng.choice(_choices(fillers, m.group(1), p.lang)), p.text)
    return [masked] if named == masked else [masked, named]


def vocabulary(
    phrasings: Sequence[Phrasing], fillers: dict[str, object]
) -> tuple[list[str], list[str]]:
    """Known words (typo correction targets) and generic words (never a topic on their own)."""
    filler_words: set[str] = set()
    for key in ("topic", "product"):
        for lang in ("fr", "en"):
            for value in _choices(fillers, key, lang):
                filler_words |= set(fold_words(value).split())
    vocab: set[str] = set(filler_words)
    generic: set[str] = set()
    for p in phrasings:
        words = set(fold_words(PLACEHOLDER_RE.sub(" ", p.text)).split())
        vocab |= words
        if p.label in GENERIC_LABELS:
            generic |= words
    return sorted(w for w in vocab if len(w) >= 4 and not w.isdigit()), sorted(
        generic - filler_words
    )


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _vectorizer():  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True, dtype=np.float64)


def _features(emb: np.ndarray, grams):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(emb), grams * NGRAM_SCALE]).tocsr()


def _fit(x, y: np.ndarray, c: float):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, tol=1e-6, solver="lbfgs").fit(x, y)


def cross_validate(
    emb: np.ndarray,
    texts: Sequence[str],
    y: np.ndarray,
    groups: np.ndarray,
    c: float,
    folds: int = 5,
) -> np.ndarray:
    """Out-of-fold decision values (logits), variants of a phrasing kept in one fold; the
    n-gram vocabulary is learnt on each training fold only."""
    from sklearn.model_selection import GroupKFold

    logits = np.zeros((len(y), len(np.unique(y))), dtype=np.float64)
    for train, test in GroupKFold(n_splits=folds).split(emb, y, groups):
        vec = _vectorizer()
        x_train = _features(emb[train], vec.fit_transform([texts[i] for i in train]))
        x_test = _features(emb[test], vec.transform([texts[i] for i in test]))
        model = _fit(x_train, y[train], c)
        full = np.full((len(test), logits.shape[1]), -1e9)
        full[:, model.classes_] = model.decision_function(x_test)
        logits[test] = full
    return logits


def calibrate(logits: np.ndarray, y: np.ndarray) -> float:
    best = (float("inf"), 1.0)
    for temp in np.arange(0.5, 3.01, 0.05):
        p = _softmax(logits / temp)
        nll = float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))
        best = min(best, (nll, round(float(temp), 2)))
    return best[1]


def choose_threshold(probs: np.ndarray, y: np.ndarray, labels: Sequence[str]) -> float:
    """The threshold that maximises accuracy when below-threshold questions count as UNKNOWN
    (a right answer only for the non-request labels), UNKNOWN's F1 breaking ties."""
    unknown = np.array([labels[i] in NON_REQUESTS for i in range(len(labels))])
    truth_unknown = unknown[y]
    top = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    best = (-1.0, -1.0, 0.5)
    for th in THRESHOLDS:
        said_unknown = unknown[top] | (conf < th)
        right = np.where(truth_unknown, said_unknown, (~said_unknown) & (top == y))
        tp = float(np.sum(said_unknown & truth_unknown))
        f1 = 2 * tp / max(1.0, float(np.sum(said_unknown) + np.sum(truth_unknown)))
        best = max(best, (round(float(right.mean()), 4), round(f1, 4), th))
    return float(best[2])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--content", type=Path, default=CONTENT)
    parser.add_argument(
        "--c", type=float, default=None, help="skip the cross-validation and fit with this C"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()

    from bot.clients.encoder import shared_encoder

    phrasings, fillers = read_phrasings(args.content)
    texts: list[str] = []
    y_names: list[str] = []
    groups: list[int] = []
    for p in phrasings:
        for variant in expand(p, fillers):
            texts.append(variant)
            y_names.append(p.label)
            groups.append(p.group)
    labels = sorted(set(y_names))
    y = np.array([labels.index(n) for n in y_names])
    x = shared_encoder().encode(texts).astype(np.float64)
    print(f"{len(phrasings)} phrasings, {len(texts)} texts, {len(labels)} labels", flush=True)

    c, temperature, threshold = args.c or 8.0, 1.0, 0.45
    if args.c is None:
        g = np.array(groups)
        best = (-1.0, c)
        oof_by_c = {}
        for cand in C_GRID:
            logits = cross_validate(x, texts, y, g, cand)
            acc = float((logits.argmax(axis=1) == y).mean())
            oof_by_c[cand] = logits
            print(f"  C={cand:g}: grouped 5-fold accuracy {acc:.3f}", flush=True)
            best = max(best, (acc, cand))
        c = best[1]
        temperature = calibrate(oof_by_c[c], y)
        threshold = choose_threshold(_softmax(oof_by_c[c] / temperature), y, labels)
        print(f"chosen C={c:g}, temperature {temperature:.2f}, threshold {threshold:.3f}")

    vec = _vectorizer()
    grams = vec.fit_transform(texts)
    model = _fit(_features(x, grams), y, c)
    dim = x.shape[1]
    vocab, generic = vocabulary(phrasings, fillers)
    digest = hashlib.sha256(
        "\n".join(f"{p.label}\t{p.lang}\t{p.text}" for p in phrasings).encode()
    ).hexdigest()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        labels=np.array(labels),
        weights=model.coef_[:, :dim].astype(np.float32),
        bias=model.intercept_.astype(np.float32),
        ngrams=vec.get_feature_names_out().astype(str),
        idf=vec.idf_.astype(np.float32),
        ngram_weights=model.coef_[:, dim:].astype(np.float32),
        ngram_scale=np.float64(NGRAM_SCALE),
        temperature=np.float64(temperature),
        threshold=np.float64(threshold),
        c=np.float64(c),
        vocab=np.array(vocab),
        generic=np.array(generic),
        data_sha256=np.array(digest),
    )
    size = args.out.stat().st_size / 1024
    print(f"wrote {args.out} ({size:.0f} KB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
