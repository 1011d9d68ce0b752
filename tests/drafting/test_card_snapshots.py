"""Snapshots of the rendered cards (tests/drafting/snapshots/*.json; UPDATE_SNAPSHOTS=1
rewrites them)."""

from __future__ import annotations

from bot.domain.compliance import check
from bot.domain.defaults import default_editorial_line
from bot.domain.editorial import EditorialError, EditorialLine
from bot.services.drafting import DraftingService, Variant
from bot.services.editorial_store import EditorialStore
from bot.teams.drafting_cards import review_card, submitted_card, variants_card
from bot.teams.editorial import export_card, form_card, history_card, line_data_from_form, view_card
from tests.drafting.conftest import CLEAN_EN, CLEAN_FR, StubEngine, assert_snapshot, post

LINE = default_editorial_line()


def _variant(text: str, lang: str, **kw: object) -> Variant:
    values: dict = {
        "rationale": "Sobre, concret, un seul hashtag autorisé.",
        "engine": "stub-model",
    }  # type: ignore[type-arg]
    values.update(kw)
    return Variant(text=text, report=check(text, LINE, lang=lang), **values)


def test_variants_card_french() -> None:
    variants = [
        _variant(CLEAN_FR[0], "fr"),
        _variant("Une avancée révolutionnaire : " + CLEAN_FR[1], "fr", repaired=True),
        _variant("Quel scandale ces délais ! Nos équipes sont mobilisées 🚲🔥 #promo", "fr"),
    ]
    card = variants_card(
        variants, "fr", brief="délais de livraison", post_lang="fr", revision="plus court"
    )
    assert_snapshot("variants_fr", card)


def test_variants_card_english_stateless_template() -> None:
    variants = [_variant(x, "en", template=True, engine="offline") for x in CLEAN_EN[:2]]
    stateless = {"lang": "en", "topic": "battery", "brief": "battery", "source": "answer"}
    card = variants_card(variants, "en", brief="battery", post_lang="en", stateless=stateless)
    assert_snapshot("variants_en_stateless", card)


def test_review_cards() -> None:
    assert_snapshot("review_ok_fr", review_card(_variant(CLEAN_FR[0], "fr"), "fr", post_lang="fr"))
    warned = _variant("Une étape révolutionnaire pour nos vélos, testés à l'atelier.", "fr")
    assert_snapshot("review_warnings_fr", review_card(warned, "fr", post_lang="fr"))
    broken = _variant("Quel scandale, ces délais " + "vraiment " * 30, "fr")
    assert_snapshot(
        "review_blocked_en",
        review_card(broken, "en", post_lang="fr", message="I cannot submit this text."),
    )
    state = "Envoyé pour validation par Claire · 10:42 UTC"
    assert_snapshot("submitted_fr", submitted_card(CLEAN_FR[0], "fr", state))


def test_editorial_cards() -> None:
    assert_snapshot("editorial_view_fr", view_card(LINE, "fr", manage=True))
    assert_snapshot("editorial_view_en_reader", view_card(LINE, "en", manage=False))
    assert_snapshot("editorial_history_en", history_card([LINE], "en"))
    assert_snapshot("editorial_export_fr", export_card(LINE, "fr"))
    data = {"hashtags_forbidden": "#promo, promo", "languages": "fr", "default_language": "en"}
    try:
        EditorialLine.parse(line_data_from_form(LINE, data))
    except EditorialError as exc:
        problems = exc.problems
    assert_snapshot(
        "editorial_form_errors_fr", form_card(LINE, "fr", values=data, problems=problems)
    )


async def test_the_variants_the_service_shows_match_their_cards(editorial: EditorialStore) -> None:
    engine = StubEngine(lambda r, n: [post(CLEAN_FR[2])])
    [variant] = await DraftingService(editorial, engine).propose("t", "freins", "fr", 1)
    card = variants_card([variant], "fr", brief="freins", post_lang="fr")
    assert "✅ Conforme à la ligne éditoriale" in str(card)
