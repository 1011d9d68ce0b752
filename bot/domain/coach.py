"""The X coach: curated bilingual knowledge about X, offline retrieval, and the tip of the day.

Knowledge lives in reviewed, dated YAML files under `content/coach/` (one file per area). This
module loads them once, validates them, and answers questions such as "c'est quoi un thread ?"
with the best-matching entry — or with `None` when the question is not about anything we know.

Retrieval, fully offline and deterministic:

- text is case- and accent-folded, `tweet`/`retweet` are read as `post`/`repost`, `@`/`#` as
  mention/hashtag, French and English stop words are dropped and a light suffix stemmer applied;
- every entry is one document in both languages with weighted fields (title, keywords,
  alternative phrasings, body) scored with BM25F, plus adjacent-word pairs from the short fields
  so that "quote post" beats "post";
- a bonus rewards a question close to one of the entry's listed phrasings;
- query words missing from the vocabulary are matched to a vocabulary word within a small edit
  distance (typos);
- an answer is returned only when enough of the question's informative words (IDF mass) are
  found in the best entry: see `Thresholds`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.text import distance, fold, stem

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "coach"
KNOWLEDGE_FILES = ("glossary.yaml", "good_practice.yaml", "how_x_works_2026.yaml")
TIPS_FILE = "tips.yaml"

Lang = Literal["fr", "en"]
AREAS = ("glossary", "good_practice", "how_x_works_2026")

# A tip never comes back before this many other distinct tips were shown to the same user (with
# at most one tip a day, that is more than a month). Must stay below the number of tips.
TIP_MIN_GAP = 35
TIP_REPEAT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every retrieval constant in one place.

    Calibrated on tests/domain/data/coach_questions.yaml; checked on the held-out set.
    """

    k1: float = 1.2
    title_weight: float = 3.0
    keywords_weight: float = 2.5
    phrasings_weight: float = 2.0
    body_weight: float = 0.6
    short_field_b: float = 0.5
    body_b: float = 0.75
    phrasing_bonus: float = 4.0  # added score for a question identical to a listed phrasing
    fuzzy_weight: float = 0.8  # query-term weight of a typo-corrected word
    min_coverage: float = 0.5  # share of the question's IDF mass found in the best entry
    weak_coverage: float = 0.25  # ...accepted from here when two words match exactly
    weak_min_matches: int = 2
    x_context_coverage: float = 0.15  # ...or from here when the question is plainly about X
    min_score: float = 1.5  # minimal BM25F + bonus score of the best entry
    fuzzy_min_len: int = 5  # shortest word corrected at edit distance 1
    fuzzy2_min_len: int = 8  # shortest word corrected at edit distance 2


THRESHOLDS = Thresholds()


# --------------------------------------------------------------------------- content model


class Entry(BaseModel):
    """One reviewed knowledge entry, in both languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    area: str
    title_fr: str = Field(min_length=3)
    title_en: str = Field(min_length=3)
    body_fr: str = Field(min_length=40)
    body_en: str = Field(min_length=40)
    keywords_fr: tuple[str, ...] = Field(min_length=1)
    keywords_en: tuple[str, ...] = Field(min_length=1)
    phrasings_fr: tuple[str, ...] = ()
    phrasings_en: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    reviewed_by: str = Field(min_length=2)
    reviewed_on: date

    @field_validator("area")
    @classmethod
    def _known_area(cls, value: str) -> str:
        if value not in AREAS:
            raise ValueError(f"unknown area {value!r}")
        return value

    def title(self, lang: str) -> str:
        return self.title_fr if _lang(lang) == "fr" else self.title_en

    def body(self, lang: str) -> str:
        return self.body_fr if _lang(lang) == "fr" else self.body_en


class Tip(BaseModel):
    """A tip of the day, in both languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text_fr: str = Field(min_length=10)
    text_en: str = Field(min_length=10)
    see_also: str | None = None

    def text(self, lang: str) -> str:
        return self.text_fr if _lang(lang) == "fr" else self.text_en


@dataclass(frozen=True, slots=True)
class CoachAnswer:
    """The entry that answers a question, in the requested language."""

    id: str
    area: str
    lang: Lang
    title: str
    body: str
    see_also: tuple[str, ...]
    score: float  # ranking score (BM25F + phrasing bonus)
    coverage: float  # 0..1, share of the question's informative words found in the entry
    reviewed_on: date


@dataclass(frozen=True, slots=True)
class Match:
    """A ranked entry: its score, the share of the question it covers, exact word matches."""

    entry: Entry
    score: float
    coverage: float
    exact_matches: int


class ContentError(ValueError):
    """The coach content files are inconsistent."""


def _lang(lang: str) -> Lang:
    return "fr" if lang.replace("_", "-").split("-")[0].lower() == "fr" else "en"


# --------------------------------------------------------------------------- text processing

_STOP_TEXT = """
    a an the of to in on at by for from with without about into over under and or but if then
    so than that this these those there here is are was were be been being am do does did done
    doing have has had having i me my mine we us our you your yours he she it its they them their
    what which who whom whose when where why how can could would will shall may might must
    just also very too really please tell explain mean means meaning thing things something
    anything get got make made use using used one ones some any all more most much many way
    up out not no yes okay ok hi hello hey know need want let s t d ll re ve m x
    le la les l un une des de du d au aux et ou mais donc or ni car ce cet cette ces c ca
    qu que qui quoi quel quelle quels quelles est sont suis es etre ete ai as avons avez ont
    a il elle ils elles on nous vous je j tu te me m se s mon ma mes ton ta tes son sa ses
    notre nos votre vos leur leurs en y dans sur sous par pour avec sans vers chez entre
    pas ne n plus moins tres bien comment pourquoi quand ou combien est-ce
    veut dire signifie explique expliquer expliquez moi svp merci bonjour salut alors
    peux peut pouvez puis fait faire fais sert servir servent cela ceci tout tous toute toutes
    exactly actually really basically middle work works working worked exactement vraiment
    surtout marche marchent fonctionne fonctionnent fonctionnement concretement
    """
_STOP_WORDS = frozenset(_STOP_TEXT.split())

# Read some words as others, before stemming (old platform vocabulary, short forms).
_ALIASES: Mapping[str, str] = {
    "tweet": "post",
    "tweets": "post",
    "tweete": "post",
    "tweeter": "poster",
    "tweeted": "posted",
    "tweeting": "posting",
    "gazouillis": "post",
    "retweet": "repost",
    "retweets": "repost",
    "retweete": "repost",
    "retweeter": "repost",
    "retweeted": "repost",
    "retweeting": "repost",
    "rt": "repost",
    "rts": "repost",
    "dms": "dm",
    "mp": "dm",
    "mps": "dm",
    "twittos": "twitter",
    "threads": "thread",
    "quoted": "quote",
    "quoting": "quote",
    "verifie": "verifi",
    "verified": "verifi",
    "certifie": "verifi",
    "certified": "verifi",
}

_TOKEN = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """Content terms of `text`: folded, aliased, without stop words, stemmed, in order."""
    return [term for term, _ in _terms_with_words(text)]


def _terms_with_words(text: str) -> list[tuple[str, str]]:
    """(term, the folded word it comes from) pairs: typo correction needs the word's length."""
    folded = fold(text)
    folded = re.sub(r"#(?=\w)|(?<!\w)#(?!\w)", " hashtag ", folded)
    folded = re.sub(r"@(?=\w)|(?<!\w)@(?!\w)", " mention ", folded)
    out: list[tuple[str, str]] = []
    for raw in _TOKEN.findall(folded):
        token = _ALIASES.get(raw, raw)
        if token in _STOP_WORDS or (len(token) < 2 and not token.isdigit()):
            continue
        out.append((stem(token), raw))
    return out


def _bigrams(tokens: Sequence[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


# --------------------------------------------------------------------------- index


_FIELDS = ("title", "keywords", "phrasings", "body")


@dataclass(frozen=True, slots=True)
class _Doc:
    entry: Entry
    fields: Mapping[str, Counter[str]]
    lengths: Mapping[str, int]
    phrasings: tuple[frozenset[str], ...]


def _entry_fields(entry: Entry) -> tuple[dict[str, Counter[str]], tuple[frozenset[str], ...]]:
    def short(texts: Iterable[str]) -> Counter[str]:
        bag: Counter[str] = Counter()
        for text in texts:
            tokens = terms(text)
            bag.update(tokens)
            bag.update(_bigrams(tokens))
        return bag

    fields = {
        "title": short([entry.title_fr, entry.title_en]),
        "keywords": short([*entry.keywords_fr, *entry.keywords_en]),
        "phrasings": short([*entry.phrasings_fr, *entry.phrasings_en]),
        "body": Counter(terms(entry.body_fr) + terms(entry.body_en)),
    }
    phrasings = tuple(
        frozenset(terms(p))
        for p in (*entry.phrasings_fr, *entry.phrasings_en, entry.title_fr, entry.title_en)
    )
    return fields, tuple(p for p in phrasings if p)


class CoachKnowledge:
    """The loaded, validated knowledge and tips, with a BM25F index over the entries."""

    def __init__(
        self,
        entries: Sequence[Entry],
        tips: Sequence[Tip] = (),
        thresholds: Thresholds = THRESHOLDS,
    ) -> None:
        _check_consistency(entries, tips)
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.tips: tuple[Tip, ...] = tuple(tips)
        self.thresholds = thresholds
        self._by_id = {e.id: e for e in self.entries}
        docs: list[_Doc] = []
        for entry in self.entries:
            fields, phrasings = _entry_fields(entry)
            lengths = {name: sum(bag.values()) for name, bag in fields.items()}
            docs.append(_Doc(entry, fields, lengths, phrasings))
        self._docs = tuple(docs)
        n = len(docs)
        self._avg_len = {
            name: max(1.0, sum(d.lengths[name] for d in docs) / max(1, n)) for name in _FIELDS
        }
        df: Counter[str] = Counter()
        for d in docs:
            df.update({t for bag in d.fields.values() for t in bag})
        self._idf = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        self._unigrams = sorted(t for t in df if "_" not in t)
        self._corrections: dict[tuple[str, str], str | None] = {}

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: Path | str | None = None) -> CoachKnowledge:
        """Knowledge from a content directory; the default directory is read once per process."""
        if path is None:
            return _default_knowledge()
        return cls._read(Path(path))

    @classmethod
    def _read(cls, directory: Path) -> CoachKnowledge:
        entries: list[Entry] = []
        for name in KNOWLEDGE_FILES:
            data = _read_yaml(directory / name)
            area = data.get("area")
            raw_entries = data.get("entries")
            if not isinstance(raw_entries, list):
                raise ContentError(f"{name}: 'entries' must be a list")
            for raw in raw_entries:
                if not isinstance(raw, dict):
                    raise ContentError(f"{name}: every entry must be a mapping")
                entry = Entry.model_validate({"area": area, **raw})
                if entry.area != area:
                    raise ContentError(f"{name}: entry {entry.id!r} has area {entry.area!r}")
                entries.append(entry)
        tips_path = directory / TIPS_FILE
        tips: list[Tip] = []
        if tips_path.exists():
            raw_tips = _read_yaml(tips_path).get("tips")
            if not isinstance(raw_tips, list):
                raise ContentError(f"{TIPS_FILE}: 'tips' must be a list")
            tips = [Tip.model_validate(t) for t in raw_tips]
        return cls(entries, tips)

    # ---------------------------------------------------------------- lookup

    def entry(self, entry_id: str) -> Entry:
        return self._by_id[entry_id]

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def answer(self, question: str, lang: str) -> CoachAnswer | None:
        """The best entry for `question`, in `lang` ("fr" or "en"), or None if nothing fits."""
        ranked = self.rank(question, limit=1)
        if not ranked or not self._confident(ranked[0], about_x=_mentions_x(question)):
            return None
        best = ranked[0]
        entry = best.entry
        language = _lang(lang)
        return CoachAnswer(
            id=entry.id,
            area=entry.area,
            lang=language,
            title=entry.title(language),
            body=entry.body(language),
            see_also=entry.see_also,
            score=round(best.score, 4),
            coverage=round(best.coverage, 4),
            reviewed_on=entry.reviewed_on,
        )

    def _confident(self, match: Match, *, about_x: bool) -> bool:
        """Whether the best match really answers: enough of the question is covered.

        Off-topic questions ("what is the capital of Peru") share at most one incidental word
        with the content; a question that plainly names X or its vocabulary may carry more words
        we do not know ("explain threads like I'm five") and gets a lower bar.
        """
        th = self.thresholds
        if match.score < th.min_score:
            return False
        if match.coverage >= th.min_coverage:
            return True
        if match.coverage >= th.weak_coverage and match.exact_matches >= th.weak_min_matches:
            return True
        return about_x and match.coverage >= th.x_context_coverage and match.exact_matches >= 1

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The `limit` best-scoring entries for `question`, best first (also for diagnostics)."""
        query = self._query_terms(question)
        if not query:
            return []
        th = self.thresholds
        query_words = {t for t in query if "_" not in t}
        total_idf = sum(
            self._idf.get(t, self._max_idf) * w for t, w in query.items() if "_" not in t
        )
        results: list[Match] = []
        for doc in self._docs:
            score = 0.0
            matched_idf = 0.0
            exact = 0
            for term, weight in query.items():
                tf = 0.0
                for name in _FIELDS:
                    count = doc.fields[name].get(term, 0)
                    if not count:
                        continue
                    b = th.body_b if name == "body" else th.short_field_b
                    norm = 1.0 - b + b * doc.lengths[name] / self._avg_len[name]
                    tf += _field_weight(th, name) * count / norm
                if tf <= 0.0:
                    continue
                idf = self._idf.get(term, 0.0)
                score += weight * idf * tf / (th.k1 + tf)
                if "_" not in term:
                    matched_idf += weight * idf
                    exact += weight == 1.0
            if score <= 0.0:
                continue
            score += th.phrasing_bonus * self._phrasing_similarity(query_words, doc)
            coverage = min(1.0, matched_idf / total_idf) if total_idf > 0 else 0.0
            results.append(Match(doc.entry, score, coverage, exact))
        results.sort(key=lambda m: (-m.score, m.entry.id))
        return results[:limit]

    def _phrasing_similarity(self, query_words: set[str], doc: _Doc) -> float:
        """Best IDF-weighted Jaccard similarity between the question and a listed phrasing."""
        best = 0.0
        for phrasing in doc.phrasings:
            union = query_words | phrasing
            inter = query_words & phrasing
            if not inter:
                continue
            num = sum(self._idf.get(t, self._max_idf) for t in inter)
            den = sum(self._idf.get(t, self._max_idf) for t in union)
            best = max(best, num / den)
        return best

    def _query_terms(self, question: str) -> dict[str, float]:
        """Query terms with their weights: known words 1, typo-corrected words less."""
        weights: dict[str, float] = {}
        resolved: list[str] = []
        for token, word in _terms_with_words(question):
            if token in self._idf:
                weights[token] = max(weights.get(token, 0.0), 1.0)
                resolved.append(token)
                continue
            key = (token, word)
            if key not in self._corrections:
                if len(self._corrections) >= 10_000:  # bounded: user text is unbounded
                    self._corrections.clear()
                self._corrections[key] = self._correct(token, word)
            corrected = self._corrections[key]
            if corrected is None:
                weights.setdefault(token, 1.0)  # unknown: counts against coverage
                resolved.append(token)
            else:
                weights[corrected] = max(weights.get(corrected, 0.0), self.thresholds.fuzzy_weight)
                resolved.append(corrected)
        for pair in _bigrams(resolved):
            if pair in self._idf:
                weights[pair] = 1.0
        return weights

    def _correct(self, token: str, word: str) -> str | None:
        """The closest vocabulary term to an unknown `token` (stem of `word`), if close enough."""
        th = self.thresholds
        if len(word) < th.fuzzy_min_len or len(token) < 4 or token.isdigit():
            return None
        limit = 1 if len(word) < th.fuzzy2_min_len else 2
        best: tuple[int, float, str] | None = None
        for candidate in self._unigrams:
            if candidate[0] != token[0] and limit == 1:
                continue
            dist = distance(token, candidate, limit)
            if dist > limit:
                continue
            key = (dist, -self._idf[candidate], candidate)
            if best is None or key < best:
                best = key
        return None if best is None else best[2]

    # ---------------------------------------------------------------- intent helper

    def looks_like_x_question(self, text: str) -> bool:
        """True when `text` reads as a question about X itself (its features, practice, rules).

        The intent router uses it to send "c'est quoi un thread ?" to the coach rather than to
        the "what is being said about us" flow. It needs both a known answer and either X
        vocabulary or a question form.
        """
        is_question = "?" in text or bool(_QUESTION_CUE.search(fold(text)))
        if not (_mentions_x(text) or is_question):
            return False
        ranked = self.rank(text, limit=1)
        return bool(ranked) and self._confident(ranked[0], about_x=False)

    # ---------------------------------------------------------------- tips

    def tip(self, tip_id: str) -> Tip:
        for tip in self.tips:
            if tip.id == tip_id:
                return tip
        raise KeyError(tip_id)

    def tip_for(self, user_id: str, day: date, history: Sequence[str]) -> Tip:
        """Today's tip for `user_id`; see the module-level `tip_for`."""
        return choose_tip(self.tips, user_id, day, history)


def _field_weight(th: Thresholds, name: str) -> float:
    return {
        "title": th.title_weight,
        "keywords": th.keywords_weight,
        "phrasings": th.phrasings_weight,
        "body": th.body_weight,
    }[name]


_X_VOCABULARY_TEXT = """
    post posts poster repost quote reply replies thread hashtag mention mentions twitter
    follower followers abonne abonnes abonnement timeline algorithm algorithme bookmark signet
    like likes dm retweet verified verifi premium spaces space trend tendance tendances ratio
    community notes pin epingler bio handle identifiant troll trolls block bloquer mute masquer
    impressions views vues crisis crise journalist journaliste
    """
_X_VOCABULARY = frozenset(stem(w) for w in _X_VOCABULARY_TEXT.split())
_MENTIONS_X = re.compile(r"\b(?:on|sur|about|de|d'|with|avec|in)\s*x\b|\btwitter\b|\bx\.com\b")
_QUESTION_CUE = re.compile(
    r"^\s*(?:what|how|why|when|should|can|could|is|are|do|does|which|who|"
    r"c'est quoi|qu'est-ce|que|quel|quelle|quels|quelles|comment|pourquoi|quand|"
    r"faut-il|dois-je|est-ce|peut-on|puis-je|explique)\b"
)


def _mentions_x(text: str) -> bool:
    """The text names X/Twitter or uses a word that only makes sense on X."""
    return bool(set(terms(text)) & _X_VOCABULARY) or bool(_MENTIONS_X.search(fold(text)))


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: expected a mapping at the top level")
    return data


def _check_consistency(entries: Sequence[Entry], tips: Sequence[Tip]) -> None:
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ContentError(f"duplicate entry ids: {duplicates}")
    known = set(ids)
    for entry in entries:
        missing = [s for s in entry.see_also if s not in known]
        if missing:
            raise ContentError(f"entry {entry.id!r}: unknown see_also {missing}")
        if entry.id in entry.see_also:
            raise ContentError(f"entry {entry.id!r} refers to itself")
    tip_ids = [t.id for t in tips]
    if len(set(tip_ids)) != len(tip_ids):
        raise ContentError("duplicate tip ids")
    for tip in tips:
        if tip.see_also is not None and tip.see_also not in known:
            raise ContentError(f"tip {tip.id!r}: unknown see_also {tip.see_also!r}")
    if tips and len(tips) <= TIP_MIN_GAP:
        raise ContentError(f"need more than {TIP_MIN_GAP} tips to avoid repeats, got {len(tips)}")


@cache
def _default_knowledge() -> CoachKnowledge:
    return CoachKnowledge._read(CONTENT_DIR)


# --------------------------------------------------------------------------- tip of the day


def choose_tip(tips: Sequence[Tip], user_id: str, day: date, history: Sequence[str]) -> Tip:
    """Deterministic tip for (user, day) that avoids recently shown ones.

    `history` is the ids of tips already shown to this user, oldest first (the caller persists
    it). The most recent `TIP_MIN_GAP` distinct ids are excluded, so a tip comes back only after
    at least that many other tips — more than `TIP_REPEAT_DAYS` days at one tip a day, and still
    no repeat within a month if a user is shown a few extra tips. Among the remaining tips the
    choice is a stable hash of (user, day).
    """
    if not tips:
        raise ValueError("no tips loaded")
    gap = min(TIP_MIN_GAP, len(tips) - 1)
    recent: list[str] = []
    for tip_id in reversed(history):
        if len(recent) >= gap:
            break
        if tip_id not in recent:
            recent.append(tip_id)
    excluded = set(recent)
    candidates = sorted((t for t in tips if t.id not in excluded), key=lambda t: t.id)
    if not candidates:  # cannot happen while gap < len(tips); kept for safety
        candidates = sorted(tips, key=lambda t: t.id)
    digest = hashlib.sha256(f"{user_id}\x00{day.isoformat()}".encode()).digest()
    return candidates[int.from_bytes(digest[:8], "big") % len(candidates)]


def tip_for(user_id: str, day: date, history: Sequence[str]) -> Tip:
    """Today's tip for `user_id` from the default content, never one of the recent `history`."""
    return choose_tip(_default_knowledge().tips, user_id, day, history)


def answer(question: str, lang: str) -> CoachAnswer | None:
    """`CoachKnowledge.load().answer(...)` with the default content."""
    return _default_knowledge().answer(question, lang)


def looks_like_x_question(text: str) -> bool:
    """`CoachKnowledge.load().looks_like_x_question(...)` with the default content."""
    return _default_knowledge().looks_like_x_question(text)
