"""Throughput of the local analysis: normalisation + language + sentiment, in posts/s (one core).

Generates 10,000 synthetic French/English posts from templates (no real tweets), then times in
the same run:

- the floor: merely tokenising the posts (``tokenize``);
- the pipeline: ``analyse_texts`` (normalise + language id + sentiment), in batches;
- the same followed by themes (``find_themes`` over the 10,000 analysed posts, copies folded).

Goal: pipeline ≥ 20,000 posts/s per core.

Then, for the sample of an answer (100 posts), the word model alone against the ensemble with the
sentence-embedding head (encoding included, no encoder cache): what an answer pays for the
better labels (``--no-embedding`` skips it).

    .venv/bin/python bench/bench_analysis.py [--posts 10000] [--batch 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.domain.analysis import AnalysedPost, find_themes, to_sentiment  # noqa: E402
from bot.domain.sentiment import SentimentModel, analyse_texts  # noqa: E402
from bot.domain.text import normalise, tokenize  # noqa: E402
from bot.ports.posts import Author, Post  # noqa: E402

SEED = 1234

_EN_TEMPLATES = (
    "Just tried the new {product} from {brand} and it is {adj_pos}! {emo_pos} {tag}",
    "@{handle} your {product} keeps crashing since the update. {adj_neg} {emo_neg} {url}",
    "{brand} announces its quarterly results on {day}, analysts expect {noun} {url}",
    "Not sure the {product} is worth it... the {noun} is {adj_neg} and support never answers",
    "Big thanks to the {brand} team for fixing my {noun} so quickly {emo_pos} {tag}",
    "Why does {brand} keep raising prices? {adj_neg} move, I am switching {emo_neg}",
    "Reading about {brand} and the {noun} this morning {url} via @{handle}",
    "I don't hate the new {product}, but the {noun} could be better {tag}",
)
_FR_TEMPLATES = (
    "Je viens d'essayer le nouveau {product} de {brand}, c'est {fr_pos} ! {emo_pos} {tag}",
    "@{handle} votre {product} plante encore depuis la mise à jour, {fr_neg} {emo_neg} {url}",
    "{brand} publiera ses résultats {day_fr}, les analystes attendent {fr_noun} {url}",
    "Pas sûr que le {product} en vaille la peine… le service client ne répond jamais",
    "Merci à l'équipe {brand} pour la réparation rapide de mon {product} {emo_pos} {tag}",
    "Pourquoi {brand} augmente encore ses prix ? C'est {fr_neg}, je change {emo_neg}",
    "Lu ce matin : {brand} et {fr_noun} {url} via @{handle}",
    "Je ne déteste pas le {product}, mais {fr_noun} pourrait être mieux {tag}",
)
_SLOTS: dict[str, Sequence[str]] = {
    "product": ("phone", "laptop", "app", "cloud service", "watch", "headset", "router"),
    "brand": ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"),
    "adj_pos": ("amazing", "great", "sooo good", "brilliant", "really nice"),
    "adj_neg": ("terrible", "awful", "so disappointing", "ridiculous", "bad"),
    "noun": ("battery", "pricing", "customer service", "growth", "new CEO", "roadmap"),
    "day": ("Monday", "Tuesday", "Thursday"),
    "fr_pos": ("génial", "super", "vraiment top", "excellent", "parfait"),
    "fr_neg": ("nul", "honteux", "inadmissible", "décevant", "n'importe quoi"),
    "fr_noun": ("la croissance", "la batterie", "le nouveau PDG", "les prix", "la stratégie"),
    "day_fr": ("lundi", "mardi", "jeudi"),
    "emo_pos": ("😍", "👍", ":)", "🎉", "❤️", ""),
    "emo_neg": ("😡", "👎", ":(", "🙄", ""),
    "tag": ("#tech", "#Acme", "#innovation", "#GoodNews", ""),
    "handle": ("AcmeSupport", "globex_fr", "Initech", "hooli_help"),
    "url": ("https://t.co/AbCdEf1234", "https://example.com/news?id=42", ""),
}
_NOISE = ("", "", "", "\u200b", "\u202e", "\U000e0041")


def synthetic_posts(n: int, seed: int = SEED) -> list[str]:
    """``n`` made-up posts, half French, half English, some with hidden characters."""
    rng = random.Random(seed)
    posts = []
    for i in range(n):
        template = rng.choice(_FR_TEMPLATES if i % 2 else _EN_TEMPLATES)
        fields = {k: rng.choice(v) for k, v in _SLOTS.items()}
        post = template.format(**fields) + rng.choice(_NOISE)
        posts.append(post)
    return posts


def best_rate(fn: Callable[[], object], n: int, repeat: int) -> float:
    """Posts per second of the fastest of ``repeat`` runs of ``fn`` over ``n`` posts."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-embedding", action="store_true")
    args = parser.parse_args(argv)
    posts = synthetic_posts(args.posts)
    model = SentimentModel.load()  # loaded once, outside the timings
    batches = [posts[i : i + args.batch] for i in range(0, len(posts), args.batch)]
    analyse_texts(posts[:100], model)  # warm-up

    def floor() -> None:
        for p in posts:
            tokenize(p)

    def normalise_only() -> None:
        for p in posts:
            normalise(p)

    def pipeline() -> None:
        for batch in batches:
            analyse_texts(batch, model)

    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    authors = [Author(str(i), f"user{i}", f"User {i}") for i in range(50)]
    records = [
        Post(str(i), text, start + timedelta(seconds=7 * i), authors[i % len(authors)])
        for i, text in enumerate(posts)
    ]  # the input of the themes: built outside the timings

    def pipeline_with_themes() -> None:
        analysed: list[AnalysedPost] = []
        for b in range(0, len(records), args.batch):
            chunk = records[b : b + args.batch]
            for rec, a in zip(chunk, analyse_texts([r.text for r in chunk], model), strict=True):
                analysed.append(AnalysedPost(rec, a.lang, to_sentiment(a.sentiment)))
        find_themes(analysed, exclude_terms=["Acme"])

    results = [
        ("tokenise only (floor)", best_rate(floor, len(posts), args.repeat)),
        ("normalise only", best_rate(normalise_only, len(posts), args.repeat)),
        ("normalise + language + sentiment", best_rate(pipeline, len(posts), args.repeat)),
        ("... + themes", best_rate(pipeline_with_themes, len(posts), args.repeat)),
    ]

    print(f"{len(posts)} synthetic posts, batches of {args.batch}, best of {args.repeat} runs")
    for name, rate in results:
        print(f"{name:<40} {rate:>10,.0f} posts/s")
    pipeline_rate = results[2][1]
    print(
        f"pipeline / floor: {pipeline_rate / results[0][1]:.2f}; goal ≥ 20,000 posts/s: "
        f"{'met' if pipeline_rate >= 20_000 else 'MISSED'}"
    )
    if not args.no_embedding and model.embedding is not None:
        sample_ms(model, posts, args.repeat)
    return 0


def sample_ms(model: SentimentModel, posts: list[str], repeat: int) -> None:
    """Milliseconds for a 100-post sample: word model alone vs encoder + ensemble."""
    from bot.clients.encoder import UseEncoder

    encoder = UseEncoder(cache_size=0)  # every sample encoded afresh
    encoder.warm_up()
    samples = [posts[i * 100 : (i + 1) * 100] for i in range(repeat)]

    def best_ms(fn: Callable[[list[str]], object]) -> float:
        best = float("inf")
        for sample in samples:
            start = time.perf_counter()
            fn(sample)
            best = min(best, time.perf_counter() - start)
        return best * 1000

    words = best_ms(lambda s: analyse_texts(s, model))
    ensemble = best_ms(lambda s: analyse_texts(s, model, encoder.encode([normalise(t) for t in s])))
    print(f"{'sample of 100, word model (baseline)':<40} {words:>10,.1f} ms")
    print(f"{'sample of 100, encoder + ensemble':<40} {ensemble:>10,.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
