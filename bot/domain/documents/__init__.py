"""The tenant-document kit: located YAML and coded problems, for every document a tenant edits
(the editorial line, the watch profile)."""

from bot.domain.documents.located import LocatedYaml, located, validated
from bot.domain.documents.problems import (
    FRIENDLY,
    Collector,
    DocumentError,
    Invalid,
    Issue,
    Loc,
    Problem,
    format_loc,
    invalid,
    issues_of,
    parse_loc,
)

__all__ = [
    "FRIENDLY",
    "Collector",
    "DocumentError",
    "Invalid",
    "Issue",
    "Loc",
    "LocatedYaml",
    "Problem",
    "format_loc",
    "invalid",
    "issues_of",
    "located",
    "parse_loc",
    "validated",
]
