"""The drafting dialog, turn by turn: brief → variants → revise → pick → submit; cancel and
help at every step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botbuilder.schema import Activity

from bot.clients.store.local import LocalDirStore
from bot.ports.language import DraftRequest, PostDraft
from bot.services.drafting import DraftingService
from bot.services.editorial_store import EditorialStore
from dialogs.drafting_dialog import DraftingDialog
from tests.drafting.conftest import CLEAN_FR, RecordingSubmit, StubEngine, clean_writer, post
from tests.drafting.dialog_harness import (
    Harness,
    InterruptingRoot,
    Root,
    actions_of,
    card_text,
    cards,
    texts,
)


async def _executive(activity: Activity) -> frozenset[str]:
    return frozenset({"executive"})


def _harness(
    drafting: DraftingService,
    submit: RecordingSubmit,
    tmp_path: Path,
    *,
    interrupting: bool = False,
    locale: str = "fr-FR",
) -> tuple[Harness, Root]:
    dialog = DraftingDialog(drafting, submit, roles=_executive)
    root = InterruptingRoot(dialog) if interrupting else Root(dialog)
    return Harness(root, LocalDirStore(tmp_path / "state"), locale), root


async def test_brief_variants_revise_pick_submit(
    drafting: DraftingService, engine: StubEngine, submit: RecordingSubmit, tmp_path: Path
) -> None:
    h, root = _harness(drafting, submit, tmp_path)
    assert texts(await h.say("rédige")) == [
        "Sur quel sujet ? Dites-moi en une phrase ce que vous voulez dire (par exemple : "
        "« remercier les équipes de l'atelier pour le 10 000e cadre »)."
    ]
    replies = await h.say("les tests sur banc à l'atelier")
    [card] = cards(replies)
    body = card_text(card)
    assert body.count("✅ Conforme à la ligne éditoriale") == 3
    assert "Sujet : les tests sur banc à l'atelier" in body
    assert "/280 caractères" in body
    assert engine.requests[-1].brief == "les tests sur banc à l'atelier"

    [card] = cards(await h.say("plus court"))
    assert engine.requests[-1].revision == "shorter"
    assert engine.requests[-1].previous == CLEAN_FR[0]
    assert "Retravaillé : plus court" in card_text(card)
    short = CLEAN_FR[1].split(". ")[0] + "."
    assert short in card_text(card)

    [review] = cards(await h.say(value={"drafting": "pick", "index": 1}))
    titles = [a["title"] for a in actions_of(review)]
    assert "Envoyer pour validation" in titles
    assert short in card_text(review)

    replies = await h.say(value={"drafting": "submit"})
    [sent] = texts(replies)
    # People, not internals: who and when, never the request's raw id.
    assert re.match(r"^Envoyé pour validation par Alice · \d\d:\d\d UTC\. L'équipe", sent)
    assert "draft-1" not in sent
    [(actor, text, lang, context)] = submit.calls
    assert (actor.aad_object_id, text, lang) == ("aad-alice", short, "fr")
    assert actor.roles == frozenset({"executive"})
    assert context["source"] == "request" and context["compliance"]["compliant"] is True
    assert root.results == [{"submitted": True, "text": short}]
    assert texts(await h.say("bonjour")) == ["root: bonjour"]  # the dialog is over


async def test_a_brief_from_the_options_skips_the_question(
    drafting: DraftingService, submit: RecordingSubmit, tmp_path: Path
) -> None:
    h, _ = _harness(drafting, submit, tmp_path)
    replies = await h.say("rédige la sécurité des freins")
    assert len(cards(replies)) == 1 and not texts(replies)


async def test_typed_number_picks_and_revision_at_review_in_english(
    drafting: DraftingService, engine: StubEngine, submit: RecordingSubmit, tmp_path: Path
) -> None:
    h, _ = _harness(drafting, submit, tmp_path)
    await h.say("rédige l'atelier")
    await h.say("2")
    [review] = cards(await h.say("en anglais"))
    assert engine.requests[-1].lang == "en" and engine.requests[-1].count == 1
    assert engine.requests[-1].previous == CLEAN_FR[1]
    assert "Saint-Étienne, our teams" in card_text(review)
    await h.say("envoyer")
    assert submit.calls[0][2] == "en"


async def test_non_compliant_text_cannot_be_submitted_until_edited(
    editorial: EditorialStore, submit: RecordingSubmit, tmp_path: Path
) -> None:
    bad = "Ce scandale est derrière nous : nos vélos sont testés un par un à l'atelier."

    def writer(request: DraftRequest, call: int) -> list[PostDraft]:
        return [post(bad)]

    drafting = DraftingService(editorial, StubEngine(writer))
    h, _ = _harness(drafting, submit, tmp_path)
    [card] = cards(await h.say("rédige l'atelier"))
    assert "⚠️ Pas conforme : 1 point(s) à corriger" in card_text(card)
    assert "« scandale » est à éviter — « Ce **scandale** est derrière nous… »" in card_text(card)
    assert "✅" not in card_text(card)
    [review] = cards(await h.say(value={"drafting": "pick", "index": 0}))
    assert "Envoyer pour validation" not in [a["title"] for a in actions_of(review)]
    replies = await h.say("envoyer")
    assert "Je ne peux pas envoyer ce texte" in card_text(cards(replies)[0])
    assert submit.calls == []
    fixed = "Nos vélos sont testés un par un à l'atelier, avant chaque expédition."
    [review] = cards(await h.say(value={"drafting": "edit", "draft_text": fixed}))
    assert "Texte modifié" in card_text(review) and "✅ Conforme" in card_text(review)
    await h.say(value={"drafting": "submit"})
    assert submit.calls[0][1] == fixed


async def test_warnings_only_need_an_explicit_submit_anyway(
    editorial: EditorialStore, submit: RecordingSubmit, tmp_path: Path
) -> None:
    warned = "Une nouvelle étape révolutionnaire pour nos vélos, testés à l'atelier."
    drafting = DraftingService(editorial, StubEngine(lambda r, n: [post(warned)]))
    h, _ = _harness(drafting, submit, tmp_path)
    [card] = cards(await h.say("rédige l'atelier"))
    assert "✅ Conforme, avec 1 point(s) à vérifier" in card_text(card)
    [review] = cards(await h.say("1"))
    assert next(a["title"] for a in actions_of(review)) == "Envoyer malgré les avertissements"
    replies = await h.say(value={"drafting": "submit"})
    assert "Pour l'envoyer quand même" in card_text(cards(replies)[0])
    assert submit.calls == []
    await h.say(value={"drafting": "submit_anyway"})
    assert submit.calls[0][1] == warned


@pytest.mark.parametrize("interrupting", [False, True])
@pytest.mark.parametrize("where", ["brief", "choose", "review"])
async def test_cancel_at_every_step(
    drafting: DraftingService,
    submit: RecordingSubmit,
    tmp_path: Path,
    where: str,
    interrupting: bool,
) -> None:
    h, _ = _harness(drafting, submit, tmp_path, interrupting=interrupting)
    await h.say("rédige")
    if where in ("choose", "review"):
        await h.say("l'atelier")
    if where == "review":
        await h.say("1")
    assert texts(await h.say("annuler")) == ["C'est fait, j'ai arrêté."]
    assert texts(await h.say("1")) == ["root: 1"]
    assert submit.calls == []


@pytest.mark.parametrize("where", ["brief", "choose", "review"])
async def test_help_at_every_step_then_resume(
    drafting: DraftingService, submit: RecordingSubmit, tmp_path: Path, where: str
) -> None:
    h, _ = _harness(drafting, submit, tmp_path)
    await h.say("rédige")
    if where in ("choose", "review"):
        await h.say("l'atelier")
    if where == "review":
        await h.say("1")
    replies = await h.say("aide")
    assert len(cards(replies)) == 1  # the help card
    assert texts(replies)[-1].startswith("On reprend")
    if where == "brief":
        assert len(cards(await h.say("l'atelier"))) == 1  # the variants
    elif where == "choose":
        assert "Envoyer pour validation" in card_text(cards(await h.say("1"))[0])
    else:
        await h.say("envoyer")
        assert len(submit.calls) == 1


async def test_help_in_a_nested_dialog_resumes_too(
    drafting: DraftingService, submit: RecordingSubmit, tmp_path: Path
) -> None:
    h, _ = _harness(drafting, submit, tmp_path, interrupting=True)
    await h.say("rédige l'atelier")
    assert len(cards(await h.say("help"))) == 1
    await h.say("1")
    await h.say("submit")
    assert len(submit.calls) == 1


async def test_english_user_and_unclear_replies(
    drafting: DraftingService, submit: RecordingSubmit, tmp_path: Path
) -> None:
    h, _ = _harness(drafting, submit, tmp_path, locale="en-US")
    assert texts(await h.say("draft"))[0].startswith("What about?")
    [card] = cards(await h.say("the workshop"))
    assert "✅ Follows the editorial line" in card_text(card)
    replies = await h.say(value={"something": "else"})
    assert texts(replies)[0].startswith("Pick a draft")
    [review] = cards(await h.say(value={"drafting": "pick", "index": 0}))
    assert "Submit for approval" in [a["title"] for a in actions_of(review)]
    [card] = cards(await h.say("other drafts"))
    assert "Draft posts for X" in card_text(card)


async def test_submission_failure_keeps_the_draft(
    drafting: DraftingService, tmp_path: Path
) -> None:
    failing = RecordingSubmit(fail=True)
    h, _ = _harness(drafting, failing, tmp_path)
    await h.say("rédige l'atelier")
    await h.say("1")
    replies = await h.say("envoyer")
    assert texts(replies)[0].startswith("L'envoi pour validation a échoué")
    failing.fail = False
    await h.say("envoyer")
    assert len(failing.calls) == 1


async def test_engine_failure_ends_politely(
    editorial: EditorialStore, submit: RecordingSubmit, tmp_path: Path
) -> None:
    drafting = DraftingService(editorial, StubEngine(clean_writer, fail_with="rate_limited"))
    h, _ = _harness(drafting, submit, tmp_path)
    replies = await h.say("rédige l'atelier")
    assert texts(replies) == [
        "Je ne peux pas rédiger pour l'instant (rate_limited). Réessayez dans un moment."
    ]
    assert texts(await h.say("1")) == ["root: 1"]
