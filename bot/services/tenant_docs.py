"""What the stores of a tenant's documents (editorial line, watch profile) share: where a
tenant's document and its audit log are kept, the refusal of a change based on an older
revision, and the audit record of a change."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from bot.ports.store import PreconditionFailed, Store

logger = logging.getLogger(__name__)

_SEGMENT_RE = re.compile(r"[^A-Za-z0-9._=@-]")


def tenant_segment(tenant_id: str) -> str:
    """A store key segment from a tenant id (GUIDs pass unchanged)."""
    cleaned = _SEGMENT_RE.sub("_", tenant_id)[:128]
    return cleaned if cleaned not in ("", ".", "..") else "_"


def document_key(tenant_id: str, name: str) -> str:
    """`tenants/<tid>/<name>`: where a tenant's document is kept."""
    return f"tenants/{tenant_segment(tenant_id)}/{name}"


def audit_key(tenant_id: str, kind: str) -> str:
    """`audit/<kind>/<tid>`: the log of every change of a tenant's document."""
    return f"audit/{kind}/{tenant_segment(tenant_id)}"


class RevisionConflict(PreconditionFailed):
    """The document changed since the form was opened: `current` is the latest revision."""

    def __init__(self, message: str, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        super().__init__(message)


async def append_audit(
    store: Store, tenant_id: str, kind: str, record: Mapping[str, object]
) -> None:
    """Append the record of a change to the tenant's audit log. The change is stored already:
    a missing audit entry is logged, not fatal."""
    try:
        await store.append(audit_key(tenant_id, kind), dict(record))
    except Exception:
        logger.exception("could not append the %s audit record", kind)


__all__ = [
    "RevisionConflict",
    "append_audit",
    "audit_key",
    "document_key",
    "tenant_segment",
]
