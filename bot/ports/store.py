"""The storage port: everything Pulse remembers goes through one `Store`.

Keys are `/`-separated paths of safe characters (`[A-Za-z0-9._=@-]` segments), e.g.
`tenants/<tid>/drafts/<id>`. Values are JSON objects. Every value has an ETag that changes on
each write; read-modify-write uses compare-and-set (`if_match`), exactly-once effects use
create-only writes (`if_none_match=True`).

Values, logs and leases are three separate namespaces: a log or a lease may share a name with a
value, and `list()` returns value keys only (so a cache purge can never touch a log).

Leases: `acquire_lease` returns None while anyone (including the same holder) holds a live lease.
Backends may round the duration (Azure Blob: 15–60 s); `Lease.expires_at` is the real expiry, so
renew well before it. A lapsed lease that nobody took yet may still be renewed by its holder.

`StorageUnavailable` from a write means "outcome unknown": the write may or may not have landed,
but a value is never half-written (a later read shows the whole old or the whole new value).

Implementations: `bot.clients.store` (`LocalDirStore`, `BlobStore`, `create_store(settings)`).
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

JSON = dict[str, Any]

_KEY_RE = re.compile(r"^[A-Za-z0-9._=@-]+(/[A-Za-z0-9._=@-]+)*$")


class StorageError(Exception):
    """Base class of every storage failure."""


class StorageUnavailable(StorageError):
    """The backend could not be reached or did not answer within the time budget."""


class PreconditionFailed(StorageError):
    """A compare-and-set lost: the ETag given no longer matches (someone else wrote first)."""


class AlreadyExists(PreconditionFailed):
    """A create-only write found the key already there."""


class InvalidKey(StorageError, ValueError):
    """A key that does not follow the key rules."""


class CorruptRecord(StorageError):
    """A stored value that is not a JSON object."""


def check_key(key: str) -> str:
    if len(key) > 512 or not _KEY_RE.match(key) or any(p in (".", "..") for p in key.split("/")):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class Versioned:
    value: JSON
    etag: str
    last_modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    key: str
    holder: str
    lease_id: str
    expires_at: datetime | None


@runtime_checkable
class Store(Protocol):
    async def read(self, key: str) -> Versioned | None:
        """The value and its ETag, or None when the key does not exist.

        Any other failure raises (`StorageUnavailable`, ...): never "missing" on error."""

    async def write(
        self, key: str, value: JSON, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str:
        """Write and return the new ETag.

        `if_match`: only if the current ETag is this one, else `PreconditionFailed`.
        `if_none_match`: only if the key does not exist, else `AlreadyExists`."""

    async def delete(self, key: str, *, if_match: str | None = None) -> bool:
        """Delete; False when there was nothing. A stale `if_match` raises `PreconditionFailed`."""

    async def list(self, prefix: str) -> builtins.list[str]:
        """Every key that starts with `prefix`, sorted."""

    async def append(self, log: str, record: JSON) -> None:
        """Append one record to an append-only log (the audit log). Never rewritten."""

    async def read_log(self, log: str) -> builtins.list[JSON]:
        """Every record of a log, in order of appending."""

    async def acquire_lease(self, key: str, holder: str, duration_s: float) -> Lease | None:
        """Take the lease on `key` for `duration_s` seconds, or None if someone else holds it."""

    async def renew_lease(self, lease: Lease) -> Lease | None:
        """Extend a lease we hold; None if it was lost (lapsed and taken)."""

    async def release_lease(self, lease: Lease) -> None:
        """Give the lease up at once (no-op if already lost)."""

    async def ping(self) -> None:
        """Raise `StorageUnavailable` unless the backend answers (used by /readyz)."""

    async def close(self) -> None:
        """Release connections."""
