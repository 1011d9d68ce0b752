"""Every version of a tenant's editorial line: append, get version N, roll back to N.

Pure: the caller gives the time and the editor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import Field, ValidationError, model_validator

from bot.domain.documents import Collector, issues_of
from bot.domain.editorial.line import Editor, EditorialError, EditorialLine, Revision
from bot.domain.editorial.policies import _Model


class UnknownVersion(LookupError):
    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(f"no editorial line version {version}")


class EditorialHistory(_Model):
    """Every version of one tenant's editorial line, oldest first, numbered 1, 2, 3, ...

    Pure and immutable: `append` and `rollback` return a new history."""

    tenant_id: str = Field(min_length=1)
    versions: tuple[EditorialLine, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        for i, line in enumerate(self.versions):
            if line.revision.version != i + 1:
                c.add(
                    ("versions", i, "revision", "version"),
                    "history.numbering",
                    f"expected version {i + 1}, got {line.revision.version}",
                )
            if line.tenant_id != self.tenant_id:
                c.add(
                    ("versions", i, "tenant_id"),
                    "history.tenant",
                    f'"{line.tenant_id}" is not the history\'s tenant "{self.tenant_id}"',
                )
        c.raise_if_any()
        return self

    @property
    def latest_version(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> EditorialLine:
        if not self.versions:
            raise UnknownVersion(0)
        return self.versions[-1]

    def get(self, version: int) -> EditorialLine:
        if not 1 <= version <= len(self.versions):
            raise UnknownVersion(version)
        return self.versions[version - 1]

    def append(
        self, line: EditorialLine, *, by: Editor, at: datetime, note: str = ""
    ) -> EditorialHistory:
        """A history with `line`'s content as the next version (its revision is replaced)."""
        return self._add(
            line, Revision(version=len(self.versions) + 1, changed_by=by, changed_at=at, note=note)
        )

    def rollback(
        self, to_version: int, *, by: Editor, at: datetime, note: str = ""
    ) -> EditorialHistory:
        """A new version whose content is version `to_version`'s (`restored_from` records it)."""
        source = self.get(to_version)
        revision = Revision(
            version=len(self.versions) + 1,
            changed_by=by,
            changed_at=at,
            note=note,
            restored_from=to_version,
        )
        return self._add(source, revision)

    def _add(self, line: EditorialLine, revision: Revision) -> EditorialHistory:
        if line.tenant_id != self.tenant_id:
            raise ValueError(
                f'line of tenant "{line.tenant_id}" added to the history of "{self.tenant_id}"'
            )
        return EditorialHistory(
            tenant_id=self.tenant_id, versions=(*self.versions, line.with_revision(revision))
        )

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def parse(cls, data: object) -> EditorialHistory:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise EditorialError([issue.problem() for issue in issues_of(exc)]) from None
