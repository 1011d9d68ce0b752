"""What both queue backends share: the message body format and the enqueue dedupe index."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.logs import correlation_id
from bot.ports.queue import JSON, Job, MalformedMessage
from bot.ports.store import AlreadyExists, PreconditionFailed, Store

BODY_VERSION = 1
# Azure queue names: 3-63 characters, lowercase letters, digits and single dashes.
_QUEUE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
_KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Azure's limit is 64 KiB per message; base64 costs a third.
MAX_BODY_BYTES = 48 * 1024


def check_queue_name(name: str) -> str:
    if not _QUEUE_NAME.match(name) or name.endswith("-poison"):
        raise ValueError(
            f"invalid queue name {name!r}: 3-63 lowercase letters, digits and single dashes, "
            "not ending in -poison (reserved for the poison queue)"
        )
    return name


def poison_name(name: str) -> str:
    return f"{name}-poison"[:63]


def check_kind(kind: str) -> str:
    if not _KIND.match(kind):
        raise ValueError(f"invalid job kind {kind!r}: [a-z][a-z0-9_.-]*, at most 64 characters")
    return kind


def new_job_id() -> str:
    return uuid.uuid4().hex


def encode_job(job: Job, extra: JSON | None = None) -> str:
    """base64 of the JSON body (what Azure Functions and the portal expect of queue messages)."""
    body: JSON = {
        "v": BODY_VERSION,
        "id": job.id,
        "kind": job.kind,
        "payload": job.payload,
        "dedupe_key": job.dedupe_key,
        "enqueued_at": (job.enqueued_at or datetime.now(UTC)).isoformat(),
        "correlation_id": job.correlation_id,
        **(extra or {}),
    }
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError(
            f"job payload too large ({len(raw)} bytes > {MAX_BODY_BYTES}): "
            "store the data and enqueue its key"
        )
    return base64.b64encode(raw).decode("ascii")


def decode_body(text: str) -> JSON:
    try:
        body = json.loads(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise MalformedMessage("queue message is not base64 JSON") from exc
    if not isinstance(body, dict):
        raise MalformedMessage("queue message is not a JSON object")
    return body


def decode_job(text: str, *, dequeue_count: int = 0) -> Job:
    body = decode_body(text)
    if body.get("v") != BODY_VERSION:
        raise MalformedMessage("queue message is not a Pulse job (v1)")
    payload, kind, job_id = body.get("payload"), body.get("kind"), body.get("id")
    if not isinstance(payload, dict) or not isinstance(kind, str) or not isinstance(job_id, str):
        raise MalformedMessage("queue message lacks id, kind or payload")
    dedupe = body.get("dedupe_key")
    cid = body.get("correlation_id")
    enqueued_at = parse_time(body.get("enqueued_at"))
    return Job(
        id=job_id,
        kind=kind,
        payload=payload,
        dedupe_key=dedupe if isinstance(dedupe, str) else None,
        enqueued_at=enqueued_at,
        dequeue_count=dequeue_count,
        correlation_id=cid if isinstance(cid, str) else None,
    )


def new_job(kind: str, payload: JSON, dedupe_key: str | None, job_id: str) -> Job:
    """A job to enqueue, carrying the current correlation id (of the turn that enqueues it)."""
    cid = correlation_id.get()
    return Job(
        job_id,
        check_kind(kind),
        dict(check_payload(payload)),
        dedupe_key,
        datetime.now(UTC),
        0,
        None if cid == "-" else cid,
    )


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def check_payload(payload: JSON) -> JSON:
    if not isinstance(payload, dict):
        raise TypeError("a job payload is a JSON object")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"job payload is not JSON-serialisable: {exc}") from exc
    return payload


# -- enqueue dedupe ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming a dedupe key: `fresh` means "enqueue it, with `job_id`"."""

    job_id: str
    fresh: bool
    etag: str | None = None


class DedupeIndex(Protocol):
    async def claim(self, queue: str, dedupe_key: str, job_id: str) -> Claim: ...

    async def confirm(self, queue: str, dedupe_key: str, claim: Claim) -> None: ...

    async def forget(self, queue: str, dedupe_key: str, claim: Claim) -> None: ...


class MemoryDedupeIndex:
    """One process's memory (the in-process queue of demo mode)."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._seen: dict[tuple[str, str], tuple[str, datetime]] = {}

    async def claim(self, queue: str, dedupe_key: str, job_id: str) -> Claim:
        now = datetime.now(UTC)
        seen = self._seen.get((queue, dedupe_key))
        if seen is not None and now - seen[1] < self.ttl:
            return Claim(seen[0], fresh=False)
        self._seen[(queue, dedupe_key)] = (job_id, now)
        if len(self._seen) > 100_000:
            self._seen = {k: v for k, v in self._seen.items() if now - v[1] < self.ttl}
        return Claim(job_id, fresh=True)

    async def confirm(self, queue: str, dedupe_key: str, claim: Claim) -> None:
        return None

    async def forget(self, queue: str, dedupe_key: str, claim: Claim) -> None:
        seen = self._seen.get((queue, dedupe_key))
        if seen is not None and seen[0] == claim.job_id:
            del self._seen[(queue, dedupe_key)]


class StoreDedupeIndex:
    """Create-only markers in the shared `Store`: `queues/<queue>/dedupe/<sha256 of the key>`.

    A marker is written `pending` before the message is sent and `sent` after. A crash between
    the two leaves a `pending` marker: after `pending_grace` another enqueue takes it over
    (compare-and-set) and sends, so a job is never lost for good; within the grace period a
    repeat is assumed to be in flight and returns the same id.
    """

    def __init__(
        self, store: Store, ttl: timedelta, pending_grace: timedelta = timedelta(seconds=60)
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.pending_grace = pending_grace

    @staticmethod
    def key(queue: str, dedupe_key: str) -> str:
        digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:40]
        return f"queues/{queue}/dedupe/{digest}"

    async def claim(self, queue: str, dedupe_key: str, job_id: str) -> Claim:
        key = self.key(queue, dedupe_key)
        for _ in range(5):
            now = datetime.now(UTC)
            value = {"job_id": job_id, "state": "pending", "at": now.isoformat()}
            try:
                etag = await self.store.write(key, value, if_none_match=True)
                return Claim(job_id, fresh=True, etag=etag)
            except AlreadyExists:
                pass
            current = await self.store.read(key)
            if current is None:
                continue  # deleted meanwhile: try the create again
            at = parse_time(current.value.get("at")) or datetime.min.replace(tzinfo=UTC)
            age = now - at
            state = current.value.get("state")
            stale = age >= self.ttl or (state == "pending" and age >= self.pending_grace)
            if not stale:
                return Claim(str(current.value.get("job_id", "")), fresh=False)
            try:
                etag = await self.store.write(key, value, if_match=current.etag)
                return Claim(job_id, fresh=True, etag=etag)
            except PreconditionFailed:
                continue
        raise PreconditionFailed(f"dedupe marker {key}: too much contention")

    async def confirm(self, queue: str, dedupe_key: str, claim: Claim) -> None:
        value = {"job_id": claim.job_id, "state": "sent", "at": datetime.now(UTC).isoformat()}
        with contextlib.suppress(PreconditionFailed):  # taken over meanwhile: theirs stands
            await self.store.write(self.key(queue, dedupe_key), value, if_match=claim.etag)

    async def forget(self, queue: str, dedupe_key: str, claim: Claim) -> None:
        with contextlib.suppress(PreconditionFailed):
            await self.store.delete(self.key(queue, dedupe_key), if_match=claim.etag)


def backoff_delay(dequeue_count: int, base_s: float, max_s: float) -> float:
    """Exponential backoff after the n-th failed delivery: base, 2·base, 4·base, … ≤ max."""
    return float(min(max_s, base_s * (2 ** max(0, dequeue_count - 1))))
