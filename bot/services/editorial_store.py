"""Per-tenant editorial lines, versioned: who changed what, when, and roll-back.

One record per tenant (`tenants/<tid>/editorial_line`, kind `editorial_history`, schema 1)
holding the whole `EditorialHistory`. Every change is a compare-and-set write (`if_match` on the
ETag read, create-only for the first one), retried when another writer won; a change made from
a form that was opened on an older version is refused (`expected_version`), never merged
silently. Each change is also appended to the tenant's audit log (`audit/editorial/<tid>`).

A tenant with no line of its own gets the default (the demo company's) line, under its own
tenant id; the first change stores that default as version 1, so a roll-back to it stays
possible.

Import from YAML: `tenant_id` and `revision` may be omitted (they are filled in: the tenant is
always the store's, the revision always the history's); every other problem is reported with
its place in the YAML (line, column and path). The YAML is parsed once (`LocatedYaml`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clients.store.records import read_record, write_record
from bot.domain.defaults import default_editorial_line
from bot.domain.documents import LocatedYaml
from bot.domain.editorial import (
    Editor,
    EditorialError,
    EditorialHistory,
    EditorialLine,
    Problem,
    UnknownVersion,
)
from bot.ports.clock import Clock
from bot.ports.store import PreconditionFailed, Store
from bot.services.tenant_docs import (
    RevisionConflict,
    append_audit,
    audit_key,
    document_key,
    tenant_segment,
)

logger = logging.getLogger(__name__)

KIND = "editorial_history"
SCHEMA = 1
MAX_ATTEMPTS = 8
SYSTEM_EDITOR = Editor(user_id="system", name="Pulse")
DEFAULT_NOTE = "Default editorial line"
AUDIT_KIND = "editorial"


def editorial_key(tenant_id: str) -> str:
    return document_key(tenant_id, "editorial_line")


def audit_log_key(tenant_id: str) -> str:
    return audit_key(tenant_id, AUDIT_KIND)


class VersionConflict(RevisionConflict):
    """The line changed since the editor's form was opened: `current` is the latest version."""

    def __init__(self, expected: int, current: int) -> None:
        message = f"editorial line is at version {current}, not {expected}"
        super().__init__(message, expected, current)


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save did: the new current line, or the located problems (nothing saved)."""

    line: EditorialLine | None
    problems: tuple[Problem, ...] = ()
    unchanged: bool = False  # same content as the current version: no new version

    @property
    def ok(self) -> bool:
        return self.line is not None and not self.problems


DefaultLine = Callable[[], EditorialLine]


class EditorialStore:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        default: DefaultLine = default_editorial_line,
    ) -> None:
        self._store = store
        self._clock = clock
        self._default = default
        # Parsed histories by tenant, valid while the stored ETag is the same (parsing a long
        # history costs more than reading it); lines are immutable, so sharing them is safe.
        self._parsed: dict[str, tuple[str, EditorialHistory]] = {}
        self._defaults: dict[str, tuple[EditorialLine, EditorialLine]] = {}

    # -- reading ----------------------------------------------------------------------------

    def default_for(self, tenant_id: str) -> EditorialLine:
        """The default line under `tenant_id` (version 1, by Pulse)."""
        base = self._default()
        if base.tenant_id == tenant_id:
            return base
        cached = self._defaults.get(tenant_id)
        if cached is None or cached[0] is not base:
            cached = (base, EditorialLine.parse({**base.to_data(), "tenant_id": tenant_id}))
            if len(self._defaults) > 256:
                self._defaults.clear()
            self._defaults[tenant_id] = cached
        return cached[1]

    async def _read(self, tenant_id: str) -> tuple[EditorialHistory | None, str | None]:
        found = await read_record(self._store, editorial_key(tenant_id), kind=KIND, schema=SCHEMA)
        if found is None:
            return None, None
        record, etag = found
        cached = self._parsed.get(tenant_id)
        if cached is not None and cached[0] == etag:
            return cached[1], etag
        history = EditorialHistory.parse(record.data)
        if len(self._parsed) > 256:
            self._parsed.clear()
        self._parsed[tenant_id] = (etag, history)
        return history, etag

    async def history(self, tenant_id: str) -> EditorialHistory:
        """Every version, oldest first; a tenant with none has the default as version 1."""
        stored, _ = await self._read(tenant_id)
        if stored is not None and stored.versions:
            return stored
        return EditorialHistory(tenant_id=tenant_id, versions=(self.default_for(tenant_id),))

    async def current(self, tenant_id: str) -> EditorialLine:
        return (await self.history(tenant_id)).current

    # -- writing ----------------------------------------------------------------------------

    def parse(
        self, tenant_id: str, line_or_yaml: EditorialLine | str, editor: Editor
    ) -> EditorialLine:
        """A line for `tenant_id` from a line or YAML text; raises `EditorialError` (located)."""
        if isinstance(line_or_yaml, EditorialLine):
            line = line_or_yaml
        else:
            source = LocatedYaml.parse(line_or_yaml, EditorialError)
            missing = {"tenant_id": tenant_id, "revision": self._revision_data(1, editor)}
            line = EditorialLine.from_located(source, missing=missing)
        if line.tenant_id != tenant_id:
            line = EditorialLine.parse({**line.to_data(), "tenant_id": tenant_id})
        return line

    def _revision_data(self, version: int, editor: Editor) -> dict[str, Any]:
        return {
            "version": version,
            "changed_by": editor.model_dump(),
            "changed_at": self._clock.now().isoformat(),
        }

    async def save(
        self,
        tenant_id: str,
        line_or_yaml: EditorialLine | str,
        editor: Editor,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> SaveResult:
        """Validate and store a new version. Problems (located) are returned, not raised;
        `expected_version`: refuse (`VersionConflict`) if the line moved on since."""
        try:
            line = self.parse(tenant_id, line_or_yaml, editor)
        except EditorialError as exc:
            return SaveResult(None, exc.problems)
        note = " ".join(note.split())[:300]

        def change(history: EditorialHistory, at: datetime) -> EditorialHistory | None:
            if history.current.same_content(line):
                return None
            return history.append(line, by=editor, at=at, note=note)

        history, changed = await self._update(tenant_id, change, expected_version)
        if changed:
            await self._audit(tenant_id, "editorial.saved", history.current, editor)
        return SaveResult(history.current, unchanged=not changed)

    async def rollback(
        self,
        tenant_id: str,
        version: int,
        editor: Editor,
        note: str = "",
        *,
        expected_version: int | None = None,
    ) -> EditorialLine:
        """A new version with version `version`'s content. Raises `UnknownVersion`,
        `VersionConflict`."""

        def change(history: EditorialHistory, at: datetime) -> EditorialHistory | None:
            return history.rollback(version, by=editor, at=at, note=note)

        history, _ = await self._update(tenant_id, change, expected_version)
        await self._audit(tenant_id, "editorial.rolled_back", history.current, editor)
        return history.current

    async def _update(
        self,
        tenant_id: str,
        change: Callable[[EditorialHistory, datetime], EditorialHistory | None],
        expected_version: int | None,
    ) -> tuple[EditorialHistory, bool]:
        key = editorial_key(tenant_id)
        for _ in range(MAX_ATTEMPTS):
            stored, etag = await self._read(tenant_id)
            history = stored if stored is not None and stored.versions else None
            if history is None:
                history = EditorialHistory(tenant_id=tenant_id, versions=())
                default = self.default_for(tenant_id)
                history = history.append(
                    default,
                    by=default.revision.changed_by,
                    at=default.revision.changed_at,
                    note=default.revision.note or DEFAULT_NOTE,
                )
            if expected_version is not None and history.latest_version != expected_version:
                raise VersionConflict(expected_version, history.latest_version)
            updated = change(history, self._clock.now())
            if updated is None:
                return history, False
            try:
                await write_record(
                    self._store,
                    key,
                    kind=KIND,
                    schema=SCHEMA,
                    data=updated.to_data(),
                    if_match=etag,
                    if_none_match=etag is None,
                    now=self._clock.now(),
                )
            except PreconditionFailed:
                logger.info("editorial line of a tenant changed meanwhile; retrying")
                continue
            return updated, True
        raise PreconditionFailed("the editorial line kept changing; try again")

    async def _audit(self, tenant_id: str, event: str, line: EditorialLine, editor: Editor) -> None:
        record = {
            "event": event,
            "version": line.revision.version,
            "restored_from": line.revision.restored_from,
            "by": editor.user_id,
            "at": line.revision.changed_at.isoformat(),
            "note": line.revision.note,
        }
        await append_audit(self._store, tenant_id, AUDIT_KIND, record)


__all__ = [
    "EditorialStore",
    "SaveResult",
    "UnknownVersion",
    "VersionConflict",
    "audit_log_key",
    "editorial_key",
    "tenant_segment",
]
