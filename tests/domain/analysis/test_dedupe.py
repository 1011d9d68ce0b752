from __future__ import annotations

import random
import time

from bot.domain.analysis.dedupe import fold_duplicates

BASE = "Le service client de Velora ne répond plus depuis trois semaines, c'est une honte totale"


def test_exact_copies_fold_whatever_case_links_and_mentions() -> None:
    texts = [BASE, BASE.upper(), f"@velora {BASE} https://t.co/abc", "Tout autre chose ici"]
    f = fold_duplicates(texts)
    assert f.distinct == 2
    assert f.group_of[:3] == (0, 0, 0)
    assert f.campaigns[0].size == 3
    assert f.campaigns[0].representative == 0


def test_near_copies_fold_but_short_texts_need_an_exact_match() -> None:
    edited = BASE.replace("trois", "quatre")
    short = ["Super vélo", "Super vélo !", "Super appli"]
    f = fold_duplicates([BASE, edited, *short])
    assert f.group_of[0] == f.group_of[1]
    assert f.group_of[2] == f.group_of[3]  # same words once normalised
    assert f.group_of[2] != f.group_of[4]


def test_different_posts_on_the_same_topic_do_not_fold() -> None:
    texts = [
        "Le service client de Velora ne répond plus depuis trois semaines",
        "Le service client de Velora a été parfait, réparation en deux jours, merci",
    ]
    assert fold_duplicates(texts).distinct == 2


def test_empty_input_and_text_without_words() -> None:
    assert fold_duplicates([]).distinct == 0
    f = fold_duplicates(["🔥🔥", "🔥🔥", "👍"])
    assert f.distinct == 2


def _corpus(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = [f"mot{i}" for i in range(3000)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(6, 30))) for _ in range(n)]
    campaign = "Boycott Velora leurs batteries prennent feu et personne ne dit rien partagez"
    for i in range(0, n, 20):
        texts[i] = campaign if i % 40 else campaign + " vite"
    return texts


def test_deterministic_and_fast_on_10000_posts() -> None:
    texts = _corpus(10_000, 1)
    t0 = time.perf_counter()
    a = fold_duplicates(texts)
    elapsed = time.perf_counter() - t0
    assert a == fold_duplicates(texts)
    assert a.campaigns[0].size == 500
    assert a.distinct == 10_000 - 499
    assert elapsed < 10.0, elapsed  # well under 1 s on an idle developer machine


def test_different_figures_and_short_template_posts_do_not_fold() -> None:
    texts = [
        "Commande passée chez Velora il y a 12 jours, toujours pas de vélo, personne ne répond",
        "Commande passée chez Velora il y a 30 jours, toujours pas de vélo, personne ne répond",
        "Bref, livraison repoussée encore par Velora",
        "Livraison repoussée encore par Velora",
    ]
    assert fold_duplicates(texts).distinct == 4
