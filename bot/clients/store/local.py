"""`LocalDirStore`: the `Store` port on a local directory (demo mode, single machine).

Layout under `root`::

    kv/<key>~.json      one file per key: {"etag", "modified", "value"}
    log/<log>~.jsonl    append-only JSON lines: {"id", "record"}
    lease/<key>~.json   {"holder", "lease_id", "expires_at", "duration_s"}
    locks/NN.lock       256 striped lock files (flock), never deleted

The `~` suffix cannot occur in a key, so the file of `a/b` never collides with the directory of
`a/b/c`, and temp files (`...~.json.<uuid>.tmp`) are never listed.

Correct under several processes on one machine: every read-modify-write (CAS write, delete,
append, lease change) runs under an exclusive `flock` on the key's stripe; values are replaced
atomically (temp file, fsync, `os.replace`, fsync of the directory), so a reader always sees a
whole old or a whole new value without taking a lock. All file I/O runs in worker threads
(`asyncio.to_thread`); a lock that cannot be had within `timeout_s` gives `StorageUnavailable`.
Lease expiry uses the wall clock (shared by every process of the machine).
"""

from __future__ import annotations

import asyncio
import builtins
import concurrent.futures
import contextlib
import errno
import functools
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.clients.store._common import (
    check_prefix,
    check_value,
    dumps,
    loads_object,
    log_line,
    parse_log,
)
from bot.ports.store import (
    JSON,
    AlreadyExists,
    CorruptRecord,
    Lease,
    PreconditionFailed,
    StorageError,
    StorageUnavailable,
    Versioned,
    check_key,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to filelock
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

T = TypeVar("T")

SUFFIX = "~.json"
LOG_SUFFIX = "~.jsonl"
STRIPES = 256


class LocalDirStore:
    """The `Store` port on a directory; see the module docstring for the guarantees."""

    def __init__(self, root: str | os.PathLike[str], *, timeout_s: float = 5.0) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.root = Path(root)
        self.timeout_s = timeout_s
        self._kv = self.root / "kv"
        self._log = self.root / "log"
        self._lease = self.root / "lease"
        self._locks = self.root / "locks"
        self._ready = False

    def __repr__(self) -> str:
        return f"LocalDirStore({str(self.root)!r})"

    # -- plumbing ---------------------------------------------------------------------------

    async def _run(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        deadline = time.monotonic() + self.timeout_s
        try:
            async with asyncio.timeout(self.timeout_s + 0.5):
                loop = asyncio.get_running_loop()
                call = functools.partial(self._guarded, what, deadline, fn, *args)
                return await loop.run_in_executor(_executor(), call)
        except TimeoutError:
            raise StorageUnavailable(
                f"local store {what}: no answer within {self.timeout_s:g}s"
            ) from None

    def _guarded(self, what: str, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        try:
            self._setup()
            return fn(deadline, *args)
        except StorageError:
            raise
        except OSError as exc:
            raise StorageUnavailable(
                f"local store {what}: {exc.__class__.__name__}: {exc.strerror or exc}"
            ) from exc

    def _setup(self) -> None:
        if not self._ready:
            for d in (self._kv, self._log, self._lease, self._locks):
                d.mkdir(parents=True, exist_ok=True)
            self._ready = True

    @contextlib.contextmanager
    def _locked(self, name: str, deadline: float) -> Iterator[None]:
        stripe = hashlib.sha256(name.encode()).digest()[0] % STRIPES
        path = self._locks / f"{stripe:03d}.lock"
        if fcntl is None:  # pragma: no cover
            import filelock

            lock = filelock.FileLock(
                str(path), timeout=max(0.0, deadline - time.monotonic()), thread_local=False
            )
            try:
                with lock:
                    yield
            except filelock.Timeout:
                raise StorageUnavailable(f"local store: lock {name!r} busy") from None
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            pause = 0.0005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                if time.monotonic() >= deadline:
                    raise StorageUnavailable(
                        f"local store: lock for {name!r} not obtained in {self.timeout_s:g}s"
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.01)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _path(self, base: Path, key: str, suffix: str) -> Path:
        return base.joinpath(*check_key(key).split("/")).with_name(key.rsplit("/", 1)[-1] + suffix)

    @staticmethod
    def _replace(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(path.parent)

    @staticmethod
    def _read_file(path: Path) -> bytes | None:
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def _read_envelope(self, path: Path, key: str) -> JSON | None:
        data = self._read_file(path)
        if data is None:
            return None
        env = loads_object(data, f"key {key!r}")
        if not isinstance(env.get("value"), dict) or not isinstance(env.get("etag"), str):
            raise CorruptRecord(f"key {key!r}: not a store record")
        return env

    # -- values -----------------------------------------------------------------------------

    async def read(self, key: str) -> Versioned | None:
        path = self._path(self._kv, key, SUFFIX)
        return await self._run("read", self._read_sync, path, key)

    def _read_sync(self, _deadline: float, path: Path, key: str) -> Versioned | None:
        env = self._read_envelope(path, key)
        if env is None:
            return None
        modified = env.get("modified")
        return Versioned(
            value=env["value"],
            etag=env["etag"],
            last_modified=datetime.fromisoformat(modified) if isinstance(modified, str) else None,
        )

    async def write(
        self, key: str, value: JSON, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str:
        path = self._path(self._kv, key, SUFFIX)
        if if_match is not None and if_none_match:
            raise ValueError("if_match and if_none_match cannot be combined")
        etag = uuid.uuid4().hex
        env = {
            "etag": etag,
            "modified": datetime.now(UTC).isoformat(),
            "value": check_value(value),
        }
        data = dumps(env)
        await self._run("write", self._write_sync, path, key, data, if_match, if_none_match)
        return etag

    def _write_sync(
        self,
        deadline: float,
        path: Path,
        key: str,
        data: bytes,
        if_match: str | None,
        if_none_match: bool,
    ) -> None:
        with self._locked("kv:" + key, deadline):
            if if_match is not None or if_none_match:
                current = self._current_etag(path)
                if if_none_match and current is not None:
                    raise AlreadyExists(f"key {key!r} already exists")
                if if_match is not None and (
                    current is None or (if_match != "*" and current != if_match)
                ):
                    raise PreconditionFailed(f"key {key!r} changed (ETag mismatch)")
            self._replace(path, data)

    def _current_etag(self, path: Path) -> str | None:
        data = self._read_file(path)
        if data is None:
            return None
        try:
            etag = loads_object(data, "current").get("etag")
        except StorageError:
            return "<corrupt>"  # a corrupt value exists: it matches no ETag but can be overwritten
        return etag if isinstance(etag, str) else "<corrupt>"

    async def delete(self, key: str, *, if_match: str | None = None) -> bool:
        path = self._path(self._kv, key, SUFFIX)
        return await self._run("delete", self._delete_sync, path, key, if_match)

    def _delete_sync(self, deadline: float, path: Path, key: str, if_match: str | None) -> bool:
        with self._locked("kv:" + key, deadline):
            if if_match is not None:
                current = self._current_etag(path)
                if current is None:
                    return False
                if if_match not in ("*", current):
                    raise PreconditionFailed(f"key {key!r} changed (ETag mismatch)")
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            _fsync_dir(path.parent)
            return True

    async def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        return await self._run("list", self._list_sync, prefix)

    def _list_sync(self, _deadline: float, prefix: str) -> builtins.list[str]:
        head = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self._kv.joinpath(*head.split("/")) if head else self._kv
        keys: list[str] = []
        for dirpath, _dirs, files in os.walk(start):
            rel = Path(dirpath).relative_to(self._kv).as_posix()
            for name in files:
                if name.endswith(SUFFIX):
                    key = name[: -len(SUFFIX)] if rel == "." else f"{rel}/{name[: -len(SUFFIX)]}"
                    if key.startswith(prefix):
                        keys.append(key)
        keys.sort()
        return keys

    # -- logs -------------------------------------------------------------------------------

    async def append(self, log: str, record: JSON) -> None:
        path = self._path(self._log, log, LOG_SUFFIX)
        line = log_line(record)
        await self._run("append", self._append_sync, path, log, line)

    def _append_sync(self, deadline: float, path: Path, log: str, line: bytes) -> None:
        with self._locked("log:" + log, deadline):
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab+") as f:
                size = f.seek(0, os.SEEK_END)
                if size:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":  # a torn last line (crash): never glue onto it
                        line = b"\n" + line
                    f.seek(0, os.SEEK_END)
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

    async def read_log(self, log: str) -> builtins.list[JSON]:
        path = self._path(self._log, log, LOG_SUFFIX)
        data = await self._run("read_log", lambda _d: self._read_file(path))
        return [] if data is None else parse_log(data, log, logger.warning)

    # -- leases -----------------------------------------------------------------------------

    async def acquire_lease(self, key: str, holder: str, duration_s: float) -> Lease | None:
        if duration_s <= 0:
            raise ValueError("duration_s must be positive")
        path = self._path(self._lease, key, SUFFIX)
        return await self._run("acquire_lease", self._acquire_sync, path, key, holder, duration_s)

    def _acquire_sync(
        self, deadline: float, path: Path, key: str, holder: str, duration_s: float
    ) -> Lease | None:
        with self._locked("lease:" + key, deadline):
            now = time.time()
            current = self._read_lease(path)
            if current is not None and float(current["expires_at"]) > now:
                return None
            lease_id = str(uuid.uuid4())
            expires = now + duration_s
            self._replace(
                path,
                dumps(
                    {
                        "holder": holder,
                        "lease_id": lease_id,
                        "expires_at": expires,
                        "duration_s": duration_s,
                    }
                ),
            )
            return Lease(key, holder, lease_id, datetime.fromtimestamp(expires, UTC))

    def _read_lease(self, path: Path) -> JSON | None:
        data = self._read_file(path)
        if data is None:
            return None
        try:
            lease = loads_object(data, "lease")
            float(lease["expires_at"])
            return lease
        except (StorageError, KeyError, TypeError, ValueError):
            logger.warning("lease file %s unreadable: treated as free", path.name)
            return None

    async def renew_lease(self, lease: Lease) -> Lease | None:
        path = self._path(self._lease, lease.key, SUFFIX)
        return await self._run("renew_lease", self._renew_sync, path, lease)

    def _renew_sync(self, deadline: float, path: Path, lease: Lease) -> Lease | None:
        with self._locked("lease:" + lease.key, deadline):
            current = self._read_lease(path)
            if current is None or current.get("lease_id") != lease.lease_id:
                return None
            expires = time.time() + float(current.get("duration_s", 15.0))
            self._replace(path, dumps({**current, "expires_at": expires}))
            return Lease(
                lease.key, lease.holder, lease.lease_id, datetime.fromtimestamp(expires, UTC)
            )

    async def release_lease(self, lease: Lease) -> None:
        path = self._path(self._lease, lease.key, SUFFIX)
        await self._run("release_lease", self._release_sync, path, lease)

    def _release_sync(self, deadline: float, path: Path, lease: Lease) -> None:
        with self._locked("lease:" + lease.key, deadline):
            current = self._read_lease(path)
            if current is not None and current.get("lease_id") == lease.lease_id:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    # -- health -----------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._run("ping", self._ping_sync)

    def _ping_sync(self, _deadline: float) -> None:
        probe = self.root / f".ping-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    async def close(self) -> None:
        return None


_EXECUTOR: concurrent.futures.ThreadPoolExecutor | None = None


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    """File I/O gets its own threads: the event loop's default pool also carries botbuilder's
    outbound replies (synchronous `requests`), which must not queue behind fsyncs."""
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="pulse-store")
    return _EXECUTOR


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
