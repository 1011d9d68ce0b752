"""Approvals in Teams: the approval card in the comms conversation, its verbs, the requester's
notifications, the "decisions" history, the audit export, and the background jobs.

Where approval requests go (per tenant): a Pulse admin types, in the comms channel (or group
chat) with the bot mentioned, "use this channel for approvals" / « utiliser ce canal pour les
validations ». The conversation reference is stored at `approvals/<tenant>/channel`; every new
draft's card is then sent there proactively, and the sent activity id is kept at
`approvals/<tenant>/cards/<draft id>` so that the original message is updated after each
decision (channel auto-refresh is unreliable).

Verbs (`Action.Execute`, with an `Action.Submit` fallback carrying the same data):
`draft.approve`, `draft.reject` (input `reason`), `draft.edit` (input `new_text`: checked again,
becomes version N+1, pending), `draft.request_changes` (input `reason`), and `draft.refresh`
(the card's `refresh` action: approvers see the buttons, others a read-only card). Roles come
from `RoleService` on the sender's aadObjectId; nothing in card data but the draft id, the
version and the typed inputs is used.

Commands (approvers and admins): "decisions" / « historique des validations » lists recent
decisions; "export audit" / « exporter l'audit » sends the audit log as CSV.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Coroutine
from typing import Any

from aiohttp import web
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.domain.compliance import ComplianceReport
from bot.domain.drafts import AuditEvent, Decision, Draft, DraftState, Person
from bot.domain.text import nfc_lower
from bot.i18n import language_of, t
from bot.ports.clock import Clock
from bot.ports.store import PreconditionFailed, StorageError, Store
from bot.services.approvals import ApprovalService, ApprovalServices, Outcome, safe_segment
from bot.services.drafting import ContextProvider
from bot.services.roles import ADMIN, APPROVER
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.activity import strip_mentions, tenant_of
from bot.teams.approval_cards import (
    APPROVE,
    EDIT,
    REFRESH,
    REJECT,
    REQUEST_CHANGES,
    approval_card,
    refused_text,
    when,
)
from bot.teams.cards import Card, card_activity, text_block
from bot.teams.guards import service_url_allowed
from bot.teams.references import ReferenceStore

logger = logging.getLogger(__name__)

_DECISIONS = {
    APPROVE: Decision.APPROVE,
    REJECT: Decision.REJECT,
    EDIT: Decision.EDIT,
    REQUEST_CHANGES: Decision.REQUEST_CHANGES,
}
SET_CHANNEL = {"use this channel for approvals", "utiliser ce canal pour les validations"}
HISTORY = {"decisions", "historique des validations", "décisions"}
EXPORT = {"export audit", "exporter l'audit", "exporter l’audit", "audit export"}
EXPORT_MAX_LINES = 200
JOBS_LEASE = "jobs/approvals"
EVIDENCE_WAIT_S = 5.0  # a request goes without its evidence links rather than wait longer


def _command_text(text: str | None) -> str:
    text = strip_mentions(text)
    text = nfc_lower(text).strip().rstrip(".!?")
    return re.sub(r"\s+", " ", text).strip()


def code_fence(body: str) -> str:
    """A Markdown fence longer than any run of backticks in `body`: a display name holding
    three backticks cannot close the block early and turn the rest into Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


_MARKDOWN_RE = re.compile(r"([\\`*_\[\]()<>#|~!])")


def markdown_literal(text: str) -> str:
    """`text` shown as written in a Markdown message (a display name or a reason cannot add a
    link, a heading or a code block): special characters escaped, line breaks folded."""
    return _MARKDOWN_RE.sub(r"\\\1", " ".join(text.split()))


class ApprovalsTeams:
    def __init__(
        self,
        *,
        adapter: BotAdapter,
        app_id: str,
        store: Store,
        clock: Clock,
        services: ApprovalServices,
        allowed_hosts: list[str],
        requests_to_requester_without_channel: bool = False,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._store = store
        self._clock = clock
        self.services = services
        self._hosts = allowed_hosts
        # Demo mode: with no comms conversation configured, the card goes to the requester's chat.
        self.requests_to_requester_without_channel = requests_to_requester_without_channel
        self._references = ReferenceStore(store, clock, allowed_hosts)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._jobs: asyncio.Task[None] | None = None

    # -- keys -----------------------------------------------------------------------------------

    @staticmethod
    def channel_key(tenant_id: str) -> str:
        return f"approvals/{safe_segment(tenant_id)}/channel"

    @staticmethod
    def card_key(tenant_id: str, draft_id: str) -> str:
        return f"approvals/{safe_segment(tenant_id)}/cards/{safe_segment(draft_id)}"

    @staticmethod
    def requester_key(tenant_id: str, aad_id: str) -> str:
        return f"approvals/{safe_segment(tenant_id)}/requesters/{safe_segment(aad_id.lower())}"

    # -- submitting from a turn ----------------------------------------------------------------

    async def submit_from_turn(
        self,
        turn_context: TurnContext,
        text: str,
        lang: str,
        context: dict[str, Any] | None = None,
        report: ComplianceReport | dict[str, Any] | None = None,
    ) -> Draft:
        """`ApprovalService.submit` for the person of this turn; their conversation is kept so
        the outcome reaches them there."""
        activity = turn_context.activity
        tenant = tenant_of(activity)
        sender = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        if not tenant or not aad:
            raise PermissionError("a draft needs a tenant and an Entra user")
        if service_url_allowed(activity.service_url, self._hosts):
            reference = TurnContext.get_conversation_reference(activity)
            with contextlib.suppress(StorageError):
                await self._store.write(
                    self.requester_key(tenant, aad), {"reference": reference.serialize()}
                )
        requester = Person(aad, (sender.name or "") if sender else "")
        return await self.services.approvals.submit(tenant, requester, text, lang, context, report)

    # -- the comms conversation ----------------------------------------------------------------

    async def _channel(self, tenant_id: str) -> tuple[ConversationReference, str] | None:
        found = await self._store.read(self.channel_key(tenant_id))
        if found is None:
            return None
        reference = ConversationReference().deserialize(found.value["reference"])
        return reference, str(found.value.get("lang", "en"))

    async def _send(self, reference: ConversationReference, activity: Activity) -> str | None:
        if not service_url_allowed(reference.service_url, self._hosts):
            logger.warning("refusing to send to a serviceUrl outside the allowlist")
            return None
        sent: list[str | None] = []

        async def callback(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            sent.append(response.id if response is not None else None)

        await self._adapter.continue_conversation(reference, callback, self._app_id)
        return sent[0] if sent else None

    async def _update(self, reference: ConversationReference, activity_id: str, card: Card) -> None:
        if not service_url_allowed(reference.service_url, self._hosts):
            return
        update = card_activity(card)
        update.id = activity_id

        async def callback(context: TurnContext) -> None:
            await context.update_activity(update)

        await self._adapter.continue_conversation(reference, callback, self._app_id)

    async def _card_record(self, draft: Draft) -> dict[str, Any] | None:
        found = await self._store.read(self.card_key(draft.tenant_id, draft.id))
        return found.value if found else None

    async def _card_lang(self, draft: Draft, fallback: str) -> str:
        """The language the approval card was sent in: an update keeps it (one language per
        card, whoever clicks)."""
        record = await self._card_record(draft)
        lang = (record or {}).get("lang")
        return lang if lang in ("fr", "en") else fallback

    async def _refresh_ids(self, draft: Draft) -> list[str]:
        record = await self._card_record(draft)
        return list((record or {}).get("viewers") or [])

    async def _add_viewer(self, draft: Draft, user_id: str) -> None:
        """Remember an approver's Teams user id (MRI) for the card's `refresh.userIds`."""
        key = self.card_key(draft.tenant_id, draft.id)
        for _ in range(5):
            found = await self._store.read(key)
            if found is None or user_id in (found.value.get("viewers") or []):
                return
            value = {**found.value, "viewers": [*(found.value.get("viewers") or []), user_id][-60:]}
            try:
                await self._store.write(key, value, if_match=found.etag)
                return
            except PreconditionFailed:
                continue

    async def _requester_conversation(
        self, draft: Draft
    ) -> tuple[ConversationReference, str] | None:
        for ref in await self._references.all(draft.tenant_id):
            if (ref.user_aad_id or "").lower() == draft.requester.id.lower() and (
                ref.conversation_type == "personal"
            ):
                # the requester's own chat: the language they asked in (the draft's)
                return ref.reference, draft.lang if draft.lang in ("fr", "en") else ref.lang
        return None

    async def send_request(self, draft: Draft) -> None:
        """The approval card, proactively, in the tenant's comms conversation."""
        channel = await self._channel(draft.tenant_id)
        if channel is None and self.requests_to_requester_without_channel:
            channel = await self._requester_conversation(draft)
        if channel is None:
            logger.warning("draft %s: no approval conversation configured for the tenant", draft.id)
            return
        reference, lang = channel
        card = approval_card(draft, lang)
        activity_id = await self._send(reference, card_activity(card))
        if activity_id is None:
            return
        with contextlib.suppress(PreconditionFailed):
            await self._store.write(
                self.card_key(draft.tenant_id, draft.id),
                {
                    "reference": reference.serialize(),
                    "activity_id": activity_id,
                    "lang": lang,
                    "viewers": [],
                },
                if_none_match=True,
            )
        logger.info("draft %s: approval card sent", draft.id)

    async def update_card(self, draft: Draft) -> None:
        record = await self._card_record(draft)
        if record is None:
            return
        reference = ConversationReference().deserialize(record["reference"])
        card = approval_card(
            draft, str(record.get("lang", "en")), refresh_user_ids=record.get("viewers") or None
        )
        await self._update(reference, str(record["activity_id"]), card)

    async def _notify(self, tenant_id: str, person: Person, text_of: Any) -> None:
        """A short message to `person` where they last talked to Pulse (personal chat)."""
        if not person.id or person.id == "system":
            return
        reference: ConversationReference | None = None
        lang = "en"
        found = await self._store.read(self.requester_key(tenant_id, person.id))
        if found is not None:
            reference = ConversationReference().deserialize(found.value["reference"])
            lang = language_of(getattr(reference, "locale", None))
        else:
            for ref in await self._references.all(tenant_id):
                if (
                    ref.user_aad_id or ""
                ).lower() == person.id and ref.conversation_type == "personal":
                    reference, lang = ref.reference, ref.lang
                    break
        if reference is None:
            logger.info("no conversation known to notify %s", person.id)
            return
        await self._send(reference, Activity(type="message", text=text_of(lang)))

    async def on_event(self, name: str, draft: Draft, event: AuditEvent | None) -> None:
        """Listener of the approval and publishing services."""
        if name == "submitted":
            await self.send_request(draft)
            return
        await self.update_card(draft)
        action = event.action if event else name
        actor = event.actor if event else Person("system")
        requester = draft.requester
        if name == "decided" and event is not None:
            if action == "approved":
                self.spawn(self.services.publishing.publish(draft.tenant_id, draft.id))
            if actor.id != requester.id:
                await self._notify(
                    draft.tenant_id,
                    requester,
                    lambda lang: t(
                        lang,
                        f"approvals.notify.{action}",
                        name=actor.name or actor.id,
                        reason=event.reason or "",
                        version=draft.version,
                    ),
                )
        elif name in ("ready", "published", "failed", "expired"):
            for person in {requester.id: requester, **self._approvers_of(draft)}.values():
                await self._notify(
                    draft.tenant_id,
                    person,
                    lambda lang: t(
                        lang,
                        f"approvals.notify.{name}",
                        url=draft.post_url or "",
                        reason=draft.failure or "",
                    ),
                )

    @staticmethod
    def _approvers_of(draft: Draft) -> dict[str, Person]:
        if draft.state not in (DraftState.PUBLISHED, DraftState.FAILED):
            return {}
        return {a: Person(a, n) for a, n, v in draft.approvals if v == draft.version}

    # -- card actions ----------------------------------------------------------------------------

    def handler_for(self, verb: str) -> Any:
        async def handle(context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
            if verb == REFRESH:
                return await self.refresh(context, actor, data)
            return await self.decide(context, actor, data, _DECISIONS[verb])

        return handle

    async def _may_decide(self, actor: Actor) -> bool:
        roles = await self.services.roles.roles_of(actor.aad_object_id)
        return APPROVER in roles or ADMIN in roles

    async def decide(
        self, context: TurnContext, actor: Actor, data: dict[str, Any], decision: Decision
    ) -> ActionResult:
        lang = actor.lang
        draft_id = data.get("draft_id")
        try:
            version = int(data.get("version"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            version = -1
        if not actor.tenant_id or not isinstance(draft_id, str) or not draft_id:
            return ActionResult(message=t(lang, "approvals.refused.not_found"))
        if not actor.aad_object_id:
            return ActionResult(message=t(lang, "approvals.refused.not_allowed"))
        reason = data.get("reason") if isinstance(data.get("reason"), str) else None
        new_text = data.get("new_text") if isinstance(data.get("new_text"), str) else None
        result = await self.services.approvals.decide(
            actor.tenant_id,
            draft_id,
            version,
            Person(actor.aad_object_id, actor.name),
            decision,
            reason=reason,
            new_text=new_text,
        )
        draft = result.draft
        approver = await self._may_decide(actor)
        if draft is not None and approver and actor.user_id:
            await self._add_viewer(draft, actor.user_id)
        is_invoke = context.activity.type == "invoke"
        card_lang = await self._card_lang(draft, lang) if draft is not None else lang
        if result.accepted and draft is not None:
            card = approval_card(
                draft,
                card_lang,
                interactive=approver,
                refresh_user_ids=await self._refresh_ids(draft),
            )
            return ActionResult(card=card)
        note = refused_text(lang, result.outcome.value, result.previous, draft, result.report)
        if draft is None or not is_invoke or result.outcome is Outcome.NOT_FOUND:
            # Action.Submit: the card is shared by everyone; tell only this person.
            return ActionResult(message=note)
        card = approval_card(
            draft, card_lang, interactive=approver, refresh_user_ids=await self._refresh_ids(draft)
        )
        note = refused_text(card_lang, result.outcome.value, result.previous, draft, result.report)
        card["body"].insert(0, text_block(note, color="Attention", weight="Bolder"))
        return ActionResult(card=card)

    async def refresh(
        self, context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        draft_id = data.get("draft_id")
        if not actor.tenant_id or not isinstance(draft_id, str):
            return ActionResult(message=t(actor.lang, "approvals.refused.not_found"))
        draft = await self.services.approvals.get(actor.tenant_id, draft_id)
        if draft is None:
            return ActionResult(message=t(actor.lang, "approvals.refused.not_found"))
        approver = await self._may_decide(actor)
        card = approval_card(
            draft,
            await self._card_lang(draft, actor.lang),
            interactive=approver,
            refresh_user_ids=await self._refresh_ids(draft),
        )
        return ActionResult(card=card)

    # -- commands --------------------------------------------------------------------------------

    async def try_command(self, turn_context: TurnContext) -> bool:
        """Handle an approvals command typed in a message; False when it is not one."""
        activity = turn_context.activity
        command = _command_text(activity.text)
        if command not in SET_CHANNEL | HISTORY | EXPORT:
            return False
        lang = language_of(activity.locale)
        tenant = tenant_of(activity)
        sender = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        roles = await self.services.roles.roles_of(aad)
        if not tenant:
            return False
        if command in SET_CHANNEL:
            kind = activity.conversation.conversation_type if activity.conversation else None
            if ADMIN not in roles:
                await turn_context.send_activity(t(lang, "approvals.commands.channel_admin_only"))
                return True
            if kind == "personal" or not service_url_allowed(activity.service_url, self._hosts):
                await turn_context.send_activity(t(lang, "approvals.commands.channel_no_channel"))
                return True
            reference = TurnContext.get_conversation_reference(activity)
            await self._store.write(
                self.channel_key(tenant),
                {
                    "reference": reference.serialize(),
                    "lang": lang,
                    "set_by": aad,
                    "set_at": self._clock.now().isoformat(),
                },
            )
            logger.info("approval conversation set for tenant %s", tenant)
            await turn_context.send_activity(t(lang, "approvals.commands.channel_set"))
            return True
        if APPROVER not in roles:
            await turn_context.send_activity(t(lang, "approvals.commands.comms_only"))
            return True
        if command in HISTORY:
            await turn_context.send_activity(await self.history_text(tenant, lang))
            return True
        csv_text = await self.services.approvals.export_audit_csv(tenant)
        lines = csv_text.splitlines()
        header, rows = lines[0], lines[1:]
        shown = rows[-EXPORT_MAX_LINES:]
        title = t(lang, "approvals.commands.export_title", count=len(rows))
        if len(shown) < len(rows):
            title += " " + t(lang, "approvals.commands.export_truncated", count=len(shown))
        body = "\n".join([header, *shown])
        fence = code_fence(body)
        await turn_context.send_activity(
            Activity(
                type="message",
                text=f"{title}\n\n{fence}\n{body}\n{fence}",
                text_format="markdown",
            )
        )
        return True

    async def history_text(self, tenant_id: str, lang: str, limit: int = 15) -> str:
        events = await self.services.approvals.history(tenant_id, limit)
        if not events:
            return t(lang, "approvals.commands.history_empty")
        lines = [t(lang, "approvals.commands.history_title")]
        for e in events:
            try:
                action = t(lang, f"approvals.actions.{e.action}")
            except KeyError:
                action = e.action
            lines.append(
                "- "
                + t(
                    lang,
                    "approvals.commands.history_line",
                    at=when(e.at),
                    action=action,
                    name=markdown_literal(e.actor.name or e.actor.id),
                    draft=e.draft_id[:8],
                    version=e.version,
                    reason=f"— {markdown_literal(e.reason)}" if e.reason else "",
                ).strip()
            )
        return "\n".join(lines)

    # -- background work -------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Awaitable[Any]) -> None:
        try:
            await work
        except Exception:
            logger.exception("approval background work failed")

    async def drain(self, timeout: float = 30.0) -> None:
        while self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def run_jobs_once(self) -> None:
        """Expiry, publication of due drafts, reconciliation of stuck ones."""
        await self.services.approvals.expire_due()
        await self.services.publishing.reconcile()
        await self.services.publishing.publish_due()

    async def _jobs_loop(self, interval_s: float) -> None:
        holder = uuid.uuid4().hex
        while True:
            try:
                lease = await self._store.acquire_lease(JOBS_LEASE, holder, interval_s * 2)
                if lease is not None:  # one instance runs the jobs
                    try:
                        await self.run_jobs_once()
                    finally:
                        await self._store.release_lease(lease)
            except Exception:
                logger.exception("approval jobs failed; next run in %.0f s", interval_s)
            await asyncio.sleep(interval_s)

    def start_jobs(self, interval_s: float = 60.0) -> None:
        if self._jobs is None:
            self._jobs = asyncio.ensure_future(self._jobs_loop(interval_s))

    async def stop_jobs(self) -> None:
        if self._jobs is not None:
            self._jobs.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._jobs
            self._jobs = None
        await self.drain(timeout=10.0)

    def attach(self, app: web.Application, interval_s: float = 60.0) -> None:
        """Run the jobs at start (reconciliation first) and periodically, stop them at cleanup."""

        async def jobs(_app: web.Application) -> Any:
            self.start_jobs(interval_s)
            yield
            await self.stop_jobs()

        app.cleanup_ctx.append(jobs)


def register_approvals(
    bot: Any,
    router: CardActionRouter,
    services: ApprovalServices,
    *,
    adapter: BotAdapter,
    app_id: str,
    store: Store,
    clock: Clock,
    allowed_hosts: list[str],
    intercept_commands: bool = True,
    requests_to_requester_without_channel: bool = False,
) -> ApprovalsTeams:
    """Route the approval verbs and listen to draft events (cards, notifications, publication).
    The approvals commands are answered before the root dialog: pass `try_command` to
    `PulseBot(commands=...)`, or give a built `bot` here (with `intercept_commands`)."""
    teams = ApprovalsTeams(
        adapter=adapter,
        app_id=app_id,
        store=store,
        clock=clock,
        services=services,
        allowed_hosts=allowed_hosts,
        requests_to_requester_without_channel=requests_to_requester_without_channel,
    )
    for verb in (*_DECISIONS, REFRESH):
        router.register(verb, teams.handler_for(verb))
    services.approvals.events.subscribe(teams.on_event)
    if services.publishing.events is not services.approvals.events:
        services.publishing.events.subscribe(teams.on_event)
    if intercept_commands and bot is not None:
        original = bot.on_message_activity

        async def on_message_activity(turn_context: TurnContext) -> None:
            if await teams.try_command(turn_context):
                return
            await original(turn_context)

        bot.on_message_activity = on_message_activity
    return teams


class ApprovalRequests:
    """How a draft from Teams (a drafting dialog, a card, a briefing) becomes an approval
    request, with the posts behind it as evidence for the approvers (`SubmitForApproval`)."""

    def __init__(self, approvals: ApprovalService, evidence: ContextProvider) -> None:
        self._approvals = approvals
        self._evidence = evidence

    async def submit(
        self, actor: Actor, text: str, lang: str, context: dict[str, Any] | None
    ) -> str:
        requester = Person(actor.key, actor.name)
        context = dict(context or {})
        topic = context.get("topic") or context.get("brief")
        if topic and "evidence" not in context:  # the posts behind it, for the approvers
            try:
                async with asyncio.timeout(EVIDENCE_WAIT_S):
                    posts = await self._evidence(actor.tenant_id, str(topic), lang)
                context["evidence"] = [p.url for p in posts[:3]]
            except Exception:
                logger.warning("approval request without evidence links")
        draft = await self._approvals.submit(
            actor.tenant_id or "demo", requester, text, lang, context
        )
        return draft.id

    __call__ = submit
