"""Features of the sentiment model: tokens in, feature strings out.

Shared verbatim by training (``scripts/train_sentiment.py``) and inference, so they cannot
drift; :data:`FEATURE_VERSION` is bumped whenever the extraction changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Final

from bot.domain.sentiment.cues import Cues
from bot.domain.text import fold_accents, tokenize

FEATURE_VERSION: Final = 4
"""Bumped whenever the feature extraction below changes: a model of another version is refused."""

_NEGATORS: Final = frozenset(
    {
        # English
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "nor",
        "neither",
        "without",
        "cannot",
        "dont",
        "cant",
        "wont",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "didnt",
        "doesnt",
        "couldnt",
        "shouldnt",
        "wouldnt",
        "aint",
        "havent",
        "hasnt",
        "hardly",
        "don't",
        "can't",
        "won't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "didn't",
        "doesn't",
        "couldn't",
        "shouldn't",
        "wouldn't",
        "ain't",
        "haven't",
        "hasn't",
        "hadn't",
        "mustn't",
        "needn't",
        # French
        "ne",
        "n'",
        "pas",
        "jamais",
        "rien",
        "aucun",
        "aucune",
        "sans",
        "ni",
        "guere",
    }
)
_CLAUSE_END: Final = frozenset({".", ",", ";", ":", "!", "?", "…", "mais", "but"})
_NEGATION_SCOPE: Final = 3
_WIDE_SCOPE: Final = 8  # a "~" cue's negation: to the end of the clause, at most 8 tokens
_CUE_POS: Final = "\x02+"  # token key of a positive idiom (one unit)
_CUE_NEG: Final = "\x02-"  # token key of a negative idiom or sarcasm cue
_ELONGATED_RE: Final = re.compile(r"(\w)\1{2,}")
_WORDLIKE_RE: Final = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=131072)
def _canon(token: str) -> tuple[str, bool]:
    """Accent-folded token with letter runs of 3+ cut to 2; and whether it was elongated."""
    folded = fold_accents(token)
    cut = _ELONGATED_RE.sub(r"\1\1", folded)
    return cut, cut != folded


_NEG_MARK: Final = "\x01"  # prefix of a token key inside a negation scope


class Featurizer:
    """Turns tokens into feature strings; shared verbatim by training and inference."""

    def __init__(
        self,
        lexicon: dict[str, int],
        valence: dict[str, float] | None = None,
        *,
        char_ngrams: bool = True,
        cues: Cues | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.valence: dict[str, float] = valence or {}
        self.char_ngrams = char_ngrams
        self.cues = cues if cues is not None else Cues.empty()

    def token_features(self, key: str) -> list[str]:
        """Features of one token key: a token (lowercase, as :func:`tokenize` yields it),
        prefixed by ``\\x01`` when it stands inside a negation scope."""
        if key in (_CUE_POS, _CUE_NEG):
            # An idiom is one strong unit: it shares the lexicon and VADER weights of a word of
            # valence 3, which the training data estimates well even where the idiom is rare.
            sign = key[1]
            return ["cue:" + sign, "L" + sign, "V" + sign, "V" + sign + "3"]
        negated = key[0] == _NEG_MARK
        tok = key[1:] if negated else key
        canon, elongated = _canon(tok)
        feats = [("n:" if negated else "w:") + canon]
        body = canon[1:] if canon[0] == "#" and len(canon) > 1 else canon
        if body is not canon:
            feats.append("w:" + body)
        if self.char_ngrams and len(body) >= 2 and _WORDLIKE_RE.match(body) is not None:
            padded = "<" + body + ">"
            n_chars = len(padded)
            for n in (3, 4, 5):
                feats.extend("c:" + padded[i : i + n] for i in range(n_chars - n + 1))
        pol = self.lexicon.get(body)
        if pol is None and elongated:
            pol = self.lexicon.get(fold_accents(tok))
        if pol is not None:
            feats.append(("L+" if pol > 0 else "L-") + ("n" if negated else ""))
        val = self.valence.get(body)
        if val is None and elongated:
            val = self.valence.get(fold_accents(tok))
        if val:
            bucket = min(4, max(1, round(abs(val))))
            sign = "V+" if (val > 0) != negated else "V-"
            feats.append(sign)
            feats.append(sign + str(bucket))
        if elongated:
            feats.append("elong")
        return feats

    def units(self, tokens: Sequence[str]) -> tuple[Sequence[str], list[str]]:
        """Token keys (negation-marked, idioms as one cue unit) and bigram feature strings."""
        cues = self.cues
        found = {} if cues.keys.isdisjoint(tokens) else cues.matches(tokens)
        if not found and _NEGATORS.isdisjoint(tokens):
            return tokens, [f"b:{a} {b}" for a, b in pairwise(tokens)]
        marked: list[str] = []
        plain: list[str] = []  # the stream without negation marks, for the bigrams
        scope = 0
        i, n = 0, len(tokens)
        while i < n:
            match = found.get(i) if found else None
            if match is not None:
                pol = cues.polar.get(match)
                if pol is not None:
                    cue = _CUE_POS if pol > 0 else _CUE_NEG
                    marked.append(cue)
                    plain.append(cue)
                else:  # a wide negation: its words are kept, its scope runs to the clause end
                    marked.extend(match)
                    plain.extend(match)
                    scope = max(scope, _WIDE_SCOPE)
                i += len(match)
                continue
            tok = tokens[i]
            if tok in _CLAUSE_END:
                scope = 0
                marked.append(tok)
            elif tok in _NEGATORS:
                scope = max(scope, _NEGATION_SCOPE)
                marked.append(tok)
            elif scope:
                scope -= 1
                marked.append(_NEG_MARK + tok)
            else:
                marked.append(tok)
            plain.append(tok)
            i += 1
        bigrams = [f"b:{a} {b}" for a, b in pairwise(plain)]
        return marked, bigrams

    def features(self, tokens: Sequence[str], lang: str) -> list[str]:
        """All feature strings of one post (with repeats): what training counts."""
        keys, bigrams = self.units(tokens)
        feats: list[str] = []
        for key in keys:
            feats.extend(self.token_features(key))
        feats.extend(bigrams)
        feats.append("lang:" + lang)
        return feats


def tokens_for_sentiment(normalised_text: str) -> list[str]:
    """The token stream the sentiment model sees (punctuation kept for negation scope)."""
    return tokenize(normalised_text, punct=True)
