"""French and English stop-words for theme key phrases, read from data files in `data/`
(written with accents; matched folded).

Besides grammatical words, the lists hold the filler of social posts ("lol", "mdr", "rt") and
words too common to name a theme ("faire", "get"). Language is data: add a language by adding
a file, not code.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def read_words(path: Path) -> frozenset[str]:
    """The words of a list file: whitespace-separated, lower-cased, '#' starts a comment."""
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words.update(w.lower() for w in line.split("#", 1)[0].split())
    return frozenset(words)


def _connectors() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for line in (DATA / "connectors.txt").read_text(encoding="utf-8").splitlines():
        body = line.split("#", 1)[0]
        if ":" in body:
            name, words = body.split(":", 1)
            out[name.strip()] = frozenset(words.split())
    return out


FRENCH: frozenset[str] = read_words(DATA / "stopwords_fr.txt")
ENGLISH: frozenset[str] = read_words(DATA / "stopwords_en.txt")
SOCIAL: frozenset[str] = read_words(DATA / "stopwords_social.txt")
FILLERS: frozenset[str] = frozenset()  # kept for importers: the fillers are in SOCIAL now


def _weak() -> tuple[frozenset[str], tuple[str, ...]]:
    words: set[str] = set()
    for path in sorted(DATA.glob("label_weak_*.txt")):
        words |= read_words(path)
    return (
        frozenset(w for w in words if not w.startswith("-")),
        tuple(sorted(w[1:] for w in words if w.startswith("-") and len(w) > 3)),
    )


# Words that never name a theme alone nor start or end a label (conjugated verbs, vague words:
# "told", "posais"), and endings of conjugated forms ("-erait"); they still group posts.
LABEL_WEAK, LABEL_WEAK_ENDINGS = _weak()

# Small words that may join the two words of a key phrase: "délais de livraison", "point of sale",
# "service à la clientèle": a preposition, optionally followed by an article.
PREPOSITIONS: frozenset[str] = _connectors().get("prepositions", frozenset())
ARTICLES: frozenset[str] = _connectors().get("articles", frozenset())
