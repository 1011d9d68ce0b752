"""The editorial line: how a tenant's executives speak on X, as decided by the comms team.

One `EditorialLine` per tenant and per version. It is plain data (pydantic v2, frozen), loaded
from and saved to YAML (`bot/domain/documents`: every problem coded and located, with its line
and column when the line came from YAML).

Texts may use placeholders so that renaming the company is a one-field change:
`{company}`, `{company_handle}`, `{spokesperson}`, `{initials}`. `EditorialLine.resolved()`
substitutes them (in hashtags, `{company}` becomes the name without spaces or punctuation).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, Self

import yaml
from pydantic import Field, model_validator
from twitter_text import parse_tweet

from bot.domain.documents import Collector, DocumentError, LocatedYaml, validated
from bot.domain.editorial.folding import fold, hashtag_key
from bot.domain.editorial.policies import (
    MAX_POST_LENGTH,
    AvoidTerm,
    Company,
    CrisisGuidance,
    DisclosureRule,
    EmojiPolicy,
    HashtagPolicy,
    Lang,
    LinkPolicy,
    MentionPolicy,
    Pillar,
    SamplePost,
    Spokesperson,
    Voice,
    _Model,
)


class EditorialError(DocumentError):
    """An editorial line that cannot be accepted; `problems` lists every problem found."""

    what = "editorial line"


class Editor(_Model):
    """Who changed the line: the Teams (AAD) user id and display name."""

    user_id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Revision(_Model):
    version: int = Field(ge=1)
    changed_by: Editor
    changed_at: datetime
    note: str = ""
    restored_from: int | None = Field(default=None, ge=1)  # set when this version is a roll-back

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        if self.changed_at.tzinfo is None:
            c.add(("changed_at",), "revision.naive_time", "must be timezone-aware")
        if self.restored_from is not None and self.restored_from >= self.version:
            c.add(
                ("restored_from",),
                "revision.restored_from",
                f"must be an earlier version than {self.version}",
            )
        c.raise_if_any()
        return self


class EditorialLine(_Model):
    tenant_id: str = Field(min_length=1)
    revision: Revision
    company: Company
    spokesperson: Spokesperson | None = None
    languages: list[Lang] = Field(min_length=1)
    default_language: Lang
    voice: Voice = Field(default_factory=Voice)
    pillars: list[Pillar] = Field(default_factory=list)
    avoid: dict[Lang, list[AvoidTerm]] = Field(default_factory=dict)
    hashtags: HashtagPolicy = Field(default_factory=HashtagPolicy)
    mentions: MentionPolicy = Field(default_factory=MentionPolicy)
    links: LinkPolicy = Field(default_factory=LinkPolicy)
    emoji: EmojiPolicy = Field(default_factory=EmojiPolicy)
    disclosures: list[DisclosureRule] = Field(default_factory=list)
    crisis: CrisisGuidance = Field(default_factory=CrisisGuidance)
    sample_posts: list[SamplePost] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        langs = set(self.languages)
        for i, lang in enumerate(self.languages):
            if lang in self.languages[:i]:
                c.add(("languages", i), "language.duplicate", f'"{lang}" is listed twice')
        if self.default_language not in langs:
            c.add(
                ("default_language",),
                "language.default_not_allowed",
                f'"{self.default_language}" is not in languages',
            )
        pillar_ids: dict[str, int] = {}
        for i, pillar in enumerate(self.pillars):
            if pillar.id in pillar_ids:
                c.add(
                    ("pillars", i, "id"),
                    "pillar.duplicate",
                    f'"{pillar.id}" duplicates pillars[{pillar_ids[pillar.id]}].id',
                )
            pillar_ids.setdefault(pillar.id, i)
            for lang in self.languages:
                if not pillar.name.get(lang):
                    c.add(("pillars", i, "name"), "pillar.missing_name", f'no "{lang}" name')
        for lang, terms in self.avoid.items():
            keys: dict[str, int] = {}
            for i, term in enumerate(terms):
                key = fold(term.term)
                if key in keys:
                    c.add(
                        ("avoid", lang, i),
                        "avoid.duplicate",
                        f'"{term.term}" duplicates avoid.{lang}[{keys[key]}]',
                    )
                keys.setdefault(key, i)
        required = {hashtag_key(t): t for t in self.hashtags.required}
        for lang, terms in self.avoid.items():
            for i, term in enumerate(terms):
                if fold(term.term) in required:
                    c.add(
                        ("avoid", lang, i),
                        "avoid.required_hashtag",
                        f'"{term.term}" is avoided but {required[fold(term.term)]} is required',
                    )
        rule_ids: dict[str, int] = {}
        for i, rule in enumerate(self.disclosures):
            if rule.id in rule_ids:
                c.add(
                    ("disclosures", i, "id"),
                    "disclosure.duplicate",
                    f'"{rule.id}" duplicates disclosures[{rule_ids[rule.id]}].id',
                )
            rule_ids.setdefault(rule.id, i)
        resolved = self._resolved_texts()
        for i, post in enumerate(self.sample_posts):
            if post.lang not in langs:
                c.add(
                    ("sample_posts", i, "lang"),
                    "language.not_allowed",
                    f'"{post.lang}" is not in languages',
                )
            if post.pillar is not None and post.pillar not in pillar_ids:
                c.add(
                    ("sample_posts", i, "pillar"),
                    "pillar.unknown",
                    f'"{post.pillar}" is not a pillar id',
                )
            length = parse_tweet(unicodedata.normalize("NFC", resolved(post.text))).weightedLength
            if length > MAX_POST_LENGTH:
                c.add(
                    ("sample_posts", i, "text"),
                    "sample.too_long",
                    f"weighted length {length} is over {MAX_POST_LENGTH}",
                )
        c.raise_if_any()
        return self

    # ---- placeholders ----------------------------------------------------------------------

    def _replacements(self, *, in_hashtag: bool = False) -> dict[str, str]:
        company = self.company.hashtag_name if in_hashtag else self.company.name
        out = {"{company}": company}
        if self.company.handle:
            out["{company_handle}"] = "@" + self.company.handle
        if self.spokesperson is not None:
            out["{spokesperson}"] = self.spokesperson.name
            if self.spokesperson.initials:
                out["{initials}"] = self.spokesperson.initials
        return out

    def _resolved_texts(self) -> Any:
        repl = self._replacements()

        def resolve(text: str) -> str:
            for key, value in repl.items():
                text = text.replace(key, value)
            return text

        return resolve

    def resolve(self, text: str) -> str:
        """`text` with `{company}`, `{company_handle}`, `{spokesperson}`, `{initials}` filled."""
        resolved: str = self._resolved_texts()(text)
        return resolved

    def resolved(self) -> EditorialLine:
        """A copy with every placeholder filled (hashtags get the name without spaces)."""
        cached = _RESOLVED.get(id(self))
        if cached is not None and cached[0] is self:
            return cached[1]
        text_repl = self._replacements()
        tag_repl = self._replacements(in_hashtag=True)

        def walk(node: Any, repl: dict[str, str]) -> Any:
            if isinstance(node, str):
                for key, value in repl.items():
                    node = node.replace(key, value)
                return node
            if isinstance(node, list):
                return [walk(x, repl) for x in node]
            if isinstance(node, dict):
                return {k: walk(v, tag_repl if k == "hashtags" else repl) for k, v in node.items()}
            return node

        data = walk(self.model_dump(mode="json"), text_repl)
        resolved = EditorialLine.model_validate(data)
        _RESOLVED[id(self)] = (self, resolved)
        _RESOLVED[id(resolved)] = (resolved, resolved)
        while len(_RESOLVED) > _RESOLVED_MAX:
            del _RESOLVED[next(iter(_RESOLVED))]
        return resolved

    # ---- convenience -----------------------------------------------------------------------

    def avoid_terms(self) -> list[tuple[Lang, AvoidTerm]]:
        return [(lang, term) for lang, terms in self.avoid.items() for term in terms]

    def pillar(self, pillar_id: str) -> Pillar | None:
        return next((p for p in self.pillars if p.id == pillar_id), None)

    def content(self) -> dict[str, Any]:
        """Everything but the revision: what a roll-back restores."""
        return self.model_dump(mode="json", exclude={"revision"})

    def same_content(self, other: EditorialLine) -> bool:
        return self.content() == other.content()

    def with_revision(self, revision: Revision) -> EditorialLine:
        return EditorialLine.model_validate({**self.content(), "revision": revision.model_dump()})

    # ---- (de)serialisation -----------------------------------------------------------------

    @classmethod
    def parse(cls, data: object) -> EditorialLine:
        """Validate already-loaded data (e.g. JSON from the store); raises `EditorialError`."""
        return validated(cls, data, error=EditorialError)

    @classmethod
    def from_yaml(cls, text: str) -> EditorialLine:
        """Load from YAML; raises `EditorialError` listing every problem, located."""
        return cls.from_located(LocatedYaml.parse(text, EditorialError))

    @classmethod
    def from_located(
        cls, source: LocatedYaml, *, missing: dict[str, Any] | None = None
    ) -> EditorialLine:
        """Validate parsed YAML, with `missing`'s fields added where the YAML has none; raises
        `EditorialError` listing every problem, located."""
        data = source.data
        if missing and isinstance(data, dict):
            data = {**missing, **data}
        return validated(cls, data, source=source, error=EditorialError)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (for the store); `parse(to_data())` gives back an equal line."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        dumped: str = yaml.safe_dump(
            self.to_data(), sort_keys=False, allow_unicode=True, width=100, indent=2
        )
        return dumped


# Resolved copies of the last lines used (lines are frozen): keyed by id, holding the line.
_RESOLVED: dict[int, tuple[EditorialLine, EditorialLine]] = {}
_RESOLVED_MAX = 32
