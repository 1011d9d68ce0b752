"""Per-tenant watch profiles: what "us" is on X. Stored; the demo profile is the default.

One value per tenant (`tenants/<tid>/watch_profile`): `{"schema": 1, "yaml": ..., "by": ...,
"by_name": ..., "revision": N, "at": "<ISO-8601 UTC>"}`. A tenant with no profile of its own
gets the default (the demo company's) as revision 1, "by Pulse"; each change that alters the
profile makes the next revision. Writes are compare-and-set (`if_match` on the ETag read,
create-only for the first one), retried when another writer won; a change made from a form
opened on an older revision is refused (`ProfileConflict`), never merged silently. Each change
is also appended to the tenant's audit log (`audit/watch/<tid>`).

`revision` counts changes; it is not the profile's `version` field (its format, always 1).
A missing tenant (`None`) is the `demo` tenant, for reading and for writing alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain.watch import WatchProfile
from bot.ports.clock import Clock, SystemClock
from bot.ports.store import PreconditionFailed, Store
from bot.services.tenant_docs import RevisionConflict, append_audit, audit_key, document_key

logger = logging.getLogger(__name__)

SCHEMA = 1
MAX_ATTEMPTS = 8
DEFAULT_TENANT = "demo"
SYSTEM_BY = "system"
AUDIT_KIND = "watch"


def _tenant(tenant_id: str | None) -> str:
    return tenant_id or DEFAULT_TENANT


def profile_key(tenant_id: str | None) -> str:
    return document_key(_tenant(tenant_id), "watch_profile")


def audit_log_key(tenant_id: str | None) -> str:
    return audit_key(_tenant(tenant_id), AUDIT_KIND)


class ProfileConflict(RevisionConflict):
    """The profile changed since the form was opened: `current` is the latest revision."""

    def __init__(self, expected: int, current: int) -> None:
        message = f"the watch profile is at revision {current}, not {expected}"
        super().__init__(message, expected, current)


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """A tenant's current profile and who made it: `by` is None for the default profile."""

    profile: WatchProfile
    revision: int
    by: str | None = None
    by_name: str | None = None
    at: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self.by is None


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    stored: StoredProfile
    unchanged: bool = False  # same content as the current revision: nothing written


def changed_fields(before: WatchProfile, after: WatchProfile) -> list[str]:
    """The top-level fields whose value differs (for the audit log)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [name for name in new if name != "tenant_id" and old.get(name) != new[name]]


class ProfileRepository:
    def __init__(self, store: Store, default_path: Path, clock: Clock | None = None) -> None:
        self._store = store
        self._default_path = default_path
        self._clock: Clock = clock or SystemClock()
        self._default: WatchProfile | None = None

    def default(self) -> WatchProfile:
        if self._default is None:
            self._default = WatchProfile.from_yaml(self._default_path.read_text(encoding="utf-8"))
        return self._default

    async def current(self, tenant_id: str | None) -> StoredProfile:
        """The tenant's profile with its revision; the default one is revision 1."""
        found = await self._store.read(profile_key(tenant_id))
        if found is None:
            return StoredProfile(self.default(), 1)
        return _stored(found.value)

    async def get(self, tenant_id: str | None) -> WatchProfile:
        return (await self.current(tenant_id)).profile

    async def save(
        self,
        tenant_id: str | None,
        profile: WatchProfile,
        *,
        by: str,
        by_name: str | None = None,
        expected_revision: int | None = None,
        source: str = "",
    ) -> SaveOutcome:
        """Store `profile` as the tenant's next revision (nothing if it is the same content).

        `expected_revision`: the revision the change was based on; another one is current →
        `ProfileConflict`."""
        key = profile_key(tenant_id)
        for _ in range(MAX_ATTEMPTS):
            found = await self._store.read(key)
            current = _stored(found.value) if found else StoredProfile(self.default(), 1)
            if expected_revision is not None and expected_revision != current.revision:
                raise ProfileConflict(expected_revision, current.revision)
            if not changed_fields(current.profile, profile):
                return SaveOutcome(current, unchanged=True)
            at = self._clock.now()
            stored = StoredProfile(profile, current.revision + 1, by, by_name or by, at)
            value = {
                "schema": SCHEMA,
                "yaml": profile.to_yaml(),
                "by": by,
                "by_name": stored.by_name,
                "revision": stored.revision,
                "at": at.isoformat(),
            }
            try:
                await self._store.write(
                    key,
                    value,
                    if_match=found.etag if found else None,
                    if_none_match=found is None,
                )
            except PreconditionFailed:
                continue
            await self._audit(tenant_id, current, stored, source)
            return SaveOutcome(stored)
        raise PreconditionFailed("the watch profile kept changing; try again")

    async def _audit(
        self, tenant_id: str | None, before: StoredProfile, after: StoredProfile, source: str
    ) -> None:
        record = {
            "event": "watch.saved",
            "revision": after.revision,
            "previous": before.revision,
            "by": after.by,
            "at": after.at.isoformat() if after.at else None,
            "source": source,
            "changed": changed_fields(before.profile, after.profile),
        }
        await append_audit(self._store, _tenant(tenant_id), AUDIT_KIND, record)

    async def audit(self, tenant_id: str | None) -> list[dict[str, object]]:
        """Every change of the tenant's profile, oldest first."""
        return list(await self._store.read_log(audit_log_key(tenant_id)))


def _stored(value: dict[str, object]) -> StoredProfile:
    profile = WatchProfile.from_yaml(str(value["yaml"]))
    revision = value.get("revision")
    at = value.get("at")
    by = value.get("by")
    by_name = value.get("by_name")
    return StoredProfile(
        profile,
        revision if isinstance(revision, int) else 2,  # saved before revisions were counted
        str(by) if by is not None else SYSTEM_BY,
        str(by_name) if by_name is not None else (str(by) if by is not None else None),
        datetime.fromisoformat(at) if isinstance(at, str) else None,
    )


__all__ = [
    "ProfileConflict",
    "ProfileRepository",
    "SaveOutcome",
    "StoredProfile",
    "audit_log_key",
    "profile_key",
]
