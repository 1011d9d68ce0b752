"""One Teams editor for the documents a tenant edits (editorial line, watch profile).

`DocumentEditor` is written once and parametrised by the kind of document: each kind (a
subclass: `bot/teams/editorial.py`, `bot/teams/watch.py`) supplies its catalogue namespace
(which is also its verbs' prefix), its cards' bodies, its form fields, how the form's data
becomes a document, how it is stored, and who may do what. The editor does the rest:

- the message command (view, edit, export, import; a kind may add more, such as history and
  roll-back), in French or English, judged on the first line;
- the card verbs `<ns>.view`, `<ns>.edit`, `<ns>.save`, `<ns>.export` (Action.Execute; the
  Action.Submit fallback reaches the same handlers), with the comms-only ones refused to others;
- import: a YAML block pasted after the command (fenced or not, plain text or Teams HTML), or a
  `.yaml` file attached in personal chat (`bot/teams/files.py`);
- saving the form: a form opened on an older revision is refused, never merged; problems are
  shown on the form again with what the user typed;
- problems phrased in the user's language from their codes (`<ns>.problems.<code>`), located
  (YAML: line, column and path; form: the field and the item or line number).
"""

from __future__ import annotations

import html
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Generic, TypeVar

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.domain.documents import Problem
from bot.domain.editorial import fold
from bot.i18n import t
from bot.teams.actions import ActionHandler, ActionResult, Actor, CardActionRouter
from bot.teams.activity import strip_mentions
from bot.teams.cards import Card, adaptive_card, card_activity, text_block
from bot.teams.files import FileFetcher, FileRefused, file_attachments

logger = logging.getLogger(__name__)

COMMS_ROLES: Final = frozenset({"admin", "approver"})
DEFAULT_TENANT: Final = "demo"
MAX_PROBLEMS_SHOWN: Final = 12
MAX_YAML_CHARS: Final = 200_000

D = TypeVar("D")


def is_comms(actor: Actor) -> bool:
    return bool(actor.roles & COMMS_ROLES)


def tenant_of(actor: Actor) -> str:
    return actor.tenant_id or DEFAULT_TENANT


# -- reading the command and a YAML block out of a message ------------------------------------

_FENCE_RE: Final = re.compile(r"```[ \t]*(?:ya?ml)?[ \t]*\n(.*?)```", re.IGNORECASE | re.DOTALL)
_HTML_RE: Final = re.compile(r"<(?:p|br|div|pre|code)\b", re.IGNORECASE)
_TAG_RE: Final = re.compile(r"<[^>]+>")
IMPORT_RE: Final = re.compile(r"^(?:import|importer|importe)\b")
EXPORT_RE: Final = re.compile(r"\b(?:export|exporter|exporte|yaml)\b")
EDIT_RE: Final = re.compile(r"\b(?:modifier|modifie|editer|edite|edit|change|changer|update)\b")


@dataclass(frozen=True, slots=True)
class Command:
    kind: str  # view | edit | export | import, or one of the kind's (history | rollback)
    version: int | None = None


def first_line(text: str) -> str:
    """The message's first line, without the mentions opening it, folded."""
    stripped = strip_mentions(text, leading_only=True).strip()
    return fold(stripped.split("\n", 1)[0]).strip()


def html_to_text(text: str) -> str:
    """Teams rich text (HTML) as plain text, keeping line breaks and indentation."""
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</(?:p|div|li|pre)>", "\n", text, flags=re.IGNORECASE)
    text = _TAG_RE.sub("", text)
    return html.unescape(text).replace("\xa0", " ")


def yaml_block_of(
    text: str, attachments: Sequence[Any], is_head: Callable[[str], bool]
) -> str | None:
    """The YAML pasted with a command: fenced anywhere, or the lines after a first line that
    `is_head` accepts (plain text, or Teams HTML when the message has a rich-text copy)."""
    candidates = [text or ""]
    for a in attachments:
        if getattr(a, "content_type", None) == "text/html" and isinstance(a.content, str):
            candidates.insert(0, a.content)
    for raw in candidates:
        plain = html_to_text(raw) if _HTML_RE.search(raw) else raw
        plain = strip_mentions(plain.replace("\r\n", "\n"), leading_only=True)
        fenced = _FENCE_RE.search(plain)
        if fenced:
            body = fenced.group(1)
        else:
            head, _, rest = plain.lstrip("\n").partition("\n")
            body = rest if is_head(head) else ""
        body = body.strip("\n")
        if body.strip() and ":" in body:
            return body[:MAX_YAML_CHARS]
    return None


def expected_of(data: dict[str, Any], key: str) -> int | None:
    """The revision a form was opened on (`data[key]`), if it is a whole number."""
    base = data.get(key)
    if isinstance(base, bool):
        return None
    if isinstance(base, int):
        return base
    if isinstance(base, str) and base.isdigit():
        return int(base)
    return None


# -- card parts -------------------------------------------------------------------------------


def heading(text: str) -> dict[str, Any]:
    return text_block(text, weight="Bolder", spacing="Medium")


def bullets(items: Iterable[str]) -> dict[str, Any] | None:
    listed = [" ".join(i.split()) for i in items if i]
    return text_block("\n".join(f"- {i}" for i in listed)) if listed else None


def mono(text: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, "fontType": "Monospace", "size": "Small"}],
    }


def execute(title: str, verb: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data}


def at_text(value: datetime, lang: str) -> str:
    if lang == "fr":
        return value.strftime("%d/%m/%Y à %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


# -- the kind of document ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """What the editor needs to know of a kind of document to phrase and locate its problems.

    `ns`: the catalogue namespace and the verbs' prefix; `field_of(loc)`: the form field
    showing `loc`, the item's index and its unit ("item" or "line"); `label(field_id, lang)`;
    `base_key`: the form's data key holding the revision it was opened on; `number_name`:
    "version" or "revision", as the catalogue's messages name it."""

    ns: str
    field_of: Callable[[str], tuple[str | None, int | None, str]]
    label: Callable[[str, str], str]
    base_key: str
    number_name: str

    def verb(self, name: str) -> str:
        return f"{self.ns}.{name}"

    def what(self, problem: Problem, lang: str) -> str:
        """What is wrong, in the user's language, from the problem's code."""
        params = {"message": problem.message, **problem.params}
        try:
            return t(lang, f"{self.ns}.problems.{problem.code}", **params)
        except (KeyError, IndexError, ValueError):
            return t(lang, f"{self.ns}.problems.other", message=problem.message)

    def yaml_problem_line(self, problem: Problem, lang: str) -> str:
        parts: list[str] = []
        if problem.line is not None and problem.column is not None:
            parts.append(t(lang, f"{self.ns}.located", line=problem.line, column=problem.column))
        if problem.loc:
            parts.append(f"`{problem.loc}`")
        where = " · ".join(parts) or "—"
        return t(lang, f"{self.ns}.problem", where=where, what=self.what(problem, lang))

    def form_problem_line(self, problem: Problem, lang: str) -> str:
        field_id, index, unit = self.field_of(problem.loc)
        f = f"{self.ns}.form."
        if field_id is None:
            where = t(lang, f + "field_other", path=problem.loc or "—")
        elif index is None:
            where = self.label(field_id, lang)
        else:
            where = t(lang, f + unit, field=self.label(field_id, lang), number=index + 1)
        return t(lang, f"{self.ns}.problem", where=where, what=self.what(problem, lang))

    def problems_text(self, problems: Sequence[Problem], lang: str) -> str:
        lines = [self.yaml_problem_line(p, lang) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"(+{len(problems) - MAX_PROBLEMS_SHOWN})")
        head = t(lang, f"{self.ns}.import.failed", count=len(problems))
        return head + "\n\n" + "\n".join(f"- {x}" for x in lines)

    def form_card(
        self,
        lang: str,
        title: str,
        inputs: Sequence[dict[str, Any]],
        problems: Sequence[Problem],
        base: int,
    ) -> Card:
        """The edit form: title, intro, the problems (if any), the inputs, save and cancel."""
        f = f"{self.ns}.form."
        body: list[dict[str, Any]] = [
            text_block(title, size="Large", weight="Bolder"),
            text_block(t(lang, f + "intro"), isSubtle=True, size="Small"),
        ]
        if problems:
            errors = t(lang, f + "errors_title", count=len(problems))
            body.append(text_block(errors, color="Attention", weight="Bolder"))
            lines = [self.form_problem_line(p, lang) for p in problems[:MAX_PROBLEMS_SHOWN]]
            body.append(
                text_block("\n".join(f"- {x}" for x in lines), color="Attention", size="Small")
            )
        body += inputs
        actions = [
            execute(t(lang, f + "save"), self.verb("save"), **{self.base_key: base}),
            execute(t(lang, f + "cancel"), self.verb("view")),
        ]
        return adaptive_card(body, actions)

    def export_card(self, lang: str, yaml_text: str, number: int) -> Card:
        title = t(lang, f"{self.ns}.export.title", **{self.number_name: number})
        body = [
            text_block(title, weight="Bolder"),
            text_block(t(lang, f"{self.ns}.export.hint"), isSubtle=True, size="Small"),
            mono(yaml_text),
        ]
        return adaptive_card(body)


# -- saving ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Saved(Generic[D]):
    """What storing a change did: the new current document, or its problems, or a conflict
    (`conflict`: the revision the change was based on, while another one is current)."""

    doc: D | None = None
    problems: Sequence[Problem] = ()
    unchanged: bool = False
    conflict: int | None = None


# -- the editor ---------------------------------------------------------------------------------


class DocumentEditor(ABC, Generic[D]):
    """A tenant document in Teams; see the module's docstring. `D`: the stored document."""

    kind: ClassVar[DocumentKind]
    open_commands: ClassVar[frozenset[str]] = frozenset({"view"})  # for everyone
    card_commands: ClassVar[tuple[str, ...]] = ("view", "edit", "export")  # one verb each
    form_fields: ClassVar[tuple[str, ...]]
    patterns: ClassVar[tuple[tuple[str, re.Pattern[str]], ...]] = (
        ("export", EXPORT_RE),
        ("edit", EDIT_RE),
    )

    def __init__(self, fetcher: FileFetcher) -> None:
        self._fetcher = fetcher

    # -- what each kind supplies --------------------------------------------------------------

    @abstractmethod
    async def current(self, tenant: str) -> D: ...

    @abstractmethod
    def number(self, doc: D) -> int:
        """The document's version or revision."""

    @abstractmethod
    def view_card(
        self,
        doc: D,
        lang: str,
        /,
        *,
        manage: bool,
        message: str | None = None,
        warning: bool = False,
    ) -> Card: ...

    @abstractmethod
    def form_card(
        self,
        doc: D,
        lang: str,
        /,
        *,
        values: dict[str, str] | None = None,
        problems: Sequence[Problem] = (),
    ) -> Card: ...

    @abstractmethod
    def export_card(self, doc: D, lang: str, /) -> Card: ...

    @abstractmethod
    def from_form(
        self, doc: D, data: dict[str, Any], tenant: str
    ) -> tuple[Any | None, Sequence[Problem]]:
        """The changed content the form's data gives (validated), or its problems."""

    @abstractmethod
    async def store(
        self, actor: Actor, content: Any, *, expected: int | None, note: str
    ) -> Saved[D]: ...

    @abstractmethod
    async def store_yaml(self, actor: Actor, text: str) -> Saved[D]: ...

    def is_import_head(self, line: str) -> bool:
        """Whether a message's first line introduces a pasted YAML block."""
        return bool(IMPORT_RE.match(first_line(line)))

    async def run_more(self, actor: Actor, command: Command, data: dict[str, Any]) -> Any:
        """The kind's own commands (history, roll-back...): an `ActionResult`, or None."""
        return None

    # -- commands -------------------------------------------------------------------------------

    def verb(self, name: str) -> str:
        return f"{self.kind.ns}.{name}"

    def register(self, router: CardActionRouter) -> None:
        """Route `<ns>.save` and a verb for each of `card_commands` (`<ns>.view`, ...)."""
        for name in self.card_commands:
            router.register(self.kind.verb(name), self.on_command(name))
        router.register(self.kind.verb("save"), self.on_save)

    def command_of(self, text: str, activity: Activity | None = None) -> Command:
        if activity is not None and file_attachments(activity):
            return Command("import")
        first = first_line(text or "")
        if IMPORT_RE.match(first) or _FENCE_RE.search(text or ""):
            return Command("import")
        for kind, pattern in self.patterns:
            match = pattern.search(first)
            if match:
                number = match.group(1) if match.groups() else None
                return Command(kind, int(number) if number else None)
        return Command("view")

    def allowed(self, actor: Actor, kind: str) -> bool:
        return kind in self.open_commands or is_comms(actor)

    def refused(self, actor: Actor) -> ActionResult:
        return ActionResult(message=t(actor.lang, f"{self.kind.ns}.refused"))

    async def handle_command(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        """A message about the document: answer it in the conversation."""
        command = self.command_of(text, turn_context.activity)
        if not self.allowed(actor, command.kind):
            await turn_context.send_activity(t(actor.lang, f"{self.kind.ns}.refused"))
            return
        if command.kind == "import":
            result = await self._import(turn_context.activity, actor, text)
        else:
            result = await self.run(actor, command, {})
        if result.message:
            await turn_context.send_activity(result.message)
        if result.card is not None:
            await turn_context.send_activity(card_activity(result.card))

    async def run(self, actor: Actor, command: Command, data: dict[str, Any]) -> ActionResult:
        more = await self.run_more(actor, command, data)
        if isinstance(more, ActionResult):
            return more
        lang = actor.lang
        doc = await self.current(tenant_of(actor))
        if command.kind == "edit":
            return ActionResult(card=self.form_card(doc, lang))
        if command.kind == "export":
            return ActionResult(card=self.export_card(doc, lang))
        return ActionResult(card=self.view_card(doc, lang, manage=is_comms(actor)))

    async def _import(self, activity: Activity, actor: Actor, text: str) -> ActionResult:
        lang, ns = actor.lang, self.kind.ns
        files = file_attachments(activity)
        yaml_text: str | None
        if files:
            try:
                yaml_text = await self._fetcher.read_yaml_attachment(activity, files[0])
            except FileRefused as exc:
                reason = t(lang, f"{ns}.import.reasons.{exc.reason}")
                return ActionResult(message=t(lang, f"{ns}.import.file_refused", reason=reason))
        else:
            yaml_text = yaml_block_of(text, activity.attachments or [], self.is_import_head)
        if not yaml_text:
            return ActionResult(message=t(lang, f"{ns}.import.missing"))
        saved = await self.store_yaml(actor, yaml_text)
        if saved.doc is None or saved.problems:
            return ActionResult(message=self.kind.problems_text(saved.problems, lang))
        return self._saved(saved.doc, saved.unchanged, lang, "import.done")

    def _saved(self, doc: D, unchanged: bool, lang: str, key: str) -> ActionResult:
        key = "unchanged" if unchanged else key
        message = t(lang, f"{self.kind.ns}.{key}", **{self.kind.number_name: self.number(doc)})
        return ActionResult(card=self.view_card(doc, lang, manage=True, message=message))

    def conflict(self, latest: D, lang: str, expected: int) -> ActionResult:
        current = self.number(latest)
        message = t(lang, f"{self.kind.ns}.conflict", current=current, expected=expected)
        return ActionResult(
            card=self.view_card(latest, lang, manage=True, message=message, warning=True)
        )

    # -- card verbs -----------------------------------------------------------------------------

    def on_command(self, name: str) -> ActionHandler:
        """The card verb for the command `name`: refused to those it is not open to."""

        async def handler(
            turn_context: TurnContext, actor: Actor, data: dict[str, Any]
        ) -> ActionResult:
            if not self.allowed(actor, name):
                return self.refused(actor)
            return await self.run(actor, Command(name), data)

        return handler

    async def on_save(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not self.allowed(actor, "save"):
            return self.refused(actor)
        lang, tenant = actor.lang, tenant_of(actor)
        current = await self.current(tenant)
        expected = expected_of(data, self.kind.base_key)
        if expected is not None and expected != self.number(current):
            return self.conflict(current, lang, expected)
        values = {k: str(data[k]) for k in self.form_fields if data.get(k) is not None}
        content, problems = self.from_form(current, data, tenant)
        if content is None or problems:
            card = self.form_card(current, lang, values=values, problems=problems)
            return ActionResult(card=card)
        note = str(data.get("note") or "")
        saved = await self.store(actor, content, expected=expected, note=note)
        if saved.conflict is not None:
            return self.conflict(await self.current(tenant), lang, saved.conflict)
        if saved.doc is None or saved.problems:
            card = self.form_card(current, lang, values=values, problems=saved.problems)
            return ActionResult(card=card)
        return self._saved(saved.doc, saved.unchanged, lang, "saved")


__all__ = [
    "COMMS_ROLES",
    "Command",
    "DocumentEditor",
    "DocumentKind",
    "Saved",
    "bullets",
    "execute",
    "heading",
    "html_to_text",
    "is_comms",
    "mono",
    "tenant_of",
    "yaml_block_of",
]
