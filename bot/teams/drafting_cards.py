"""Cards of the drafting flow, and its stateless variant for the answer card's button.

Two ways to act on a variants card:

- in the drafting dialog, buttons are `Action.Submit` with `{"drafting": "pick", "index": i}`
  (and `revise` / `more` / `submit` / `submit_anyway` / `edit` / `back`): the message that
  Teams posts carries that `value`, and the dialog reads it as its next turn;
- from an answer card's "Draft a post on this" (`answer.draft`, an `Action.Execute` invoke,
  where a dialog cannot easily be begun), `DraftCardFlow.start_draft_from_card` *sends* the
  variants card as a new message (the answer card stays as it was) and answers the invoke with a
  short message. That card is stateless: its buttons are `Action.Execute` verbs `draft.pick`
  (data: the variant's text and index, the post language, topic, source) → a review card with
  the text in an input, `draft.check` (re-check an edited text) and `draft.submit` (checked
  again on the server, then `submit_for_approval`). Card data is never trusted for anything
  but the text the user proposes: the actor comes from the activity, compliance is recomputed.
  To rework drafts (shorter, in English, ...) the user starts the dialog by writing to Pulse.

Compliance shows ✅ only when `report.compliant`; findings are phrased in the user's language
from their codes and params, with the excerpt of the text they are about.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from botbuilder.core import TurnContext

from bot.domain.compliance import ComplianceReport, Finding
from bot.domain.editorial import Severity
from bot.i18n import t
from bot.ports.language import EngineError
from bot.services.drafting import DraftingService, Source, Variant
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.cards import Card, adaptive_card, card_activity, text_block

logger = logging.getLogger(__name__)

SubmitForApproval = Callable[[Actor, str, str, dict[str, Any]], Awaitable[str]]
"""`(actor, text, lang, context) -> confirmation message or draft id` (bound by the app)."""

SUBMIT_KEY: Final = "drafting"  # Action.Submit data key read by the drafting dialog
VERB_PICK: Final = "draft.pick"
VERB_CHECK: Final = "draft.check"
VERB_SUBMIT: Final = "draft.submit"
TEXT_INPUT: Final = "draft_text"
SUBMIT_ROLES: Final = frozenset({"executive", "approver", "admin"})
EXCERPT_CONTEXT: Final = 18
MAX_FINDINGS_SHOWN: Final = 6


# -- findings in words ---------------------------------------------------------------------


def _param(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _lang_name(lang: str, code: object) -> str:
    key = str(code) if code in ("fr", "en") else "other"
    return t(lang, f"drafting.findings.languages.{key}")


def phrase_finding(finding: Finding, lang: str) -> str:
    """One finding in the user's language, from its code and params (no excerpt)."""
    p = {k: _param(v) for k, v in finding.params.items()}
    code = finding.code
    if code == "term.avoided":
        reason = p.get("reason")
        suggestion = p.get("suggestion")
        return t(
            lang,
            "drafting.findings.term.avoided",
            matched=p.get("matched", ""),
            reason=t(lang, "drafting.findings.term_reason", reason=reason) if reason else "",
            suggestion=(
                t(lang, "drafting.findings.term_suggestion", suggestion=suggestion)
                if suggestion
                else ""
            ),
            evasion=t(lang, "drafting.findings.term_evasion")
            if finding.params.get("evasion")
            else "",
        )
    if code == "language.mismatch":
        return t(
            lang,
            "drafting.findings.language.mismatch",
            detected=_lang_name(lang, finding.params.get("detected")),
            declared=_lang_name(lang, finding.params.get("declared")),
        )
    if code == "language.not_allowed":
        return t(
            lang,
            "drafting.findings.language.not_allowed",
            language=_lang_name(lang, finding.params.get("lang")),
        )
    if code.endswith(".misplaced"):
        position = t(lang, f"drafting.findings.position_{p.get('position', 'anywhere')}")
        return t(lang, f"drafting.findings.{code}", found=p.get("found", ""), position=position)
    if code.endswith(".missing") and code.split(".")[0] in ("disclosure", "sign_off"):
        expected = " / ".join(str(v) for v in finding.params.get("expected") or ())  # type: ignore[union-attr]
        return t(lang, f"drafting.findings.{code}", expected=expected)
    try:
        return t(lang, f"drafting.findings.{code}", **{k: v for k, v in p.items() if k != "lang"})
    except (KeyError, IndexError):
        return t(lang, "drafting.findings.other", code=code)


def excerpt_of(text: str, finding: Finding) -> str | None:
    """The located excerpt, with a little context either side."""
    if finding.start is None or finding.end is None or finding.end <= finding.start:
        return None
    start = max(0, finding.start - EXCERPT_CONTEXT)
    end = min(len(text), finding.end + EXCERPT_CONTEXT)
    before = ("…" if start > 0 else "") + text[start : finding.start]
    after = text[finding.end : end] + ("…" if end < len(text) else "")
    found = text[finding.start : finding.end]
    return " ".join(f"{before}**{found}**{after}".split())


def finding_lines(report: ComplianceReport, lang: str) -> list[str]:
    """Errors first, then warnings; each phrased, with its excerpt when located."""
    ordered = sorted(report.findings, key=lambda f: f.severity is not Severity.ERROR)
    lines: list[str] = []
    for finding in ordered[:MAX_FINDINGS_SHOWN]:
        phrase = phrase_finding(finding, lang)
        excerpt = excerpt_of(report.text, finding)
        if excerpt and finding.code not in ("length.over_limit",):
            phrase = t(
                lang, "drafting.findings.excerpt", phrase=phrase.rstrip("."), excerpt=excerpt
            )
        icon = "⛔" if finding.severity is Severity.ERROR else "⚠️"
        lines.append(f"{icon} {phrase}")
    if len(ordered) > MAX_FINDINGS_SHOWN:
        lines.append(f"(+{len(ordered) - MAX_FINDINGS_SHOWN})")
    return lines


def compliance_line(report: ComplianceReport, lang: str) -> str:
    if not report.compliant:
        return t(lang, "drafting.card.not_compliant", count=len(report.errors))
    claims = [f for f in report.warnings if f.code.startswith("claim.")]
    if claims:  # a claim about a company or an instruction: never a plain ✅
        return t(lang, "drafting.card.claims_to_check", count=len(claims))
    if report.warnings:
        return t(lang, "drafting.card.compliant_with_warnings", count=len(report.warnings))
    return t(lang, "drafting.card.compliant")


# -- building blocks ---------------------------------------------------------------------------


def post_text_block(text: str) -> dict[str, Any]:
    """The post exactly as written: a RichTextBlock is not read as Markdown."""
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text}],
    }


def _variant_body(variant: Variant, lang: str, title: str) -> list[dict[str, Any]]:
    report = variant.report
    compliant = report.compliant
    body: list[dict[str, Any]] = [
        text_block(title, weight="Bolder"),
        post_text_block(variant.text),
        text_block(
            t(lang, "drafting.card.length", length=report.weighted_length, max=report.max_length)
            + f" · {compliance_line(report, lang)}",
            size="Small",
            color="Good" if compliant and not report.warnings else "Attention",
        ),
    ]
    lines = finding_lines(report, lang)
    if lines:
        body.append(text_block("\n".join(f"- {line}" for line in lines), size="Small"))
    if variant.rationale:
        body.append(
            text_block(
                t(lang, "drafting.card.rationale", rationale=variant.rationale),
                size="Small",
                isSubtle=True,
            )
        )
    if variant.repaired:
        body.append(text_block(t(lang, "drafting.card.repaired"), size="Small", isSubtle=True))
    return body


def _notes(variants: Sequence[Variant], lang: str) -> list[dict[str, Any]]:
    notice = next((v.notice for v in variants if v.notice), None)
    if notice and notice.startswith("engine."):
        text = t(lang, "drafting.card.fallback", code=notice.split(".", 1)[1])
    elif any(v.template for v in variants):
        text = t(lang, "drafting.card.template")
    else:
        return []
    return [text_block(text, size="Small", isSubtle=True, color="Warning")]


def _submit(title: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": {SUBMIT_KEY: data.pop("do"), **data}}


def _other_language(post_lang: str) -> tuple[str, str]:
    """The revision button that switches the post's language: (label key, revision text)."""
    return (
        ("drafting.card.in_fr", "in French")
        if post_lang == "en"
        else (
            "drafting.card.in_en",
            "in English",
        )
    )


# -- the cards ---------------------------------------------------------------------------------


def variants_card(
    variants: Sequence[Variant],
    lang: str,
    *,
    brief: str,
    post_lang: str,
    revision: str | None = None,
    stateless: dict[str, Any] | None = None,
) -> Card:
    """Every variant with its length, compliance, findings and rationale, and a "Choose"
    button. `stateless`: the data for `draft.pick` (Action.Execute) instead of Action.Submit."""
    body: list[dict[str, Any]] = [
        text_block(t(lang, "drafting.card.title"), size="Large", weight="Bolder"),
        text_block(t(lang, "drafting.card.brief", brief=brief), isSubtle=True),
    ]
    if revision:
        body.append(text_block(t(lang, "drafting.card.revision", revision=revision), size="Small"))
    body += _notes(variants, lang)
    actions: list[dict[str, Any]] = []
    for i, variant in enumerate(variants):
        number = i + 1
        title = t(lang, "drafting.card.variant", number=number)
        if stateless is not None:
            pick: dict[str, Any] = {
                "type": "Action.Execute",
                "verb": VERB_PICK,
                "title": t(lang, "drafting.card.pick"),
                "data": {**stateless, **variant.to_data(), "index": i},
            }
        else:
            pick = _submit(t(lang, "drafting.card.pick"), do="pick", index=i)
        body.append(
            {
                "type": "Container",
                "separator": True,
                "spacing": "Medium",
                "items": _variant_body(variant, lang, title),
            }
        )
        body.append({"type": "ActionSet", "actions": [pick]})
    if stateless is None:
        key, revision_text = _other_language(post_lang)
        actions = [
            _submit(t(lang, "drafting.card.shorter"), do="revise", revision="shorter"),
            _submit(t(lang, "drafting.card.less_formal"), do="revise", revision="less formal"),
            _submit(t(lang, key), do="revise", revision=revision_text),
            _submit(t(lang, "drafting.card.more"), do="more"),
        ]
    else:
        body.append(
            text_block(
                t(lang, "drafting.card.stateless_note", topic=stateless.get("topic") or brief),
                size="Small",
                isSubtle=True,
            )
        )
    return adaptive_card(body, actions or None)


def review_card(
    variant: Variant,
    lang: str,
    *,
    post_lang: str,
    stateless: dict[str, Any] | None = None,
    message: str | None = None,
) -> Card:
    """The chosen text: compliance, an input to edit it, revision buttons, and "Submit" (only
    when compliant; "Submit anyway with warnings" when the findings are warnings only)."""
    report = variant.report
    body: list[dict[str, Any]] = [
        text_block(t(lang, "drafting.card.review_title"), size="Large", weight="Bolder"),
    ]
    if message:
        body.append(text_block(message, color="Attention"))
    body += _variant_body(variant, lang, t(lang, "drafting.card.variant", number="✓"))[1:]
    body += _notes([variant], lang)
    body.append(
        {
            "type": "Input.Text",
            "id": TEXT_INPUT,
            "label": t(lang, "drafting.card.edit_label"),
            "isMultiline": True,
            "maxLength": 1000,
            "value": variant.text,
        }
    )
    if not report.compliant:
        body.append(text_block(t(lang, "drafting.card.blocked"), color="Attention", size="Small"))

    def action(title_key: str, do: str, **extra: Any) -> dict[str, Any]:
        if stateless is not None:
            verb = VERB_SUBMIT if do.startswith("submit") else VERB_CHECK
            data = {**stateless, **variant.to_data(), **extra}
            if do == "submit_anyway":
                data["anyway"] = True
            return {
                "type": "Action.Execute",
                "verb": verb,
                "title": t(lang, title_key),
                "data": data,
            }
        return _submit(t(lang, title_key), do=do, **extra)

    actions: list[dict[str, Any]] = []
    if report.compliant and not report.warnings:
        actions.append(action("drafting.card.submit", "submit"))
    elif report.compliant:
        actions.append(action("drafting.card.submit_anyway", "submit_anyway"))
    actions.append(action("drafting.card.check", "edit"))
    if stateless is None:
        key, revision_text = _other_language(post_lang)
        actions += [
            _submit(t(lang, "drafting.card.shorter"), do="revise", revision="shorter"),
            _submit(t(lang, "drafting.card.less_formal"), do="revise", revision="less formal"),
            _submit(t(lang, key), do="revise", revision=revision_text),
            _submit(t(lang, "drafting.card.back"), do="back"),
        ]
    return adaptive_card(body, actions)


def submitted_card(text: str, lang: str, confirmation: str) -> Card:
    return adaptive_card(
        [
            text_block(t(lang, "drafting.card.submitted_title"), size="Large", weight="Bolder"),
            post_text_block(text),
            text_block(t(lang, "drafting.submitted", confirmation=confirmation), size="Small"),
        ]
    )


# -- submission (shared by the dialog and the stateless card) -----------------------------------


def submission_context(
    variant: Variant, *, source: Source, brief: str, topic: str | None
) -> dict[str, Any]:
    return {
        "source": source,
        "brief": brief,
        "topic": topic,
        "engine": variant.engine,
        "template": variant.template,
        "rationale": variant.rationale,
        "compliance": variant.report.to_data(),
    }


def may_submit(actor: Actor) -> bool:
    return bool(actor.roles & SUBMIT_ROLES)


# -- the stateless flow -----------------------------------------------------------------------


class DraftCardFlow:
    """Drafting from a card button, without a dialog (see the module docstring)."""

    def __init__(
        self,
        drafting: DraftingService,
        submit_for_approval: SubmitForApproval,
        *,
        count: int = 3,
        require_role: bool = True,
    ) -> None:
        self._drafting = drafting
        self._submit = submit_for_approval
        self._count = count
        self._require_role = require_role

    def register(self, router: CardActionRouter) -> None:
        router.register(VERB_PICK, self.on_pick)
        router.register(VERB_CHECK, self.on_check)
        router.register(VERB_SUBMIT, self.on_submit)

    @staticmethod
    def _tenant(actor: Actor) -> str:
        return actor.tenant_id or "demo"

    async def start_draft_from_card(
        self,
        turn_context: TurnContext,
        actor: Actor,
        topic: str,
        lang: str,
        *,
        source: Source = "answer",
    ) -> ActionResult:
        """For `answer.draft`: send the variants card below, answer the invoke with a message."""
        ui = actor.lang
        topic = " ".join((topic or "").split())[:200]
        brief = topic or t(ui, "drafting.ask_brief")
        try:
            variants = await self._drafting.propose(
                self._tenant(actor), brief, lang, self._count, source=source, topic=topic or None
            )
        except EngineError as exc:
            return ActionResult(message=t(ui, "drafting.engine_error", code=exc.code))
        if not variants:
            return ActionResult(message=t(ui, "drafting.no_variant"))
        post_lang = variants[0].report.lang or lang
        stateless = {"lang": post_lang, "topic": topic, "brief": brief, "source": source}
        card = variants_card(variants, ui, brief=brief, post_lang=post_lang, stateless=stateless)
        await turn_context.send_activity(card_activity(card))
        return ActionResult(message=t(ui, "drafting.card.sent_below"))

    async def _variant(self, actor: Actor, data: dict[str, Any]) -> tuple[Variant, str, Source]:
        lang = str(data.get("lang") or actor.lang)
        source_raw = str(data.get("source") or "answer")
        source: Source = (
            "alert" if source_raw == "alert" else "request" if source_raw == "request" else "answer"
        )
        text = data.get(TEXT_INPUT)
        values = dict(data)
        if isinstance(text, str) and text.strip():
            values["text"] = text.strip()
        variant = await self._drafting.variant_from_data(
            self._tenant(actor), values, lang, source=source
        )
        return variant, lang, source

    @staticmethod
    def _stateless(data: dict[str, Any], lang: str) -> dict[str, Any]:
        return {
            "lang": lang,
            "topic": data.get("topic"),
            "brief": data.get("brief"),
            "source": data.get("source"),
        }

    async def on_pick(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        variant, lang, _ = await self._variant(
            actor, {k: v for k, v in data.items() if k != TEXT_INPUT}
        )
        card = review_card(
            variant, actor.lang, post_lang=lang, stateless=self._stateless(data, lang)
        )
        return ActionResult(card=card)

    async def on_check(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        variant, lang, _ = await self._variant(actor, data)
        card = review_card(
            variant,
            actor.lang,
            post_lang=lang,
            stateless=self._stateless(data, lang),
            message=t(actor.lang, "drafting.edited"),
        )
        return ActionResult(card=card)

    async def on_submit(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        ui = actor.lang
        variant, lang, source = await self._variant(actor, data)
        stateless = self._stateless(data, lang)
        if self._require_role and not may_submit(actor):
            return ActionResult(message=t(ui, "drafting.not_allowed"))
        report = variant.report
        if not report.compliant:
            message = t(ui, "drafting.submit_blocked", count=len(report.errors))
            return ActionResult(
                card=review_card(variant, ui, post_lang=lang, stateless=stateless, message=message)
            )
        if report.warnings and not data.get("anyway"):
            message = t(ui, "drafting.confirm_warnings", count=len(report.warnings))
            return ActionResult(
                card=review_card(variant, ui, post_lang=lang, stateless=stateless, message=message)
            )
        context = submission_context(
            variant,
            source=source,
            brief=str(data.get("brief") or ""),
            topic=str(data["topic"]) if data.get("topic") else None,
        )
        try:
            confirmation = await self._submit(actor, variant.text, lang, context)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            logger.exception("submit for approval failed (ref %s)", ref)
            return ActionResult(message=t(ui, "drafting.submit_failed", ref=ref))
        return ActionResult(card=submitted_card(variant.text, ui, confirmation))
