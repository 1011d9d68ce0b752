"""The editorial line in Teams: view, edit (card form), import / export YAML, history, roll-back.

Who: everyone in the tenant may *view* the line (executives write by it); changing it, importing,
exporting, the history and roll-back are for the comms team and admins (`actor.roles` ∩
{"admin", "approver"}); others get a refusal, and the view card shows them no buttons.

Entry points:

- `EditorialTeams.handle_editorial_command(turn_context, actor, text)`: the root dialog calls it
  for `Intent.EDITORIAL_LINE` (a file attached to the command is read as an import).
  Commands, in French or English: view (default), "modifier" / "edit", "historique" /
  "history", "exporter" / "export", "revenir à la version 3" / "roll back to 3",
  "import ligne éditoriale" / "import editorial line" followed by a YAML block in the same
  message (fenced or not, plain text or Teams HTML), or a `.yaml` attachment in personal chat.
- `register_editorial(router, services)`: the card verbs `editorial.view`, `editorial.edit`,
  `editorial.save`, `editorial.history`, `editorial.rollback`, `editorial.export`
  (Action.Execute; the Action.Submit fallback reaches the same handlers).

The editor itself (commands, import, the form's save, problems phrased from their codes) is
`bot/teams/editor.py`, shared with the watch profile; the cards are
`bot/teams/editorial_cards.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from botbuilder.core import TurnContext

from bot.domain.editorial import Editor, EditorialError, EditorialLine, Problem, UnknownVersion
from bot.i18n import t
from bot.services.editorial_store import EditorialStore, VersionConflict
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.editor import (
    COMMS_ROLES,
    EDIT_RE,
    EXPORT_RE,
    Command,
    DocumentEditor,
    Saved,
    expected_of,
    tenant_of,
)
from bot.teams.editorial_cards import (
    FORM_FIELDS,
    KIND,
    export_card,
    form_card,
    history_card,
    line_data_from_form,
    view_card,
)
from bot.teams.files import FileFetcher, FileRefused

logger = logging.getLogger(__name__)

_ROLLBACK_RE: Final = re.compile(
    r"\b(?:rollback|roll back|revenir|restaurer|restore|retour)\b\D*(\d{1,5})\b"
)
_HISTORY_RE: Final = re.compile(r"\b(?:historique|history|versions?)\b")


def editor_of(actor: Actor) -> Editor:
    key = actor.key or "unknown"
    return Editor(user_id=key, name=actor.name or key)


@dataclass
class EditorialServices:
    store: EditorialStore
    fetcher: FileFetcher = field(default_factory=FileFetcher)


class EditorialTeams(DocumentEditor[EditorialLine]):
    kind = KIND
    form_fields = FORM_FIELDS
    patterns: ClassVar[tuple[tuple[str, re.Pattern[str]], ...]] = (
        ("rollback", _ROLLBACK_RE),
        ("export", EXPORT_RE),
        ("history", _HISTORY_RE),
        ("edit", EDIT_RE),
    )
    card_commands = ("view", "edit", "export", "history")

    def __init__(self, services: EditorialServices) -> None:
        super().__init__(services.fetcher)
        self._store = services.store

    def register(self, router: CardActionRouter) -> None:
        super().register(router)
        router.register(KIND.verb("rollback"), self.on_rollback)

    async def handle_editorial_command(
        self, turn_context: TurnContext, actor: Actor, text: str
    ) -> None:
        await self.handle_command(turn_context, actor, text)

    # -- the kind's parts -----------------------------------------------------------------------

    async def current(self, tenant: str) -> EditorialLine:
        return await self._store.current(tenant)

    def number(self, doc: EditorialLine) -> int:
        return doc.revision.version

    view_card = staticmethod(view_card)
    form_card = staticmethod(form_card)
    export_card = staticmethod(export_card)

    def from_form(
        self, doc: EditorialLine, data: dict[str, Any], tenant: str
    ) -> tuple[EditorialLine | None, Sequence[Problem]]:
        try:
            return EditorialLine.parse(line_data_from_form(doc, data)), ()
        except EditorialError as exc:
            return None, exc.problems

    async def store(
        self, actor: Actor, content: Any, *, expected: int | None, note: str
    ) -> Saved[EditorialLine]:
        tenant = tenant_of(actor)
        try:
            result = await self._store.save(
                tenant, content, editor_of(actor), note, expected_version=expected
            )
        except VersionConflict as exc:
            return Saved(conflict=exc.expected)
        return Saved(result.line, result.problems, result.unchanged)

    async def store_yaml(self, actor: Actor, text: str) -> Saved[EditorialLine]:
        tenant = tenant_of(actor)
        result = await self._store.save(tenant, text, editor_of(actor), note="YAML import")
        return Saved(result.line, result.problems, result.unchanged)

    # -- history and roll-back --------------------------------------------------------------------

    async def run_more(
        self, actor: Actor, command: Command, data: dict[str, Any]
    ) -> ActionResult | None:
        lang = actor.lang
        tenant = tenant_of(actor)
        if command.kind == "history":
            history = await self._store.history(tenant)
            return ActionResult(card=history_card(history.versions, lang))
        if command.kind != "rollback" or command.version is None:
            return None
        try:
            line = await self._store.rollback(
                tenant,
                command.version,
                editor_of(actor),
                expected_version=expected_of(data, KIND.base_key),
            )
        except UnknownVersion:
            return ActionResult(
                message=t(lang, "editorial.unknown_version", version=command.version)
            )
        except VersionConflict as exc:
            history = await self._store.history(tenant)
            message = t(lang, "editorial.conflict", current=exc.current, expected=exc.expected)
            return ActionResult(card=history_card(history.versions, lang, message=message))
        history = await self._store.history(tenant)
        message = t(
            lang,
            "editorial.rolled_back",
            from_version=command.version,
            version=line.revision.version,
        )
        return ActionResult(card=history_card(history.versions, lang, message=message))

    async def on_rollback(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not self.allowed(actor, "rollback"):
            return self.refused(actor)
        version = data.get("version")
        if not (isinstance(version, int) or (isinstance(version, str) and version.isdigit())):
            return ActionResult(status=400, message="missing version")
        return await self.run(actor, Command("rollback", int(version)), data)


def register_editorial(router: CardActionRouter, services: EditorialServices) -> EditorialTeams:
    """Route the editorial verbs; the returned object's `handle_editorial_command` is for the
    root dialog."""
    teams = EditorialTeams(services)
    teams.register(router)
    return teams


__all__ = [
    "COMMS_ROLES",
    "EditorialServices",
    "EditorialTeams",
    "FileFetcher",
    "FileRefused",
    "export_card",
    "form_card",
    "history_card",
    "line_data_from_form",
    "register_editorial",
    "view_card",
]
