"""What a compliance check returns: findings (codes and data, never sentences) and the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twitter_text import parse_tweet

from bot.domain.editorial import Severity

__all__ = ["ComplianceReport", "Finding", "ParamValue", "weighted_length"]

ParamValue = str | int | bool | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    text: str  # as given: offsets refer to it
    weighted_length: int
    max_length: int
    lang: str | None  # declared, else detected when it is "fr" / "en"
    detected_lang: str  # "fr" | "en" | "other"
    findings: tuple[Finding, ...]

    @property
    def compliant(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def by_code(self, code: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.code == code)

    def to_data(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "weighted_length": self.weighted_length,
            "max_length": self.max_length,
            "lang": self.lang,
            "detected_lang": self.detected_lang,
            "findings": [f.to_data() for f in self.findings],
        }


def weighted_length(text: str) -> int:
    """Length of a post as X counts it: NFC, URLs 23, emoji 2, CJK 2, most others 1."""
    length: int = parse_tweet(text).weightedLength
    return length
