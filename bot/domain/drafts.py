"""The lifecycle of a draft post: a pure state machine (no I/O, no clock of its own).

::

    draft ─submit─▶ pending ─approve─▶ approved ─start_publishing─▶ publishing ─▶ published
                     │  ▲                 │  └─ready_to_publish─▶ ready            └─▶ failed
                     │  └──── edit ───────┘  (an edit after approval: version N+1, pending again)
                     ├─reject(reason)─▶ rejected
                     ├─request_changes─▶ changes_requested ─edit─▶ pending
                     └─expire─▶ expired  (not decided before its scheduled time, or too old)

Every transition returns a `Transition`: the new `Draft` and the `AuditEvent` that records it
(actor, time, version, reason). Illegal moves raise `IllegalTransition`; a decision about a
version that is no longer the current one raises `StaleVersion`, carrying who decided what and
when. Each edit creates version N+1 with the SHA-256 of its exact UTF-8 bytes; approvals bind
to one version.

Approval policy: `any` (one approver suffices) or `all` (every approver named in the policy must
approve the current version: a two-step approval, e.g. legal then comms).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "ApprovalPolicy",
    "AuditEvent",
    "Decision",
    "Draft",
    "DraftExpired",
    "DraftState",
    "IllegalTransition",
    "Person",
    "PolicyMode",
    "SelfApproval",
    "StaleVersion",
    "Transition",
    "Version",
    "approve",
    "edit",
    "expire",
    "expiry_due",
    "mark_failed",
    "mark_published",
    "new_draft",
    "postpone_publishing",
    "ready_to_publish",
    "reject",
    "request_changes",
    "start_publishing",
    "submit",
    "text_hash",
]


class DraftState(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    EXPIRED = "expired"
    READY = "ready"  # approved, publishing to X is off: a person copies the exact text
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"


OPEN_STATES = frozenset({DraftState.DRAFT, DraftState.PENDING, DraftState.CHANGES_REQUESTED})
EDITABLE_STATES = OPEN_STATES | {DraftState.APPROVED, DraftState.READY}
DECIDED_STATES = frozenset(DraftState) - OPEN_STATES


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"
    EDIT = "edit"


class PolicyMode(StrEnum):
    ANY = "any"
    ALL = "all"


class IllegalTransition(Exception):
    def __init__(self, state: DraftState, action: str) -> None:
        super().__init__(f"cannot {action} a draft that is {state.value}")
        self.state = state
        self.action = action


class StaleVersion(Exception):
    """The click was about version `clicked`; the draft is at `current` (or already decided)."""

    def __init__(self, clicked: int, current: int, last: AuditEvent | None) -> None:
        super().__init__(f"version {clicked} is stale (current {current})")
        self.clicked = clicked
        self.current = current
        self.last = last


class SelfApproval(Exception):
    """The author of a version may not approve it (unless configuration allows it)."""


class DraftExpired(Exception):
    def __init__(self, draft: Draft) -> None:
        super().__init__(f"draft {draft.id} has expired")
        self.draft = draft


def text_hash(text: str) -> str:
    """SHA-256 of the exact UTF-8 bytes (no normalisation: what is hashed is what is sent)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class Person:
    id: str  # Entra object id (aadObjectId)
    name: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}

    @classmethod
    def from_data(cls, data: Any) -> Person:
        data = data if isinstance(data, dict) else {}
        return cls(id=str(data.get("id", "")), name=str(data.get("name", "")))


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    mode: PolicyMode = PolicyMode.ANY
    approvers: tuple[str, ...] = ()  # `all`: every one of these must approve

    def satisfied(self, approved_by: set[str]) -> bool:
        if self.mode is PolicyMode.ANY or not self.approvers:
            return bool(approved_by)
        return set(self.approvers) <= approved_by

    def to_data(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "approvers": list(self.approvers)}

    @classmethod
    def from_data(cls, data: Any) -> ApprovalPolicy:
        data = data if isinstance(data, dict) else {}
        return cls(
            mode=PolicyMode(data.get("mode", "any")),
            approvers=tuple(str(a) for a in data.get("approvers") or ()),
        )


@dataclass(frozen=True, slots=True)
class Version:
    number: int
    text: str
    sha256: str
    author: Person
    created_at: datetime
    report: dict[str, Any] = field(default_factory=dict)  # ComplianceReport.to_data()

    def to_data(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "text": self.text,
            "sha256": self.sha256,
            "author": self.author.to_data(),
            "created_at": self.created_at.isoformat(),
            "report": self.report,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Version:
        created = _dt(data.get("created_at"))
        assert created is not None
        return cls(
            number=int(data["number"]),
            text=str(data["text"]),
            sha256=str(data["sha256"]),
            author=Person.from_data(data.get("author")),
            created_at=created,
            report=dict(data.get("report") or {}),
        )


@dataclass(frozen=True, slots=True)
class AuditEvent:
    action: str  # submitted, approved, approval_recorded, rejected, edited, published, refused...
    draft_id: str
    tenant_id: str
    actor: Person
    at: datetime
    version: int
    from_state: str
    to_state: str
    reason: str | None = None
    accepted: bool = True
    detail: dict[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "draft_id": self.draft_id,
            "tenant_id": self.tenant_id,
            "actor": self.actor.to_data(),
            "at": self.at.isoformat(),
            "version": self.version,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "reason": self.reason,
            "accepted": self.accepted,
            "detail": self.detail,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AuditEvent:
        at = _dt(data.get("at"))
        assert at is not None
        return cls(
            action=str(data.get("action", "")),
            draft_id=str(data.get("draft_id", "")),
            tenant_id=str(data.get("tenant_id", "")),
            actor=Person.from_data(data.get("actor")),
            at=at,
            version=int(data.get("version", 0)),
            from_state=str(data.get("from_state", "")),
            to_state=str(data.get("to_state", "")),
            reason=data.get("reason"),
            accepted=bool(data.get("accepted", True)),
            detail=dict(data.get("detail") or {}),
        )


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    tenant_id: str
    requester: Person
    lang: str
    state: DraftState
    versions: tuple[Version, ...]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None = None
    scheduled_at: datetime | None = None  # publish at this time (approval must come before)
    context: dict[str, Any] = field(default_factory=dict)
    policy: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    approvals: tuple[tuple[str, str, int], ...] = ()  # (approver id, name, version) this round
    last: AuditEvent | None = None  # the last accepted transition
    decided: AuditEvent | None = None  # the last human decision (approve, reject, edit...)
    attempt_id: str | None = None  # publishing: the attempt that owns the post
    attempt_started_at: datetime | None = None
    attempts: int = 0
    post_id: str | None = None
    post_url: str | None = None
    failure: str | None = None
    not_before: datetime | None = None  # X rate-limited the post: publish again from then

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def version(self) -> int:
        return self.current.number

    @property
    def text(self) -> str:
        return self.current.text

    def approved_by(self, version: int | None = None) -> set[str]:
        wanted = self.version if version is None else version
        return {a for a, _n, v in self.approvals if v == wanted}

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "requester": self.requester.to_data(),
            "lang": self.lang,
            "state": self.state.value,
            "versions": [v.to_data() for v in self.versions],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "expires_at": _iso(self.expires_at),
            "scheduled_at": _iso(self.scheduled_at),
            "context": self.context,
            "policy": self.policy.to_data(),
            "approvals": [list(a) for a in self.approvals],
            "last": self.last.to_data() if self.last else None,
            "decided": self.decided.to_data() if self.decided else None,
            "attempt_id": self.attempt_id,
            "attempt_started_at": _iso(self.attempt_started_at),
            "attempts": self.attempts,
            "post_id": self.post_id,
            "post_url": self.post_url,
            "failure": self.failure,
            "not_before": _iso(self.not_before),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        created = _dt(data.get("created_at"))
        updated = _dt(data.get("updated_at"))
        assert created is not None and updated is not None
        last = data.get("last")
        decided = data.get("decided")
        return cls(
            id=str(data["id"]),
            tenant_id=str(data["tenant_id"]),
            requester=Person.from_data(data.get("requester")),
            lang=str(data.get("lang", "en")),
            state=DraftState(data["state"]),
            versions=tuple(Version.from_data(v) for v in data["versions"]),
            created_at=created,
            updated_at=updated,
            expires_at=_dt(data.get("expires_at")),
            scheduled_at=_dt(data.get("scheduled_at")),
            context=dict(data.get("context") or {}),
            policy=ApprovalPolicy.from_data(data.get("policy")),
            approvals=tuple((str(a[0]), str(a[1]), int(a[2])) for a in data.get("approvals") or []),
            last=AuditEvent.from_data(last) if isinstance(last, dict) else None,
            decided=AuditEvent.from_data(decided) if isinstance(decided, dict) else None,
            attempt_id=data.get("attempt_id"),
            attempt_started_at=_dt(data.get("attempt_started_at")),
            attempts=int(data.get("attempts", 0)),
            post_id=data.get("post_id"),
            post_url=data.get("post_url"),
            failure=data.get("failure"),
            not_before=_dt(data.get("not_before")),
        )


@dataclass(frozen=True, slots=True)
class Transition:
    draft: Draft
    event: AuditEvent


def _move(
    draft: Draft,
    to: DraftState,
    action: str,
    actor: Person,
    now: datetime,
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    **changes: Any,
) -> Transition:
    moved = replace(draft, state=to, updated_at=now, **changes)
    event = AuditEvent(
        action=action,
        draft_id=draft.id,
        tenant_id=draft.tenant_id,
        actor=actor,
        at=now,
        version=moved.version,
        from_state=draft.state.value,
        to_state=to.value,
        reason=reason,
        detail=detail or {},
    )
    decided = event if action in HUMAN_DECISIONS else moved.decided
    return Transition(replace(moved, last=event, decided=decided), event)


HUMAN_DECISIONS = frozenset(
    {"approved", "approval_recorded", "rejected", "changes_requested", "edited", "expired"}
)


def _require(draft: Draft, action: str, allowed: frozenset[DraftState]) -> None:
    if draft.state not in allowed:
        raise IllegalTransition(draft.state, action)


def _stale(draft: Draft, version: int) -> StaleVersion:
    return StaleVersion(version, draft.version, draft.decided or draft.last)


def expiry_due(draft: Draft, now: datetime) -> bool:
    """An undecided draft expires at its scheduled time, or when it is too old."""
    if draft.state not in OPEN_STATES:
        return False
    if draft.scheduled_at is not None and now >= draft.scheduled_at:
        return True
    return draft.expires_at is not None and now >= draft.expires_at


def new_draft(
    *,
    draft_id: str,
    tenant_id: str,
    requester: Person,
    text: str,
    lang: str,
    now: datetime,
    report: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    max_age: timedelta | None = None,
    scheduled_at: datetime | None = None,
    policy: ApprovalPolicy | None = None,
) -> Transition:
    if not text.strip():
        raise ValueError("a draft needs text")
    version = Version(1, text, text_hash(text), requester, now, dict(report or {}))
    draft = Draft(
        id=draft_id,
        tenant_id=tenant_id,
        requester=requester,
        lang=lang,
        state=DraftState.DRAFT,
        versions=(version,),
        created_at=now,
        updated_at=now,
        expires_at=now + max_age if max_age is not None else None,
        scheduled_at=scheduled_at,
        context=dict(context or {}),
        policy=policy or ApprovalPolicy(),
    )
    event = AuditEvent("created", draft_id, tenant_id, requester, now, 1, "", "draft")
    return Transition(replace(draft, last=event), event)


def submit(draft: Draft, actor: Person, now: datetime) -> Transition:
    _require(draft, "submit", frozenset({DraftState.DRAFT}))
    return _move(draft, DraftState.PENDING, "submitted", actor, now)


def _check_open(draft: Draft, version: int, now: datetime) -> None:
    """A decision applies to the current version of a pending draft; anything else is a stale
    click (someone decided first, or the text changed)."""
    if draft.state in OPEN_STATES and expiry_due(draft, now):
        raise DraftExpired(draft)
    if draft.state is DraftState.EXPIRED:
        raise DraftExpired(draft)
    if version != draft.version or draft.state in DECIDED_STATES | {DraftState.CHANGES_REQUESTED}:
        raise _stale(draft, version)


def approve(
    draft: Draft, actor: Person, version: int, now: datetime, *, allow_self: bool = False
) -> Transition:
    """One approval of `version`. Under policy `all`, the draft stays pending until every named
    approver has approved this version."""
    _check_open(draft, version, now)
    _require(draft, "approve", frozenset({DraftState.PENDING}))
    if not allow_self and actor.id in {draft.requester.id, draft.current.author.id}:
        raise SelfApproval(f"{actor.id} wrote version {version} of draft {draft.id}")
    if actor.id in draft.approved_by():
        raise _stale(draft, version)  # the same person, twice
    approvals = (*draft.approvals, (actor.id, actor.name, version))
    approved = draft.policy.satisfied({a for a, _n, v in approvals if v == version})
    if not approved:
        return _move(
            draft, DraftState.PENDING, "approval_recorded", actor, now, approvals=approvals
        )
    return _move(draft, DraftState.APPROVED, "approved", actor, now, approvals=approvals)


def reject(draft: Draft, actor: Person, version: int, reason: str, now: datetime) -> Transition:
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    _check_open(draft, version, now)
    _require(draft, "reject", frozenset({DraftState.PENDING}))
    return _move(draft, DraftState.REJECTED, "rejected", actor, now, reason=reason.strip())


def request_changes(
    draft: Draft, actor: Person, version: int, reason: str | None, now: datetime
) -> Transition:
    _check_open(draft, version, now)
    _require(draft, "request changes on", frozenset({DraftState.PENDING}))
    return _move(
        draft,
        DraftState.CHANGES_REQUESTED,
        "changes_requested",
        actor,
        now,
        reason=(reason or "").strip() or None,
    )


def edit(
    draft: Draft,
    actor: Person,
    version: int,
    new_text: str,
    now: datetime,
    *,
    report: dict[str, Any] | None = None,
) -> Transition:
    """A new version N+1, pending again; approvals of earlier versions no longer count."""
    if not new_text.strip():
        raise ValueError("a draft needs text")
    if draft.state in OPEN_STATES and expiry_due(draft, now):
        raise DraftExpired(draft)
    _require(draft, "edit", EDITABLE_STATES)
    if version != draft.version:
        raise _stale(draft, version)
    number = draft.version + 1
    new = Version(number, new_text, text_hash(new_text), actor, now, dict(report or {}))
    return _move(
        draft,
        DraftState.PENDING,
        "edited",
        actor,
        now,
        versions=(*draft.versions, new),
        approvals=(),
        detail={"previous_version": draft.version, "sha256": new.sha256},
    )


def expire(draft: Draft, now: datetime, actor: Person | None = None) -> Transition:
    _require(draft, "expire", OPEN_STATES)
    if not expiry_due(draft, now):
        raise IllegalTransition(draft.state, "expire (not due)")
    why = (
        "scheduled_time_passed"
        if draft.scheduled_at is not None and now >= draft.scheduled_at
        else "max_age"
    )
    return _move(draft, DraftState.EXPIRED, "expired", actor or SYSTEM, now, reason=why)


SYSTEM = Person("system", "Pulse")


def ready_to_publish(draft: Draft, now: datetime) -> Transition:
    """Publishing to X is off: a person copies the exact approved text."""
    _require(draft, "mark ready", frozenset({DraftState.APPROVED}))
    return _move(draft, DraftState.READY, "ready_to_publish", SYSTEM, now)


def start_publishing(draft: Draft, attempt_id: str, now: datetime) -> Transition:
    """Record the intent before calling X. From `publishing` only to take over a stuck attempt."""
    _require(draft, "publish", frozenset({DraftState.APPROVED, DraftState.PUBLISHING}))
    return _move(
        draft,
        DraftState.PUBLISHING,
        "publishing",
        SYSTEM,
        now,
        attempt_id=attempt_id,
        attempt_started_at=now,
        attempts=draft.attempts + 1,
        detail={"attempt_id": attempt_id, "previous_attempt_id": draft.attempt_id},
    )


def _require_attempt(draft: Draft, attempt_id: str, action: str) -> None:
    _require(draft, action, frozenset({DraftState.PUBLISHING}))
    if draft.attempt_id != attempt_id:
        raise IllegalTransition(draft.state, f"{action} (attempt {attempt_id} superseded)")


def mark_published(
    draft: Draft, attempt_id: str, post_id: str, post_url: str, now: datetime, *, found: bool
) -> Transition:
    """`found`: the post was found among the account's posts (reconciliation), not answered."""
    _require_attempt(draft, attempt_id, "mark published")
    return _move(
        draft,
        DraftState.PUBLISHED,
        "published",
        SYSTEM,
        now,
        post_id=post_id,
        post_url=post_url,
        failure=None,
        detail={"attempt_id": attempt_id, "post_id": post_id, "reconciled": found},
    )


def postpone_publishing(
    draft: Draft, attempt_id: str, not_before: datetime, now: datetime
) -> Transition:
    """X refused the post for its rate limit: nothing was created, so the draft goes back to
    `approved` (the same approval, the same version) to be published again from `not_before`."""
    _require_attempt(draft, attempt_id, "postpone")
    return _move(
        draft,
        DraftState.APPROVED,
        "publish_postponed",
        SYSTEM,
        now,
        reason="rate_limited",
        attempt_id=None,
        attempt_started_at=None,
        attempts=max(0, draft.attempts - 1),  # nothing was sent: it does not count
        not_before=not_before,
        detail={"attempt_id": attempt_id, "not_before": not_before.isoformat()},
    )


def mark_failed(draft: Draft, attempt_id: str, reason: str, now: datetime) -> Transition:
    _require_attempt(draft, attempt_id, "mark failed")
    return _move(
        draft,
        DraftState.FAILED,
        "publish_failed",
        SYSTEM,
        now,
        reason=reason,
        failure=reason,
        detail={"attempt_id": attempt_id},
    )
