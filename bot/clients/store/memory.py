"""The `Store` port in memory, for one process: back-tests (`scripts/replay_alerts.py`) and
evaluations that replay weeks of checks. Same contract as `LocalDirStore` (ETags,
compare-and-set, create-only, logs, leases); nothing survives the process."""

from __future__ import annotations

import builtins
import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

from bot.ports.store import JSON, AlreadyExists, Lease, PreconditionFailed, Versioned, check_key


class MemoryStore:
    def __init__(self) -> None:
        self._kv: dict[str, tuple[str, str]] = {}  # key -> (etag, JSON text)
        self._logs: dict[str, builtins.list[str]] = {}
        self._leases: dict[str, Lease] = {}
        self._durations: dict[str, float] = {}  # lease id -> seconds

    async def read(self, key: str) -> Versioned | None:
        found = self._kv.get(check_key(key))
        if found is None:
            return None
        return Versioned(json.loads(found[1]), found[0])

    async def write(
        self, key: str, value: JSON, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str:
        key = check_key(key)
        current = self._kv.get(key)
        if if_none_match and current is not None:
            raise AlreadyExists(key)
        if if_match is not None and (current is None or current[0] != if_match):
            raise PreconditionFailed(key)
        etag = uuid.uuid4().hex
        self._kv[key] = (etag, json.dumps(value))
        return etag

    async def delete(self, key: str, *, if_match: str | None = None) -> bool:
        key = check_key(key)
        current = self._kv.get(key)
        if current is None:
            return False
        if if_match is not None and current[0] != if_match:
            raise PreconditionFailed(key)
        del self._kv[key]
        return True

    async def list(self, prefix: str) -> builtins.list[str]:
        return sorted(k for k in self._kv if k.startswith(prefix))

    async def append(self, log: str, record: JSON) -> None:
        self._logs.setdefault(check_key(log), []).append(json.dumps(record))

    async def read_log(self, log: str) -> builtins.list[JSON]:
        return [json.loads(r) for r in self._logs.get(check_key(log), [])]

    async def acquire_lease(self, key: str, holder: str, duration_s: float) -> Lease | None:
        now = datetime.now(UTC)
        current = self._leases.get(key)
        if current is not None and current.expires_at is not None and current.expires_at > now:
            return None
        lease = Lease(key, holder, uuid.uuid4().hex, now + timedelta(seconds=duration_s))
        self._leases[key] = lease
        self._durations[lease.lease_id] = duration_s
        return copy.copy(lease)

    async def renew_lease(self, lease: Lease) -> Lease | None:
        current = self._leases.get(lease.key)
        if current is None or current.lease_id != lease.lease_id:
            return None
        duration = timedelta(seconds=self._durations.get(lease.lease_id, 30.0))
        renewed = Lease(lease.key, lease.holder, lease.lease_id, datetime.now(UTC) + duration)
        self._leases[lease.key] = renewed
        return renewed

    async def release_lease(self, lease: Lease) -> None:
        current = self._leases.get(lease.key)
        if current is not None and current.lease_id == lease.lease_id:
            del self._leases[lease.key]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
