"""Helpers shared by the storage backends (not part of the public API)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from bot.ports.store import JSON, CorruptRecord, InvalidKey

_PREFIX_RE = re.compile(r"^[A-Za-z0-9._=@/-]*$")


def check_prefix(prefix: str) -> str:
    """A listing prefix: key characters and `/`, possibly ending mid-segment, or empty."""
    if (
        len(prefix) > 512
        or not _PREFIX_RE.match(prefix)
        or prefix.startswith("/")
        or "//" in prefix
        or any(p == ".." for p in prefix.split("/"))
    ):
        raise InvalidKey(f"invalid storage prefix: {prefix!r}")
    return prefix


def check_value(value: Any) -> JSON:
    if not isinstance(value, dict):
        raise TypeError(f"a stored value must be a JSON object, not {type(value).__name__}")
    return value


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; raises TypeError for values JSON cannot represent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def loads_object(data: bytes | str, what: str) -> JSON:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptRecord(f"{what}: not valid JSON ({exc.__class__.__name__})") from exc
    if not isinstance(value, dict):
        raise CorruptRecord(f"{what}: not a JSON object")
    return value


def log_line(record: JSON) -> bytes:
    """One log line. The id lets a reader drop a record appended twice by a transport retry."""
    check_value(record)
    return dumps({"id": uuid.uuid4().hex, "record": record}) + b"\n"


def parse_log(data: bytes, what: str, logger_warning: Any) -> list[JSON]:
    """Records of a JSON-lines log, in order; torn or duplicated lines are skipped."""
    records: list[JSON] = []
    seen: set[str] = set()
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            record = entry["record"]
            line_id = str(entry["id"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            logger_warning("log %s: skipping unreadable line %d", what, number)
            continue
        if line_id in seen or not isinstance(record, dict):
            continue
        seen.add(line_id)
        records.append(record)
    return records
