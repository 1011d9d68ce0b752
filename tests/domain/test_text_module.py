"""The one text module: folding (with offsets), words, stemming, edit distance (made-up text)."""

from __future__ import annotations

import pytest

from bot.domain.text import (
    closest,
    distance,
    fold,
    fold_char,
    fold_with_index,
    fold_words,
    nfc_lower,
    stem,
    words,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Scandalé", "scandale"),
        ("L’Œuvre — ÇA", "l'oeuvre - ca"),
        ("Straße", "strasse"),
        ("ﬁn Ａbc", "fin abc"),
        ("a\u200bb\ufe0fc", "abc"),  # invisible characters dropped
        ("tab\there", "tab here"),
        ("`quoted´", "'quoted'"),
        ("Ørsted, Łódź", "orsted, lodz"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert "".join(fold_char(c) for c in text) == folded  # the fast path agrees


def test_fold_with_index_maps_back_to_the_text_as_written() -> None:
    text = "Vive l’Œuvre\u200b !"
    folded, index = fold_with_index(text)
    assert folded == fold(text)
    assert len(index) == len(folded)
    start = folded.index("oeuvre")
    end = start + len("oeuvre")
    assert text[index[start] : index[end - 1] + 1] == "Œuvre"
    ascii_folded, ascii_index = fold_with_index("Plain ASCII")
    assert ascii_folded == "plain ascii"
    assert ascii_index == list(range(len("Plain ASCII")))


def test_words_and_fold_words() -> None:
    assert words("L’été, 2026 ! Quelle-journée") == ["l", "ete", "2026", "quelle", "journee"]
    assert fold_words("  Plus   COURT !") == "plus court"
    assert fold_words("?!") == ""


def test_nfc_lower_keeps_accents() -> None:
    assert nfc_lower("E\u0301TE\u0301") == "été"


def test_stem_is_one_light_bilingual_stemmer() -> None:
    assert stem("reposts") == stem("reposted") == stem("reposting") == "repost"
    assert stem("abonnements") == stem("abonnement") == "abonn"
    assert stem("replies") == "reply"
    assert stem("bon") == "bon"  # short words unchanged
    assert stem("2026") == "2026"


def test_distance_is_optimal_string_alignment_with_a_cut_off() -> None:
    assert distance("hashtag", "hashtag") == 0
    assert distance("hashtag", "hastahg") == 2
    assert distance("thread", "thraed") == 1  # a transposition costs one
    assert distance("abcdef", "uvwxyz", 2) == 3  # beyond the limit: limit + 1
    assert distance("abcdef", "uvwxyz") == 6


def test_closest() -> None:
    vocab = ["mention", "hashtag", "thread"]
    assert closest("hastag", vocab, 1) == "hashtag"
    assert closest("zzz", vocab, 1) is None
