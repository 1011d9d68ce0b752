"""Cards that were acted on: what they say afterwards, and what their old buttons answer.

When a draft is submitted for approval, the cards of its drafting flow are updated in place
(their buttons give way to "Sent for approval by Claire · 10:42 UTC"), and the submission is
recorded under the flow (the conversation for the drafting dialog, a flow id in card data for
the stateless cards). A button pressed on a card that is stale anyway (a client that did not
refresh, a copy of the message) answers with that line and the request's current state —
never "I'm not sure I understood", and never a second request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.domain.drafts import Draft
from bot.i18n import t
from bot.ports.clock import Clock
from bot.ports.store import StorageError, Store
from bot.teams.approval_cards import decision_line

logger = logging.getLogger(__name__)

DraftLookup = Callable[[str, str], Awaitable[Draft | None]]
"""`(tenant_id, draft_id) -> the draft`, for the request's current state."""


def _safe(part: str) -> str:
    return "".join(c for c in part if c.isalnum() or c in "-_")[:80] or "none"


def sent_line(lang: str, name: str, at: datetime) -> str:
    """ "Sent for approval by Claire · 10:42 UTC" (the card's state once submitted)."""
    return t(lang, "drafting.card.sent_state", name=name, at=at.strftime("%H:%M UTC"))


class Submissions:
    """Which drafting flow became which approval request (kept a week by the store purge)."""

    def __init__(self, store: Store, clock: Clock, draft_of: DraftLookup | None = None) -> None:
        self._store = store
        self._clock = clock
        self._draft_of = draft_of

    @staticmethod
    def key(tenant_id: str | None, flow: str) -> str:
        return f"cache/drafting/submitted/{_safe(tenant_id or 'demo')}/{_safe(flow)}"

    async def record(
        self, tenant_id: str | None, flow: str, draft_id: str, name: str, text: str, lang: str
    ) -> dict[str, Any]:
        """Remember that `flow` became the request `draft_id`; `lang`: its cards' language."""
        entry = {
            "draft_id": draft_id,
            "by": name,
            "at": self._clock.now().isoformat(),
            "text": text,
            "lang": lang,
        }
        try:
            await self._store.write(self.key(tenant_id, flow), entry)
        except StorageError:  # the request exists; only the stale-card answer is lost
            logger.warning("could not record the submission of a drafting flow")
        return entry

    async def find(self, tenant_id: str | None, flow: str) -> dict[str, Any] | None:
        try:
            found = await self._store.read(self.key(tenant_id, flow))
        except StorageError:
            logger.warning("could not read the submission of a drafting flow")
            return None
        return dict(found.value) if found is not None else None

    def line(self, lang: str, entry: dict[str, Any]) -> str:
        return sent_line(lang, str(entry.get("by") or ""), datetime.fromisoformat(entry["at"]))

    async def state(self, lang: str, tenant_id: str | None, entry: dict[str, Any]) -> str:
        """The sent line and, when the request can be read, its current state."""
        line = self.line(lang, entry)
        if self._draft_of is None:
            return line
        try:
            draft = await self._draft_of(tenant_id or "demo", str(entry.get("draft_id")))
        except Exception:
            logger.warning("could not read the state of a submitted draft")
            return line
        return f"{line} — {decision_line(lang, draft)}" if draft is not None else line

    async def stale_answer(self, lang: str, tenant_id: str | None, flow: str) -> str:
        """What a stale button of the flow answers (in the language its cards were in)."""
        entry = await self.find(tenant_id, flow)
        if entry is None:
            return t(lang, "drafting.card.stale_unknown")
        lang = str(entry.get("lang") or lang)
        return t(lang, "drafting.card.stale", state=await self.state(lang, tenant_id, entry))
