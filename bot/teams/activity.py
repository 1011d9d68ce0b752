"""What every Teams handler reads off an activity the same way: its tenant, and its text
without the `<at>…</at>` mentions Teams puts in channel messages."""

from __future__ import annotations

import re
from typing import Final

from botbuilder.schema import Activity

_MENTION: Final = r"<at>.*?</at>"
_MENTIONS_RE: Final = re.compile(_MENTION, re.IGNORECASE)
_LEADING_MENTIONS_RE: Final = re.compile(rf"^\s*(?:{_MENTION}\s*)+", re.IGNORECASE)


def tenant_of(activity: Activity) -> str | None:
    """The Entra tenant of the activity: the conversation's, else Teams' channelData."""
    conversation = activity.conversation
    if conversation is not None and getattr(conversation, "tenant_id", None):
        return str(conversation.tenant_id)
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return None


def strip_mentions(text: str | None, *, leading_only: bool = False) -> str:
    """`text` without its mentions: every one becomes a space; with `leading_only`, only the
    mentions that open the message are removed, with the blanks after them (the rest — a YAML
    block, say — is kept as written)."""
    if leading_only:
        return _LEADING_MENTIONS_RE.sub("", text or "", count=1)
    return _MENTIONS_RE.sub(" ", text or "")
