"""Profile → X search queries: operators, quoting, splitting under the 512-character limit."""

from __future__ import annotations

import itertools
import re

import pytest

from bot.clients.demo.query import compile_query, features
from bot.domain.queries import (
    MAX_QUERY_LENGTH,
    QueryTooLong,
    build_queries,
    company_queries,
    competitor_queries,
    language_filter,
    sector_queries,
    term_operator,
)
from bot.domain.watch import Competitor, Spokesperson, WatchProfile


def profile(**fields: object) -> WatchProfile:
    base: dict[str, object] = {"company": "Acme", "names": ["Acme"], "languages": ["fr"]}
    base.update(fields)
    return WatchProfile.model_validate(base)


@pytest.mark.parametrize(
    ("term", "operator"),
    [
        ("Velora", "Velora"),
        ("vélotaf", "vélotaf"),  # accents kept
        ("Velora Cargo", '"Velora Cargo"'),
        ("e-bike", '"e-bike"'),
        ("L'Oréal", '"L\'Oréal"'),
        ('Say "hi"', '"Say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("#Velora", "#Velora"),
        ("#mobilitéurbaine", "#mobilitéurbaine"),
        ("$VLRA", "$VLRA"),
        ("@velora", "@velora"),
        ("OR", '"OR"'),
        ("-dash", '"-dash"'),
        ("3M", "3M"),
    ],
)
def test_term_operator(term: str, operator: str) -> None:
    assert term_operator(term) == operator


def test_language_filter() -> None:
    assert language_filter(["fr"]) == "lang:fr"
    assert language_filter(["fr", "en"]) == "(lang:fr OR lang:en)"


def test_company_query_shape() -> None:
    p = profile(
        names=["Velora", "Vélora"],
        handles=["velora", "velora_fr"],
        keywords=["#Velora", "$VLRA", "Velora Ride"],
        exclusions=["Villa Velora", "#VeloraLive", "@veloraband"],
        spokespeople=[Spokesperson(name="Camille Arnaud", handles=["camille_arnaud"])],
        languages=["fr", "en"],
    )
    (query,) = company_queries(p).queries
    assert query == (
        '(Velora OR Vélora OR @velora OR @velora_fr OR #Velora OR $VLRA OR "Velora Ride" '
        'OR "Camille Arnaud" OR @camille_arnaud) -"Villa Velora" -#VeloraLive -@veloraband '
        "-from:velora -from:velora_fr (lang:fr OR lang:en)"
    )


def test_queries_mean_what_they_say() -> None:
    """Read back by the demo source's X query evaluator."""
    p = profile(
        names=["Velora", 'Le "vrai" Velora'],
        handles=["velora"],
        keywords=["#VeloraCargo2"],
        exclusions=["Villa Velora"],
        languages=["fr", "en"],
    )
    (query,) = company_queries(p).queries
    match = compile_query(query)

    def hit(text: str, author: str = "someone", lang: str = "fr") -> bool:
        return match(features(text, author=author, lang=lang))

    assert hit("J'aime Velora")
    assert hit('le "vrai" velora', lang="en")
    assert hit("merci @velora")
    assert hit("#VeloraCargo2 !")
    assert not hit("Séjour à la Villa Velora")  # homonym excluded
    assert not hit("Velora", author="velora")  # the company's own posts
    assert not hit("Velora", lang="de")


def test_single_term_has_no_parentheses() -> None:
    assert company_queries(profile()).queries == ("Acme lang:fr",)


def test_duplicates_differing_by_case_are_dropped() -> None:
    p = profile(
        names=["Acme"],
        keywords=["ACME", "#acme"],
        handles=["acme"],
        spokespeople=[Spokesperson(name="Jo", handles=["ACME"])],
    )
    assert company_queries(p).queries == ("(Acme OR @acme OR #acme OR Jo) -from:acme lang:fr",)


def test_competitor_and_sector_sets() -> None:
    p = profile(
        competitors=[
            Competitor(name="Rouleo", names=["Rouleo"], handles=["rouleo"]),
            Competitor(name="Volt", names=["Voltigo", "Volt igo"], exclusions=["Volt Power"]),
        ],
        sector_terms=["vélo électrique", "#vélotaf"],
    )
    rouleo, volt = competitor_queries(p)
    assert rouleo.label == "Rouleo" and rouleo.target == "competitor"
    assert rouleo.queries == ("(Rouleo OR @rouleo) lang:fr",)
    assert volt.queries == ('(Voltigo OR "Volt igo") -"Volt Power" lang:fr',)
    sector = sector_queries(p)
    assert sector is not None
    assert sector.queries == ('("vélo électrique" OR #vélotaf) lang:fr',)
    everything = build_queries(p)
    assert [s.target for s in everything.all()] == ["company", "competitor", "competitor", "sector"]
    assert sector_queries(profile()) is None


def _operands(query: str, suffix: str) -> list[str]:
    assert query.endswith(" " + suffix)
    group = query[: -len(suffix) - 1]
    if group.startswith("(") and group.endswith(")"):
        group = group[1:-1]
    return group.split(" OR ")


def test_long_profiles_are_split_covering_each_term_once() -> None:
    names = [f"Marque{i:03d}" for i in range(150)]
    names += [f"Produit spécial {i}" for i in range(60)]
    names += [f"#tag{i}" for i in range(40)]
    exclusions = ["Villa Velora", "Velora band", "#VeloraLive"]
    p = profile(names=names, exclusions=exclusions, handles=["acme"], languages=["fr", "en"])
    queries = company_queries(p).queries
    assert len(queries) > 3
    suffix = '-"Villa Velora" -"Velora band" -#VeloraLive -from:acme (lang:fr OR lang:en)'
    seen: list[str] = []
    for query in queries:
        assert len(query) <= MAX_QUERY_LENGTH
        compile_query(query)  # valid syntax
        seen += _operands(query, suffix)
    expected = [term_operator(n) for n in names] + ["@acme"]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    # Greedy packing: no query could take the next one's first operand.
    for query, following in itertools.pairwise(queries):
        first = _operands(following, suffix)[0]
        assert len(query) + len(" OR ") + len(first) > MAX_QUERY_LENGTH


def test_exclusions_too_long_for_any_term() -> None:
    exclusions = [f"homonyme numéro {i}" for i in range(40)]
    with pytest.raises(QueryTooLong, match=r"exclusions and language filter alone take \d+"):
        company_queries(profile(exclusions=exclusions))


def test_a_term_that_cannot_fit_next_to_the_exclusions() -> None:
    exclusions = [f"homonyme {i:02d}" for i in range(30)]  # ~ 430 characters
    long_name = "Une marque au nom particulièrement long et détaillé " + "x" * 40
    p = profile(names=["Acme", long_name], exclusions=exclusions)
    with pytest.raises(QueryTooLong, match="does not fit in one X query"):
        company_queries(p)


def test_every_query_of_the_demo_profile_fits() -> None:
    from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH

    demo = WatchProfile.from_yaml(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    for query_set in build_queries(demo).all():
        for query in query_set.queries:
            assert len(query) <= MAX_QUERY_LENGTH
            assert re.search(r"lang:fr", query)
            compile_query(query)
