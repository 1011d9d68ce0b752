"""Watch profiles: validation with located messages, YAML round trip, the demo profile."""

from __future__ import annotations

import pytest

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.domain.watch import Competitor, ProfileError, Spokesperson, WatchProfile

MINIMAL = "company: Acme\nnames: [Acme]\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as info:
        WatchProfile.from_yaml(text)
    assert str(len(info.value.problems)) in str(info.value)
    return [str(p) for p in info.value.problems]


def test_minimal_profile_has_defaults() -> None:
    profile = WatchProfile.from_yaml(MINIMAL)
    assert profile.company == "Acme"
    assert profile.languages == ["fr", "en"]
    assert profile.competitors == [] and profile.exclusions == []


def test_demo_profile_loads_and_round_trips() -> None:
    profile = WatchProfile.from_yaml(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    assert profile.company == "Velora"
    assert {"velora", "velora_fr", "velora_support"} == set(profile.handles)
    assert [c.name for c in profile.competitors] == ["Rouleo", "Voltigo", "Cyclaro"]
    assert "Villa Velora" in profile.exclusions
    assert WatchProfile.from_yaml(profile.to_yaml()) == profile


def test_round_trip_keeps_accents_quotes_and_tags() -> None:
    profile = WatchProfile(
        company="L'Oréal « Paris »",
        names=["L'Oréal", 'Say "hi"', "Crème brûlée"],
        handles=["@loreal"],
        keywords=["#Beauté", "$OR", "e-bike"],
        exclusions=["Oréal Madrid"],
        competitors=[Competitor(name="Zed", names=["Zed"], handles=["zed"])],
        sector_terms=["cosmétique"],
        spokespeople=[Spokesperson(name="Anne Dupré", role="PDG", handles=["anne"])],
        languages=["FR"],
    )
    assert profile.handles == ["loreal"]  # "@" removed
    assert profile.languages == ["fr"]
    text = profile.to_yaml()
    assert "L'Oréal" in text and "Crème brûlée" in text  # readable, not \\u escapes
    assert WatchProfile.from_yaml(text) == profile


def test_terms_are_normalised() -> None:
    decomposed = "Ve\u0301lora"  # é as e + combining accent
    profile = WatchProfile.from_yaml(f"company: X\nnames: ['  {decomposed}  ']\n")
    assert profile.names == ["Vélora"]


def test_every_problem_is_listed_with_its_location() -> None:
    found = problems(
        """
company: ""
names: [Velora, "  "]
handles: ["@ok", "not a handle!"]
keywords: ["#two words"]
competitors:
  - name: Rouleo
    names: [Rouleo]
  - name: Voltigo
    names: []
    handles: [far_too_long_handle]
spokespeople: [{role: CEO}]
languages: [fr, French]
surprise: 1
"""
    )
    joined = "\n".join(found)
    expected = [
        "company: must not be empty",
        "names[1]: must not be blank",
        "handles[1]: an X handle",
        "keywords[0]: a hashtag or cashtag is one word",
        "competitors[1].names: must not be empty",
        "competitors[1].handles[0]: an X handle",
        "spokespeople[0].name: is required",
        "languages: 'french' is not a language code",
        "surprise: unknown field",
    ]
    for message in expected:
        assert message in joined, joined
    assert len(found) == len(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("company: Acme\n", "names: is required"),
        ("company: Acme\nnames: []\n", "names: must not be empty"),
        ("company: Acme\nnames: [Acme, ACME]\n", "names: term 'ACME' is listed twice"),
        ("company: Acme\nnames: [Acme]\nlanguages: []\n", "languages: must not be empty"),
        ("company: Acme\nnames: [Acme]\nexclusions: [acme]\n", "exclusions[0]: 'acme' is also"),
        ("company: Acme\nnames: [Acme]\nversion: 2\n", "version: only version 1"),
        ("company: Acme\nnames: [Acme]\ncompetitors: Rouleo\n", "competitors: must be a list"),
        ("company: Acme\nnames: [Acme]\ncompetitors: [Rouleo]\n", "competitors[0]: must be a"),
        ("company: Acme\nnames: [" + "a" * 101 + "]\n", "names[0]: must be at most 100"),
        ("company: Acme\nnames: [Acme]\ntenant_id: 'a/b'\n", "tenant_id:"),
        ("- just\n- a list\n", "expected a mapping of fields at the top level, got list"),
        ("", "expected a mapping of fields at the top level, got nothing"),
        ("company: [unclosed\n", "not valid YAML: while parsing a flow sequence"),
    ],
)
def test_single_problems(text: str, message: str) -> None:
    found = problems(text)
    assert any(message in p for p in found), found


def test_profile_is_immutable() -> None:
    profile = WatchProfile.from_yaml(MINIMAL)
    with pytest.raises(Exception, match="frozen"):
        profile.company = "Other"  # type: ignore[misc]
