"""`BlobStore`: the `Store` port on Azure Blob Storage (production; Azurite locally).

Names in the container::

    kv/<key>                      block blob, the JSON value; the blob ETag is the value's ETag
    log/<log>/<YYYY-MM>[.<part>]  append blobs, JSON lines {"id", "record"}: one per month
    lease/<key>                   empty block blob carrying a blob lease

Logs are split by month (UTC) and, within a month, into parts of at most `log_part_blocks`
appends: an append blob takes at most 50,000 blocks, and the audit log must never stop taking
records. An instance finds the month's last part by listing once, then follows the committed
block count each append returns; `read_log` reads every part in order (and a `log/<log>` blob
written before logs were split, first).

Concurrency is the service's: compare-and-set with `If-Match` (412 → `PreconditionFailed`),
create-only with `If-None-Match: *` (409 → `AlreadyExists`), logs as append blobs (a block is
appended atomically, never rewritten; a transport retry that appended a line twice is dropped on
read by the line id), leases as blob leases.

Leases: Azure accepts 15–60 s (or infinite, which we never use: a crashed leader would keep it
forever). `duration_s` is rounded up and clamped to [15, 60]; `Lease.expires_at` tells the real
expiry. Renew well before it (e.g. at a third of the duration).

Time budget: a Teams turn cannot wait for the SDK defaults (retries after 15 s, 18 s, 24 s). Each
operation gets at most `retry_total` quick retries (linear backoff `retry_backoff_s`), transport
timeouts derived from `timeout_s`, and an overall `asyncio.timeout(timeout_s)`; anything that does
not answer in time raises `StorageUnavailable`. `StorageUnavailable` on a write means "outcome
unknown": a block blob upload is atomic, so a later read shows the whole old or the whole new value.

A read error other than 404 raises; it is never reported as "missing". The connection string and
account key are never logged (only the account host and container are).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from azure.core import MatchConditions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import (
    BlobClient,
    BlobLeaseClient,
    BlobServiceClient,
    ContainerClient,
    LinearRetry,
)

from bot.clients.azure_transport import transport_options
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
    Lease,
    PreconditionFailed,
    StorageError,
    StorageUnavailable,
    Versioned,
    check_key,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

KV = "kv/"
LOG = "log/"
LEASE = "lease/"
LEASE_MIN_S = 15
LEASE_MAX_S = 60
APPEND_BLOB_MAX_BLOCKS = 50_000
LOG_PART_BLOCKS = 49_000
"""Appends per log part: below Azure's cap, so appends already in flight still fit."""
_JSON_CONTENT = ContentSettings(content_type="application/json")
_LOG_CONTENT = ContentSettings(content_type="application/x-ndjson")


def clamp_lease_duration(duration_s: float) -> int:
    """The lease duration Azure will actually grant for a requested one."""
    return max(LEASE_MIN_S, min(LEASE_MAX_S, math.ceil(duration_s)))


class BlobStore:
    """The `Store` port on one blob container, created when missing (once, on first use)."""

    def __init__(
        self,
        *,
        container: str,
        connection_string: str | None = None,
        account_url: str | None = None,
        credential: Any | None = None,
        timeout_s: float = 5.0,
        retry_total: int = 2,
        retry_backoff_s: float = 0.2,
        log_part_blocks: int = LOG_PART_BLOCKS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if not container:
            raise ValueError("container is required")
        if not 0 < log_part_blocks <= APPEND_BLOB_MAX_BLOCKS:
            raise ValueError(f"log_part_blocks must be in 1..{APPEND_BLOB_MAX_BLOCKS}")
        self.container = container
        self.timeout_s = timeout_s
        self.log_part_blocks = log_part_blocks
        self._clock = clock
        self._log_parts: dict[str, int] = {}  # "<log>/<month>" -> the part appends go to
        self._owned_credential: Any | None = None
        transport = transport_options(
            LinearRetry,
            timeout_s=timeout_s,
            retry_total=retry_total,
            retry_backoff_s=retry_backoff_s,
        )
        if connection_string:
            self._service = BlobServiceClient.from_connection_string(connection_string, **transport)
        elif account_url:
            if credential is None:
                from azure.identity.aio import DefaultAzureCredential

                credential = self._owned_credential = DefaultAzureCredential()
            self._service = BlobServiceClient(account_url, credential=credential, **transport)
        else:
            raise ValueError("BlobStore needs a connection string or an account URL")
        self._container: ContainerClient = self._service.get_container_client(container)
        self._container_ready = False
        self._container_lock = asyncio.Lock()
        self._lease_durations: dict[str, int] = {}
        self._where = f"{urlsplit(self._service.url).netloc}/{container}"

    def __repr__(self) -> str:
        return f"BlobStore({self._where!r})"

    # -- plumbing ---------------------------------------------------------------------------

    async def _op(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._ensure_container()
                return await fn()
        except StorageError:
            raise
        except TimeoutError:
            raise StorageUnavailable(
                f"blob store {self._where} {what}: no answer within {self.timeout_s:g}s"
            ) from None
        except (ServiceRequestError, ServiceResponseError, aiohttp.ClientError, OSError) as exc:
            raise StorageUnavailable(
                f"blob store {self._where} {what}: {exc.__class__.__name__}"
            ) from exc
        except ClientAuthenticationError as exc:
            raise StorageError(f"blob store {self._where} {what}: authentication failed") from exc
        except HttpResponseError as exc:
            status = exc.status_code or 0
            code = getattr(exc, "error_code", None)
            if status in (408, 429) or status >= 500:
                raise StorageUnavailable(
                    f"blob store {self._where} {what}: HTTP {status} {code or ''}".rstrip()
                ) from exc
            raise StorageError(
                f"blob store {self._where} {what}: HTTP {status} {code or ''}".rstrip()
            ) from exc
        except AzureError as exc:
            raise StorageUnavailable(
                f"blob store {self._where} {what}: {exc.__class__.__name__}"
            ) from exc

    async def _ensure_container(self) -> None:
        if self._container_ready:
            return
        async with self._container_lock:
            if self._container_ready:
                return
            try:
                await self._container.create_container()
                logger.info("created blob container %s", self._where)
            except ResourceExistsError:
                pass
            except HttpResponseError as exc:
                if exc.status_code != 403:
                    raise
                # An identity with data-plane rights only may not create containers: assume it
                # exists, and let the next operation tell otherwise.
                logger.warning(
                    "may not create container %s (HTTP 403): assuming it exists", self._where
                )
            self._container_ready = True

    def _blob(self, name: str) -> BlobClient:
        return self._container.get_blob_client(name)

    # -- values -----------------------------------------------------------------------------

    async def read(self, key: str) -> Versioned | None:
        blob = self._blob(KV + check_key(key))

        async def run() -> Versioned | None:
            try:
                downloader = await blob.download_blob()
                data = await downloader.readall()
            except ResourceNotFoundError:
                return None
            props = downloader.properties
            return Versioned(
                value=loads_object(data, f"key {key!r}"),
                etag=str(props.etag),
                last_modified=props.last_modified,
            )

        return await self._op("read", run)

    async def write(
        self, key: str, value: JSON, *, if_match: str | None = None, if_none_match: bool = False
    ) -> str:
        blob = self._blob(KV + check_key(key))
        if if_match is not None and if_none_match:
            raise ValueError("if_match and if_none_match cannot be combined")
        data = dumps(check_value(value))
        conditions: dict[str, Any]
        if if_none_match:
            conditions = {"overwrite": False}
        elif if_match == "*":
            conditions = {
                "overwrite": True,
                "match_condition": MatchConditions.IfPresent,
            }
        elif if_match is not None:
            conditions = {
                "overwrite": True,
                "etag": if_match,
                "match_condition": MatchConditions.IfNotModified,
            }
        else:
            conditions = {"overwrite": True}

        async def run() -> str:
            try:
                result = await blob.upload_blob(data, content_settings=_JSON_CONTENT, **conditions)
            except HttpResponseError as exc:
                status, code = exc.status_code, str(getattr(exc, "error_code", "") or "")
                if if_none_match and status in (409, 412):
                    raise AlreadyExists(f"key {key!r} already exists") from exc
                if if_match is not None and (
                    status == 412 or (status == 404 and "Container" not in code)
                ):
                    raise PreconditionFailed(f"key {key!r} changed (ETag mismatch)") from exc
                raise
            return str(result["etag"])

        return await self._op("write", run)

    async def delete(self, key: str, *, if_match: str | None = None) -> bool:
        blob = self._blob(KV + check_key(key))
        conditions: dict[str, Any] = {}
        if if_match == "*":
            conditions = {"match_condition": MatchConditions.IfPresent}
        elif if_match is not None:
            conditions = {"etag": if_match, "match_condition": MatchConditions.IfNotModified}

        async def run() -> bool:
            try:
                await blob.delete_blob(**conditions)
            except ResourceNotFoundError:
                return False
            except HttpResponseError as exc:
                if exc.status_code == 412:
                    raise PreconditionFailed(f"key {key!r} changed (ETag mismatch)") from exc
                raise
            return True

        return await self._op("delete", run)

    async def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)

        async def run() -> list[str]:
            names = [
                name[len(KV) :]
                async for name in self._container.list_blob_names(name_starts_with=KV + prefix)
            ]
            names.sort()
            return names

        return await self._op("list", run)

    # -- logs -------------------------------------------------------------------------------

    @staticmethod
    def _part_name(log: str, month: str, part: int) -> str:
        return f"{LOG}{log}/{month}" + (f".{part:04d}" if part else "")

    @staticmethod
    def _part_order(name: str) -> tuple[str, int]:
        """Sort key of a part's name: its month, then its part number."""
        month, _, part = name.rpartition("/")[2].partition(".")
        return month, int(part) if part.isdigit() else 0

    async def _parts(self, log: str, month: str = "") -> builtins.list[str]:
        """Names of the log's parts (of one month, if given), in order."""
        depth = log.count("/") + 2  # "log/<log>/<part>": not the parts of a log nested in it
        names = [
            n
            async for n in self._container.list_blob_names(name_starts_with=f"{LOG}{log}/{month}")
            if n.count("/") == depth
        ]
        return sorted(names, key=self._part_order)

    async def append(self, log: str, record: JSON) -> None:
        check_key(log)
        line = log_line(record)
        month = self._clock().astimezone(UTC).strftime("%Y-%m")
        slot = f"{log}/{month}"

        async def append_to(blob: BlobClient) -> int:
            try:
                result = await blob.append_block(line)
            except ResourceNotFoundError:
                try:
                    await blob.create_append_blob(
                        content_settings=_LOG_CONTENT,
                        match_condition=MatchConditions.IfMissing,
                    )
                except HttpResponseError as exc:
                    if exc.status_code not in (409, 412):  # 409/412: created meanwhile
                        raise
                result = await blob.append_block(line)
            committed = result.get("blob_committed_block_count")
            return committed if isinstance(committed, int) else int(str(committed or 0))

        async def run() -> None:
            part = self._log_parts.get(slot)
            if part is None:
                parts = await self._parts(log, month)
                part = self._part_order(parts[-1])[1] if parts else 0
            while True:
                try:
                    committed = await append_to(self._blob(self._part_name(log, month, part)))
                except HttpResponseError as exc:
                    if getattr(exc, "error_code", None) != "BlockCountExceedsLimit":
                        raise
                    part += 1  # full (another instance filled it): on to the next part
                    continue
                if committed >= self.log_part_blocks:
                    part += 1
                if len(self._log_parts) > 10_000:  # months gone by
                    self._log_parts.clear()
                self._log_parts[slot] = part
                return

        await self._op("append", run)

    async def read_log(self, log: str) -> builtins.list[JSON]:
        check_key(log)

        async def download(name: str) -> bytes | None:
            try:
                downloader = await self._blob(name).download_blob()
                return await downloader.readall()
            except ResourceNotFoundError:
                return None

        async def run() -> builtins.list[bytes]:
            found = [await download(name) for name in await self._parts(log)]
            return [data for data in found if data is not None]

        # One parse over every part: a line a retry appended twice is dropped wherever it is.
        return parse_log(b"\n".join(await self._op("read_log", run)), log, logger.warning)

    # -- leases -----------------------------------------------------------------------------

    async def acquire_lease(self, key: str, holder: str, duration_s: float) -> Lease | None:
        if duration_s <= 0:
            raise ValueError("duration_s must be positive")
        blob = self._blob(LEASE + check_key(key))
        duration = clamp_lease_duration(duration_s)
        lease_id = str(uuid.uuid4())

        async def acquire() -> bool:
            try:
                await BlobLeaseClient(blob, lease_id=lease_id).acquire(lease_duration=duration)
            except HttpResponseError as exc:
                if exc.status_code == 409:  # LeaseAlreadyPresent
                    return False
                raise
            return True

        async def run() -> Lease | None:
            try:
                acquired = await acquire()
            except ResourceNotFoundError:
                try:
                    await blob.upload_blob(b"", overwrite=False)
                except HttpResponseError as exc:
                    if exc.status_code not in (409, 412):  # created (or leased) meanwhile
                        raise
                acquired = await acquire()
            if not acquired:
                return None
            self._lease_durations[lease_id] = duration
            return Lease(key, holder, lease_id, datetime.now(UTC) + timedelta(seconds=duration))

        return await self._op("acquire_lease", run)

    async def renew_lease(self, lease: Lease) -> Lease | None:
        blob = self._blob(LEASE + check_key(lease.key))

        async def run() -> Lease | None:
            try:
                await BlobLeaseClient(blob, lease_id=lease.lease_id).renew()
            except HttpResponseError as exc:
                if exc.status_code not in (404, 409, 412):
                    raise
                self._lease_durations.pop(lease.lease_id, None)
                return None
            duration = self._lease_durations.get(lease.lease_id, LEASE_MIN_S)
            expires = datetime.now(UTC) + timedelta(seconds=duration)
            return Lease(lease.key, lease.holder, lease.lease_id, expires)

        return await self._op("renew_lease", run)

    async def release_lease(self, lease: Lease) -> None:
        blob = self._blob(LEASE + check_key(lease.key))

        async def run() -> None:
            try:
                await BlobLeaseClient(blob, lease_id=lease.lease_id).release()
            except HttpResponseError as exc:
                if exc.status_code not in (404, 409, 412):
                    raise
            self._lease_durations.pop(lease.lease_id, None)

        await self._op("release_lease", run)

    # -- health -----------------------------------------------------------------------------

    async def ping(self) -> None:
        async def run() -> None:
            await self._container.get_container_properties()

        await self._op("ping", run)

    async def close(self) -> None:
        await self._service.close()
        if self._owned_credential is not None:
            await self._owned_credential.close()
