"""The onboarding tour, turn by turn, in French and English: every stop's card, next, skip,
resume in a later conversation, restart, a question handed back to the root, help and cancel at
every stop; state in the real `StoreStorage`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botbuilder.dialogs import Dialog, DialogTurnResult, WaterfallStepContext

from bot.clients.store.local import LocalDirStore
from bot.domain.defaults import default_editorial_line
from bot.domain.editorial import Company, EditorialLine
from bot.ports.language import Intent, Understanding
from bot.teams.routes import Routes
from dialogs.main_dialog import MainDialog
from dialogs.tour_dialog import (
    STOPS,
    TOUR_DIALOG_ID,
    TourDialog,
    TourProgress,
    TourResult,
    handed_back,
    tour_button,
    tour_card,
    tour_command,
)
from tests.drafting.dialog_harness import actions_of, card_text, cards, texts
from tests.tour.harness import Harness, InterruptingRoot, Root

CANCELLED_FR = "C'est fait, j'ai arrêté."
SKIPPED_FR = (
    "Visite passée. Pour la reprendre plus tard là où vous en étiez, tapez « reprendre la visite »."
)
PAUSED_FR = (
    "Je mets la visite en pause pour vous répondre. "
    "Pour la continuer ensuite, tapez « reprendre la visite »."
)
RESUME_HINT_FR = "Pour reprendre la visite plus tard, tapez « reprendre la visite »."
TITLES_FR = [
    "Ce que fait Pulse",
    "La ligne éditoriale",
    "Comment marchent les validations",
    "Votre première question",
    "Le briefing du matin",
]
TITLES_EN = [
    "What Pulse does",
    "The editorial line",
    "How approvals work",
    "Your first question",
    "The morning briefing",
]


def _make(
    tmp_path: Path,
    *,
    locale: str = "fr-FR",
    conversation: str = "conv-1",
    interrupting: bool = False,
    **tour_options: Any,
) -> Harness:
    def build(harness: Harness) -> Dialog:
        tour = TourDialog(harness.progress, **tour_options)
        return InterruptingRoot(tour) if interrupting else Root(tour)

    store = LocalDirStore(tmp_path / "state")
    return Harness(build, store, locale=locale, conversation=conversation)


def _results(h: Harness) -> list[object]:
    root = h.root
    assert isinstance(root, Root)
    return root.results


def _one_card(replies: list[Any]) -> dict[str, Any]:
    [card] = cards(replies)
    return card


def _title_of(card: dict[str, Any]) -> str:
    return str(card["body"][1]["text"])


def _buttons(card: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(a["title"], a["data"]) for a in actions_of(card)]


async def _go_to(h: Harness, index: int, start: str = "visite") -> None:
    await h.say(start)
    for _ in range(index):
        await h.say(value={"tour": "next", "step": h.last_progress["step"]})


# -- the whole tour ---------------------------------------------------------------------------


async def test_french_tour_turn_by_turn(tmp_path: Path) -> None:
    h = _make(tmp_path)

    replies = await h.say("visite")
    assert texts(replies) == []
    card = _one_card(replies)
    body = card_text(card)
    assert "Visite 1/5" in body and _title_of(card) == "Ce que fait Pulse"
    assert "ce qui se dit sur Velora sur X" in body
    assert "**J'écoute**" in body and "**Je vous alerte**" in body and "**Je suggère**" in body
    assert "**Rien n'est publié sans validation**" in body
    assert _buttons(card) == [
        ("Suivant", {"tour": "next", "step": 0}),
        ("Passer la visite", {"tour": "skip", "step": 0}),
    ]
    assert h.last_progress == {"step": 0, "status": "in_progress"}

    card = _one_card(await h.say(value={"tour": "next", "step": 0}))
    body = card_text(card)
    assert "Visite 2/5" in body and _title_of(card) == "La ligne éditoriale"
    assert "**Ton** : sobre, chaleureuse, experte." in body
    assert "**Thèmes** : Sécurité, Fabriqué en France, Mobilité urbaine, Service client." in body
    assert "**Qui décide** : l'équipe communication." in body
    assert [b[0] for b in _buttons(card)] == ["Suivant", "Passer la visite"]

    card = _one_card(await h.say("Suivant !"))  # typed works too
    body = card_text(card)
    assert "Visite 3/5" in body and _title_of(card) == "Comment marchent les validations"
    assert "**brouillon**" in body
    assert "l'**approuve**, le **modifie** ou le **refuse**, directement dans Teams" in body
    assert "**prêt à publier**" in body and "**publié exactement tel qu'approuvé**" in body

    card = _one_card(await h.say(value={"tour": "next", "step": 2}))
    assert "Visite 4/5" in card_text(card) and _title_of(card) == "Votre première question"
    question = "Qu'est-ce qu'on dit de nous aujourd'hui ?"
    assert _buttons(card) == [
        (question, {"msteams": {"type": "imBack", "value": question}}),
        ("Suivant", {"tour": "next", "step": 3}),
        ("Passer la visite", {"tour": "skip", "step": 3}),
    ]

    card = _one_card(await h.say("next"))
    assert "Visite 5/5" in card_text(card) and _title_of(card) == "Le briefing du matin"
    assert "8 h par défaut" in card_text(card)
    assert _buttons(card) == [
        ("M'abonner", {"msteams": {"type": "imBack", "value": "abonne-moi au briefing"}}),
        ("Terminer la visite", {"tour": "next", "step": 4}),
    ]

    replies = await h.say(value={"tour": "next", "step": 4})
    assert texts(replies) == [
        "C'est la fin de la visite, merci ! Posez-moi une question quand vous voulez, "
        "ou tapez « aide »."
    ]
    assert cards(replies) == []
    assert h.last_progress == {"step": 5, "status": "done"}
    assert _results(h) == [TourResult("done", 5)]
    assert texts(await h.say("bonjour")) == ["root: bonjour"]  # the tour is over


async def test_english_tour_turn_by_turn(tmp_path: Path) -> None:
    h = _make(tmp_path, locale="en-US")
    seen: list[dict[str, Any]] = [_one_card(await h.say("Take the tour"))]
    for word in ("next", "continue", "next", "next"):
        seen.append(_one_card(await h.say(word)))
    assert [_title_of(c) for c in seen] == TITLES_EN
    assert [card_text(c).splitlines()[0] for c in seen] == [f"Tour {i}/5" for i in range(1, 6)]
    what, editorial, approvals, _, briefing = (card_text(c) for c in seen)
    assert "what people say about Velora on X" in what
    assert "**Nothing is posted without approval**" in what
    assert "**Voice**: sober, warm, expert." in editorial
    assert "**Themes**: Safety, Made in France, Urban mobility, Customer care." in editorial
    assert "**Who decides**: the comms team." in editorial
    assert "**approves**, **edits** or **rejects** it, right in Teams" in approvals
    assert "**published exactly as approved**" in approvals
    assert "What are people saying about us today?" in [a["title"] for a in actions_of(seen[3])]
    assert "8 am by default" in briefing
    assert _buttons(seen[4])[0] == (
        "Subscribe",
        {"msteams": {"type": "imBack", "value": "subscribe me to the briefing"}},
    )
    assert [b[0] for b in _buttons(seen[0])] == ["Next", "Skip the tour"]
    assert [b[0] for b in _buttons(seen[4])] == ["Subscribe", "Finish the tour"]
    assert texts(await h.say("Next"))[0].startswith("That's the end of the tour")
    assert h.last_progress == {"step": 5, "status": "done"}


# -- skip, resume, restart -------------------------------------------------------------------


async def test_skip_at_step_2_is_recorded_and_resume_later_continues_at_step_3(
    tmp_path: Path,
) -> None:
    h = _make(tmp_path)
    await h.say("visite")
    await h.say("suivant")
    replies = await h.say(value={"tour": "skip", "step": 1})
    assert texts(replies) == [SKIPPED_FR] and cards(replies) == []
    assert h.last_progress == {"step": 2, "status": "skipped"}
    assert _results(h) == [TourResult("skipped", 2)]
    assert texts(await h.say("bonjour")) == ["root: bonjour"]

    # A later conversation, same user: the progress is in user state.
    later = _make(tmp_path, conversation="conv-2")
    replies = await later.say("reprendre la visite")
    assert texts(replies) == ["On reprend la visite là où vous vous étiez arrêté."]
    card = _one_card(replies)
    assert "Visite 3/5" in card_text(card) and _title_of(card) == TITLES_FR[2]
    assert later.last_progress == {"step": 2, "status": "in_progress"}
    assert _title_of(_one_card(await later.say("suivant"))) == TITLES_FR[3]


@pytest.mark.parametrize("word", ["passer", "Skip", "stop", "passer la visite"])
async def test_typed_skip_words(tmp_path: Path, word: str) -> None:
    h = _make(tmp_path)
    await h.say("visite")
    assert texts(await h.say(word)) == [SKIPPED_FR]
    assert h.last_progress == {"step": 1, "status": "skipped"}


async def test_restart_mid_tour_and_after_a_skip(tmp_path: Path) -> None:
    h = _make(tmp_path, locale="en-GB")
    await _go_to(h, 2, start="tour")
    replies = await h.say("restart the tour")
    assert texts(replies) == ["Let's start the tour again from the beginning."]
    assert _title_of(_one_card(replies)) == TITLES_EN[0]
    assert h.last_progress == {"step": 0, "status": "in_progress"}
    await h.say("next")
    await h.say("skip")
    assert h.last_progress == {"step": 2, "status": "skipped"}
    # "tour" / "visite" starts over, whatever the progress.
    replies = await h.say("tour")
    assert texts(replies) == [] and _title_of(_one_card(replies)) == TITLES_EN[0]
    fr = _make(tmp_path, conversation="conv-2")
    replies = await fr.say("Recommencer la visite")
    assert texts(replies) == ["On recommence la visite depuis le début."]
    assert _title_of(_one_card(replies)) == TITLES_FR[0]


async def test_resume_without_history_starts_and_after_the_end_starts_over(
    tmp_path: Path,
) -> None:
    h = _make(tmp_path)
    replies = await h.say("reprendre la visite")
    assert texts(replies) == [] and _title_of(_one_card(replies)) == TITLES_FR[0]
    for _ in STOPS:
        await h.say("suivant")
    assert h.last_progress == {"step": 5, "status": "done"}
    replies = await h.say("reprendre la visite")
    assert texts(replies) == ["Vous avez déjà vu toute la visite : la revoici depuis le début."]
    assert _title_of(_one_card(replies)) == TITLES_FR[0]


async def test_resume_mid_tour_shows_the_current_card_again(tmp_path: Path) -> None:
    h = _make(tmp_path)
    await _go_to(h, 1)
    replies = await h.say("reprendre la visite")
    assert _title_of(_one_card(replies)) == TITLES_FR[1]


async def test_a_second_tap_on_an_older_next_is_ignored(tmp_path: Path) -> None:
    h = _make(tmp_path)
    await h.say("visite")
    await h.say(value={"tour": "next", "step": 0})
    assert await h.say(value={"tour": "next", "step": 0}) == []  # double tap
    assert h.last_progress == {"step": 1, "status": "in_progress"}
    assert _title_of(_one_card(await h.say(value={"tour": "next", "step": 1}))) == TITLES_FR[2]


async def test_an_unknown_button_gets_a_hint_and_the_tour_waits(tmp_path: Path) -> None:
    h = _make(tmp_path, locale="en-US")
    await h.say("tour")
    replies = await h.say(value={"something": "else"})
    assert texts(replies) == ['Tap "Next" to continue, or "Skip the tour" to stop it.']
    assert cards(replies) == []
    assert _title_of(_one_card(await h.say("next"))) == TITLES_EN[1]


async def test_next_on_an_old_card_after_the_tour_ended_resumes(tmp_path: Path) -> None:
    h = _make(tmp_path)
    await h.say("visite")
    await h.say("passer")
    replies = await h.say(value={"tour": "next", "step": 0})
    assert _title_of(_one_card(replies)) == TITLES_FR[1]


# -- nothing is swallowed ----------------------------------------------------------------------


async def test_a_question_mid_tour_pauses_it_and_is_answered_by_the_root(
    tmp_path: Path,
) -> None:
    h = _make(tmp_path)
    await _go_to(h, 1)
    replies = await h.say("Est-ce qu'une crise se prépare ?")
    assert texts(replies) == [PAUSED_FR, "root: Est-ce qu'une crise se prépare ?"]
    assert h.last_progress == {"step": 1, "status": "paused"}
    assert _results(h) == [TourResult("paused", 1, "Est-ce qu'une crise se prépare ?")]
    assert handed_back(_results(h)[0]) == "Est-ce qu'une crise se prépare ?"
    assert texts(await h.say("et hier ?")) == ["root: et hier ?"]  # the tour is not trapping
    replies = await h.say("reprendre la visite")
    assert _title_of(_one_card(replies)) == TITLES_FR[1]  # same stop, shown again


async def test_the_suggested_question_ends_the_tour_then_resume_shows_the_briefing(
    tmp_path: Path,
) -> None:
    h = _make(tmp_path, locale="en-US")
    await _go_to(h, 3, start="take the tour")
    question = "What are people saying about us today?"
    replies = await h.say(question)  # the imBack of the card's button
    assert texts(replies) == [
        "Good question, here is the answer. For the last step of the tour (the morning "
        'briefing), type "resume the tour" afterwards.',
        f"root: {question}",
    ]
    assert h.last_progress == {"step": 4, "status": "paused"}
    replies = await h.say("resume the tour")
    assert _title_of(_one_card(replies)) == TITLES_EN[4]
    replies = await h.say("subscribe me to the briefing")  # the imBack of "Subscribe"
    assert texts(replies) == [
        "That's the end of the tour, thank you! I'm on your request.",
        "root: subscribe me to the briefing",
    ]
    assert h.last_progress == {"step": 5, "status": "done"}
    assert _results(h)[-1] == TourResult("done", 5, "subscribe me to the briefing")


async def test_french_subscribe_button_is_routed_as_the_briefing_command(tmp_path: Path) -> None:
    h = _make(tmp_path)
    await _go_to(h, 4)
    replies = await h.say("abonne-moi au briefing")
    assert texts(replies)[-1] == "root: abonne-moi au briefing"
    assert h.last_progress == {"step": 5, "status": "done"}


# -- help and cancel at every stop (the base class) --------------------------------------------


@pytest.mark.parametrize("interrupting", [False, True])
@pytest.mark.parametrize("index", range(len(STOPS)))
async def test_cancel_at_every_step_keeps_the_progress(
    tmp_path: Path, index: int, interrupting: bool
) -> None:
    h = _make(tmp_path, interrupting=interrupting)
    await _go_to(h, index)
    replies = await h.say("annuler")
    assert texts(replies) == [CANCELLED_FR, RESUME_HINT_FR]
    assert cards(replies) == []
    assert h.last_progress == {"step": index, "status": "paused"}
    assert texts(await h.say("suivant")) == ["root: suivant"]  # the tour is over
    later = _make(tmp_path, conversation="conv-2", interrupting=interrupting)
    assert _title_of(_one_card(await later.say("reprendre la visite"))) == TITLES_FR[index]


@pytest.mark.parametrize("index", range(len(STOPS)))
async def test_help_at_every_step_then_resume(tmp_path: Path, index: int) -> None:
    h = _make(tmp_path)
    await _go_to(h, index)
    replies = await h.say("aide")
    [help_card] = cards(replies)
    assert "Ce que je sais faire" in card_text(help_card)
    assert texts(replies) == [
        "On reprend la visite : « suivant » pour continuer, « passer » pour l'arrêter."
    ]
    assert h.last_progress == {"step": index, "status": "in_progress"}
    replies = await h.say("suivant")
    if index + 1 < len(STOPS):
        assert _title_of(_one_card(replies)) == TITLES_FR[index + 1]
    else:
        assert texts(replies)[0].startswith("C'est la fin de la visite")


@pytest.mark.parametrize("index", range(len(STOPS)))
async def test_help_and_stop_in_a_nested_tour(tmp_path: Path, index: int) -> None:
    """Under a root that is itself a CancelAndHelpDialog, the root sees the words first."""
    h = _make(tmp_path, locale="en-US", interrupting=True)
    await _go_to(h, index, start="tour")
    replies = await h.say("help")
    assert len(cards(replies)) == 1 and texts(replies) == []
    assert h.last_progress == {"step": index, "status": "in_progress"}
    replies = await h.say("stop")  # a cancel word for the root: the tour records a skip
    assert texts(replies) == [
        "Done, I've stopped.",
        'Tour skipped. To pick it up later where you left it, type "resume the tour".',
    ]
    assert h.last_progress == {"step": index + 1, "status": "skipped"}


# -- with the real MainDialog ----------------------------------------------------------------


async def test_under_the_real_main_dialog_help_cancel_and_stop(tmp_path: Path) -> None:
    answered: list[str] = []

    def build(h: Harness) -> Dialog:
        async def understand(
            text: str, lang: str, previous: Understanding | None, tenant: str | None
        ) -> Understanding:
            return Understanding(intent=Intent.UNKNOWN, lang=lang)

        last = h.conversation_state.create_property("LastUnderstanding")
        routes = Routes(understand=understand, last_understanding=last)

        async def on_unknown(
            step: WaterfallStepContext, u: Understanding, text: str
        ) -> DialogTurnResult | None:
            command = tour_command(text, step.context.activity.value)
            if command is not None:
                result: DialogTurnResult = await step.begin_dialog(TOUR_DIALOG_ID, command)
                return result
            answered.append(text)
            await step.context.send_activity("main: " + text)
            return None

        routes.on(Intent.UNKNOWN, on_unknown)
        return MainDialog(routes, [TourDialog(h.progress)])

    h = Harness(build, LocalDirStore(tmp_path / "state"))
    assert _title_of(_one_card(await h.say("visite"))) == TITLES_FR[0]
    assert len(cards(await h.say("aide"))) == 1  # MainDialog's help; the tour waits
    assert _title_of(_one_card(await h.say("suivant"))) == TITLES_FR[1]
    assert texts(await h.say("annuler")) == [CANCELLED_FR, RESUME_HINT_FR]
    assert h.last_progress == {"step": 1, "status": "paused"}
    assert _title_of(_one_card(await h.say("reprendre la visite"))) == TITLES_FR[1]
    assert texts(await h.say("stop")) == [CANCELLED_FR, SKIPPED_FR]
    assert h.last_progress == {"step": 2, "status": "skipped"}
    assert texts(await h.say("bonjour")) == ["main: bonjour"]
    assert answered == ["bonjour"]


# -- helpers for the lead ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visite", "start"),
        ("Tour", "start"),
        ("Faire la visite", "start"),
        ("take the tour", "start"),
        ("<at>Pulse</at> visite guidée !", "start"),
        ("recommencer la visite", "restart"),
        ("Restart the tour.", "restart"),
        ("reprendre la visite", "resume"),
        ("Resume the tour", "resume"),
        ("continuer la visite", "resume"),
        ("tour d'horizon de la semaine", None),
        ("qu'est-ce qu'on dit de nous ?", None),
        ("suivant", None),
        ("", None),
        (None, None),
    ],
)
def test_tour_command(text: str | None, expected: str | None) -> None:
    assert tour_command(text) == expected


def test_tour_command_reads_an_old_next_button() -> None:
    assert tour_command(None, {"tour": "next", "step": 2}) == "resume"
    assert tour_command(None, {"tour": "skip", "step": 2}) is None


def test_tour_button_for_the_welcome_card() -> None:
    assert tour_button("fr") == {
        "type": "Action.Submit",
        "title": "Faire la visite",
        "data": {"msteams": {"type": "imBack", "value": "faire la visite"}},
    }
    assert tour_button("en-US")["data"]["msteams"]["value"] == "take the tour"
    for lang in ("fr", "en"):
        assert tour_command(tour_button(lang)["data"]["msteams"]["value"]) == "start"


def test_progress_from_bad_state_is_safe() -> None:
    assert TourProgress.from_state(None) == TourProgress()
    assert TourProgress.from_state({"step": "x", "status": "nope"}) == TourProgress(0, None)
    assert TourProgress.from_state({"step": 99, "status": "paused"}).finished
    assert TourProgress.from_state({"step": 2, "status": "skipped"}) == TourProgress(2, "skipped")
    assert handed_back(TourResult("skipped", 2)) is None
    assert handed_back({"text": "not a tour result"}) is None


async def test_the_tenant_line_is_shown_and_a_failing_source_falls_back(tmp_path: Path) -> None:
    acme = default_editorial_line().model_copy(update={"company": Company(name="Acme")})
    tenants: list[str] = []

    async def line_of(tenant: str) -> EditorialLine:
        tenants.append(tenant)
        return acme

    h = _make(tmp_path, editorial_line=line_of)
    assert "ce qui se dit sur Acme sur X" in card_text(_one_card(await h.say("visite")))
    assert tenants == ["tenant-contoso"]

    async def broken(tenant: str) -> EditorialLine:
        raise RuntimeError("store down")

    h2 = _make(tmp_path, conversation="conv-2", editorial_line=broken)
    assert "Velora" in card_text(_one_card(await h2.say("visite")))


def test_cards_are_adaptive_cards_1_5_in_both_languages() -> None:
    line = default_editorial_line()
    for lang in ("fr", "en"):
        for index in range(len(STOPS)):
            card = tour_card(lang, index, line)
            assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
            assert all(b.get("wrap") for b in card["body"])
            assert len(actions_of(card)) <= 4
