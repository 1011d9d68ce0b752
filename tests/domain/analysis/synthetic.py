"""Synthetic posts and count series for the analysis tests and the themes benchmark."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.analysis.types import AnalysedPost, Sentiment
from bot.ports.posts import Author, CountBucket, CountSeries, Granularity, Metrics, Post

T0 = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday

# theme -> (sentiment, french templates, english templates); {a}/{b} take a filler word.
THEMES: dict[str, tuple[Sentiment, list[str], list[str]]] = {
    "battery": (
        Sentiment.NEGATIVE,
        [
            "La batterie de mon vélo {a} ne tient plus la charge après {n} mois",
            "Autonomie de la batterie décevante, {n} km au lieu de {m} annoncés",
            "Encore un problème de batterie, le vélo s'arrête en pleine côte {b}",
            "Batterie morte après {n} mois, la garantie batterie ne couvre rien",
        ],
        [
            "My bike battery died after {n} months, battery life is awful",
            "Battery range is {n} km not {m} as advertised, really {b}",
        ],
    ),
    "delivery": (
        Sentiment.NEGATIVE,
        [
            "Délais de livraison interminables, commande passée il y a {n} semaines",
            "Toujours pas de livraison, les délais de livraison sont une blague {b}",
            "Ma commande est bloquée, livraison reportée pour la {n}e fois",
        ],
        [
            "Delivery delays again, my order is {n} weeks late",
            "Still waiting for delivery, order placed {n} weeks ago {b}",
        ],
    ),
    "service": (
        Sentiment.NEGATIVE,
        [
            "Le service client ne répond jamais, {n} mails sans réponse",
            "Service client injoignable, le chat est fermé {b}",
            "Aucune réponse du service client depuis {n} jours, remboursement refusé",
        ],
        ["Customer service never answers, {n} emails and no reply {b}"],
    ),
    "ride": (
        Sentiment.POSITIVE,
        [
            "Superbe balade à vélo électrique ce matin le long du canal {a}",
            "Trajet domicile travail à vélo électrique, {n} km sans effort, génial",
            "Première balade avec mon nouveau vélo électrique, quel bonheur {b}",
        ],
        ["Lovely ride on my e-bike this morning along the river {a}"],
    ),
    "price": (
        Sentiment.NEUTRAL,
        [
            "Le prix du nouveau modèle annoncé à {n}00 euros, avec la prime vélo",
            "Hausse des prix chez eux, le modèle urbain passe à {n}00 euros",
        ],
        ["New model price announced at {n}00 euros, with the bike bonus"],
    ),
}


def _words(text: str) -> list[str]:
    return text.split()


POOLS: dict[str, list[str]] = {
    "battery": _words(
        "batterie battery chargeur charger recharge cellules autonomie lithium borne prise watts"
    ),
    "delivery": _words(
        "livraison delivery colis parcel transporteur "
        "suivi tracking entrepôt retard expédition carton"
    ),
    "service": _words(
        "service hotline ticket conseiller standard attente mail téléphone support réponse"
    ),
    "ride": _words("balade ride soleil forêt piste cyclable campagne week-end vacances paysage"),
    "price": _words("prix price tarif promo remise concurrence catalogue gamme prime euros"),
}
GENERIC = _words("franchement sérieux incroyable whatever honnêtement pourtant clairement bref")
FILLERS = ["vraiment", "franchement", "encore", "bon", "hier", "ce matin", "#velotaf", "😡", "🙂"]


@dataclass(frozen=True, slots=True)
class Labelled:
    post: AnalysedPost
    theme: str


def make_posts(n: int, seed: int = 1, campaign: int = 0) -> list[Labelled]:
    rng = random.Random(seed)
    names = sorted(THEMES)
    out: list[Labelled] = []
    for i in range(n):
        theme = names[rng.randrange(len(names))]
        sentiment, fr, en = THEMES[theme]
        english = rng.random() < 0.2
        template = rng.choice(en if english else fr)
        text = template.format(
            a=rng.choice(FILLERS), b=rng.choice(FILLERS), n=rng.randint(2, 9), m=rng.randint(50, 90)
        )
        extra = rng.sample(POOLS[theme], 3) + rng.sample(GENERIC, 1)
        rng.shuffle(extra)
        text = f"{text} {' '.join(extra)}"
        if rng.random() < 0.3:
            text = f"@VeloNova {text}"
        if rng.random() < 0.2:
            text += f" https://t.co/{rng.randrange(10**8)}"
        out.append(Labelled(_post(i, text, "en" if english else "fr", sentiment, rng), theme))
    for j in range(campaign):
        text = "Boycott VeloNova ! Leurs batteries prennent feu et la marque se tait. Partagez !!"
        if j % 3 == 0:
            text = text.replace("Partagez", "Partagez vite")
        post = _post(n + j, text, "fr", Sentiment.NEGATIVE, rng)
        out.append(Labelled(post, "campaign"))
    return out


def _post(i: int, text: str, lang: str, sentiment: Sentiment, rng: random.Random) -> AnalysedPost:
    followers = int(10 ** rng.uniform(1, 5.5))
    author = Author(
        id=f"u{i % 400}",
        handle=f"user{i % 400}",
        name=f"User {i % 400}",
        followers=followers,
        verified=rng.random() < 0.02,
    )
    metrics = Metrics(
        likes=rng.randint(0, 50), reposts=rng.randint(0, 10), replies=rng.randint(0, 5)
    )
    post = Post(
        id=str(10**6 + i),
        text=text,
        created_at=T0 + timedelta(minutes=i),
        author=author,
        lang=lang,
        metrics=metrics,
    )
    return AnalysedPost(post, lang, sentiment)


def diurnal_rate(t: datetime, base: float = 20.0) -> float:
    """Expected posts per hour: a day/night cycle, quieter at weekends."""
    import math

    hour = t.hour + t.minute / 60
    day = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (hour - 6) / 16)) if 6 <= hour <= 22 else 0.25
    weekend = 0.7 if t.weekday() >= 5 else 1.0
    return base * day * weekend


def poisson(rng: random.Random, lam: float) -> int:
    import math

    if lam > 60:  # normal approximation, good enough for tests
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def hourly_series(
    days: int,
    seed: int = 3,
    base: float = 20.0,
    start: datetime = T0,
    spike_at: datetime | None = None,
    spike_rate: float = 0.0,
) -> CountSeries:
    rng = random.Random(seed)
    buckets = []
    for h in range(days * 24):
        t = start + timedelta(hours=h)
        lam = diurnal_rate(t, base)
        if spike_at is not None and t >= spike_at:
            lam += spike_rate * max(0.2, 1 - (t - spike_at).total_seconds() / 86400)
        buckets.append(CountBucket(t, t + timedelta(hours=1), poisson(rng, lam)))
    return CountSeries("q", Granularity.HOUR, tuple(buckets), sum(b.count for b in buckets))


def minute_counts(
    days: int,
    seed: int = 3,
    base: float = 20.0,
    start: datetime = T0,
    spike_at: datetime | None = None,
    spike_rate: float = 0.0,
) -> list[int]:
    """Posts per minute: the diurnal rate, plus `spike_rate` per hour from `spike_at` on."""
    rng = random.Random(seed)
    out = []
    for m in range(days * 1440):
        t = start + timedelta(minutes=m)
        lam = diurnal_rate(t, base)
        if spike_at is not None and t >= spike_at:
            lam += spike_rate
        out.append(poisson(rng, lam / 60))
    return out


def series_until(minutes: list[int], now: datetime, start: datetime = T0) -> CountSeries:
    """Hourly buckets from `start` to `now`; the bucket holding `now` counts the posts so far."""
    upto = int((now - start).total_seconds() // 60)
    buckets = []
    for h in range(0, upto, 60):
        t = start + timedelta(minutes=h)
        count = sum(minutes[h : min(h + 60, upto)])
        buckets.append(CountBucket(t, t + timedelta(hours=1), count))
    return CountSeries("q", Granularity.HOUR, tuple(buckets), sum(b.count for b in buckets))
