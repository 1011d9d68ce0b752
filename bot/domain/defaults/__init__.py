"""Default data shipped with Pulse (package data, read-only)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from bot.domain.editorial import EditorialLine

EDITORIAL_LINE_FILE = "editorial_line.yaml"


def default_editorial_line_yaml() -> str:
    """The default editorial line (the demo company, Velora), as YAML text."""
    return resources.files(__package__).joinpath(EDITORIAL_LINE_FILE).read_text(encoding="utf-8")


@cache
def default_editorial_line() -> EditorialLine:
    """The default editorial line, validated. Raises `EditorialError` if the file is broken."""
    return EditorialLine.from_yaml(default_editorial_line_yaml())
