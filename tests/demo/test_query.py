"""The X query evaluator of the demo source."""

from __future__ import annotations

import pytest

from bot.clients.demo.query import QuerySyntaxError, compile_query, features


def post(text: str, **kw: object) -> object:
    defaults: dict[str, object] = {"author": "someone", "lang": "fr"}
    defaults.update(kw)
    return features(text, **defaults)  # type: ignore[arg-type]


def matches(query: str, text: str, **kw: object) -> bool:
    return compile_query(query)(post(text, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("velora", "J'adore mon VELORA !", True),
        ("velora", "veloramania", False),  # tokenized, not substring
        ("vélo", "un velo", False),  # accent-sensitive, like X
        ("vélo", "Un VÉLO électrique", True),  # case-insensitive
        ('"velora cargo"', "Mon Velora  Cargo 2 !", True),
        ('"velora cargo"', "Cargo Velora", False),
        ('"e-bike"', "my e bike", True),
        ("#velora", "Love #Velora", True),
        ("#velora", "Love Velora", False),
        ("#velora", "Love #VeloraCargo2", False),  # exact hashtag
        ("velora", "Love #Velora", True),  # a keyword also matches the hashtag's text
        ("$VLRA", "$vlra -14%", True),
        ("@velora", "merci @Velora", True),
        ("@velora", "merci @velora_fr", False),
        ("velora OR rouleo", "Rouleo !", True),
        ("velora rouleo", "Rouleo !", False),
        ("velora -band", "Velora band live", False),
        ('velora -"villa velora"', "Villa Velora on the lake", False),
        ('velora -"villa velora"', "Velora bike", True),
        ("(velora OR rouleo) (batterie OR battery)", "batterie Rouleo", True),
        ("apple OR iphone ipad", "apple", True),  # AND binds tighter than OR
        ("apple OR iphone ipad", "iphone", False),
        ('"un \\"vrai\\" vélo"', 'un "vrai" vélo', True),
        ("velora -(band OR villa)", "Velora villa", False),
    ],
)
def test_matching(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_operators() -> None:
    assert matches("velora lang:fr", "Velora", lang="fr")
    assert not matches("velora lang:fr", "Velora", lang="en")
    assert matches("velora (lang:fr OR lang:en)", "Velora", lang="en")
    assert matches("velora from:velora", "Velora", author="Velora")
    assert not matches("velora -from:velora", "Velora", author="velora")
    assert matches("to:lea velora", "@lea Velora", reply_to_author="Lea", is_reply=True)
    assert matches("velora is:reply", "Velora", is_reply=True)
    assert not matches("velora is:quote", "Velora")
    assert matches("velora -is:retweet", "Velora")


@pytest.mark.parametrize(
    "query", ["", "  ", '"open', "(velora", "velora)", "velora OR", "has:links velora", "x" * 513]
)
def test_invalid_queries(query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        compile_query(query)
