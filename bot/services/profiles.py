"""Per-tenant watch profiles: what "us" is on X. Stored; the demo profile is the default."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.domain.watch import WatchProfile
from bot.ports.store import PreconditionFailed, Store

logger = logging.getLogger(__name__)

SCHEMA = 1


def profile_key(tenant_id: str) -> str:
    return f"tenants/{tenant_id}/watch_profile"


class ProfileRepository:
    def __init__(self, store: Store, default_path: Path) -> None:
        self._store = store
        self._default_path = default_path
        self._default: WatchProfile | None = None

    def default(self) -> WatchProfile:
        if self._default is None:
            self._default = WatchProfile.from_yaml(self._default_path.read_text(encoding="utf-8"))
        return self._default

    async def get(self, tenant_id: str | None) -> WatchProfile:
        if not tenant_id:
            return self.default()
        current = await self._store.read(profile_key(tenant_id))
        if current is None:
            return self.default()
        return WatchProfile.from_yaml(str(current.value["yaml"]))

    async def save(self, tenant_id: str, profile: WatchProfile, *, by: str) -> None:
        key = profile_key(tenant_id)
        for _ in range(5):
            current = await self._store.read(key)
            value = {"schema": SCHEMA, "yaml": profile.to_yaml(), "by": by}
            try:
                await self._store.write(
                    key,
                    value,
                    if_match=current.etag if current else None,
                    if_none_match=current is None,
                )
                return
            except PreconditionFailed:
                continue
        raise PreconditionFailed("the watch profile kept changing; try again")
