"""The editorial line model: validation (located), YAML round trip, placeholders, history."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from bot.domain.defaults import default_editorial_line, default_editorial_line_yaml
from bot.domain.editorial import (
    AvoidTerm,
    Editor,
    EditorialError,
    EditorialHistory,
    EditorialLine,
    Problem,
    UnknownVersion,
    fold,
    format_loc,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ALICE = Editor(user_id="aad-alice", name="Alice Martin")
BOB = Editor(user_id="aad-bob", name="Bob Durand")


def base_data() -> dict[str, Any]:
    return copy.deepcopy(default_editorial_line().to_data())


def problems_of(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return list(info.value.problems)


def by_loc(problems: list[Problem]) -> dict[str, Problem]:
    return {p.loc: p for p in problems}


# ---- the default line ---------------------------------------------------------------------------


def test_default_line_loads() -> None:
    line = default_editorial_line()
    assert line.company.name == "Velora"
    assert line.languages == ["fr", "en"]
    assert [p.id for p in line.pillars] == [
        "safety",
        "made_in_france",
        "urban_mobility",
        "customer_care",
    ]
    assert line.voice.descriptors["fr"] == ["sobre", "chaleureuse", "experte"]
    assert line.crisis.template["fr"] and line.crisis.guidance["en"]
    assert {p.lang for p in line.sample_posts} == {"fr", "en"}
    assert line.revision.version == 1


def test_company_name_is_a_single_field() -> None:
    data = base_data()
    data["company"]["name"] = "Rouline Cycles"
    line = EditorialLine.parse(data).resolved()
    assert "#RoulineCycles" in line.hashtags.allowed
    assert any("Rouline Cycles" in m for m in line.pillars[0].key_messages["fr"])
    assert "Rouline Cycles" in line.crisis.template["en"]
    assert line.disclosures[2].any_of == ["— CA"]
    assert not any("Velora" in p.text for p in line.sample_posts)


def test_resolve_fills_placeholders() -> None:
    line = default_editorial_line()
    assert line.resolve("{company} / {company_handle} / {spokesperson} / {initials}") == (
        "Velora / @velora / Camille Arnaud / CA"
    )


# ---- YAML round trip ----------------------------------------------------------------------------


def test_yaml_round_trip() -> None:
    line = default_editorial_line()
    text = line.to_yaml()
    again = EditorialLine.from_yaml(text)
    assert again == line
    assert again.to_yaml() == text


def test_data_round_trip() -> None:
    line = default_editorial_line()
    assert EditorialLine.parse(line.to_data()) == line


def test_default_yaml_file_is_valid_yaml() -> None:
    assert yaml.safe_load(default_editorial_line_yaml())["company"]["name"] == "Velora"


def test_avoid_terms_accept_plain_strings() -> None:
    data = base_data()
    data["avoid"]["en"] = ["cheap", {"term": "hype", "severity": "warning"}]
    line = EditorialLine.parse(data)
    assert line.avoid["en"][0] == AvoidTerm(term="cheap")
    assert line.avoid["en"][1].severity == "warning"


# ---- validation: every problem located ----------------------------------------------------------


def test_forbidden_hashtag_also_required_is_located() -> None:
    data = base_data()
    data["hashtags"]["required"] = ["#Promo"]
    data["hashtags"]["max_count"] = 2
    problems = by_loc(problems_of(data))
    assert str(problems["hashtags.forbidden[0]"]).startswith(
        'hashtags.forbidden[0]: "#promo" is also in hashtags.required'
    )
    assert problems["hashtags.forbidden[0]"].code == "hashtag.conflict"


def test_forbidden_hashtag_also_allowed_ignoring_case_and_accents() -> None:
    data = base_data()
    data["hashtags"]["forbidden"] = ["#promo", "#soldes", "#VELO"]
    problems = by_loc(problems_of(data))
    assert problems["hashtags.forbidden[2]"].message == '"#VELO" is also in hashtags.allowed'


def test_hashtag_syntax_and_duplicates() -> None:
    data = base_data()
    data["hashtags"]["allowed"] = ["#Vélo", "velo", "#velo", "#2024"]
    problems = by_loc(problems_of(data))
    assert problems["hashtags.allowed[1]"].code == "hashtag.invalid"
    assert problems["hashtags.allowed[2]"].message == '"#velo" duplicates hashtags.allowed[0]'
    assert problems["hashtags.allowed[3]"].code == "hashtag.invalid"


def test_max_count_below_required() -> None:
    data = base_data()
    data["hashtags"]["required"] = ["#Velora", "#VAE", "#ebike"]
    problems = by_loc(problems_of(data))
    assert problems["hashtags.max_count"].code == "hashtag.max_below_required"


def test_mention_policy_problems() -> None:
    data = base_data()
    data["mentions"] = {"mode": "allowlist", "allowed_handles": [], "organisation_handles": ["a-b"]}
    problems = by_loc(problems_of(data))
    assert problems["mentions.allowed_handles"].code == "mention.empty_allowlist"
    assert problems["mentions.organisation_handles[0]"].code == "mention.invalid_handle"


def test_handles_are_stored_without_at() -> None:
    data = base_data()
    data["mentions"]["organisation_handles"] = ["@FUBicyclette"]
    data["company"]["handle"] = "@velora"
    line = EditorialLine.parse(data)
    assert line.mentions.organisation_handles == ["FUBicyclette"]
    assert line.company.handle == "velora"


def test_link_policy_problems() -> None:
    data = base_data()
    data["links"] = {
        "mode": "allowlist",
        "allowed_domains": ["velora.fr", "not a domain", "https://www.Velora.fr/shop"],
        "required_domains": ["example.org"],
    }
    problems = by_loc(problems_of(data))
    assert problems["links.allowed_domains[1]"].code == "link.invalid_domain"
    assert problems["links.allowed_domains[2]"].code == "link.duplicate"  # normalised to velora.fr
    assert problems["links.required_domains[0]"].code == "link.required_not_allowed"


def test_no_links_with_domains_is_a_contradiction() -> None:
    data = base_data()
    data["links"] = {"mode": "none", "allowed_domains": ["velora.fr"]}
    assert by_loc(problems_of(data))["links.allowed_domains"].code == "link.unused"


def test_emoji_max_only_when_sparing() -> None:
    data = base_data()
    data["emoji"] = {"mode": "free", "max_count": 3}
    assert by_loc(problems_of(data))["emoji.max_count"].code == "emoji.unused_max"


def test_languages_and_pillars() -> None:
    data = base_data()
    data["languages"] = ["fr"]
    data["default_language"] = "en"
    data["pillars"][1]["id"] = "safety"
    problems = by_loc(problems_of(data))
    assert problems["default_language"].code == "language.default_not_allowed"
    assert problems["pillars[1].id"].message == '"safety" duplicates pillars[0].id'
    assert problems["sample_posts[2].lang"].code == "language.not_allowed"
    # Texts kept for a language that is switched off are not a problem: they are unused.
    assert not any(loc.startswith(("voice", "pillars[0]", "disclosures")) for loc in problems)


def test_pillar_needs_a_name_per_language() -> None:
    data = base_data()
    del data["pillars"][2]["name"]["en"]
    assert by_loc(problems_of(data))["pillars[2].name"].message == 'no "en" name'


def test_sample_posts_problems() -> None:
    data = base_data()
    data["sample_posts"][0]["pillar"] = "price"
    data["sample_posts"][1]["text"] = "x" * 281
    problems = by_loc(problems_of(data))
    assert problems["sample_posts[0].pillar"].code == "pillar.unknown"
    assert problems["sample_posts[1].text"].message == "weighted length 281 is over 280"


def test_avoid_duplicates_after_folding() -> None:
    data = base_data()
    data["avoid"]["fr"].append("Scandalé")
    index = len(data["avoid"]["fr"]) - 1
    problems = by_loc(problems_of(data))
    assert problems[f"avoid.fr[{index}]"].code == "avoid.duplicate"


def test_bad_field_values_and_unknown_keys_are_located() -> None:
    data = base_data()
    data["hashtags"]["forbiden"] = ["#x"]
    data["emoji"]["mode"] = "lots"
    data["disclosures"][0]["any_of"] = []
    data["revision"]["version"] = 0
    problems = by_loc(problems_of(data))
    assert problems["hashtags.forbiden"].code == "extra_forbidden"
    assert problems["emoji.mode"].code == "literal_error"
    assert problems["disclosures[0].any_of"].code == "too_short"
    assert problems["revision.version"].code == "greater_than_equal"


def test_every_problem_is_listed_with_yaml_line_and_column() -> None:
    text = default_editorial_line_yaml()
    text = text.replace('    - "#soldes"', '    - "#soldes"\n    - "#VAE"')
    text = text.replace("  mode: sparing\n  max_count: 1", "  mode: none\n  max_count: 1")
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(text)
    problems = by_loc(list(info.value.problems))
    assert set(problems) == {"hashtags.forbidden[2]", "emoji.max_count"}
    lines = text.splitlines()
    vae = problems["hashtags.forbidden[2]"]
    assert vae.line is not None and vae.column is not None
    assert lines[vae.line - 1][vae.column - 1 :] == '"#VAE"'
    emoji = problems["emoji.max_count"]
    assert emoji.line is not None and lines[emoji.line - 1] == "  max_count: 1"
    message = str(info.value)
    assert "2 problems" in message
    assert f'hashtags.forbidden[2]: "#VAE" is also in hashtags.allowed (line {vae.line}' in message


def test_yaml_syntax_error_is_located() -> None:
    text = "tenant_id: demo\ncompany:\n  name: [Velora\nlanguages: [fr]\n"
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(text)
    (problem,) = info.value.problems
    assert problem.code == "yaml.syntax"
    assert problem.line == 4 and problem.column is not None
    assert "line 4" in str(info.value)


def test_yaml_bad_indentation_is_located() -> None:
    text = "tenant_id: demo\ncompany:\n  name: Velora\n   handle: x\n"
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(text)
    (problem,) = info.value.problems
    assert problem.code == "yaml.syntax" and problem.line == 4


def test_yaml_duplicate_key_is_located() -> None:
    text = default_editorial_line_yaml().replace(
        "emoji:\n  mode: sparing", "emoji:\n  mode: sparing\n  mode: none"
    )
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(text)
    (problem,) = info.value.problems
    assert (problem.loc, problem.code) == ("emoji", "yaml.duplicate_key")
    assert text.splitlines()[problem.line - 1 if problem.line else 0] == "  mode: none"


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    with pytest.raises(EditorialError) as info:
        EditorialLine.from_yaml(text)
    assert info.value.problems[0].code == "document.type"


def test_naive_change_time_is_refused() -> None:
    data = base_data()
    data["revision"]["changed_at"] = "2025-01-06T09:00:00"
    assert by_loc(problems_of(data))["revision.changed_at"].code == "revision.naive_time"


def test_direct_construction_also_validates() -> None:
    data = base_data()
    data["hashtags"]["forbidden"] = ["#VAE"]
    with pytest.raises(ValueError, match=r'forbidden\[0\]: "#VAE" is also in hashtags.allowed'):
        EditorialLine.model_validate(data)


def test_format_loc_and_fold() -> None:
    assert format_loc(("hashtags", "forbidden", 2)) == "hashtags.forbidden[2]"
    assert format_loc(("voice", "do", "de", "[key]")) == "voice.do.de"
    assert format_loc(()) == ""
    assert fold("ŒUVRE Scandalé\u200b!") == "oeuvre scandale!"


# ---- history ------------------------------------------------------------------------------------


def edited(line: EditorialLine, **changes: Any) -> EditorialLine:
    data = line.to_data()
    data.update(changes)
    return EditorialLine.parse(data)


def test_history_append_and_get() -> None:
    v1 = default_editorial_line()
    history = EditorialHistory(tenant_id="demo").append(v1, by=ALICE, at=T0, note="initial")
    v2_content = edited(v1, languages=["fr"], default_language="fr", sample_posts=[])
    history = history.append(v2_content, by=BOB, at=T0.replace(hour=10), note="French only")
    assert history.latest_version == 2
    assert history.current.revision.version == 2
    assert history.current.revision.changed_by == BOB
    assert history.current.revision.note == "French only"
    assert history.get(1).languages == ["fr", "en"]
    assert history.get(1).revision.changed_by == ALICE
    assert history.get(2).languages == ["fr"]
    with pytest.raises(UnknownVersion):
        history.get(3)
    with pytest.raises(UnknownVersion):
        history.get(0)


def test_history_rollback_creates_a_new_version() -> None:
    v1 = default_editorial_line()
    history = EditorialHistory(tenant_id="demo").append(v1, by=ALICE, at=T0)
    v2 = edited(v1, emoji={"mode": "none"})
    history = history.append(v2, by=BOB, at=T0.replace(hour=10), note="no emoji")
    history = history.rollback(1, by=ALICE, at=T0.replace(hour=11), note="back to emoji")
    assert history.latest_version == 3
    current = history.current
    assert current.same_content(history.get(1))
    assert not current.same_content(history.get(2))
    assert current.revision.version == 3
    assert current.revision.restored_from == 1
    assert current.revision.note == "back to emoji"
    assert current.revision.changed_by == ALICE
    assert history.get(2).emoji.mode == "none"  # nothing is rewritten
    with pytest.raises(UnknownVersion):
        history.rollback(7, by=ALICE, at=T0)


def test_history_is_immutable_and_round_trips() -> None:
    empty = EditorialHistory(tenant_id="demo")
    one = empty.append(default_editorial_line(), by=ALICE, at=T0)
    assert empty.latest_version == 0
    with pytest.raises(UnknownVersion):
        _ = empty.current
    assert EditorialHistory.parse(one.to_data()) == one


def test_history_refuses_other_tenants_and_bad_numbering() -> None:
    line = default_editorial_line()
    with pytest.raises(ValueError, match="tenant"):
        EditorialHistory(tenant_id="other").append(line, by=ALICE, at=T0)
    data = EditorialHistory(tenant_id="demo").append(line, by=ALICE, at=T0).to_data()
    data["versions"][0]["revision"]["version"] = 2
    with pytest.raises(EditorialError) as info:
        EditorialHistory.parse(data)
    assert info.value.problems[0].loc == "versions[0].revision.version"
