"""Prompt manager: versioned Jinja templates in `prompts/`, rendered to typed chat messages.

One file per task and role (`answer_question.system.jinja2`, `answer_question.user.jinja2`),
each starting with a `{# prompt: NAME version: N #}` header; both roles of a task carry the same
name and version, and `RenderedPrompt.prompt_id` ("answer_question@1") goes into the logs.

Templates are plain text (no autoescape), `StrictUndefined` (a missing variable is an error, not
an empty string). Data is quoted with two filters that escape `<`, `>` and `&`, so quoted text
can never close the `<posts>` (or any other) data block it sits in:

- `tojson_data`: any value as JSON;
- `post_line`: a `SamplePost` as one JSON line (see `bot.domain.tokens.post_line`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import jinja2

from bot.domain.tokens import post_line

Role = Literal["system", "user", "assistant"]

PROMPTS_DIR: Final = Path(__file__).resolve().parents[3] / "prompts"
ROLES: Final[tuple[Role, ...]] = ("system", "user")
_HEADER_RE: Final = re.compile(r"\A\{#\s*prompt:\s*(?P<name>[\w.-]+)\s+version:\s*(?P<v>\d+)\s*#\}")


class PromptError(Exception):
    """A template is missing, has no valid header, or cannot be rendered."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str

    def to_openai(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    name: str
    version: int
    messages: tuple[ChatMessage, ...]

    @property
    def prompt_id(self) -> str:
        return f"{self.name}@{self.version}"

    def to_openai(self) -> list[dict[str, str]]:
        return [m.to_openai() for m in self.messages]


def tojson_data(value: Any) -> str:
    """JSON with `<`, `>` and `&` escaped: quoted data that cannot break out of its block."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def yaml_data(value: str) -> str:
    """YAML text pasted in a data block, with `<` and `>` escaped for the same reason."""
    return value.strip().replace("<", "\\u003c").replace(">", "\\u003e")


class PromptManager:
    def __init__(self, directory: Path = PROMPTS_DIR) -> None:
        self._directory = directory
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain-text prompts; data is escaped by the filters
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters["tojson_data"] = tojson_data
        self._env.filters["post_line"] = post_line
        self._env.filters["yaml_data"] = yaml_data
        self._headers: dict[str, tuple[str, int]] = {}

    def header(self, template: str) -> tuple[str, int]:
        """(name, version) from a template's header comment."""
        if template not in self._headers:
            path = self._directory / template
            try:
                source = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise PromptError(f"prompt template {template} not found") from exc
            match = _HEADER_RE.match(source)
            if match is None:
                raise PromptError(f"{template}: missing '{{# prompt: NAME version: N #}}' header")
            self._headers[template] = (match["name"], int(match["v"]))
        return self._headers[template]

    def version(self, task: str) -> tuple[str, int]:
        """The task's (name, version); its system and user templates must agree."""
        headers = {self.header(f"{task}.{role}.jinja2") for role in ROLES}
        if len(headers) != 1:
            raise PromptError(f"{task}: system and user templates disagree on name or version")
        return headers.pop()

    def prompt_id(self, task: str) -> str:
        name, version = self.version(task)
        return f"{name}@{version}"

    def render(self, task: str, **variables: Any) -> RenderedPrompt:
        """Render the task's system and user messages with the same variables."""
        name, version = self.version(task)
        messages = []
        for role in ROLES:
            template = f"{task}.{role}.jinja2"
            try:
                text = self._env.get_template(template).render(**variables)
            except jinja2.TemplateError as exc:
                raise PromptError(f"{template}: {exc}") from exc
            messages.append(ChatMessage(role=role, content=text.strip() + "\n"))
        return RenderedPrompt(name=name, version=version, messages=tuple(messages))
