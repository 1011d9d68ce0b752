"""Publishing an approved draft to X: exactly the approved text, at most once.

Off unless `X_POSTING_ENABLED=true` and user-context X credentials are set (`enabled=True` and a
`PostPublisher`). When off, an approved draft becomes `ready`: the card shows the exact text to
copy and an X intent link (`intent_link`).

When on, for one draft:

1. compare-and-set `approved → publishing` with a fresh attempt id, *before* calling X (the
   intent is on record; only the winner of this write calls X);
2. check, right before sending, that the text's SHA-256 is the approved version's;
3. `create_post` under an explicit timeout;
4. answer → compare-and-set `publishing → published` (post id and URL) for this attempt;
   refusal (`PostRejected`) → `failed`;
   ambiguous failure (timeout, reset, 5xx: `PublishUncertain`) → read the account's recent posts
   for the exact text *before any retry*: found → `published`; not found → one retry, then the
   same check again; still unknown → left in `publishing` for the reconciliation job.

`reconcile()` (run at start and periodically) finishes drafts stuck in `publishing` for longer
than `stale_after` (an instance died between X's answer and the state write): it takes the draft
over with a new attempt id (compare-and-set: one reconciler wins), looks for the exact text among
the account's recent posts → `published`; else retries once (at most `max_attempts` in all), else
`failed`. `publish_due()` publishes approved drafts whose scheduled time has come.

Rate limits (429 on the post, `PostRateLimited`): X created nothing, so trying again cannot
post twice. The attempt waits for X's reset (`x-rate-limit-reset` / `Retry-After`) when that is
short (`rate_limit_max_wait_s`, at most `rate_limit_retries` times, and always well before a
reconciler could take the attempt over), checks it still owns the draft, and sends again.
A longer wait puts the draft back to `approved` with `not_before` (the same approval and
version): `publish_due()` publishes it then. Only when X's reset falls after the approval's
validity (the draft's `expires_at`) does the draft fail, with reason `rate_limited`.

Text matching: exact, or equal after NFC and with links masked (X rewrites links to t.co).
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from bot.domain import drafts as dm
from bot.domain.drafts import Draft, DraftState, Transition
from bot.ports.clock import Clock
from bot.ports.posts import (
    PostPublisher,
    PostRateLimited,
    PostRejected,
    PublishUncertain,
    SourceError,
)
from bot.ports.store import StorageError
from bot.services.approvals import DraftEvents, DraftRepository

logger = logging.getLogger(__name__)

INTENT_URL = "https://x.com/intent/post?text="
_LINK_RE = re.compile(r"https?://\S+")

AfterSend = Callable[[Draft, str, str], Awaitable[None]]


def intent_link(text: str) -> str:
    """An X "compose" link pre-filled with `text` (percent-encoded UTF-8)."""
    return INTENT_URL + quote(text, safe="")


def has_link(text: str) -> bool:
    return bool(_LINK_RE.search(text))


def same_text(published: str, approved: str) -> bool:
    if published == approved:
        return True

    def norm(s: str) -> str:
        return _LINK_RE.sub("<link>", unicodedata.normalize("NFC", s)).strip()

    return norm(published) == norm(approved)


class TextMismatch(Exception):
    """The text about to be sent is not byte-identical to the approved version."""


@dataclass(frozen=True, slots=True)
class PublishResult:
    draft: Draft | None
    published: bool = False
    uncertain: bool = False


class PublishingService:
    def __init__(
        self,
        repo: DraftRepository,
        clock: Clock,
        *,
        publisher: PostPublisher | None = None,
        enabled: bool = False,
        timeout_s: float = 10.0,
        recent_limit: int = 50,
        stale_after: timedelta = timedelta(minutes=2),
        max_attempts: int = 2,
        events: DraftEvents | None = None,
        costs: object | None = None,
        after_send: AfterSend | None = None,
        rate_limit_max_wait_s: float = 60.0,
        rate_limit_retries: int = 2,
        rate_limit_default_wait_s: float = 60.0,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.publisher = publisher
        self.enabled = enabled and publisher is not None
        self.timeout_s = timeout_s
        self.recent_limit = recent_limit
        self.stale_after = stale_after
        self.max_attempts = max_attempts
        self.events = events or DraftEvents()
        self._costs = costs  # a CostLedger (bot.services.costs), optional
        self._after_send = after_send  # test seam: runs between X's answer and the state write
        self.rate_limit_max_wait_s = rate_limit_max_wait_s
        self.rate_limit_retries = rate_limit_retries
        self.rate_limit_default_wait_s = rate_limit_default_wait_s

    # -- one draft ----------------------------------------------------------------------------

    async def publish(self, tenant_id: str, draft_id: str) -> PublishResult:
        """Publish an approved draft if it is due (no-op otherwise; safe to call repeatedly)."""
        found = await self.repo.get(tenant_id, draft_id)
        if found is None:
            return PublishResult(None)
        draft = found[0]
        if draft.state is not DraftState.APPROVED:
            return PublishResult(draft, published=draft.state is DraftState.PUBLISHED)
        if draft.scheduled_at is not None and draft.scheduled_at > self.clock.now():
            logger.info("draft %s approved, scheduled for %s", draft_id, draft.scheduled_at)
            return PublishResult(draft)
        if draft.not_before is not None and draft.not_before > self.clock.now():
            logger.info("draft %s: X rate limit, publishing from %s", draft_id, draft.not_before)
            return PublishResult(draft)
        if not self.enabled:
            return await self._mark_ready(draft)
        attempt = uuid.uuid4().hex
        now = self.clock.now()
        try:
            moved, _ = await self.repo.transition(
                tenant_id, draft_id, lambda d: dm.start_publishing(_only_approved(d), attempt, now)
            )
        except dm.IllegalTransition:
            return PublishResult(await self._current(tenant_id, draft_id))  # someone else has it
        if moved is None:
            return PublishResult(None)
        logger.info("draft %s: publishing (attempt %s)", draft_id, attempt)
        return await self._send_and_record(moved.draft, attempt, retry_allowed=True)

    async def _mark_ready(self, draft: Draft) -> PublishResult:
        now = self.clock.now()
        try:
            moved, _ = await self.repo.transition(
                draft.tenant_id, draft.id, lambda d: dm.ready_to_publish(d, now)
            )
        except dm.IllegalTransition:
            return PublishResult(await self._current(draft.tenant_id, draft.id))
        if moved is None:
            return PublishResult(None)
        logger.info("draft %s ready to publish by hand (posting to X is off)", draft.id)
        await self.events.emit("ready", moved.draft, moved.event)
        return PublishResult(moved.draft)

    async def _send_and_record(
        self, draft: Draft, attempt: str, *, retry_allowed: bool, rate_waits: int = 0
    ) -> PublishResult:
        assert self.publisher is not None
        text = draft.current.text
        if dm.text_hash(text) != draft.current.sha256:
            return await self._fail(draft, attempt, "text_mismatch")
        try:
            async with asyncio.timeout(self.timeout_s):
                post_id, url = await self.publisher.create_post(text)
        except PostRateLimited as exc:
            return await self._after_rate_limit(
                draft, attempt, exc.retry_at, retry_allowed=retry_allowed, rate_waits=rate_waits
            )
        except PostRejected as exc:
            logger.warning("draft %s: X refused the post: %s", draft.id, exc)
            found = await self._find_on_x(draft)  # "duplicate content" may mean: already there
            if found is not None:
                return await self._published(draft, attempt, *found, reconciled=True)
            return await self._fail(draft, attempt, "rejected")
        except (PublishUncertain, TimeoutError, OSError) as exc:
            logger.warning(
                "draft %s: outcome of the post unknown (%s)", draft.id, exc.__class__.__name__
            )
            return await self._after_uncertain(draft, attempt, retry_allowed)
        except SourceError as exc:
            logger.warning("draft %s: X refused the request: %s", draft.id, exc.__class__.__name__)
            return await self._fail(draft, attempt, "x_error")
        if self._after_send is not None:
            await self._after_send(draft, post_id, url)
        return await self._published(draft, attempt, post_id, url, reconciled=False)

    async def _after_rate_limit(
        self,
        draft: Draft,
        attempt: str,
        retry_at: datetime | None,
        *,
        retry_allowed: bool,
        rate_waits: int,
    ) -> PublishResult:
        """429 on the post: nothing was created. Wait and send again within the approval's
        validity, never for good."""
        now = self.clock.now()
        if retry_at is None:
            retry_at = now + timedelta(seconds=self.rate_limit_default_wait_s)
        valid_until = draft.expires_at
        if valid_until is not None and retry_at >= valid_until:
            logger.warning("draft %s: X rate limit lasts past the approval's validity", draft.id)
            return await self._fail(draft, attempt, "rate_limited")
        wait = max(0.0, (retry_at - now).total_seconds())
        started = draft.attempt_started_at or now
        # Stay well inside the time after which a reconciler may take this attempt over.
        owned_until = started + self.stale_after - timedelta(seconds=2 * self.timeout_s)
        if (
            rate_waits < self.rate_limit_retries
            and wait <= self.rate_limit_max_wait_s
            and now + timedelta(seconds=wait) < owned_until
        ):
            logger.info("draft %s: X rate limit, sending again in %.1f s", draft.id, wait)
            await asyncio.sleep(wait)
            current = await self._current(draft.tenant_id, draft.id)
            if (
                current is None
                or current.state is not DraftState.PUBLISHING
                or current.attempt_id != attempt
            ):
                return PublishResult(current)  # taken over (or changed): not ours to send
            return await self._send_and_record(
                current, attempt, retry_allowed=retry_allowed, rate_waits=rate_waits + 1
            )
        return await self._postpone(draft, attempt, retry_at)

    async def _postpone(self, draft: Draft, attempt: str, not_before: datetime) -> PublishResult:
        now = self.clock.now()
        try:
            moved, _ = await self.repo.transition(
                draft.tenant_id,
                draft.id,
                lambda d: dm.postpone_publishing(d, attempt, not_before, now),
            )
        except dm.IllegalTransition:
            return PublishResult(await self._current(draft.tenant_id, draft.id))
        if moved is None:
            return PublishResult(None)
        logger.info("draft %s: X rate limit, publishing again from %s", draft.id, not_before)
        await self.events.emit("postponed", moved.draft, moved.event)
        return PublishResult(moved.draft)

    async def _after_uncertain(
        self, draft: Draft, attempt: str, retry_allowed: bool
    ) -> PublishResult:
        try:
            found = await self._find_on_x(draft)
        except SourceError:
            logger.warning("draft %s: cannot read the account's posts; reconcile later", draft.id)
            return PublishResult(draft, uncertain=True)
        if found is not None:
            return await self._published(draft, attempt, *found, reconciled=True)
        if retry_allowed:
            logger.info("draft %s: not on X after an ambiguous failure: one retry", draft.id)
            return await self._send_and_record(draft, attempt, retry_allowed=False)
        return PublishResult(draft, uncertain=True)  # left in `publishing` for reconcile()

    async def _find_on_x(self, draft: Draft) -> tuple[str, str] | None:
        assert self.publisher is not None
        since = (draft.decided.at if draft.decided else draft.created_at) - timedelta(minutes=5)
        async with asyncio.timeout(self.timeout_s):
            posts = await self.publisher.recent_posts_of_me(self.recent_limit)
        for post in posts:
            if post.created_at >= since and same_text(post.text, draft.current.text):
                return post.id, post.url
        return None

    async def _published(
        self, draft: Draft, attempt: str, post_id: str, url: str, *, reconciled: bool
    ) -> PublishResult:
        now = self.clock.now()
        try:
            moved, _ = await self.repo.transition(
                draft.tenant_id,
                draft.id,
                lambda d: dm.mark_published(d, attempt, post_id, url, now, found=reconciled),
            )
        except dm.IllegalTransition:
            return PublishResult(await self._current(draft.tenant_id, draft.id))
        if moved is None:
            return PublishResult(None)
        logger.info("draft %s published as post %s", draft.id, post_id)
        await self._record_cost(moved.draft)
        await self.events.emit("published", moved.draft, moved.event)
        return PublishResult(moved.draft, published=True)

    async def _fail(self, draft: Draft, attempt: str, reason: str) -> PublishResult:
        now = self.clock.now()
        try:
            moved, _ = await self.repo.transition(
                draft.tenant_id, draft.id, lambda d: dm.mark_failed(d, attempt, reason, now)
            )
        except dm.IllegalTransition:
            return PublishResult(await self._current(draft.tenant_id, draft.id))
        if moved is None:
            return PublishResult(None)
        await self.events.emit("failed", moved.draft, moved.event)
        return PublishResult(moved.draft)

    async def _record_cost(self, draft: Draft) -> None:
        record = getattr(self._costs, "record", None)
        if record is None:
            return
        try:
            if has_link(draft.text):
                await record(posts_created_with_url=1)
            else:
                await record(posts_created=1)
        except (StorageError, ValueError):
            logger.warning("draft %s: could not record the cost of the post", draft.id)

    async def _current(self, tenant_id: str, draft_id: str) -> Draft | None:
        found = await self.repo.get(tenant_id, draft_id)
        return found[0] if found else None

    # -- jobs ---------------------------------------------------------------------------------

    async def publish_due(self, tenant_id: str | None = None) -> list[PublishResult]:
        """Approved drafts whose time has come (scheduled, or approved while we were away)."""
        now = self.clock.now()
        results = []
        for draft in await self.repo.all(tenant_id):
            if (
                draft.state is DraftState.APPROVED
                and (draft.scheduled_at is None or draft.scheduled_at <= now)
                and (draft.not_before is None or draft.not_before <= now)
            ):
                results.append(await self.publish(draft.tenant_id, draft.id))
        return results

    async def reconcile(self, tenant_id: str | None = None) -> list[PublishResult]:
        """Finish drafts stuck in `publishing` for longer than `stale_after`."""
        if not self.enabled:
            return []
        now = self.clock.now()
        results = []
        for draft in await self.repo.all(tenant_id):
            started = draft.attempt_started_at
            if draft.state is not DraftState.PUBLISHING or started is None:
                continue
            if now - started < self.stale_after:
                continue
            results.append(await self._take_over(draft, now))
        return results

    async def _take_over(self, stuck: Draft, now: datetime) -> PublishResult:
        attempt = uuid.uuid4().hex
        previous = stuck.attempt_id

        def step(d: Draft) -> Transition:
            if d.state is not DraftState.PUBLISHING or d.attempt_id != previous:
                raise dm.IllegalTransition(d.state, "take over")
            return dm.start_publishing(d, attempt, now)

        try:
            moved, _ = await self.repo.transition(stuck.tenant_id, stuck.id, step)
        except dm.IllegalTransition:
            return PublishResult(await self._current(stuck.tenant_id, stuck.id))
        if moved is None:
            return PublishResult(None)
        draft = moved.draft
        logger.info("draft %s: reconciling attempt %s (now %s)", draft.id, previous, attempt)
        try:
            found = await self._find_on_x(draft)
        except (SourceError, TimeoutError):
            logger.warning("draft %s: cannot read the account's posts; later", draft.id)
            return PublishResult(draft, uncertain=True)
        if found is not None:
            return await self._published(draft, attempt, *found, reconciled=True)
        if draft.attempts > self.max_attempts:
            return await self._fail(draft, attempt, "not_found_after_retries")
        return await self._send_and_record(draft, attempt, retry_allowed=False)


def _only_approved(draft: Draft) -> Draft:
    if draft.state is not DraftState.APPROVED:
        raise dm.IllegalTransition(draft.state, "publish")
    return draft
