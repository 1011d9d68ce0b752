"""Approval of draft posts: submit, decide (compare-and-set), expire, history, audit export.

No botbuilder here. Other features call one entry point::

    draft = await approvals.submit(
        tenant_id,            # Entra tenant id of the requester
        requester,            # Person(id=<aadObjectId>, name=<display name>)
        text,                 # the exact post text (what is approved is what is published)
        lang,                 # "fr" | "en": language of the post and of the requester
        context,              # JSON-able dict shown on the card: {"source": "alert", ...}
        report,               # ComplianceReport (or its .to_data()), or None to check here
        scheduled_at=None,    # optional: publish at this time (approval must come first)
    )

Storage (all in the `Store`)::

    drafts/<tenant>/<draft id>   record kind "draft" (schema 1): the whole Draft, CAS by ETag
    audit/<tenant>               append-only log: every click, accepted or refused, and every
                                 state change (publishing, published, expired...)

Concurrency: every change is read → pure transition (bot.domain.drafts) → write with
`if_match=<etag read>`. Two approvers clicking at once on two instances: one write wins, the
other gets `PreconditionFailed`, re-reads, and its click is then evaluated against the decided
draft ("already decided by X at T"). Listeners (`subscribe`) run after a winning write.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.clients.store.records import parse_record, write_record
from bot.domain import drafts as dm
from bot.domain.compliance import ComplianceReport, check
from bot.domain.drafts import (
    ApprovalPolicy,
    AuditEvent,
    Decision,
    Draft,
    DraftState,
    Person,
    PolicyMode,
    Transition,
)
from bot.domain.editorial import EditorialLine
from bot.ports.clock import Clock
from bot.ports.store import PreconditionFailed, Store
from bot.services.roles import ADMIN, APPROVER, RoleService

if TYPE_CHECKING:
    from bot.services.publishing import PublishingService  # which imports this module

logger = logging.getLogger(__name__)

KIND = "draft"
SCHEMA = 1
CAS_ATTEMPTS = 25
_SEGMENT_RE = re.compile(r"[^A-Za-z0-9._=@-]")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_DECIDED = "already_decided"  # someone decided first, or the text changed
    NOT_ALLOWED = "not_allowed"  # not an approver
    SELF_APPROVAL = "self_approval"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # no reason for a rejection, empty text, illegal move
    NOT_COMPLIANT = "not_compliant"  # an edit (or the text approved) breaks the editorial line


class NotCompliant(Exception):
    """The exact text of the current version breaks the editorial line (errors)."""

    def __init__(self, report: ComplianceReport) -> None:
        super().__init__(f"{len(report.errors)} editorial line error(s)")
        self.report = report


@dataclass(frozen=True, slots=True)
class DecisionResult:
    outcome: Outcome
    draft: Draft | None
    event: AuditEvent | None = None  # the accepted transition
    previous: AuditEvent | None = None  # already decided: who decided what and when
    report: ComplianceReport | None = None  # an edit: the new text's report

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


Listener = Callable[[str, Draft, AuditEvent | None], Awaitable[None]]


class DraftEvents:
    """In-process listeners of draft changes (the Teams edge: cards and notifications)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def emit(self, name: str, draft: Draft, event: AuditEvent | None = None) -> None:
        for listener in list(self._listeners):
            try:
                await listener(name, draft, event)
            except Exception:
                logger.exception("draft listener failed (draft %s, %s)", draft.id, name)


def safe_segment(value: str) -> str:
    """A store key segment from an id (tenant ids are GUIDs; anything else is escaped)."""
    cleaned = _SEGMENT_RE.sub("_", value)[:128]
    return cleaned if cleaned not in ("", ".", "..") else "_"


def draft_key(tenant_id: str, draft_id: str) -> str:
    return f"drafts/{safe_segment(tenant_id)}/{safe_segment(draft_id)}"


def audit_log(tenant_id: str) -> str:
    return f"audit/{safe_segment(tenant_id)}"


def normalise(person: Person) -> Person:
    return Person(person.id.strip().lower(), person.name)


class DraftRepository:
    """Drafts in the store, with compare-and-set updates and the audit log."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def get(self, tenant_id: str, draft_id: str) -> tuple[Draft, str] | None:
        found = await self.store.read(draft_key(tenant_id, draft_id))
        if found is None:
            return None
        record = parse_record(found.value, kind=KIND, schema=SCHEMA)
        draft = Draft.from_data(record.data)
        if draft.tenant_id != tenant_id:  # never serve another tenant's draft
            return None
        return draft, found.etag

    async def create(self, draft: Draft) -> str:
        return await self._write(draft, if_none_match=True)

    async def replace(self, draft: Draft, etag: str) -> str:
        return await self._write(draft, if_match=etag)

    async def _write(
        self, draft: Draft, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str:
        return await write_record(
            self.store,
            draft_key(draft.tenant_id, draft.id),
            kind=KIND,
            schema=SCHEMA,
            data=draft.to_data(),
            if_match=if_match,
            if_none_match=if_none_match,
            now=self.clock.now(),
        )

    async def audit(self, event: AuditEvent) -> None:
        await self.store.append(audit_log(event.tenant_id), event.to_data())

    async def transition(
        self,
        tenant_id: str,
        draft_id: str,
        step: Callable[[Draft], Transition],
    ) -> tuple[Transition | None, Draft | None]:
        """Apply `step` with compare-and-set, retrying on a lost race; `step` may raise to say
        "this no longer applies" (the exception propagates, evaluated on fresh state).
        Returns (transition, None) on success, (None, None) when the draft does not exist."""
        for _ in range(CAS_ATTEMPTS):
            found = await self.get(tenant_id, draft_id)
            if found is None:
                return None, None
            draft, etag = found
            moved = step(draft)
            try:
                await self.replace(moved.draft, etag)
            except PreconditionFailed:
                logger.debug("draft %s: lost a compare-and-set, re-reading", draft_id)
                continue
            await self.audit(moved.event)
            return moved, None
        raise PreconditionFailed(f"draft {draft_id}: still contended after {CAS_ATTEMPTS} tries")

    async def all(self, tenant_id: str | None = None) -> list[Draft]:
        prefix = f"drafts/{safe_segment(tenant_id)}/" if tenant_id else "drafts/"
        found: list[Draft] = []
        for key in await self.store.list(prefix):
            value = await self.store.read(key)
            if value is None:
                continue
            try:
                found.append(
                    Draft.from_data(parse_record(value.value, kind=KIND, schema=SCHEMA).data)
                )
            except Exception:
                logger.warning("unreadable draft record %s, skipped", key)
        return found


class ApprovalService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        roles: RoleService,
        *,
        line: EditorialLine,
        allow_self_approval: bool = False,
        policy: PolicyMode | str = PolicyMode.ANY,
        policy_approvers: tuple[str, ...] = (),
        max_age: timedelta | None = timedelta(hours=72),
        events: DraftEvents | None = None,
        line_for: Callable[[str], Awaitable[EditorialLine]] | None = None,
    ) -> None:
        self.repo = DraftRepository(store, clock)
        self.clock = clock
        self.roles = roles
        self.line = line
        # The tenant's own line (the editorial store's); `line` without one.
        self.line_for = line_for
        self.allow_self_approval = allow_self_approval
        self.policy = ApprovalPolicy(
            PolicyMode(policy), tuple(p.strip().lower() for p in policy_approvers if p.strip())
        )
        self.max_age = max_age
        self.events = events or DraftEvents()

    async def _line(self, tenant_id: str) -> EditorialLine:
        return await self.line_for(tenant_id) if self.line_for is not None else self.line

    @staticmethod
    def check_text(
        text: str, line: EditorialLine, lang: str, context: dict[str, Any] | None = None
    ) -> ComplianceReport:
        """The checks `draft.submit` runs, for any text that may be published: editorial line,
        weighted length, avoided terms, links, handles and hashtags (with the crisis flag for a
        draft written from an alert)."""
        flags = {line.crisis.flag} if (context or {}).get("source") == "alert" else set()
        return check(text, line, lang=lang, flags=flags)

    # -- submit -------------------------------------------------------------------------------

    async def submit(
        self,
        tenant_id: str,
        requester: Person,
        text: str,
        lang: str,
        context: dict[str, Any] | None = None,
        report: ComplianceReport | dict[str, Any] | None = None,
        *,
        scheduled_at: datetime | None = None,
    ) -> Draft:
        """Create a draft and put it up for approval (state `pending`, version 1).

        `report`: the compliance report the caller already has (re-checked here when None).
        Raises ValueError on empty text. Listeners get ("submitted", draft)."""
        requester = normalise(requester)
        if report is None:
            report = self.check_text(text, await self._line(tenant_id), lang, context)
        report_data = report.to_data() if isinstance(report, ComplianceReport) else dict(report)
        now = self.clock.now()
        created = dm.new_draft(
            draft_id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            requester=requester,
            text=text,
            lang=lang,
            now=now,
            report=report_data,
            context=context,
            max_age=self.max_age,
            scheduled_at=scheduled_at,
            policy=self.policy,
        )
        submitted = dm.submit(created.draft, requester, now)
        await self.repo.create(submitted.draft)
        await self.repo.audit(created.event)
        await self.repo.audit(submitted.event)
        logger.info("draft %s submitted for approval (tenant %s)", submitted.draft.id, tenant_id)
        await self.events.emit("submitted", submitted.draft, submitted.event)
        return submitted.draft

    # -- decide -------------------------------------------------------------------------------

    async def decide(
        self,
        tenant_id: str,
        draft_id: str,
        version: int,
        actor: Person,
        decision: Decision | str,
        reason: str | None = None,
        new_text: str | None = None,
    ) -> DecisionResult:
        """One click. Every click, accepted or refused, is appended to the audit log."""
        actor = normalise(actor)
        try:
            decision = Decision(decision)
        except ValueError:
            return await self._refused(
                tenant_id, draft_id, version, actor, str(decision), Outcome.INVALID, None
            )

        async def refused(
            outcome: Outcome,
            draft: Draft | None,
            *,
            previous: AuditEvent | None = None,
            report: ComplianceReport | None = None,
        ) -> DecisionResult:
            """This click, refused (and audited)."""
            return await self._refused(
                tenant_id,
                draft_id,
                version,
                actor,
                decision.value,
                outcome,
                draft,
                previous=previous,
                report=report,
            )

        found = await self.repo.get(tenant_id, draft_id)
        if found is None:
            return await refused(Outcome.NOT_FOUND, None)
        draft = found[0]
        roles = await self.roles.roles_of(actor.id)
        is_requester = actor.id == draft.requester.id
        may_edit = decision is Decision.EDIT and is_requester
        if APPROVER not in roles and ADMIN not in roles and not may_edit:
            return await refused(Outcome.NOT_ALLOWED, draft)

        report: ComplianceReport | None = None
        line = await self._line(tenant_id)
        if decision is Decision.EDIT:
            if not (new_text or "").strip():
                return await refused(Outcome.INVALID, draft)
            assert new_text is not None
            report = self.check_text(new_text, line, draft.lang, draft.context)
            if not report.compliant:  # the same checks as a submission: no way round the line
                return await refused(Outcome.NOT_COMPLIANT, draft, report=report)
        if decision is Decision.REJECT and not (reason or "").strip():
            return await refused(Outcome.INVALID, draft)
        now = self.clock.now()

        def step(current: Draft) -> Transition:
            if decision is Decision.APPROVE:
                if current.state is DraftState.PENDING and current.version == version:
                    # What is approved is what is published: re-check this exact text.
                    checked = self.check_text(current.text, line, current.lang, current.context)
                    if not checked.compliant:
                        raise NotCompliant(checked)
                return dm.approve(current, actor, version, now, allow_self=self.allow_self_approval)
            if decision is Decision.REJECT:
                return dm.reject(current, actor, version, reason or "", now)
            if decision is Decision.REQUEST_CHANGES:
                return dm.request_changes(current, actor, version, reason, now)
            assert new_text is not None and report is not None
            return dm.edit(current, actor, version, new_text, now, report=report.to_data())

        try:
            moved, _ = await self.repo.transition(tenant_id, draft_id, step)
        except dm.StaleVersion as exc:
            latest = await self.repo.get(tenant_id, draft_id)
            return await refused(
                Outcome.ALREADY_DECIDED, latest[0] if latest else draft, previous=exc.last
            )
        except NotCompliant as exc:
            return await refused(Outcome.NOT_COMPLIANT, draft, report=exc.report)
        except dm.SelfApproval:
            return await refused(Outcome.SELF_APPROVAL, draft)
        except dm.DraftExpired as exc:
            expired = await self._expire_one(tenant_id, draft_id)
            return await refused(Outcome.EXPIRED, expired or exc.draft)
        except (dm.IllegalTransition, ValueError):
            return await refused(Outcome.INVALID, draft)
        if moved is None:
            return await refused(Outcome.NOT_FOUND, None)
        logger.info(
            "draft %s: %s by %s (v%d)", draft_id, moved.event.action, actor.id, moved.event.version
        )
        await self.events.emit("decided", moved.draft, moved.event)
        return DecisionResult(Outcome.ACCEPTED, moved.draft, moved.event, report=report)

    async def _refused(
        self,
        tenant_id: str,
        draft_id: str,
        version: int,
        actor: Person,
        action: str,
        outcome: Outcome,
        draft: Draft | None,
        *,
        previous: AuditEvent | None = None,
        report: ComplianceReport | None = None,
    ) -> DecisionResult:
        state = draft.state.value if draft else ""
        event = AuditEvent(
            action=action,
            draft_id=draft_id,
            tenant_id=tenant_id,
            actor=actor,
            at=self.clock.now(),
            version=version,
            from_state=state,
            to_state=state,
            accepted=False,
            reason=outcome.value,
            detail=(
                {"previous": previous.to_data()}
                if previous
                else {"errors": [f.code for f in report.errors]}
                if report is not None
                else {}
            ),
        )
        await self.repo.audit(event)
        logger.info("draft %s: %s by %s refused (%s)", draft_id, action, actor.id, outcome.value)
        return DecisionResult(
            outcome,
            draft,
            None,
            previous=previous or (draft.decided if draft else None),
            report=report,
        )

    # -- reads --------------------------------------------------------------------------------

    async def get(self, tenant_id: str, draft_id: str) -> Draft | None:
        found = await self.repo.get(tenant_id, draft_id)
        return found[0] if found else None

    async def history(self, tenant_id: str, limit: int = 20) -> list[AuditEvent]:
        """The latest accepted decisions (approve, reject, changes, edit, expiry, publication),
        newest first."""
        records = await self.repo.store.read_log(audit_log(tenant_id))
        wanted = dm.HUMAN_DECISIONS | {"published", "publish_failed", "ready_to_publish"}
        events = [AuditEvent.from_data(r) for r in records]
        chosen = [e for e in events if e.accepted and e.action in wanted]
        return list(reversed(chosen))[:limit]

    async def audit_events(self, tenant_id: str) -> list[AuditEvent]:
        return [
            AuditEvent.from_data(r) for r in await self.repo.store.read_log(audit_log(tenant_id))
        ]

    async def export_audit_csv(self, tenant_id: str) -> str:
        """Every audit record as CSV (cells that a spreadsheet would run as formulas are
        prefixed with an apostrophe)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "at",
                "draft_id",
                "version",
                "action",
                "accepted",
                "actor_id",
                "actor_name",
                "from_state",
                "to_state",
                "reason",
            ]
        )
        for e in await self.audit_events(tenant_id):
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        e.at.isoformat(),
                        e.draft_id,
                        str(e.version),
                        e.action,
                        "yes" if e.accepted else "no",
                        e.actor.id,
                        e.actor.name,
                        e.from_state,
                        e.to_state,
                        e.reason or "",
                    )
                ]
            )
        return out.getvalue()

    # -- expiry -------------------------------------------------------------------------------

    async def _expire_one(self, tenant_id: str, draft_id: str) -> Draft | None:
        now = self.clock.now()

        def step(current: Draft) -> Transition:
            return dm.expire(current, now)

        try:
            moved, _ = await self.repo.transition(tenant_id, draft_id, step)
        except dm.IllegalTransition:
            found = await self.repo.get(tenant_id, draft_id)
            return found[0] if found else None
        if moved is None:
            return None
        logger.info("draft %s expired (%s)", draft_id, moved.event.reason)
        await self.events.emit("expired", moved.draft, moved.event)
        return moved.draft

    async def expire_due(self, tenant_id: str | None = None) -> list[Draft]:
        """The expiry job: every undecided draft past its scheduled time or maximum age."""
        now = self.clock.now()
        expired: list[Draft] = []
        for draft in await self.repo.all(tenant_id):
            if dm.expiry_due(draft, now):
                done = await self._expire_one(draft.tenant_id, draft.id)
                if done is not None and done.state is DraftState.EXPIRED:
                    expired.append(done)
        return expired


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@dataclass
class ApprovalServices:
    """The approval side of Pulse, built together (bot.composition.build_approval_services)."""

    approvals: ApprovalService
    publishing: PublishingService
    roles: RoleService
