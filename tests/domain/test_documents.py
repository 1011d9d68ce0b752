"""The tenant-document kit: YAML parsed once with the place of every key and item, coded
problems, and a message in both catalogues for every code a document can raise."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, field_validator

from bot.domain.documents import (
    FRIENDLY,
    DocumentError,
    LocatedYaml,
    Problem,
    format_loc,
    invalid,
    parse_loc,
    validated,
)
from bot.domain.watch import ProfileError, WatchProfile
from bot.i18n import catalogue
from bot.teams.editorial_cards import KIND as EDITORIAL
from bot.teams.watch import KIND as WATCH

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"

TEXT = """\
company: Acme
names:
  - Acme
  - "  "
competitors:
  - name: Zed
    names: [Zed, Zedbike]
"""


def test_positions_are_the_key_of_a_field_and_the_item_of_a_list() -> None:
    source = LocatedYaml.parse(TEXT)
    assert source.data["names"] == ["Acme", "  "]
    assert source.position(("company",)) == (1, 1)
    assert source.position(("names",)) == (2, 1)  # the key, where the field is named
    assert source.position(("names", 1)) == (4, 5)
    assert source.position(("competitors", 0, "names", 1)) == (7, 18)
    # a path going further than the text: its closest parent; the root: no position
    assert source.position(("competitors", 0, "handles", 0)) == (6, 5)
    assert source.position(("names", 9)) == (2, 1)
    assert source.position(()) is None


def test_syntax_error_and_duplicate_keys_are_located_problems() -> None:
    with pytest.raises(DocumentError) as info:
        LocatedYaml.parse("company: [Acme\n")
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.column) == ("yaml.syntax", 2, 1)
    assert "expected ',' or ']'" in problem.params["detail"]
    with pytest.raises(ProfileError) as dup:
        LocatedYaml.parse(
            "company: A\nnames: [A]\ncompetitors:\n  - name: Z\n    name: Y\n", ProfileError
        )
    (problem,) = dup.value.problems
    assert (problem.loc, problem.code, problem.line, problem.column) == (
        "competitors[0]",
        "yaml.duplicate_key",
        5,
        5,
    )
    assert problem.params == {"key": "name"}


def test_paths_round_trip() -> None:
    for path in ("company", "hashtags.forbidden[2]", "competitors[1].names[0]", ""):
        assert format_loc(parse_loc(path)) == path
    assert parse_loc("avoid.fr[3]") == ("avoid", "fr", 3)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        if len(value) > 2:
            raise invalid("tags.too_many", f"at most 2 tags, not {len(value)}", count=len(value))
        return value


def test_validated_gives_coded_located_problems() -> None:
    source = LocatedYaml.parse("tags: [a, b, c]\nextra: 1\n")
    with pytest.raises(DocumentError) as info:
        validated(_Doc, source.data, source=source)
    found = {p.loc: p for p in info.value.problems}
    assert found["title"] == Problem("title", FRIENDLY["missing"], "missing")
    assert (found["tags"].code, found["tags"].params, found["tags"].line) == (
        "tags.too_many",
        {"count": 3},
        1,
    )
    assert (found["extra"].code, found["extra"].line, found["extra"].column) == (
        "extra_forbidden",
        2,
        1,
    )
    with pytest.raises(DocumentError) as root:
        validated(_Doc, ["a list"])
    assert root.value.problems[0].code == "document.type"


def _codes(paths: list[Path]) -> set[str]:
    """Every problem code the domain's validators can raise, read from their source."""
    patterns = (
        r"invalid\(\s*\"([a-z_.]+)\"",
        r"\.add\(\s*\([^()]*\),\s*\"([a-z_.]+)\"",
        r"Problem\([^()]*?,\s*[^,()]+,\s*\"([a-z_.]+)\"",
    )
    found: set[str] = set()
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found |= set(re.findall(pattern, text))
    return found


def _has_message(lang: str, key: str) -> bool:
    node: Any = catalogue(lang)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, str)


@pytest.mark.parametrize(
    ("ns", "sources", "no_field_of_type"),
    [
        ("editorial", sorted((DOMAIN / "editorial").glob("*.py")), set()),
        ("watch", [DOMAIN / "watch.py", DOMAIN / "queries.py"], {"bool_type", "bool_parsing"}),
    ],
)
def test_every_code_has_a_message_in_both_languages(
    ns: str, sources: list[Path], no_field_of_type: set[str]
) -> None:
    codes = _codes(sources)
    kit = {"yaml.syntax", "yaml.duplicate_key", "document.type", *FRIENDLY} - no_field_of_type
    assert len(codes) > 10  # the scan finds the validators' codes
    revision_only = {"revision.naive_time", "revision.restored_from"}  # never from a user
    history_only = {"history.numbering", "history.tenant"}
    for code in sorted((codes | kit) - revision_only - history_only):
        for lang in ("fr", "en"):
            assert _has_message(lang, f"{ns}.problems.{code}"), (lang, ns, code)


def test_problems_are_phrased_from_their_code_and_params() -> None:
    with pytest.raises(ProfileError) as info:
        WatchProfile.from_yaml("company: Acme\nnames: [Acme, ACME]\n")
    (problem,) = info.value.problems
    assert (problem.code, dict(problem.params)) == (
        "duplicate",
        {"value": "ACME", "first": 1, "second": 2},
    )
    assert WATCH.form_problem_line(problem, "fr") == (
        "Noms et graphies — « ACME » figure deux fois (n° 1 et 2 ; "
        "X ne distingue pas majuscules et minuscules)"
    )
    assert WATCH.yaml_problem_line(problem, "en").startswith(
        'line 2, column 1 · `names` — "ACME" is listed twice (items 1 and 2'
    )
    handle = Problem("company.handle", "'a b' is not an X handle", "handle.invalid", 3, 11)
    assert EDITORIAL.yaml_problem_line(handle, "fr") == (
        "ligne 3, colonne 11 · `company.handle` — ce n'est pas un compte X "
        "(1 à 15 lettres, chiffres ou _)"
    )
    unknown = Problem("x", "something new", "not.in.the.catalogue")
    assert EDITORIAL.what(unknown, "fr") == "something new"  # the fallback, never a crash


def test_an_aliased_node_is_walked_once() -> None:
    """Nested aliases (a "billion laughs" document) are not walked again for each reference:
    a duplicate key under an anchor is reported once, where it is written."""
    text = "base: &b {x: 1, x: 2}\nuses: [*b, *b, *b]\n"
    with pytest.raises(DocumentError) as info:
        LocatedYaml.parse(text)
    assert [(p.loc, p.line) for p in info.value.problems] == [("base", 1)]
    laughs = ["l0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha]"]
    laughs += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 12)]
    source = LocatedYaml.parse("\n".join(laughs) + "\n")  # 9**12 references, one node each
    where = source.position(("l11", 8))  # (never `source` in an assert: its repr is huge)
    assert where == (11, 6)  # an alias stands where its anchor's value is written
