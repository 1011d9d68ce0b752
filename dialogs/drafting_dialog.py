"""The drafting dialog: brief → variants → (revise) → pick → (revise / edit) → submit.

Two waterfalls inside one component (help and cancel at every step come from the base class):

- `drafting.choose`: `brief_step` (the brief from the options, else "Sur quel sujet ?") →
  `variants_step` (proposes and sends the variants card) → `pick_step` (reads the next turn:
  a "Choisir" button, `{"drafting": "pick", "index": i}`, or a typed number → review; a revision
  such as "plus court", "moins formel", "en anglais", "shorter", "in French" → new variants);
- `drafting.review`: `review_step` (the chosen text's card: compliance, an input to edit the
  text, revision buttons, submit) → `decide_step` (submit, submit anyway with warnings, edited
  text, a revision, back to the variants).

Only a compliant text can be submitted; a text whose findings are all warnings needs the
explicit "submit anyway with warnings". Submission calls the injected `submit_for_approval`.

Conversations that let go: with the question reader (`understand`), a typed message that is not
one of the dialog's own words nor a known edit is read with the draft as `previous`; a confident
new question ("is a crisis brewing?", « désabonne-moi », a draft on another subject, small talk,
an out-of-scope or injection attempt: `is_new_question`, threshold `NEW_QUESTION_CONFIDENCE`,
measured by `bench/bench_converse.py`) ends the dialog with a `DraftHandBack` and the root
answers it. The draft is set aside (`set_aside`, conversation state) and « reprendre le
brouillon » / "resume the draft" brings its variants back; DRAFT follow-ups and unclear messages
stay edit requests.

The dialog state holds plain JSON only (texts, rationales, flags); every compliance report is
recomputed from the current editorial line when read back, never stored.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Final

from botbuilder.core import StatePropertyAccessor, TurnContext
from botbuilder.dialogs import (
    Dialog,
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)

from bot.domain.text import fold
from bot.i18n import language_of, t
from bot.ports.language import EngineError, Intent, Understanding
from bot.services.drafting import DraftingService, Source, Variant, revision_of
from bot.teams.actions import Actor, RoleResolver, actor_of
from bot.teams.activity import tenant_of
from bot.teams.cards import card_activity
from bot.teams.clarify import clarify_choice
from bot.teams.commands import command_of, is_help
from bot.teams.drafting_cards import (
    SUBMIT_KEY,
    TEXT_INPUT,
    SubmitForApproval,
    done_variants_card,
    may_submit,
    review_card,
    submission_context,
    submitted_card,
    variants_card,
)
from bot.teams.routes import Understand
from bot.teams.stale_cards import Submissions, sent_line
from dialogs.interruptions import CancelAndHelpDialog

logger = logging.getLogger(__name__)

DRAFTING_DIALOG_ID: Final = "DraftingDialog"
CHOOSE: Final = "drafting.choose"
REVIEW: Final = "drafting.review"

_SUBMIT_WORDS: Final = frozenset(
    {"envoyer", "envoie", "valider", "soumettre", "submit", "send", "ok", "go",
     "envoyer pour validation", "submit for approval"}
)  # fmt: skip
_ANYWAY_WORDS: Final = frozenset(
    {"envoyer quand meme", "envoyer quand même", "envoie quand même", "envoie quand meme",
     "submit anyway", "send anyway", "soumettre quand même", "soumettre quand meme"}
)  # fmt: skip
_BACK_WORDS: Final = frozenset(
    {"autres propositions", "retour", "back", "other drafts", "more drafts", "autres"}
)
_MORE_WORDS: Final = frozenset({"autres propositions", "other drafts", "more drafts", "encore"})
_PICK_RE: Final = re.compile(
    r"^(?:(?:choisir|choisis|je prends|prends|la|le|option|proposition|pick|choose|draft|"
    r"number|n°|no\.?|#)\s*)*([1-5])$"
)
_EDIT_RE: Final = re.compile(r"^(?:texte|text)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)
_RESUME_WORDS: Final = {
    "fr": frozenset({"reprendre le brouillon", "reprends le brouillon", "reprendre la redaction",
                     "revenir au brouillon", "retour au brouillon"}),
    "en": frozenset({"resume the draft", "resume draft", "back to the draft",
                     "continue the draft"}),
}  # fmt: skip
# How sure the reader must be that a message is a new question, not an edit request, for it
# to interrupt the drafting (below, the message is taken as an edit, as before).
NEW_QUESTION_CONFIDENCE: Final = 0.75
_LET_GO_REASONS: Final = frozenset({"out_of_scope", "smalltalk", "injection"})
_SUBJECT_LIKE: Final = frozenset(
    {Intent.TOPIC, Intent.PULSE, Intent.SHOW_POSTS, Intent.DRAFT, Intent.UNKNOWN}
)


def draft_command(text: str | None) -> str | None:
    """ "reprendre le brouillon" / "resume the draft" (back to the draft set aside): the
    language it was said in, else None."""
    folded = " ".join(re.sub(r"[?!.,;:«»\"]", " ", fold(command_of(text))).split())
    return next((lang for lang, words in _RESUME_WORDS.items() if folded in words), None)


def reads_as_draft_command(text: str, value: dict[str, Any] | None = None) -> bool:
    """The drafting dialog's own words and buttons (pick, submit, back, more, "text: …", a
    known edit such as « plus court », "resume the draft"): never a new question."""
    if (value or {}).get(SUBMIT_KEY) or not text:
        return True
    command = command_of(text)
    return bool(
        _PICK_RE.match(command)
        or command in _SUBMIT_WORDS
        or command in _ANYWAY_WORDS
        or command in _BACK_WORDS
        or command in _MORE_WORDS
        or _EDIT_RE.match(text)
        or draft_command(text) is not None
        or revision_of(text).instruction != " ".join(text.split())[:300]  # a known edit
    )


@dataclass(frozen=True, slots=True)
class DraftHandBack:
    """The drafting dialog let go of a message that is a new question: the root answers it
    (the current activity's own text). The draft is set aside, resumable. `read`: how the
    message was read here (not a follow-up: it inherits nothing from the draft), so that the
    root does not read it a second time (a second model call, with a model configured)."""

    text: str
    read: Understanding | None = None


def is_new_question(
    u: Understanding, brief: str | None, threshold: float = NEW_QUESTION_CONFIDENCE
) -> bool:
    """Whether a message read during drafting (with the draft as `previous`) is something
    else than an edit request: a confident other question, a new draft on another subject,
    or small talk / out of scope / an injection attempt. Unclear messages stay edits."""
    if not brief:  # the answer to "on what subject?" reads like a topic question: keep it
        return u.intent not in _SUBJECT_LIKE and not u.follow_up and u.confidence >= threshold
    if u.intent is Intent.DRAFT:
        if u.follow_up:
            return False
        topic = fold(u.topic or "").strip()
        return bool(topic) and topic != fold(brief or "").strip()
    if u.intent is Intent.UNKNOWN:
        return u.reason in _LET_GO_REASONS and u.confidence >= threshold
    return not u.follow_up and u.confidence >= threshold


@dataclass(frozen=True, slots=True)
class DraftOptions:
    """What the root dialog knows when it begins drafting."""

    brief: str | None = None  # what to write about; asked when missing
    topic: str | None = None  # the topic for context posts (defaults to a short brief)
    lang: str | None = None  # the post's language (default: the user's)
    source: Source = "request"  # "request" | "answer" | "alert"
    count: int = 3
    ui: str | None = None  # the language to talk in (the message's; default: the post's)

    def to_state(self) -> dict[str, Any]:
        return asdict(self)


def _state_of(options: object, activity_locale: str | None) -> dict[str, Any]:
    if isinstance(options, DraftOptions):
        data = options.to_state()
    elif isinstance(options, dict):
        data = dict(options)
    else:
        data = {}
    brief = data.get("brief") or data.get("topic")
    data["brief"] = " ".join(str(brief).split()) if brief else None
    data["lang"] = data.get("lang") or language_of(activity_locale)
    data["ui"] = data.get("ui") if data.get("ui") in ("fr", "en") else data["lang"]
    if data.get("source") not in ("request", "answer", "alert"):
        data["source"] = "request"
    data["count"] = int(data.get("count") or 3)
    data.setdefault("variants", [])
    return data


class DraftingDialog(CancelAndHelpDialog):
    def __init__(
        self,
        drafting: DraftingService,
        submit_for_approval: SubmitForApproval,
        *,
        roles: RoleResolver | None = None,
        require_role: bool = True,
        dialog_id: str = DRAFTING_DIALOG_ID,
        understand: Understand | None = None,
        set_aside: StatePropertyAccessor | None = None,
        submissions: Submissions | None = None,
    ) -> None:
        """`understand` (the question reader): a message that reads as a new question, not an
        edit request, interrupts the drafting and is answered (without it every message is an
        edit). `set_aside` (a conversation-state property): where an interrupted draft waits
        for "resume the draft"; without it an interrupted draft is cancelled."""
        super().__init__(dialog_id)
        self._understand = understand
        self._set_aside = set_aside
        self._drafting = drafting
        self._submit = submit_for_approval
        self._submissions = submissions
        self._roles = roles
        self._require_role = require_role
        self.add_dialog(
            WaterfallDialog(CHOOSE, [self.brief_step, self.variants_step, self.pick_step])
        )
        self.add_dialog(WaterfallDialog(REVIEW, [self.review_step, self.decide_step]))
        self.initial_dialog_id = CHOOSE

    # -- component plumbing -----------------------------------------------------------------

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        context = dialog_context.context
        if isinstance(options, dict) and options.get("resume"):
            ui = str(options.get("ui") or language_of(context.activity.locale))
            saved = await self._set_aside.get(context, None) if self._set_aside else None
            if not isinstance(saved, dict) or not saved.get("brief"):
                await context.send_activity(t(ui, "converse.no_draft_to_resume"))
                return await dialog_context.end_dialog(None)
            await self._set_aside.delete(context)  # type: ignore[union-attr]
            resumed = t(saved.get("ui") or ui, "converse.draft_resumed", brief=saved["brief"])
            await context.send_activity(resumed)
            options = {**saved, "show_card": True, "regenerate": False}
        state = _state_of(options, context.activity.locale)
        result: DialogTurnResult = await super().begin_dialog(dialog_context, state)
        return result

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        result = await super().interrupt(inner_dc)
        activity = inner_dc.context.activity
        if (
            result is not None
            and result.status == DialogTurnStatus.Waiting
            and is_help(activity.text)
        ):
            # Help was shown: say where we are, the next message resumes the step.
            await inner_dc.context.send_activity(
                t(
                    self._ui(inner_dc.context, self._state_in(inner_dc)),
                    f"drafting.resume.{self._phase(inner_dc)}",
                )
            )
        if result is None and activity.type == "message":
            result = await self._let_go(inner_dc)
        return result

    @staticmethod
    def _state_in(inner_dc: DialogContext) -> dict[str, Any]:
        active = inner_dc.active_dialog
        values = active.state.get("values", {}) if active is not None else {}
        state = values.get("state") if isinstance(values, dict) else None
        return state if isinstance(state, dict) else {}

    async def _let_go(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """A message that is a new question ("is a crisis brewing?", « désabonne-moi ») ends
        the drafting, the draft set aside; the root answers the message. Edit requests
        ("shorter", « plus formel », "add the hashtag") and the dialog's commands stay here."""
        context = inner_dc.context
        activity = context.activity
        text = (activity.text or "").strip()
        value = activity.value if isinstance(activity.value, dict) else {}
        clicked = not text and clarify_choice(value) is not None  # an older card's button
        if not clicked and (self._understand is None or reads_as_draft_command(text, value)):
            return None
        state = self._state_in(inner_dc)
        u: Understanding | None = None
        if not clicked:
            assert self._understand is not None
            draft = Understanding(
                Intent.DRAFT, str(state.get("ui") or "en"), topic=state.get("brief")
            )
            try:
                tenant = actor_of(activity).tenant_id  # as the root reads questions
                u = await self._understand(text, draft.lang, draft, tenant)
            except Exception:
                logger.warning("drafting: the message could not be read; taken as an edit")
                return None
            if not is_new_question(u, state.get("brief")):
                return None
            logger.info("drafting interrupted by a new question (intent %s)", u.intent.value)
        await self._put_aside(context, state)
        await inner_dc.cancel_all_dialogs()
        read = u if u is not None and not u.follow_up else None
        return DialogTurnResult(DialogTurnStatus.Complete, DraftHandBack(text, read))

    async def _put_aside(self, context: TurnContext, state: dict[str, Any]) -> None:
        if not state.get("brief"):
            return  # nothing drafted yet: nothing to keep
        keep = {k: v for k, v in state.items() if k not in ("message", "show_card", "asked")}
        if self._set_aside is not None:
            await self._set_aside.set(context, keep)
            key = "converse.draft_set_aside"
        else:
            key = "cancelled"
        ui = str(state.get("ui") or language_of(context.activity.locale))
        await context.send_activity(t(ui, key, brief=state["brief"]))

    @staticmethod
    def _phase(inner_dc: DialogContext) -> str:
        active = inner_dc.active_dialog
        if active is None:
            return "brief"
        if active.id == REVIEW:
            return "review"
        step = int(active.state.get("stepIndex", 0))
        return "brief" if step == 0 else "choose"

    @staticmethod
    def _ui(context: TurnContext, state: dict[str, Any] | None = None) -> str:
        """The language to talk in: the one the drafting began in (the message's), else the
        client's locale."""
        ui = (state or {}).get("ui")
        return str(ui) if ui in ("fr", "en") else language_of(context.activity.locale)

    @staticmethod
    def _tenant(context: TurnContext) -> str:
        return tenant_of(context.activity) or "demo"

    async def _actor(self, context: TurnContext) -> Actor:
        roles = await self._roles(context.activity) if self._roles is not None else frozenset()
        return actor_of(context.activity, roles)

    @staticmethod
    def _reply(context: TurnContext) -> tuple[str, dict[str, Any]]:
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        return (activity.text or "").strip(), value

    async def _variants(self, context: TurnContext, state: dict[str, Any]) -> list[Variant]:
        tenant = self._tenant(context)
        source: Source = state["source"]
        return [
            await self._drafting.variant_from_data(tenant, data, state["lang"], source=source)
            for data in state.get("variants", [])
        ]

    # -- choose -----------------------------------------------------------------------------

    async def brief_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        state: dict[str, Any] = dict(step.options)
        step.values["state"] = state
        if state.get("brief"):
            return await step.next(state["brief"])
        key = "drafting.ask_brief_again" if state.get("asked") else "drafting.ask_brief"
        await step.context.send_activity(t(self._ui(step.context, state), key))
        return Dialog.end_of_turn

    async def variants_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        state: dict[str, Any] = step.values["state"]
        ui = self._ui(step.context, state)
        brief = " ".join(str(step.result or "").split())
        if not brief:
            return await step.replace_dialog(CHOOSE, {**state, "brief": None, "asked": True})
        state["brief"] = brief
        if state.get("variants") and not state.get("regenerate"):
            if state.pop("show_card", False):
                variants = await self._variants(step.context, state)
                await self._send_variants(step.context, state, variants)
            else:
                await step.context.send_activity(t(ui, "drafting.pick_hint"))
            return Dialog.end_of_turn
        revision = state.pop("revision", None)
        previous = state.pop("previous", None)
        state.pop("regenerate", None)
        try:
            variants = await self._drafting.propose(
                self._tenant(step.context),
                brief,
                state["lang"],
                state["count"],
                revision=revision,
                previous=previous,
                source=state["source"],
                topic=state.get("topic"),
            )
        except EngineError as exc:
            await step.context.send_activity(t(ui, "drafting.engine_error", code=exc.code))
            return await step.end_dialog(None)
        if not variants:
            await step.context.send_activity(t(ui, "drafting.no_variant"))
            return await step.end_dialog(None)
        state["variants"] = [v.to_data() for v in variants]
        state["revision_shown"] = state.pop("revision_label", None) or revision
        await self._send_variants(step.context, state, variants)
        return Dialog.end_of_turn

    async def _send_variants(
        self, context: TurnContext, state: dict[str, Any], variants: list[Variant]
    ) -> None:
        card = variants_card(
            variants,
            self._ui(context, state),
            brief=state["brief"],
            post_lang=state["lang"],
            revision=state.get("revision_shown"),
        )
        sent = await context.send_activity(card_activity(card))
        state["variants_card"] = sent.id if sent is not None else None

    async def pick_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        state: dict[str, Any] = step.values["state"]
        text, value = self._reply(step.context)
        action = value.get(SUBMIT_KEY)
        count = len(state.get("variants", []))
        index: int | None = None
        if action == "pick":
            try:
                index = int(value.get("index", -1))
            except (TypeError, ValueError):
                index = None
        elif not action and text:
            match = _PICK_RE.match(command_of(text))
            if match:
                index = int(match.group(1)) - 1
        if index is not None and 0 <= index < count:
            selected = state["variants"][index]
            return await step.replace_dialog(REVIEW, {**state, "selected": selected})
        if (
            not action and draft_command(text) is not None
        ):  # "resume the draft" while in it: the card again
            return await step.replace_dialog(CHOOSE, {**state, "show_card": True})
        if action == "more" or (not action and command_of(text) in _MORE_WORDS):
            return await step.replace_dialog(CHOOSE, {**state, "regenerate": True})
        revision_text = str(value.get("revision") or "") if action == "revise" else ""
        if not action and text:
            revision_text = text
        if revision_text:
            return await step.replace_dialog(CHOOSE, self._revised(state, revision_text))
        return await step.replace_dialog(CHOOSE, state)  # not understood: a hint, same variants

    @staticmethod
    def _revised(state: dict[str, Any], revision_text: str) -> dict[str, Any]:
        revision = revision_of(revision_text)
        previous = "\n\n".join(str(v.get("text", "")) for v in state.get("variants", [])[:1])
        new = {**state, "regenerate": True, "revision": revision.instruction}
        new["revision_label"] = " ".join(revision_text.split())[:100]
        new["previous"] = previous or None
        if revision.lang:
            new["lang"] = revision.lang
        return new

    # -- review -----------------------------------------------------------------------------

    async def review_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        state: dict[str, Any] = dict(step.options)
        step.values["state"] = state
        message = state.pop("message", None)
        variant = await self._drafting.variant_from_data(
            self._tenant(step.context), state["selected"], state["lang"], source=state["source"]
        )
        card = review_card(
            variant, self._ui(step.context, state), post_lang=state["lang"], message=message
        )
        sent = await step.context.send_activity(card_activity(card))
        state["review_card"] = sent.id if sent is not None else None
        return Dialog.end_of_turn

    async def decide_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        state: dict[str, Any] = step.values["state"]
        ui = self._ui(step.context, state)
        text, value = self._reply(step.context)
        action = value.get(SUBMIT_KEY)
        command = command_of(text)
        tenant = self._tenant(step.context)
        if action in ("submit", "submit_anyway") or (
            not action and (command in _SUBMIT_WORDS or command in _ANYWAY_WORDS)
        ):
            anyway = action == "submit_anyway" or command in _ANYWAY_WORDS
            return await self._submit_step(step, state, anyway=anyway)
        if (
            not action and draft_command(text) is not None
        ):  # "resume the draft" while in it: the card again
            return await step.replace_dialog(REVIEW, state)
        if action == "back" or (not action and command in _BACK_WORDS):
            return await step.replace_dialog(CHOOSE, {**state, "show_card": True})
        edited = value.get(TEXT_INPUT) if action == "edit" else None
        if not action and text:
            match = _EDIT_RE.match(text)
            edited = match.group(1) if match else None
        if isinstance(edited, str) and edited.strip():
            selected = {**state["selected"], "text": edited.strip(), "engine": "user"}
            selected["repaired"] = False
            message = t(ui, "drafting.edited")
            return await step.replace_dialog(
                REVIEW, {**state, "selected": selected, "message": message}
            )
        revision_text = str(value.get("revision") or "") if action == "revise" else ""
        if not action and text:
            revision_text = text
        if not revision_text:
            await step.context.send_activity(t(ui, "drafting.review_hint"))
            return await step.replace_dialog(REVIEW, state)
        revision = revision_of(revision_text)
        lang = revision.lang or state["lang"]
        try:
            variants = await self._drafting.propose(
                tenant,
                state["brief"],
                lang,
                1,
                revision=revision.instruction,
                previous=str(state["selected"].get("text", "")),
                source=state["source"],
                topic=state.get("topic"),
            )
        except EngineError as exc:
            await step.context.send_activity(t(ui, "drafting.engine_error", code=exc.code))
            return await step.replace_dialog(REVIEW, state)
        if not variants:
            await step.context.send_activity(t(ui, "drafting.no_variant"))
            return await step.replace_dialog(REVIEW, state)
        return await step.replace_dialog(
            REVIEW, {**state, "lang": lang, "selected": variants[0].to_data()}
        )

    async def _submit_step(
        self, step: WaterfallStepContext, state: dict[str, Any], *, anyway: bool
    ) -> DialogTurnResult:
        ui = self._ui(step.context, state)
        variant = await self._drafting.variant_from_data(
            self._tenant(step.context), state["selected"], state["lang"], source=state["source"]
        )
        report = variant.report
        if not report.compliant:
            message = t(ui, "drafting.submit_blocked", count=len(report.errors))
            return await step.replace_dialog(REVIEW, {**state, "message": message})
        if report.warnings and not anyway:
            message = t(ui, "drafting.confirm_warnings", count=len(report.warnings))
            return await step.replace_dialog(REVIEW, {**state, "message": message})
        actor = await self._actor(step.context)
        if self._require_role and not may_submit(actor):
            await step.context.send_activity(t(ui, "drafting.not_allowed"))
            return await step.end_dialog(None)
        context = submission_context(
            variant, source=state["source"], brief=state["brief"], topic=state.get("topic")
        )
        try:
            draft_id = await self._submit(actor, variant.text, state["lang"], context)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            logger.exception("submit for approval failed (ref %s)", ref)
            await step.context.send_activity(t(ui, "drafting.submit_failed", ref=ref))
            return await step.replace_dialog(REVIEW, state)
        name = actor.name or actor.user_id
        if self._submissions is not None:
            await self._submissions.record(
                actor.tenant_id, self.flow_of(step.context), draft_id, name, variant.text, ui
            )
        sent = sent_line(ui, name, datetime.now(UTC))
        await self._retire_cards(step.context, state, variant.text, ui, sent)
        await step.context.send_activity(t(ui, "drafting.submitted", state=sent))
        return await step.end_dialog({"submitted": True, "text": variant.text})

    @staticmethod
    def flow_of(context: TurnContext) -> str:
        """The drafting dialog's flow, for stale buttons: its conversation."""
        conversation = context.activity.conversation
        return f"dialog-{conversation.id if conversation else 'none'}"

    @staticmethod
    async def _retire_cards(
        context: TurnContext, state: dict[str, Any], text: str, ui: str, sent: str
    ) -> None:
        """Update the flow's cards in place: their buttons give way to the state."""
        for key, card in (
            ("review_card", submitted_card(text, ui, sent)),
            ("variants_card", done_variants_card(str(state.get("brief") or ""), ui, sent)),
        ):
            card_id = state.get(key)
            if not card_id:
                continue
            update = card_activity(card)
            update.id = str(card_id)
            try:
                await context.update_activity(update)
            except Exception:  # the new state is also said in a message just below
                logger.warning("could not update a drafting card in place")


__all__ = ["DRAFTING_DIALOG_ID", "DraftOptions", "DraftingDialog", "SubmitForApproval"]
