"""Logging: correlation ids, optional JSON lines, and redaction of every secret.

A secret never reaches a log: the redaction filter sits on the root handlers, so it covers
third-party loggers too (tweepy logs the bearer token at DEBUG; msal and azure log headers).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

REDACTED = "***"
# Credentials recognisable by their shape, whatever their value.
_GENERIC_PATTERNS = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic)\s+)[A-Za-z0-9._~+/=%-]+"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=%-]{16,}"),
    re.compile(r"(?i)(AccountKey=)[^;\s'\"]+"),
    re.compile(r"(?i)(SharedAccessSignature=|[?&]sig=)[^;&\s'\"]+"),
    re.compile(r"(?i)(client_secret=|\"client_secret\":\s*\")[^&\s\"]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"),  # JWTs
]


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _GENERIC_PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        record.correlation_id = correlation_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", "-"),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"


def setup_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    """Configure the root logger once, with redaction on every handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pulse", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._pulse = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def quiet_azure_sdk(level: str) -> None:
    """The Azure SDK logs every HTTP request and response at INFO: keep that for DEBUG only."""
    if level != "DEBUG":
        logging.getLogger("azure").setLevel(logging.WARNING)
