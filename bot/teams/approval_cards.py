"""The approval card (Adaptive Cards 1.5, Universal Actions with an `Action.Submit` fallback).

Every button carries only `{"verb", "draft_id", "version"}` (plus the inputs the person typed):
who acts is read from the activity, and the text published is the stored version's, never
anything in card data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.compliance import ComplianceReport
from bot.domain.drafts import AuditEvent, Draft, DraftState
from bot.i18n import catalogue, language_of, t
from bot.services.publishing import intent_link
from bot.teams.cards import Card, adaptive_card, text_block

APPROVE = "draft.approve"
REJECT = "draft.reject"
EDIT = "draft.edit"
REQUEST_CHANGES = "draft.request_changes"
REFRESH = "draft.refresh"
VERBS = (APPROVE, REJECT, EDIT, REQUEST_CHANGES)
MAX_REFRESH_USERS = 60  # Teams refreshes automatically for at most 60 users


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def finding_text(lang: str, finding: dict[str, Any]) -> str:
    """A compliance finding phrased from its code and params (never from stored sentences)."""
    code = str(finding.get("code", ""))
    params = {
        k: ", ".join(str(x) for x in v) if isinstance(v, list | tuple) else v
        for k, v in (finding.get("params") or {}).items()
    }
    suggestion = params.get("suggestion")
    params["suggestion_part"] = (
        t(lang, "approvals.findings.suggestion", suggestion=suggestion) if suggestion else ""
    )
    # The catalogue keys are the codes themselves ("link.domain_not_allowed"), dots included.
    phrases = catalogue(language_of(lang)).get("approvals", {}).get("findings", {})
    template = phrases.get(code) if isinstance(phrases, dict) else None
    try:
        if isinstance(template, str):
            return template.format(**params)
        return t(lang, f"approvals.findings.{code}", **params)
    except (KeyError, IndexError, ValueError):
        return t(lang, "approvals.findings.other", code=code)


def _action(verb: str, title: str, draft: Draft, *, style: str | None = None) -> dict[str, Any]:
    data = {"verb": verb, "draft_id": draft.id, "version": draft.version}
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "verb": verb,
        "title": title,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": title, "data": data},
    }
    if style:
        action["style"] = style
        action["fallback"]["style"] = style
    return action


def _show_card(title: str, inputs: list[dict[str, Any]], submit: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": inputs, "actions": [submit]},
    }


def _decision_line(lang: str, draft: Draft) -> str:
    decided = draft.decided
    name = decided.actor.name or decided.actor.id if decided else ""
    at = when(decided.at) if decided else ""
    reason = (decided.reason or "") if decided else ""
    state = draft.state
    if state is DraftState.PUBLISHED:
        return t(lang, "approvals.state.published", at=when(draft.updated_at))
    if state is DraftState.FAILED:
        return t(lang, "approvals.state.failed", reason=draft.failure or "")
    if state is DraftState.EXPIRED:
        return t(lang, "approvals.state.expired", at=when(draft.updated_at))
    if state in (DraftState.PENDING, DraftState.DRAFT):
        return t(lang, "approvals.state.pending")
    return t(lang, f"approvals.state.{state.value}", name=name, at=at, reason=reason)


def approval_card(
    draft: Draft,
    lang: str,
    *,
    interactive: bool = True,
    refresh_user_ids: list[str] | None = None,
) -> Card:
    """The card for `draft` in its current state. `interactive`: show the decision buttons
    (pending drafts, for approvers)."""
    v = draft.current
    body: list[dict[str, Any]] = [
        text_block(t(lang, "approvals.card.title"), size="Medium", weight="Bolder"),
        text_block(
            t(lang, "approvals.card.requester", name=draft.requester.name or draft.requester.id)
            + " · "
            + t(lang, "approvals.card.version", version=v.number),
            isSubtle=True,
            spacing="None",
        ),
        {
            "type": "Container",
            "style": "emphasis",
            "items": [text_block(v.text, fontType="Monospace")],
        },
    ]
    findings = list((v.report or {}).get("findings") or [])
    if findings:
        body.append(
            text_block(
                t(lang, "approvals.card.compliance_issues", count=len(findings)),
                weight="Bolder",
                color="Warning",
            )
        )
        body.append(text_block("\n".join(f"- {finding_text(lang, f)}" for f in findings)))
    else:
        body.append(text_block(t(lang, "approvals.card.compliance_ok")))
    facts = [
        {"title": str(k), "value": str(val)}
        for k, val in draft.context.items()
        if isinstance(val, str | int | float) and not str(k).startswith("_")
    ]
    if facts:
        body.append(text_block(t(lang, "approvals.card.context"), weight="Bolder"))
        body.append({"type": "FactSet", "facts": facts[:10]})
    if draft.scheduled_at:
        body.append(text_block(t(lang, "approvals.card.scheduled", when=when(draft.scheduled_at))))
    names = [n or a for a, n, ver in draft.approvals if ver == v.number]
    if names and draft.state is DraftState.PENDING:
        body.append(text_block(t(lang, "approvals.card.approvals_so_far", names=", ".join(names))))
    body.append(text_block(_decision_line(lang, draft), weight="Bolder", spacing="Medium"))
    if draft.state is DraftState.APPROVED and draft.not_before is not None:
        body.append(text_block(t(lang, "approvals.card.postponed", when=when(draft.not_before))))

    actions: list[dict[str, Any]] = []
    if draft.state is DraftState.READY:
        body.append(text_block(t(lang, "approvals.card.copy_text")))
        body.append({"type": "TextBlock", "text": v.text, "wrap": True, "fontType": "Monospace"})
        actions.append(
            {
                "type": "Action.OpenUrl",
                "title": t(lang, "approvals.card.open_in_x"),
                "url": intent_link(v.text),
            }
        )
    if draft.state is DraftState.PUBLISHED and draft.post_url:
        actions.append(
            {
                "type": "Action.OpenUrl",
                "title": t(lang, "approvals.card.view_post"),
                "url": draft.post_url,
            }
        )
    if interactive and draft.state is DraftState.PENDING:
        reason_input = {
            "type": "Input.Text",
            "id": "reason",
            "label": t(lang, "approvals.card.reason_label"),
            "placeholder": t(lang, "approvals.card.reason_placeholder"),
            "isMultiline": True,
            "maxLength": 500,
        }
        actions += [
            _action(APPROVE, t(lang, "approvals.card.approve"), draft, style="positive"),
            _show_card(
                t(lang, "approvals.card.reject"),
                [{**reason_input, "isRequired": True}],
                _action(REJECT, t(lang, "approvals.card.send"), draft, style="destructive"),
            ),
            _show_card(
                t(lang, "approvals.card.edit"),
                [
                    {
                        "type": "Input.Text",
                        "id": "new_text",
                        "label": t(lang, "approvals.card.text_label"),
                        "value": v.text,
                        "isMultiline": True,
                        "isRequired": True,
                        "maxLength": 1000,
                    }
                ],
                _action(EDIT, t(lang, "approvals.card.send"), draft),
            ),
            _show_card(
                t(lang, "approvals.card.request_changes"),
                [reason_input],
                _action(REQUEST_CHANGES, t(lang, "approvals.card.send"), draft),
            ),
        ]
    card = adaptive_card(body, actions or None)
    if refresh_user_ids:
        card["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "verb": REFRESH,
                "data": {"verb": REFRESH, "draft_id": draft.id, "version": draft.version},
            },
            "userIds": refresh_user_ids[:MAX_REFRESH_USERS],
        }
    return card


def refused_text(
    lang: str,
    outcome: str,
    previous: AuditEvent | None,
    draft: Draft | None,
    report: ComplianceReport | None = None,
) -> str:
    if outcome == "already_decided":
        event = previous or (draft.decided if draft else None)
        if event is None:
            return t(lang, "approvals.refused.already_decided_unknown")
        try:
            action = t(lang, f"approvals.actions.{event.action}")
        except KeyError:
            action = event.action
        return t(
            lang,
            "approvals.refused.already_decided",
            action=action,
            name=event.actor.name or event.actor.id,
            at=when(event.at),
            version=event.version,
        )
    issues = ""
    if report is not None:  # not compliant: say why, in the reader's language
        issues = "; ".join(finding_text(lang, f.to_data()) for f in report.errors)
    return t(lang, f"approvals.refused.{outcome}", issues=issues)
