"""YAML parsed once, keeping where every key and item stands (for located problems).

`LocatedYaml.parse(text)` composes the YAML into nodes, builds the data from those nodes (the
same safe types as `yaml.safe_load`) and raises `DocumentError` with a `yaml.syntax` or
`yaml.duplicate_key` problem at its line and column. `position(loc)` gives the 1-based line
and column of a path: the key of a mapping entry (where the field is named), the item of a
list; the closest parent found when the path goes further than the text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.domain.documents.problems import (
    DocumentError,
    Issue,
    Loc,
    Problem,
    format_loc,
    issues_of,
    parse_loc,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class LocatedYaml:
    data: Any
    node: yaml.Node | None

    @classmethod
    def parse(cls, text: str, error: type[DocumentError] = DocumentError) -> LocatedYaml:
        """Parse `text`; raises `error` listing the syntax error or every duplicate key."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            loader = yaml.SafeLoader("")
            try:
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            detail = exc.problem or str(exc)
            if exc.context:
                detail = f"{exc.context}: {detail}"
            raise error(
                [
                    Problem(
                        "",
                        f"not valid YAML: {detail}",
                        "yaml.syntax",
                        mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None,
                        {"detail": detail},
                    )
                ]
            ) from None
        except yaml.YAMLError as exc:
            detail = str(exc)
            raise error(
                [Problem("", f"not valid YAML: {detail}", "yaml.syntax", params={"detail": detail})]
            ) from None
        duplicates = [
            Problem(
                format_loc(loc),
                f'duplicate key "{key}"',
                "yaml.duplicate_key",
                mark.line + 1,
                mark.column + 1,
                {"key": key},
            )
            for loc, key, mark in _duplicate_keys(node, ())
        ]
        if duplicates:
            raise error(duplicates)
        return cls(data, node)

    def position(self, loc: Sequence[str | int]) -> tuple[int, int] | None:
        """1-based line and column of `loc` (or of its closest parent), None for the root."""
        current = self.node
        mark: yaml.Mark | None = None
        for part in loc:
            if part == "[key]" or current is None:
                break
            if isinstance(current, yaml.MappingNode):
                found = next(
                    (
                        (k, v)
                        for k, v in current.value
                        if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                    ),
                    None,
                )
                if found is None:
                    break
                mark, current = found[0].start_mark, found[1]
            elif (
                isinstance(current, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(current.value)
            ):
                current = current.value[part]
                mark = current.start_mark
            else:
                break
        if mark is None:
            return None
        return mark.line + 1, mark.column + 1

    def place(self, problem: Problem) -> Problem:
        """`problem` with the line and column of its path, when it has none yet."""
        if problem.line is not None:
            return problem
        position = self.position(parse_loc(problem.loc))
        return problem.at(*position) if position else problem

    def locate(self, issue: Issue) -> Problem:
        position = self.position(issue.loc)
        return issue.problem(*(position or (None, None)))


def located(issues: Sequence[Issue], source: LocatedYaml | None) -> list[Problem]:
    """The issues as problems, with their line and column when they came from YAML."""
    if source is None:
        return [issue.problem() for issue in issues]
    return [source.locate(issue) for issue in issues]


def validated(
    model: type[M],
    data: object,
    *,
    source: LocatedYaml | None = None,
    error: type[DocumentError] = DocumentError,
) -> M:
    """`data` (a mapping of fields) validated as `model`; raises `error` listing every problem,
    with its line and column when `source` (the YAML it came from) is given."""
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise error(
            [
                Problem(
                    "",
                    f"expected a mapping of fields at the top level, got {kind}",
                    "document.type",
                    params={"kind": kind},
                )
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(located(issues_of(exc), source)) from None


def _duplicate_keys(
    node: yaml.Node | None, loc: Loc, seen_nodes: set[int] | None = None
) -> Iterator[tuple[Loc, str, yaml.Mark]]:
    # An alias is the same node as its anchor: walked once (no blow-up on nested aliases).
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if node is None or id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield loc, key, key_node.start_mark
            seen.add(key)
            yield from _duplicate_keys(value_node, (*loc, key), seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i), seen_nodes)
