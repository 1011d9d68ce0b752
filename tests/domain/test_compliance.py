"""The compliance checker: weighted length, avoided terms (and evasions), hashtags, links,
mentions, emoji, language, disclosures and sign-offs."""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest

from bot.domain.compliance import ComplianceReport, Finding, check, weighted_length
from bot.domain.defaults import default_editorial_line
from bot.domain.editorial import EditorialLine

URL = "https://velora.fr/atelier"


def line_with(**changes: Any) -> EditorialLine:
    data = copy.deepcopy(default_editorial_line().to_data())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return EditorialLine.parse(data)


LINE = default_editorial_line()
PERMISSIVE = line_with(
    hashtags={"required": [], "allowed": [], "forbidden": [], "max_count": None},
    mentions={"mode": "free", "organisation_handles": [], "individuals": True, "max_count": None},
    links={"mode": "free", "allowed_domains": [], "required_domains": []},
    emoji={"mode": "free", "max_count": None},
    disclosures=[],
)


def codes(report: ComplianceReport) -> list[str]:
    return [f.code for f in report.findings]


def only(report: ComplianceReport, code: str) -> Finding:
    found = report.by_code(code)
    assert len(found) == 1, report.findings
    return found[0]


def located(report: ComplianceReport, finding: Finding) -> str:
    assert finding.start is not None and finding.end is not None
    return report.text[finding.start : finding.end]


def terms(report: ComplianceReport) -> list[str]:
    return [located(report, f) for f in report.by_code("term.avoided")]


# ---- weighted length ----------------------------------------------------------------------------


def test_weighted_length_rules() -> None:
    assert weighted_length("hello") == 5
    assert weighted_length("é") == 1
    assert weighted_length(URL) == 23
    assert weighted_length("velora.fr") == 23  # a bare domain is a link too
    assert weighted_length("🚲") == 2
    assert weighted_length("👨‍👩‍👧") == 2  # a ZWJ sequence is one emoji
    assert weighted_length("👍🏽") == 2
    assert weighted_length("日本") == 4
    assert weighted_length("—") == 1


def test_nfc_and_nfd_count_the_same() -> None:
    nfc = "Sécurité à vélo : écoutez les experts"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc and len(nfd) > len(nfc)
    assert weighted_length(nfd) == weighted_length(nfc) == len(nfc)
    assert check(nfd, PERMISSIVE, lang="fr").weighted_length == len(nfc)


def at_limit() -> str:
    # 2 URLs (46) + 2 emoji (4) + separators; padded with "a" to exactly 280.
    head = f"{URL} 🚲 https://velora.fr/b 🌿 "
    text = head + "a" * (280 - weighted_length(head))
    assert weighted_length(text) == 280
    return text


def test_exactly_at_the_limit_is_fine() -> None:
    report = check(at_limit(), PERMISSIVE, lang="en")
    assert report.weighted_length == 280
    assert "length.over_limit" not in codes(report)


def test_one_more_is_over_and_located() -> None:
    text = at_limit() + "b"
    report = check(text, PERMISSIVE, lang="en")
    finding = only(report, "length.over_limit")
    assert finding.params == {"length": 281, "max": 280, "excess": 1}
    assert located(report, finding) == "b"
    assert not report.compliant


def test_one_more_emoji_is_two_over() -> None:
    report = check(at_limit() + "🚲", PERMISSIVE, lang="en")
    finding = only(report, "length.over_limit")
    assert finding.params["excess"] == 2
    assert located(report, finding) == "🚲"


def test_crlf_counts_as_one() -> None:
    text = "a\r\n" * 93 + "a"  # 93 × 2 + 1 = 187
    assert weighted_length(text) == 187
    report = check("a\r\n" * 140 + "a", PERMISSIVE, lang="en")
    finding = only(report, "length.over_limit")
    assert finding.params["excess"] == 1
    assert located(report, finding) == "a"


def test_over_limit_with_nfd_text_locates_in_the_original() -> None:
    text = unicodedata.normalize("NFD", "é" * 280 + "éé")
    report = check(text, PERMISSIVE, lang="fr")
    finding = only(report, "length.over_limit")
    assert finding.params["excess"] == 2
    assert unicodedata.normalize("NFC", located(report, finding)) == "éé"


# ---- avoided terms ------------------------------------------------------------------------------


def test_terms_ignore_case_and_accents() -> None:
    report = check("Quel SCANDALE, un vrai scàndale, un Scandalé.", LINE, lang="fr")
    assert terms(report) == ["SCANDALE", "scàndale", "Scandalé"]
    assert not report.compliant
    first = report.by_code("term.avoided")[0]
    assert first.params["term"] == "scandale" and first.params["lang"] == "fr"
    assert first.params["evasion"] is False


def test_terms_in_nfd_text_are_located_in_the_original() -> None:
    text = unicodedata.normalize("NFD", "Nous visons le zéro risque, vraiment.")
    report = check(text, LINE, lang="fr")
    (found,) = terms(report)
    assert unicodedata.normalize("NFC", found) == "zéro risque"


@pytest.mark.parametrize(
    "text",
    [
        "Un vrai scan\u200bdale.",  # zero-width space
        "Un vrai sca\u00adn\u2060dale.",  # soft hyphen, word joiner
        "Un vrai s.c.a.n.d.a.l.e.",
        "Un vrai s c a n d a l e !",
        "Un vrai S-C-A-N-D-A-L-E !",
        "Un vrai ＳＣＡＮＤＡＬＥ !",  # full-width letters
    ],
)
def test_term_evasions_are_caught(text: str) -> None:
    report = check(text, LINE, lang="fr")
    finding = only(report, "term.avoided")
    assert finding.params["term"] == "scandale"
    assert finding.params["evasion"] is (not text.startswith("Un vrai Ｓ"))


def test_hidden_characters_are_also_reported() -> None:
    report = check("Un vrai scan\u200bdale.", LINE, lang="fr")
    hidden = only(report, "text.hidden_character")
    assert hidden.params == {"codepoint": "U+200B"} and hidden.severity == "warning"


def test_french_plural_and_feminine() -> None:
    report = check(
        "Des vélos pas chers, une offre pas chère, des routes dangereuses, un axe dangereux, "
        "des scandales.",
        LINE,
        lang="fr",
    )
    assert terms(report) == ["pas chers", "pas chère", "dangereuses", "dangereux", "scandales"]


def test_english_inflections() -> None:
    report = check("They scammed us, the scams, scamming again: dangerous!", LINE, lang="en")
    assert terms(report) == ["scammed", "scams", "scamming", "dangerous"]


def test_phrases_match_across_separators() -> None:
    report = check("A game changer, a game-changer, a gamechanger.", LINE, lang="en")
    assert terms(report) == ["game changer", "game-changer", "gamechanger"]
    assert {f.severity for f in report.by_code("term.avoided")} == {"warning"}
    assert report.compliant  # warnings only


def test_no_false_positive_on_substrings() -> None:
    report = check(
        "Contactez-nous : un cône de signalisation, des contes, la scandaleuse... non: "
        "scandaleusement. Cheapest? Scampi!",
        LINE,
        lang="fr",
    )
    assert terms(report) == []


def test_exact_terms_do_not_inflect() -> None:
    report = check("Quel con ! Les cons.", LINE, lang="fr")
    assert terms(report) == ["con"]


def test_short_inflected_term_only_takes_plural() -> None:
    line = line_with(avoid={"fr": ["con"], "en": []})
    report = check("Quel con ! Les cons. Un cône.", line, lang="fr")
    assert terms(report) == ["con", "cons"]


def test_terms_inside_hashtags_even_camel_case() -> None:
    report = check("Lisez ceci #scandale #ScandaleVelora #pas_cher", PERMISSIVE, lang="fr")
    assert terms(report) == ["#scandale"[1:], "Scandale", "pas_cher"]


def test_terms_inside_links_are_ignored() -> None:
    report = check("Notre réponse : https://velora.fr/scandale-rumeur", LINE, lang="fr")
    assert terms(report) == []


def test_term_params_carry_reason_and_suggestion() -> None:
    report = check("Nos vélos ne sont pas chers.", LINE, lang="fr")
    finding = only(report, "term.avoided")
    assert finding.params["suggestion"] == "accessible"
    assert finding.params["reason"] is None


# ---- hashtags -----------------------------------------------------------------------------------


def test_forbidden_hashtag_ignoring_case_and_accents() -> None:
    report = check("Nos vélos sont prêts. #PROMO #Sóldes", LINE, lang="fr")
    forbidden = report.by_code("hashtag.forbidden")
    assert [located(report, f) for f in forbidden] == ["#PROMO", "#Sóldes"]
    assert forbidden[0].params == {"hashtag": "#PROMO", "rule": "#promo"}


def test_hashtag_not_in_allowlist() -> None:
    report = check("Nos vélos sont prêts. #Velora #VeloCargo", LINE, lang="fr")
    finding = only(report, "hashtag.not_allowed")
    assert finding.params == {"hashtag": "#VeloCargo"}
    assert located(report, finding) == "#VeloCargo"


def test_required_hashtag_missing() -> None:
    line = line_with(hashtags={"required": ["#Velora"]})
    assert "hashtag.required_missing" not in codes(check("Bonjour #velora", line, lang="fr"))
    report = check("Nos vélos sont prêts pour la rentrée.", line, lang="fr")
    finding = only(report, "hashtag.required_missing")
    assert finding.params == {"hashtag": "#Velora"}
    assert finding.start is None and finding.end is None


def test_too_many_hashtags() -> None:
    report = check("Nos vélos sont prêts. #Velora #VAE #vélo", LINE, lang="fr")
    finding = only(report, "hashtag.too_many")
    assert finding.params == {"count": 3, "max": 2}
    assert located(report, finding) == "#vélo"


def test_disclosure_hashtags_are_not_policed_as_hashtags() -> None:
    report = check(
        "Nos vélos sont prêts pour la rentrée. #Velora #VAE #partenariat",
        LINE,
        lang="fr",
        flags={"sponsored"},
    )
    assert report.compliant, report.findings


def test_not_hashtags() -> None:
    report = check("Nous sommes n°1 en France, #1 du classement, C#, velora.fr/#contact", LINE)
    assert not report.by_code("hashtag.not_allowed")


# ---- links --------------------------------------------------------------------------------------


def test_link_allowlist_with_subdomains_and_company_website() -> None:
    ok = check(
        "Les conseils : https://www.securite-routiere.gouv.fr/a et https://shop.velora.fr/x",
        LINE,
        lang="fr",
    )
    assert not ok.by_code("link.domain_not_allowed")
    report = check("Lisez https://evil.example.com/x et notvelora.fr aussi", LINE, lang="fr")
    found = report.by_code("link.domain_not_allowed")
    assert [located(report, f) for f in found] == ["https://evil.example.com/x", "notvelora.fr"]
    assert found[0].params == {"url": "https://evil.example.com/x", "domain": "evil.example.com"}


def test_no_links_policy() -> None:
    line = line_with(links={"mode": "none", "allowed_domains": []})
    report = check(f"Voici notre atelier : {URL}", line, lang="fr")
    assert located(report, only(report, "link.forbidden")) == URL


def test_required_link_missing() -> None:
    line = line_with(links={"required_domains": ["velora.fr"]})
    assert "link.required_missing" not in codes(check(f"Voici {URL}", line, lang="fr"))
    finding = only(check("Voici notre atelier", line, lang="fr"), "link.required_missing")
    assert finding.params == {"domains": ("velora.fr",)}


# ---- mentions -----------------------------------------------------------------------------------


def test_mentions_of_individuals_are_flagged_to_verify() -> None:
    report = check("Merci @FUBicyclette, et bravo @jdupont !", LINE, lang="fr")
    finding = only(report, "mention.individual")
    assert finding.params == {"handle": "jdupont"} and finding.severity == "warning"
    assert located(report, finding) == "@jdupont"
    assert report.compliant
    assert check("Merci @velora et @camille_arnaud", LINE, lang="fr").findings == ()


def test_mention_allowlist_and_max() -> None:
    line = line_with(mentions={"mode": "allowlist", "allowed_handles": ["ademe"], "max_count": 1})
    report = check("Merci @ADEME et @someone, et @velora", line, lang="fr")
    assert [f.params["handle"] for f in report.by_code("mention.not_allowed")] == ["someone"]
    too_many = only(report, "mention.too_many")
    assert too_many.params == {"count": 3, "max": 1}
    assert located(report, too_many) == "@someone, et @velora"


def test_no_mentions_policy_and_emails_are_not_mentions() -> None:
    line = line_with(mentions={"mode": "none", "organisation_handles": []})
    report = check("Écrivez à contact@velora.fr ou à @velora", line, lang="fr")
    assert [located(report, f) for f in report.by_code("mention.forbidden")] == ["@velora"]


# ---- emoji --------------------------------------------------------------------------------------


def test_emoji_sparing() -> None:
    assert check("Bonne route 🚲", LINE, lang="fr").compliant
    report = check("Bonne route 🚲 et beau temps ☀️ 👍🏽", LINE, lang="fr")
    finding = only(report, "emoji.too_many")
    assert finding.params == {"count": 3, "max": 1}
    assert located(report, finding) == "☀️ 👍🏽"


def test_emoji_none_and_free() -> None:
    none = line_with(emoji={"mode": "none", "max_count": None})
    report = check("Bonne route 🚲 à tous 👨‍👩‍👧", none, lang="fr")
    assert [located(report, f) for f in report.by_code("emoji.forbidden")] == ["🚲", "👨‍👩‍👧"]
    assert check("🚲🚲🚲 Bonne route à tous", PERMISSIVE, lang="fr").compliant


def test_symbols_are_not_emoji() -> None:
    none = line_with(emoji={"mode": "none", "max_count": None})
    assert check("Velora® et Velora™ sont des marques © 2025", none, lang="fr").compliant


# ---- language -----------------------------------------------------------------------------------


def test_language_declared_not_allowed() -> None:
    report = check("Hola a todos", LINE, lang="es")
    assert only(report, "language.not_allowed").params == {"lang": "es", "allowed": ("fr", "en")}


def test_declared_locale_is_reduced_to_its_language() -> None:
    report = check("Nous sommes fiers de notre atelier et de nos équipes.", LINE, lang="fr-FR")
    assert report.lang == "fr" and report.compliant


def test_language_mismatch_is_a_warning() -> None:
    report = check("Nous sommes fiers de notre atelier et de nos équipes.", LINE, lang="en")
    finding = only(report, "language.mismatch")
    assert finding.params == {"declared": "en", "detected": "fr"}
    assert report.compliant


def test_detected_language_not_allowed() -> None:
    french_only = line_with(languages=["fr"], default_language="fr", sample_posts=[])
    report = check(
        "We are proud of our workshop and of the people who build our bikes.", french_only
    )
    assert report.lang == "en" and report.detected_lang == "en"
    assert only(report, "language.not_allowed").params == {"lang": "en", "allowed": ("fr",)}


def test_detected_language_used_when_not_declared() -> None:
    report = check("Nous sommes fiers de notre atelier et de nos équipes.", LINE)
    assert report.lang == "fr" and report.compliant


# ---- disclosures and sign-offs ------------------------------------------------------------------


def test_sponsored_post_needs_its_disclosure() -> None:
    text = "Nous avons testé les nouvelles pistes cyclables de Lyon avec nos amis."
    assert check(text, LINE, lang="fr").compliant  # not sponsored: nothing required
    report = check(text, LINE, lang="fr", flags={"sponsored"})
    finding = only(report, "disclosure.missing")
    assert finding.params == {
        "rule": "sponsored_fr",
        "expected": ("(sponsorisé)", "#sponsorisé", "#partenariat"),
        "flags": ("sponsored",),
    }
    assert not report.compliant


@pytest.mark.parametrize("suffix", ["(sponsorisé)", "(SPONSORISE)", "( sponsorisé )"])
def test_disclosure_matches_ignoring_case_and_accents(suffix: str) -> None:
    text = f"Nous avons testé les pistes cyclables de Lyon avec nos amis. {suffix}"
    assert check(text, LINE, lang="fr", flags={"sponsored"}).compliant


def test_english_disclosure_for_english_posts() -> None:
    text = "We tested the new bike lanes in Lyon with our friends."
    report = check(text, LINE, lang="en", flags={"sponsored"})
    assert only(report, "disclosure.missing").params["rule"] == "sponsored_en"
    assert check(text + " #ad", LINE, lang="en", flags={"sponsored"}).compliant
    assert not check(text + " #adventure", LINE, lang="en", flags={"sponsored"}).compliant


def test_sign_off_at_the_end() -> None:
    text = "Merci à toutes nos équipes pour cette belle année."
    flags = {"company_account"}
    assert check(text + " — CA", LINE, lang="fr", flags=flags).compliant
    assert check(text + " -- ca ", LINE, lang="fr", flags=flags).compliant
    missing = check(text, LINE, lang="fr", flags=flags)
    assert only(missing, "sign_off.missing").params["expected"] == ("— CA",)
    misplaced = check("— CA " + text, LINE, lang="fr", flags=flags)
    finding = only(misplaced, "sign_off.misplaced")
    assert finding.params == {"rule": "ceo_sign_off", "position": "end", "found": "— CA"}
    assert located(misplaced, finding) == "— CA"


# ---- the report ---------------------------------------------------------------------------------


def test_default_sample_posts_are_compliant() -> None:
    line = LINE.resolved()
    for post in line.sample_posts:
        report = check(post.text, LINE, lang=post.lang, flags=set(post.flags))
        assert report.compliant and not report.findings, (post.text, report.findings)


def test_empty_and_invalid_text() -> None:
    assert "text.empty" in codes(check("  \u200b ", LINE, lang="fr"))
    report = check("Bonjour\ufffe", LINE, lang="fr")
    assert only(report, "text.invalid_character").params == {"codepoint": "U+FFFE"}


def test_report_is_data_only() -> None:
    report = check("Quel scandale ! #promo 🚲🚲 https://evil.example.com", LINE, lang="fr")
    data = report.to_data()
    assert json.loads(json.dumps(data)) == data
    assert data["compliant"] is False
    for finding in report.findings:
        assert "." in finding.code and finding.severity in ("error", "warning")
        if finding.start is not None:
            assert finding.end is not None and 0 <= finding.start < finding.end <= len(report.text)
    assert [f.code for f in report.errors] == [
        "term.avoided",
        "hashtag.forbidden",
        "emoji.too_many",
        "link.domain_not_allowed",
    ]


def test_placeholders_are_resolved_before_checking() -> None:
    renamed = line_with(company={"name": "Rouline"})
    assert "hashtag.not_allowed" not in codes(check("Bonjour #Rouline", renamed, lang="fr"))
    assert "hashtag.not_allowed" in codes(check("Bonjour #Velora", renamed, lang="fr"))
