# The templates below are prose: long lines and word lists read better unwrapped.
# ruff: noqa: E501
"""The demo corpus's world: constants, the seeded random source, people, text helpers and the drafts."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

SEED = 20261119
END = datetime(2026, 11, 19, 13, 0, tzinfo=UTC)  # 14:00 Paris
DAYS = 14
START = END - timedelta(days=DAYS)
PARIS = timedelta(hours=1)  # CET, no DST change inside the corpus
X_EPOCH_MS = 1288834974657
OUT_DIR = Path(__file__).resolve().parents[2] / "bot" / "clients" / "demo"
DATA = yaml.safe_load(Path(__file__).with_name("corpus.yaml").read_text(encoding="utf-8"))

LAUNCH = datetime(2026, 11, 13, 10, 0, tzinfo=UTC) - PARIS
CRISIS = datetime(2026, 11, 16, 18, 0, tzinfo=UTC) - PARIS
INTERVIEW = datetime(2026, 11, 18, 8, 15, tzinfo=UTC) - PARIS

# Paris local hour → relative activity (night is quiet, evening is busiest).
HOURLY = [0.25, 0.12, 0.07, 0.05, 0.06, 0.15, 0.45, 0.9, 1.3, 1.45, 1.4, 1.35]
HOURLY += [1.5, 1.45, 1.35, 1.3, 1.3, 1.45, 1.6, 1.75, 1.7, 1.45, 1.0, 0.55]
WEEKDAY = [1.0, 1.05, 1.0, 1.0, 0.95, 0.7, 0.6]  # Monday first

THEMES = DATA["themes"]


@dataclass
class Person:
    id: str
    handle: str
    name: str
    followers: int
    verified: bool = False
    description: str = ""
    lang: str = "fr"


@dataclass
class Draft:
    at: datetime
    author: Person
    text: str
    lang: str
    sentiment: str
    theme: str
    reach: float = 1.0
    crisis: bool = False
    homonym: bool = False
    injection: bool = False
    campaign: bool = False
    own: bool = False
    reply_to: Draft | None = None
    quote_of: Draft | None = None
    id: str = ""
    metrics: dict[str, int] = field(default_factory=dict)


rng = random.Random(SEED)


def pick(seq: Sequence[str]) -> str:
    return seq[rng.randrange(len(seq))]


def chance(p: float) -> bool:
    return rng.random() < p


# -- people -------------------------------------------------------------------------------

FR_FIRST = DATA["fr_first"].split()
FR_LAST = DATA["fr_last"].split()
EN_FIRST = DATA["en_first"].split()
EN_LAST = DATA["en_last"].split()
FR_BIO = DATA["fr_bio"]
EN_BIO = DATA["en_bio"]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum() or ch == "_")


class People:
    def __init__(self) -> None:
        self.by_handle: dict[str, Person] = {}
        self.public_fr: list[Person] = []
        self.public_en: list[Person] = []
        self._next = 7_310_000_000

    def add(
        self,
        handle: str,
        name: str,
        followers: int,
        *,
        verified: bool = False,
        description: str = "",
        lang: str = "fr",
    ) -> Person:
        self._next += rng.randrange(1_000, 900_000)
        person = Person(str(self._next), handle, name, followers, verified, description, lang)
        self.by_handle[handle] = person
        return person

    def __getitem__(self, handle: str) -> Person:
        return self.by_handle[handle]

    def make_public(self, count: int) -> None:
        for i in range(count):
            lang = "fr" if i % 10 < 7 else "en"
            first = pick(FR_FIRST if lang == "fr" else EN_FIRST)
            last = pick(FR_LAST if lang == "fr" else EN_LAST)
            style = rng.randrange(5)
            base = [
                f"{first}{last}",
                f"{first}_{last}",
                f"{first[0]}{last}",
                f"{first}{rng.randrange(1, 99)}",
                f"{last}_{first[0]}",
            ][style]
            handle = _slug(base)[:13]
            while handle in self.by_handle:
                handle = f"{handle[:12]}{rng.randrange(10)}"
            # Heavy tail: most accounts have a few hundred followers, a few have tens of
            # thousands.
            followers = min(int(25 * rng.paretovariate(1.05)) + rng.randrange(0, 60), 450_000)
            bios = FR_BIO if lang == "fr" else EN_BIO
            person = self.add(
                handle,
                f"{first} {last}",
                followers,
                verified=chance(0.03) or followers > 50_000,
                description=pick(bios),
                lang=lang,
            )
            (self.public_fr if lang == "fr" else self.public_en).append(person)

    def public(self, lang: str) -> Person:
        pool = self.public_fr if lang == "fr" else self.public_en
        # Some people post often: a skewed pick.
        return pool[min(int(rng.expovariate(1 / (len(pool) / 3))), len(pool) - 1)]


people = People()
P = people.add
for account in DATA["accounts"]:
    P(**account)
people.make_public(1100)


# -- text helpers --------------------------------------------------------------------------

CO_FR = DATA["co_fr"]
CO_EN = DATA["co_en"]
MODELS = DATA["models"]
CITIES_FR = DATA["cities_fr"]
CITIES_EN = DATA["cities_en"]
EMO_POS = DATA["emo_pos"]
EMO_NEG = DATA["emo_neg"]


def fill(template: str, lang: str) -> str:
    co = pick(CO_FR if lang == "fr" else CO_EN)
    return template.format(
        co=co,
        model=pick(MODELS),
        city=pick((CITIES_FR if lang == "fr" else CITIES_EN).split()),
        d=rng.randrange(3, 45),
        w=rng.randrange(2, 9),
        km=rng.randrange(25, 95),
        n=rng.randrange(10_000, 99_999),
        pos=pick(EMO_POS),
        neg=pick(EMO_NEG),
        price=pick(["1 890", "2 690", "1 590", "3 490"]),
    ).strip()


def vary(text: str, lang: str, sentiment: str) -> str:
    if lang == "fr":
        pre = ["", "", "", "Bon. ", "Franchement, ", "Sérieux, ", "Petit retour : ", "Bref, "]
    else:
        pre = ["", "", "", "Honestly, ", "PSA: ", "Ok so ", "Quick one: "]
    if sentiment == "pos":
        post = ["", "", " #vélotaf" if lang == "fr" else " #bikecommute", " 👍", " !"]
    elif sentiment == "neg":
        post = ["", "", " ...", " !!", " #SAV"]
    else:
        post = ["", "", " 🤔", " ?"]
    text = pick(pre) + text[0].lower() + text[1:] if chance(0.35) else text
    text = text + pick(post)
    if chance(0.05):
        text = text.lower()
    return " ".join(text.split())


# Everyday conversation: (sentiment, template), per theme and language.
T = DATA["t"]

SENTIMENT_MIX = DATA["sentiment_mix"]
THEME_MIX = DATA["theme_mix"]

REPLY_TEXT = DATA["reply_text"]
SUPPORT_REPLY = DATA["support_reply"]


def weighted(mix: dict[str, float]) -> str:
    keys = list(mix)
    return rng.choices(keys, weights=[mix[k] for k in keys])[0]


def paris_day_starts() -> list[datetime]:
    first = datetime(2026, 11, 5, 0, 0, tzinfo=UTC) - PARIS
    return [first + timedelta(days=i) for i in range(DAYS + 1)]


def daily_times(count: float, day_start: datetime) -> list[datetime]:
    n = round(count)
    hours = rng.choices(range(24), weights=HOURLY, k=n)
    return [day_start + timedelta(hours=h, seconds=rng.randrange(3600)) for h in hours]


drafts: list[Draft] = []


def add(draft: Draft) -> Draft:
    drafts.append(draft)
    return draft


def in_corpus(at: datetime) -> bool:
    return START <= at < END


def quiet_night(at: datetime) -> bool:
    """True when a reaction at `at` should not happen: few people post at night in Paris."""
    weight = HOURLY[(at + PARIS).hour]
    return weight < 0.5 and not chance(weight * 1.6)


# -- everyday chatter ----------------------------------------------------------------------
