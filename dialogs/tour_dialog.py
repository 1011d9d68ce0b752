"""The onboarding tour: five short cards, skippable, resumable across conversations.

Stops, in order (`STOPS`): `what` (what Pulse does) → `editorial` (the editorial line, in short,
and who decides) → `approvals` (draft → comms approve/edit/reject in Teams → published exactly
as approved) → `question` (a first question to tap) → `briefing` (the morning briefing, with a
"Subscribe" button).

One waterfall, `tour.step` = `show_step` (sends the card of stop `index`, records it as the
current stop) → `read_step` (reads the reply), looped with `replace_dialog`. Each card has
"Suivant / Next" (`Action.Submit`, data `{"tour": "next", "step": i}`) and "Passer la visite /
Skip the tour" (`{"tour": "skip", "step": i}`); typed words work too (`suivant`, `next`,
`passer`, `skip`, `stop`, ...). Help and cancel at every stop come from `CancelAndHelpDialog`.

Progress lives in **user** state (the `StatePropertyAccessor` passed in, plain JSON
`{"step": i, "status": s}`), so it survives the conversation:

- `step` is the stop to show on "resume the tour": the card on screen while in progress, the
  stop after the one skipped ("skip" at stop 2 → resume at stop 3), the same stop when paused;
- `status` is `in_progress` | `paused` (a question typed, or cancel) | `skipped` | `done`.

Nothing the user says is swallowed. Any message that is not a tour command ends the tour and is
**handed back** in the result: `TourResult.text` (see `handed_back`). The root dialog must
route that text as a normal message — it is the current activity's own text, so the root's
waterfall can simply restart on it (`replace_dialog`). Stop `question` counts as seen when its
question is asked (resume then shows the briefing); at the last stop the tour is done and the
text ("abonne-moi au briefing") is handed back the same way.

When a parent dialog that is itself a `CancelAndHelpDialog` (the root) catches the words first,
help is shown by the parent and the next message resumes the tour; cancel ("annuler") pauses
the tour and "stop" skips it (both recorded in `on_end_dialog`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from botbuilder.core import StatePropertyAccessor, TurnContext
from botbuilder.dialogs import (
    Dialog,
    DialogContext,
    DialogInstance,
    DialogReason,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import ActivityTypes

from bot.domain.defaults import default_editorial_line
from bot.domain.editorial import EditorialLine
from bot.domain.text import fold
from bot.i18n import language_of, t, t_list
from bot.teams.activity import tenant_of
from bot.teams.cards import Card, adaptive_card, bullets, card_activity, message_action, text_block
from bot.teams.clarify import clarify_choice
from bot.teams.commands import command_of, is_cancel, is_help
from dialogs.interruptions import CancelAndHelpDialog

logger = logging.getLogger(__name__)

TOUR_DIALOG_ID: Final = "TourDialog"
TOUR_STEP: Final = "tour.step"
TOUR_KEY: Final = "tour"  # the key of the buttons' Action.Submit data
STOPS: Final = ("what", "editorial", "approvals", "question", "briefing")
QUESTION_STOP: Final = STOPS.index("question")

TourCommand = Literal["start", "resume", "restart"]
Status = Literal["in_progress", "paused", "skipped", "done"]
Outcome = Literal["done", "skipped", "paused"]
EditorialLineOf = Callable[[str], Awaitable[EditorialLine]]

_START: Final = frozenset(
    {"visite", "tour", "la visite", "faire la visite", "visite guidee", "commencer la visite",
     "lancer la visite", "demarrer la visite", "the tour", "take the tour", "guided tour",
     "start the tour", "take a tour", "onboarding"}
)  # fmt: skip
_RESTART: Final = frozenset(
    {"recommencer la visite", "refaire la visite", "reprendre la visite depuis le debut",
     "restart the tour", "restart tour", "start the tour again", "start over the tour"}
)  # fmt: skip
_RESUME: Final = frozenset(
    {"reprendre la visite", "continuer la visite", "reprends la visite", "suite de la visite",
     "resume the tour", "resume tour", "continue the tour"}
)  # fmt: skip
_NEXT: Final = frozenset(
    {"suivant", "suivante", "next", "continuer", "continue", "suite", "ok", "d'accord"}
)
_SKIP: Final = frozenset(
    {"passer", "passer la visite", "skip", "skip the tour", "skip tour", "stop",
     "stop the tour", "arreter la visite", "quitter la visite", "fin de la visite", "end the tour"}
)  # fmt: skip


def _norm(text: str | None) -> str:
    """A command as typed: lower case, no accents, no mention markup, no end punctuation."""
    folded = fold(command_of(text))
    folded = re.sub(r"[?!.,;:«»\"]", " ", folded)
    return " ".join(folded.split())


def tour_command(text: str | None, value: object = None) -> TourCommand | None:
    """What the root should do with a message, tour-wise (French or English), else `None`.

    `"start"` ("visite", "tour", "faire la visite", "take the tour"), `"restart"` ("recommencer
    la visite", "restart the tour") and `"resume"` ("reprendre la visite", "resume the tour").
    A "Next" button of an old tour card (`value` `{"tour": "next"}`) also resumes.
    """
    if isinstance(value, dict) and value.get(TOUR_KEY) == "next" and not text:
        return "resume"
    command = _norm(text)
    if command in _RESTART:
        return "restart"
    if command in _RESUME:
        return "resume"
    if command in _START:
        return "start"
    return None


def tour_lang(text: str | None) -> str | None:
    """The language a tour command was said in ("faire la visite": French, "take the tour":
    English), so that the tour speaks it whatever the client's locale; None when unclear."""
    words = _norm(text).split()
    if "visite" in words:
        return "fr"
    if "tour" in words:
        return "en"
    return None


def tour_button(lang: str) -> dict[str, Any]:
    """ "Faire la visite / Take the tour": an imBack of "faire la visite" / "take the tour",
    which `tour_command` reads as "start". For the welcome card's actions."""
    return message_action(t(lang, "tour.button.take"), t(lang, "tour.command.take"))


@dataclass(frozen=True, slots=True)
class TourProgress:
    """What is kept in user state: the stop to show on resume, and how the tour stands."""

    step: int = 0
    status: Status | None = None  # None: never started

    @classmethod
    def from_state(cls, data: object) -> TourProgress:
        if not isinstance(data, dict):
            return cls()
        try:
            step = max(0, min(int(data.get("step", 0)), len(STOPS)))
        except (TypeError, ValueError):
            step = 0
        status = data.get("status")
        if status not in ("in_progress", "paused", "skipped", "done"):
            return cls(step=step)
        return cls(step=step, status=cast(Status, status))

    def to_state(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status}

    @property
    def finished(self) -> bool:
        """Nothing left to resume: done, or skipped at the last stop."""
        return self.status == "done" or self.step >= len(STOPS)


@dataclass(frozen=True, slots=True)
class TourResult:
    """How the tour ended. `text`: the user's message, handed back for the root to answer."""

    outcome: Outcome
    step: int  # the stop "resume the tour" will show
    text: str | None = None


def handed_back(result: object) -> str | None:
    """The message the root must route when a dialog result is the tour handing it back."""
    if isinstance(result, TourResult) and result.text:
        return result.text
    return None


def _options_command(options: object) -> TourCommand:
    command = options.get("command") if isinstance(options, dict) else options
    return command if command in ("start", "resume", "restart") else "start"


def _in(values: dict[Any, Any], lang: str, default: Any) -> Any:
    """The `lang` entry of a per-language mapping, else the line's first language's."""
    return values.get(lang) or next(iter(values.values()), default)


def _summary(line: EditorialLine, lang: str) -> tuple[str, str]:
    """The voice descriptors and (at most four) pillar names, in `lang`."""
    voice = ", ".join(_in(line.voice.descriptors, lang, []))
    names = [str(_in(p.name, lang, p.id)) for p in line.pillars]
    return voice, ", ".join(names[:4])


def tour_card(lang: str, index: int, line: EditorialLine) -> Card:
    """The card of stop `index` (0-based) in `lang`."""
    stop = STOPS[index]
    key = f"tour.steps.{stop}"
    company = line.company.name
    body: list[dict[str, Any]] = [
        text_block(
            t(lang, "tour.progress", step=index + 1, total=len(STOPS)),
            isSubtle=True,
            size="Small",
        ),
        text_block(t(lang, f"{key}.title"), size="Large", weight="Bolder", spacing="None"),
    ]
    actions: list[dict[str, Any]] = []
    if stop == "what":
        body += [text_block(t(lang, f"{key}.intro", company=company))]
        body += [bullets(t_list(lang, f"{key}.points"))]
    elif stop == "editorial":
        voice, pillars = _summary(line, lang)
        body.append(text_block(t(lang, f"{key}.intro", company=company)))
        lines = [t(lang, f"{key}.voice", voice=voice)] if voice else []
        lines += [t(lang, f"{key}.pillars", pillars=pillars)] if pillars else []
        lines.append(t(lang, f"{key}.who"))
        body.append(bullets(lines))
    elif stop == "approvals":
        body.append(text_block("\n".join(t_list(lang, f"{key}.points"))))
        body.append(text_block(t(lang, f"{key}.footer"), isSubtle=True, size="Small"))
    elif stop == "question":
        body.append(text_block(t(lang, f"{key}.intro")))
        actions += [message_action(q, q) for q in t_list(lang, f"{key}.suggestions")]
    else:  # briefing
        body.append(text_block(t(lang, f"{key}.intro")))
        body.append(text_block(t(lang, f"{key}.hint"), isSubtle=True, size="Small"))
        actions.append(
            message_action(t(lang, "tour.button.subscribe"), t(lang, "tour.command.subscribe"))
        )
    last = index == len(STOPS) - 1
    actions.append(
        {
            "type": "Action.Submit",
            "title": t(lang, "tour.button.finish" if last else "tour.button.next"),
            "style": "positive",
            "data": {TOUR_KEY: "next", "step": index},
        }
    )
    if not last:
        actions.append(
            {
                "type": "Action.Submit",
                "title": t(lang, "tour.button.skip"),
                "data": {TOUR_KEY: "skip", "step": index},
            }
        )
    return adaptive_card(body, actions)


class TourDialog(CancelAndHelpDialog):
    """Begin with `begin_dialog(TOUR_DIALOG_ID, "start" | "resume" | "restart")`; ends with a
    `TourResult`. `progress`: a user-state property (e.g. `user_state.create_property("Tour")`).
    `editorial_line`: the tenant's current line (e.g. `EditorialStore.current`); the default
    line when absent or unavailable."""

    def __init__(
        self,
        progress: StatePropertyAccessor,
        *,
        editorial_line: EditorialLineOf | None = None,
        dialog_id: str = TOUR_DIALOG_ID,
    ) -> None:
        super().__init__(dialog_id)
        self._progress = progress
        self._line_of = editorial_line
        self.add_dialog(WaterfallDialog(TOUR_STEP, [self.show_step, self.read_step]))
        self.initial_dialog_id = TOUR_STEP

    # -- progress ---------------------------------------------------------------------------

    async def progress_of(self, context: TurnContext) -> TourProgress:
        return TourProgress.from_state(await self._progress.get(context, None))

    async def _record(self, context: TurnContext, step: int, status: Status) -> None:
        await self._progress.set(context, TourProgress(step, status).to_state())

    # -- component plumbing -----------------------------------------------------------------

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        context = dialog_context.context
        command = _options_command(options)
        ui = options.get("ui") if isinstance(options, dict) else None
        if ui in ("fr", "en") and dialog_context.active_dialog is not None:
            dialog_context.active_dialog.state["ui"] = ui  # this tour's language
        index, notice = 0, "tour.restarted" if command == "restart" else None
        if command == "resume":
            progress = await self.progress_of(context)
            if progress.status is None:
                index, notice = 0, None
            elif progress.finished:
                index, notice = 0, "tour.already_done"
            else:
                index, notice = progress.step, "tour.resumed" if progress.step > 0 else None
        if notice:
            await context.send_activity(t(self._ui(context, dialog_context, own=True), notice))
        result: DialogTurnResult = await super().begin_dialog(dialog_context, {"index": index})
        return result

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        context = inner_dc.context
        activity = context.activity
        if activity.type != ActivityTypes.message:
            return None
        if _norm(activity.text) in _SKIP:
            return None  # "stop" skips the tour (read_step) rather than cancelling
        cancelling = is_cancel(activity.text)
        if cancelling:
            await self._pause(context)
        result = await super().interrupt(inner_dc)
        if result is None:
            return None
        ui = self._ui(context, inner_dc)
        if cancelling:
            await context.send_activity(t(ui, "tour.cancelled"))
        elif result.status == DialogTurnStatus.Waiting and is_help(activity.text):
            await context.send_activity(t(ui, "tour.help_resume"))
        return result

    async def on_end_dialog(
        self, context: TurnContext, instance: DialogInstance, reason: DialogReason
    ) -> None:
        # A parent cancelled us (its own "cancel" / "stop" handling): keep the progress.
        if reason == DialogReason.CancelCalled and context.activity.type == ActivityTypes.message:
            text = context.activity.text
            ui = str(instance.state.get("ui") or self._ui(context))
            if _norm(text) in _SKIP:
                progress = await self.progress_of(context)
                await self._record(context, min(progress.step + 1, len(STOPS)), "skipped")
                await context.send_activity(t(ui, "tour.skipped"))
            elif is_cancel(text):
                await self._pause(context)
                await context.send_activity(t(ui, "tour.cancelled"))
        await super().on_end_dialog(context, instance, reason)

    async def _pause(self, context: TurnContext) -> None:
        progress = await self.progress_of(context)
        if progress.status == "in_progress":
            await self._record(context, progress.step, "paused")

    @staticmethod
    def _ui(context: TurnContext, dc: DialogContext | None = None, *, own: bool = False) -> str:
        """The tour's language (the one its command was said in), else the client's locale.
        `dc`: an inner dialog context of the tour (its parent holds the tour's state), or the
        outer one when `own` (the tour is its active dialog)."""
        outer = dc if own else (dc.parent if dc is not None else None)
        active = outer.active_dialog if outer is not None else None
        ui = active.state.get("ui") if active is not None else None
        return str(ui) if ui in ("fr", "en") else language_of(context.activity.locale)

    @staticmethod
    def _tenant(context: TurnContext) -> str:
        return tenant_of(context.activity) or "demo"

    async def _line(self, context: TurnContext) -> EditorialLine:
        if self._line_of is not None:
            try:
                return await self._line_of(self._tenant(context))
            except Exception:
                logger.warning("tour: no editorial line for the tenant, showing the default")
        return default_editorial_line()

    # -- steps ------------------------------------------------------------------------------

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = dict(step.options or {})
        index = max(0, min(int(options.get("index", 0)), len(STOPS) - 1))
        step.values["index"] = index
        if options.get("quiet"):
            return Dialog.end_of_turn  # the card is on screen already: wait for the reply
        await self._record(step.context, index, "in_progress")
        card = tour_card(self._ui(step.context, step), index, await self._line(step.context))
        await step.context.send_activity(card_activity(card))
        return Dialog.end_of_turn

    async def read_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        index = int(step.values["index"])
        context = step.context
        ui = self._ui(context, step)
        activity = context.activity
        text = (activity.text or "").strip()
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get(TOUR_KEY) if not text else None
        command = _norm(text)
        if action == "next" and value.get("step", index) != index:
            # A second tap on an older card's "Next": already done, keep waiting.
            return await step.replace_dialog(TOUR_STEP, {"index": index, "quiet": True})
        if action == "next" or (text and command in _NEXT):
            if index + 1 < len(STOPS):
                return await step.replace_dialog(TOUR_STEP, {"index": index + 1})
            await self._record(context, len(STOPS), "done")
            await context.send_activity(t(ui, "tour.finished"))
            return await step.end_dialog(TourResult("done", len(STOPS)))
        if action == "skip" or (text and command in _SKIP):
            await self._record(context, index + 1, "skipped")
            await context.send_activity(t(ui, "tour.skipped"))
            return await step.end_dialog(TourResult("skipped", index + 1))
        tour = tour_command(text) if text else None
        if tour == "resume":
            return await step.replace_dialog(TOUR_STEP, {"index": index})
        if tour is not None:  # start / restart: from the top
            if tour == "restart":
                await context.send_activity(t(ui, "tour.restarted"))
            return await step.replace_dialog(TOUR_STEP, {"index": 0})
        if not text and clarify_choice(value) is not None:
            # A "Did you mean…" button of an earlier card: the root answers it (`clicked`).
            await self._record(context, index, "paused")
            await context.send_activity(t(ui, "tour.paused"))
            return await step.end_dialog(TourResult("paused", index))
        if not text:  # a button we do not know, an empty message
            await context.send_activity(t(ui, "tour.hint"))
            return await step.replace_dialog(TOUR_STEP, {"index": index, "quiet": True})
        # A real message: hand it back to the root to be answered; never trap the user.
        if index == len(STOPS) - 1:
            await self._record(context, len(STOPS), "done")
            await context.send_activity(t(ui, "tour.finished_with_request"))
            return await step.end_dialog(TourResult("done", len(STOPS), text))
        if index == QUESTION_STOP:
            await self._record(context, index + 1, "paused")
            await context.send_activity(t(ui, "tour.paused_after_question"))
            return await step.end_dialog(TourResult("paused", index + 1, text))
        await self._record(context, index, "paused")
        await context.send_activity(t(ui, "tour.paused"))
        return await step.end_dialog(TourResult("paused", index, text))


__all__ = [
    "STOPS",
    "TOUR_DIALOG_ID",
    "TourCommand",
    "TourDialog",
    "TourProgress",
    "TourResult",
    "handed_back",
    "tour_button",
    "tour_card",
    "tour_command",
    "tour_lang",
]
