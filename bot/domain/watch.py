"""What a tenant watches on X: its names, handles, competitors, sector, and what to leave out.

A `WatchProfile` is validated once, with every problem coded and reported at its location
(`competitors[1].names: must not be empty`, and its line and column when it came from YAML: the
tenant-document kit, `bot/domain/documents`), and travels as YAML so that a comms team can
read and edit it. `bot/domain/queries.py` turns it into X search queries.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.domain.documents import Collector, DocumentError, LocatedYaml, invalid, validated
from bot.ports.language import Vocabulary

MAX_TERM_LENGTH = 100

_HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_TAG_RE = re.compile(r"^[#$]\w+$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9._=@-]{1,64}$")


class ProfileError(DocumentError):
    """A watch profile cannot be used; `problems` lists every reason with its location."""

    what = "watch profile"


def _clean_term(value: str) -> str:
    term = unicodedata.normalize("NFC", value).strip()
    if not term:
        raise invalid("blank", "must not be blank")
    if len(term) > MAX_TERM_LENGTH:
        raise invalid(
            "too_long", f"must be at most {MAX_TERM_LENGTH} characters", max=MAX_TERM_LENGTH
        )
    if any(ch in term for ch in "\n\r\t"):
        raise invalid("one_line", "must be on one line")
    if term[0] in "#$" and not _TAG_RE.match(term):
        raise invalid("tag", "a hashtag or cashtag is one word: letters, digits or _ after # or $")
    return term


def _clean_handle(value: str) -> str:
    handle = value.strip().removeprefix("@")
    if not _HANDLE_RE.match(handle):
        raise invalid(
            "handle", "an X handle is 1 to 15 letters, digits or _ (an optional @ in front)"
        )
    return handle


def _dedupe_check(values: list[str], what: str) -> list[str]:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        key = value.casefold()
        if key in seen:
            raise invalid(
                "duplicate",
                f"{what} {value!r} is listed twice (items {seen[key]} and {index}; "
                "X matching ignores case)",
                value=value,
                first=seen[key] + 1,  # 1-based, as the form numbers them
                second=index + 1,
            )
        seen[key] = index
    return values


def _terms(values: list[str]) -> list[str]:
    return _dedupe_check(values, "term")


def _handles(values: list[str]) -> list[str]:
    return _dedupe_check(values, "handle")


def _not_empty(values: list[str]) -> list[str]:
    if not values:
        raise invalid("empty", "must not be empty")
    return values


# Items are cleaned one by one, so that a problem is reported at `names[2]`, not `names`; then
# the list is checked for duplicates (and, for `Names`, emptiness).
Term = Annotated[str, AfterValidator(_clean_term)]
Handle = Annotated[str, AfterValidator(_clean_handle)]
Terms = Annotated[list[Term], AfterValidator(_terms)]
Names = Annotated[list[Term], AfterValidator(_not_empty), AfterValidator(_terms)]
Handles = Annotated[list[Handle], AfterValidator(_handles)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Competitor(_Strict):
    """A competitor: its display name, the names and handles that designate it."""

    name: str = Field(min_length=1, max_length=MAX_TERM_LENGTH)
    names: Names
    handles: Handles = []
    exclusions: Terms = []  # the competitor's own homonyms


class Spokesperson(_Strict):
    """Someone who speaks for the company: what they say is about the company."""

    name: Term
    role: str = ""
    handles: Handles = []


class WatchProfile(_Strict):
    """Everything one tenant watches on X."""

    version: int = 1
    tenant_id: str = "demo"
    company: str = Field(min_length=1, max_length=MAX_TERM_LENGTH)  # display name
    names: Names  # names and spellings that designate the company
    handles: Handles = []  # the company's own accounts, without "@"
    keywords: Terms = []  # products, campaigns, #hashtags, $cashtags
    exclusions: Terms = []  # homonyms: posts containing one of these are left out
    competitors: list[Competitor] = []
    sector_terms: Terms = []
    spokespeople: list[Spokesperson] = []
    languages: list[str] = ["fr", "en"]

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise invalid("version", "only version 1 is supported")
        return value

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if not _TENANT_RE.match(value):
            raise invalid("tenant", "1 to 64 characters among letters, digits and . _ = @ -")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip().lower() for v in _not_empty(value)]
        for lang in cleaned:
            if not _LANG_RE.match(lang):
                raise invalid(
                    "language", f"{lang!r} is not a language code such as 'fr' or 'en'", value=lang
                )
        return _dedupe_check(cleaned, "language")

    @model_validator(mode="after")
    def _no_self_exclusion(self) -> WatchProfile:
        wanted = {t.casefold() for t in [*self.names, *self.keywords]}
        wanted |= {f"@{h}".casefold() for h in self.handles}
        found = Collector()
        for index, exclusion in enumerate(self.exclusions):
            if exclusion.casefold() in wanted:
                found.add(
                    ("exclusions", index),
                    "self_exclusion",
                    f"{exclusion!r} is also a name or keyword: "
                    "it would exclude every post about the company",
                    value=exclusion,
                )
        found.raise_if_any()
        return self

    # -- YAML ----------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Any, *, tenant_id: str | None = None) -> WatchProfile:
        """Validate already-parsed data; raises `ProfileError` listing every problem.

        `tenant_id`: the profile's tenant whatever the data says (when it fits the format)."""
        return validated(cls, _with_tenant(data, tenant_id), error=ProfileError)

    @classmethod
    def from_yaml(cls, text: str, *, tenant_id: str | None = None) -> WatchProfile:
        """Parse and validate a YAML profile; raises `ProfileError` listing every problem,
        each with its line and column."""
        return cls.from_located(LocatedYaml.parse(text, ProfileError), tenant_id=tenant_id)

    @classmethod
    def from_located(cls, source: LocatedYaml, *, tenant_id: str | None = None) -> WatchProfile:
        """Validate parsed YAML; raises `ProfileError` listing every problem, located."""
        data = _with_tenant(source.data, tenant_id)
        return validated(cls, data, source=source, error=ProfileError)

    def vocabulary(self) -> Vocabulary:
        """The names that sharpen the reading of this tenant's questions."""
        return Vocabulary(
            own_names=tuple(dict.fromkeys([self.company, *self.names, *self.handles])),
            competitors=tuple(n for c in self.competitors for n in c.names),
            sector_terms=tuple(self.sector_terms),
            topics=tuple(k for k in self.keywords if k[:1] not in "#$"),
        )

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=100
        )


def _with_tenant(data: Any, tenant_id: str | None) -> Any:
    if tenant_id is not None and isinstance(data, dict) and _TENANT_RE.match(tenant_id):
        return {**data, "tenant_id": tenant_id}
    return data
