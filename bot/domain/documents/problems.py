"""Problems of a tenant document (editorial line, watch profile): what is wrong, and where.

A `Problem` has a stable `code` (ours, such as `hashtag.conflict` or `term.blank`, pydantic's
error type such as `missing`, or the kit's `yaml.syntax`, `yaml.duplicate_key`,
`document.type`), the field path `loc` (`competitors[1].names`), the 1-based `line` / `column`
in the YAML when known, and the `params` its message needs. Users read it phrased from the
locale catalogues by code (`bot/teams/editor.py`); `message` is the English wording for logs,
scripts and the exception text.

Validators report problems by raising `invalid(code, message, **params)` (one problem, at the
validated value) or `Collector.raise_if_any()` (several, each at a path relative to the model);
`issues_of(exc)` turns pydantic's `ValidationError` into located, coded problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

# A path inside a document: ("hashtags", "forbidden", 2) is `hashtags.forbidden[2]`.
Loc = tuple[str | int, ...]

# pydantic's error types, worded in English (users read them from the catalogues by code).
FRIENDLY: Mapping[str, str] = MappingProxyType(
    {
        "missing": "is required",
        "extra_forbidden": "unknown field",
        "string_type": "must be a text",
        "list_type": "must be a list",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping",
        "string_too_short": "must not be empty",
        "too_short": "must not be empty",
    }
)


def format_loc(loc: Sequence[str | int]) -> str:
    """`("hashtags", "forbidden", 2)` → `hashtags.forbidden[2]`; pydantic's `[key]` is dropped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += f".{part}" if out else part
    return out


_PATH_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_loc(path: str) -> Loc:
    """`hashtags.forbidden[2]` → `("hashtags", "forbidden", 2)` (the inverse of `format_loc`)."""
    return tuple(name or int(index) for name, index in _PATH_RE.findall(path))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document, and where (see the module's docstring)."""

    loc: str
    message: str
    code: str
    line: int | None = None
    column: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        at = ""
        if self.line is not None:
            at = f" (line {self.line}" + (
                f", column {self.column})" if self.column is not None else ")"
            )
        return f"{where}{self.message}{at}"

    def at(self, line: int | None, column: int | None) -> Problem:
        return Problem(self.loc, self.message, self.code, line, column, self.params)


class DocumentError(ValueError):
    """A document that cannot be accepted; `problems` lists every problem found."""

    what = "document"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"invalid {self.what} ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem not yet located in a YAML text: its path as a tuple."""

    loc: Loc
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def problem(self, line: int | None = None, column: int | None = None) -> Problem:
        return Problem(format_loc(self.loc), self.message, self.code, line, column, self.params)


class Invalid(ValueError):
    """Raised by validators: one or more issues, each relative to the validated value."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(_issue_text(i) for i in self.issues))


def _issue_text(issue: Issue) -> str:
    where = format_loc(issue.loc)
    return f"{where}: {issue.message}" if where else issue.message


def invalid(code: str, message: str, **params: Any) -> Invalid:
    """One problem with the value being validated (raise it from a field validator)."""
    return Invalid([Issue((), code, message, MappingProxyType(params))])


class Collector:
    """Gathers the problems a model validator finds, so that all are reported at once."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, loc: Loc, code: str, message: str, **params: Any) -> None:
        self.issues.append(Issue(loc, code, message, MappingProxyType(params)))

    def raise_if_any(self) -> None:
        if self.issues:
            raise Invalid(self.issues)


def issues_of(exc: ValidationError) -> list[Issue]:
    """pydantic's errors as coded issues, with the paths of the issues validators raised."""
    out: list[Issue] = []
    for err in exc.errors():
        base: Loc = tuple(err["loc"])
        inner = err.get("ctx", {}).get("error") if err["type"] == "value_error" else None
        if isinstance(inner, Invalid):
            out.extend(Issue(base + i.loc, i.code, i.message, i.params) for i in inner.issues)
        elif isinstance(inner, ValueError):
            out.append(Issue(base, "value_error", str(inner), MappingProxyType({})))
        else:
            kind = err["type"]
            message = FRIENDLY.get(kind, err["msg"])
            out.append(Issue(base, kind, message, MappingProxyType({})))
    return out


__all__ = [
    "FRIENDLY",
    "Collector",
    "DocumentError",
    "Invalid",
    "Issue",
    "Loc",
    "Problem",
    "format_loc",
    "invalid",
    "issues_of",
    "parse_loc",
]
